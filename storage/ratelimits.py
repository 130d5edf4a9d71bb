"""Fixed-window rate limits per pseudonym and bucket (e.g. /status guesses, new tips)."""

from __future__ import annotations

from storage.db import Database, now_or


async def hit(
    db: Database, pseudonym: str, bucket: str, *, limit: int, window: int, now: int | None = None
) -> bool:
    """Count one hit; True while the window holds at most ``limit`` hits.

    Hits over the limit are counted too, so hammering does not earn a reset.
    """
    now = now_or(now)
    window_start = now - now % window
    async with db.transaction():
        await db.execute(
            """INSERT INTO rate_limits (pseudonym, bucket, window_start, hits) VALUES (?, ?, ?, 1)
               ON CONFLICT (pseudonym, bucket, window_start) DO UPDATE SET hits = hits + 1""",
            (pseudonym, bucket, window_start),
        )
        hits = await db.fetch_value(
            """SELECT hits FROM rate_limits
               WHERE pseudonym = ? AND bucket = ? AND window_start = ?""",
            (pseudonym, bucket, window_start),
        )
    return hits <= limit


async def count(
    db: Database, pseudonym: str, bucket: str, *, window: int, now: int | None = None
) -> int:
    """Hits so far in the current window, without adding one (e.g. only failures are hit)."""
    now = now_or(now)
    hits = await db.fetch_value(
        "SELECT hits FROM rate_limits WHERE pseudonym = ? AND bucket = ? AND window_start = ?",
        (pseudonym, bucket, now - now % window),
    )
    return hits or 0


async def purge(db: Database, *, before: int) -> int:
    """Forget windows that started before ``before``: old counters are only activity traces."""
    async with db.transaction():
        cursor = await db.execute("DELETE FROM rate_limits WHERE window_start < ?", (before,))
    return cursor.rowcount
