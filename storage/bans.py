"""Banned residents, by pseudonym."""

from __future__ import annotations

from dataclasses import dataclass

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


@dataclass(frozen=True)
class Ban:
    id: int  # the row's id: what an admin's "unban" button names (the pseudonym never leaves)
    reason: str
    banned_by: int | None
    created_at: int


async def list_bans(db: Database) -> list[Ban]:
    rows = await db.fetch_all(
        "SELECT rowid AS id, reason, banned_by, created_at FROM bans ORDER BY created_at DESC"
    )
    return [Ban(**row) for row in rows]


async def unban_by_id(db: Database, ban_id: int, created_at: int) -> bool:
    """Lift the ban listed as `ban_id` (with its time: a VACUUM may renumber the rows)."""
    async with db.transaction():
        cursor = await db.execute(
            "DELETE FROM bans WHERE rowid = ? AND created_at = ?", (ban_id, created_at)
        )
    return cursor.rowcount > 0
