"""Scheduled housekeeping on PTB's JobQueue.

Each job reads its work from the database, so a restart only delays it: nothing is held in
memory between runs and nothing is done twice.
"""

from __future__ import annotations

import logging
import time

from telegram.ext import Application

from bot.context import TipbotContext
from bot.deadlines import check_deadlines
from storage import drafts, pending, ratelimits

log = logging.getLogger(__name__)

HOUSEKEEPING_INTERVAL = 15 * 60
DEADLINES_INTERVAL = 60
RATE_WINDOWS_KEPT = 2 * 24 * 3600  # longer than the longest window (a day)


async def purge_expired(context: TipbotContext) -> None:
    db = context.runtime.db
    expired_drafts = await drafts.purge_expired(db)
    await pending.purge_expired(db)
    old_windows = await ratelimits.purge(db, before=int(time.time()) - RATE_WINDOWS_KEPT)
    if expired_drafts or old_windows:
        log.info(
            "event=purge drafts_deleted=%d rate_windows_deleted=%d", expired_drafts, old_windows
        )


async def deadlines(context: TipbotContext) -> None:
    await check_deadlines(context.runtime)


def schedule_jobs(application: Application) -> None:
    jobs = application.job_queue
    jobs.run_repeating(purge_expired, interval=HOUSEKEEPING_INTERVAL, first=5, name="purge")
    jobs.run_repeating(deadlines, interval=DEADLINES_INTERVAL, first=10, name="deadlines")
