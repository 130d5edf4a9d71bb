"""Draft tips, saved at every step of the flow so that they survive a restart."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from storage.db import Database, now_or


@dataclass(frozen=True)
class Draft:
    pseudonym: str
    step: str
    data: dict[str, Any]
    updated_at: int
    expires_at: int


async def get(db: Database, pseudonym: str, *, now: int | None = None) -> Draft | None:
    """The resident's draft, or None; an expired draft counts as gone even before the purge."""
    row = await db.fetch_one(
        "SELECT * FROM drafts WHERE pseudonym = ? AND expires_at > ?", (pseudonym, now_or(now))
    )
    if row is None:
        return None
    return Draft(
        pseudonym=row["pseudonym"],
        step=row["step"],
        data=json.loads(row["data"]),
        updated_at=row["updated_at"],
        expires_at=row["expires_at"],
    )


async def save(
    db: Database,
    pseudonym: str,
    step: str,
    data: dict[str, Any],
    *,
    ttl: int,
    now: int | None = None,
) -> None:
    """Create or replace the draft; it expires ``ttl`` seconds after this save."""
    now = now_or(now)
    await db.write(
        """INSERT INTO drafts (pseudonym, step, data, updated_at, expires_at)
               VALUES (?, ?, ?, ?, ?)
               ON CONFLICT (pseudonym) DO UPDATE SET step = excluded.step, data = excluded.data,
                   updated_at = excluded.updated_at, expires_at = excluded.expires_at""",
        (pseudonym, step, json.dumps(data, ensure_ascii=False), now, now + ttl),
    )


async def delete(db: Database, pseudonym: str) -> None:
    await db.write("DELETE FROM drafts WHERE pseudonym = ?", (pseudonym,))


async def purge_expired(db: Database, *, now: int | None = None) -> int:
    async with db.transaction():
        cursor = await db.execute("DELETE FROM drafts WHERE expires_at <= ?", (now_or(now),))
    return cursor.rowcount
