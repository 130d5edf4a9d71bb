"""Deletions that retention needs and no other module owns: finished invites, closed tips.

(Drafts, pending inputs, rate-limit windows and ways back each have their purge in their own
module; bot/retention.py runs them all.)
"""

from __future__ import annotations

from storage.db import Database

TIP_BATCH = 500  # whole tips deleted per transaction: the bot keeps answering in between


async def purge_invites(db: Database, *, before: int) -> int:
    """Invites used, or expired, before `before`."""
    async with db.transaction():
        cursor = await db.execute(
            "DELETE FROM invites WHERE used_at < ? OR (used_at IS NULL AND expires_at < ?)",
            (before, before),
        )
    return cursor.rowcount


async def purge_closed_tips(db: Database, *, closed_before: int, batch: int = TIP_BATCH) -> int:
    """Whole tips closed before `closed_before`, with everything that hangs on them (indicators,
    attachments, messages, history, notifications, way back, outbox rows: ON DELETE CASCADE).
    The audit log keeps its rows: it names tips by plain id, and is append-only."""
    deleted = 0
    while True:
        async with db.transaction():
            cursor = await db.execute(
                """DELETE FROM tips WHERE id IN (
                       SELECT id FROM tips WHERE closed_at < ? ORDER BY closed_at LIMIT ?)""",
                (closed_before, batch),
            )
        deleted += cursor.rowcount
        if cursor.rowcount < batch:
            return deleted
