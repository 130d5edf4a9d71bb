"""Banned residents, by pseudonym."""

from __future__ import annotations

from storage.db import Database, now_or


async def ban(
    db: Database, pseudonym: str, reason: str, *, banned_by: int | None, now: int | None = None
) -> None:
    async with db.transaction():
        await db.execute(
            """INSERT INTO bans (pseudonym, reason, banned_by, created_at) VALUES (?, ?, ?, ?)
               ON CONFLICT (pseudonym) DO UPDATE SET reason = excluded.reason,
                   banned_by = excluded.banned_by, created_at = excluded.created_at""",
            (pseudonym, reason, banned_by, now_or(now)),
        )


async def unban(db: Database, pseudonym: str) -> bool:
    async with db.transaction():
        cursor = await db.execute("DELETE FROM bans WHERE pseudonym = ?", (pseudonym,))
    return cursor.rowcount > 0


async def is_banned(db: Database, pseudonym: str) -> bool:
    return await db.fetch_one("SELECT 1 FROM bans WHERE pseudonym = ?", (pseudonym,)) is not None
