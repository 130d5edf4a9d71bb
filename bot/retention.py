"""Retention: how long the bot keeps what, and the daily job that deletes the rest.

| what                                   | kept until                                          |
|----------------------------------------|-----------------------------------------------------|
| a draft tip                            | it expires (a day after its last change)            |
| what someone was asked to type         | it expires                                          |
| rate-limit counters                    | two days after their window began                   |
| an invite link                         | INVITE_KEPT days after it was used or expired       |
| the sealed way back to a tipster       | TIPBOT_RETENTION_DAYS after the tip was closed      |
| a whole closed tip (if configured)     | TIPBOT_TIP_RETENTION_DAYS after it was closed       |
| a sent (or abandoned) outbox message   | OUTBOX_KEPT days after it was sent                  |
| a web door upload                      | nothing names it: no tip, draft or outbox message   |
| the audit log                          | for ever (append-only; it names tips by plain id)   |

Expired drafts and inputs are already invisible to the bot before they are deleted; deleting them
removes the traces. Invites are kept a while after use or expiry so that a late click is told
"expired" or "used" rather than "unknown". The daily statistics (storage/stats.py) follow deleted
tips: they count what the database holds.
"""

from __future__ import annotations

import logging
import time
from dataclasses import asdict, dataclass

from bot.config import Config
from bot.context import TipbotContext
from bot.logging_setup import kv
from storage import drafts, outbox, pending, ratelimits, retention, tips, web_files
from storage.db import Database

log = logging.getLogger(__name__)

DAY = 24 * 3600
RATE_WINDOWS_KEPT = 2 * DAY  # longer than the longest window (a day)
INVITE_KEPT = 30 * DAY
OUTBOX_KEPT = 14 * DAY


@dataclass(frozen=True)
class Purged:
    drafts: int
    pending_inputs: int
    rate_windows: int
    invites: int
    way_backs: int
    tips: int
    outbox: int = 0
    web_files: int = 0


async def purge(db: Database, config: Config, now: int) -> Purged:
    """Everything whose time has come, each kind in its own short transaction."""
    whole_tips = 0
    if config.tip_retention_days is not None:
        whole_tips = await retention.purge_closed_tips(
            db, closed_before=now - config.tip_retention_days * DAY
        )
    return Purged(
        drafts=await drafts.purge_expired(db, now=now),
        pending_inputs=await pending.purge_expired(db, now=now),
        rate_windows=await ratelimits.purge(db, before=now - RATE_WINDOWS_KEPT),
        invites=await retention.purge_invites(db, before=now - INVITE_KEPT),
        way_backs=await tips.purge_way_backs(db, now=now),
        tips=whole_tips,
        outbox=await outbox.purge_finished(db, before=now - OUTBOX_KEPT),
        # After the drafts and the outbox: their files go the same day.
        web_files=await web_files.purge_unreferenced(db),
    )


async def retention_job(context: TipbotContext) -> None:
    runtime = context.runtime
    started = time.monotonic()
    purged = await purge(runtime.db, runtime.config, runtime.now())
    # secure_delete zeroes deleted rows in the database file; their earlier page images stay in
    # the write-ahead log until a checkpoint, so one runs now rather than whenever SQLite likes.
    checkpointed = await runtime.db.checkpoint()
    took_ms = round((time.monotonic() - started) * 1000)
    log.info(kv("retention", **asdict(purged), checkpointed=checkpointed, took_ms=took_ms))
