"""Scheduled housekeeping on PTB's JobQueue.

Each job reads its work from the database, so a restart only delays it: nothing is held in
memory between runs and nothing is done twice.
"""

from __future__ import annotations

import logging
from datetime import time

from telegram.ext import Application

from bot.backup import backup_job
from bot.bulletin_jobs import schedule_bulletin_jobs
from bot.context import TipbotContext, job_queue
from bot.deadlines import check_deadlines
from bot.retention import retention_job

log = logging.getLogger(__name__)

DEADLINES_INTERVAL = 60
# Local times of the daily jobs: retention first, so that each backup holds no more than it keeps.
RETENTION_AT = time(3, 0)
BACKUP_AT = time(3, 30)


async def deadlines(context: TipbotContext) -> None:
    await check_deadlines(context.runtime)


def schedule_jobs(application: Application) -> None:
    jobs = job_queue(application)
    tz = application.bot_data["runtime"].config.timezone
    jobs.run_repeating(deadlines, interval=DEADLINES_INTERVAL, first=10, name="deadlines")
    # Retention (bot/retention.py) daily, and once soon after start: a bot restarted every day
    # must not put it off for ever. The daily backup (bot/backup.py) after it.
    jobs.run_daily(retention_job, RETENTION_AT.replace(tzinfo=tz), name="retention")
    jobs.run_once(retention_job, 60, name="retention_at_start")
    jobs.run_daily(backup_job, BACKUP_AT.replace(tzinfo=tz), name="backup")
    schedule_bulletin_jobs(application)  # the library, the broadcast engine, schedules
