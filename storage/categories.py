"""The categories a tip may have (migration 0009): keys only, checked by tips' foreign key.

What a category means, asks and shows is defined in the code (bot/categories/); the bot refuses to
start unless this table and that package name the same keys.
"""

from __future__ import annotations

from storage.db import Database


async def keys(db: Database) -> list[str]:
    return [row[0] for row in await db.fetch_all("SELECT key FROM categories ORDER BY key")]
