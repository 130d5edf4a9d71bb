"""Bulletins (one row per slug and language) and the schedules that broadcast them."""

from __future__ import annotations

from dataclasses import dataclass

from storage.db import Database, now_or


@dataclass(frozen=True)
class Bulletin:
    id: int
    slug: str
    language: str
    topic: str
    title: str
    body: str
    source: str  # library | admin
    created_by: int | None
    created_at: int
    updated_at: int


@dataclass(frozen=True)
class Schedule:
    id: int
    cron: str
    topic: str
    slug: str | None  # None: the topic's least recently broadcast bulletin
    paused: bool
    created_by: int | None
    created_at: int


# Bulletins -----------------------------------------------------------------------------------


async def upsert(
    db: Database,
    slug: str,
    language: str,
    *,
    topic: str,
    title: str,
    body: str,
    source: str,
    created_by: int | None = None,
    now: int | None = None,
) -> None:
    """Add or rewrite one language of a bulletin; loading the library at every start is a no-op
    apart from texts that changed."""
    now = now_or(now)
    async with db.transaction():
        await db.execute(
            """INSERT INTO bulletins
                   (slug, language, topic, title, body, source, created_by, created_at, updated_at)
               VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)
               ON CONFLICT (slug, language) DO UPDATE SET topic = excluded.topic,
                   title = excluded.title, body = excluded.body, source = excluded.source,
                   created_by = excluded.created_by, updated_at = excluded.updated_at
               WHERE (topic, title, body, source) IS NOT
                     (excluded.topic, excluded.title, excluded.body, excluded.source)""",
            (slug, language, topic, title, body, source, created_by, now, now),
        )


async def get(db: Database, slug: str, language: str) -> Bulletin | None:
    row = await db.fetch_one(
        "SELECT * FROM bulletins WHERE slug = ? AND language = ?", (slug, language)
    )
    return None if row is None else Bulletin(**row)


async def list_bulletins(
    db: Database, *, topic: str | None = None, language: str | None = None
) -> list[Bulletin]:
    rows = await db.fetch_all(
        """SELECT * FROM bulletins WHERE (? IS NULL OR topic = ?) AND (? IS NULL OR language = ?)
           ORDER BY topic, slug, language""",
        (topic, topic, language, language),
    )
    return [Bulletin(**row) for row in rows]


async def least_recently_sent(db: Database, topic: str) -> str | None:
    """The slug a topic schedule sends next: never broadcast first, then the longest ago."""
    return await db.fetch_value(
        """SELECT b.slug FROM bulletins AS b
           LEFT JOIN broadcasts AS bc ON bc.slug = b.slug AND bc.status <> 'cancelled'
           WHERE b.topic = ?
           GROUP BY b.slug ORDER BY coalesce(max(bc.created_at), -1), b.slug LIMIT 1""",
        (topic,),
    )


# Schedules -----------------------------------------------------------------------------------


async def add_schedule(
    db: Database,
    cron: str,
    topic: str,
    *,
    slug: str | None = None,
    created_by: int | None,
    now: int | None = None,
) -> int:
    async with db.transaction():
        cursor = await db.execute(
            """INSERT INTO schedules (cron, topic, slug, created_by, created_at)
               VALUES (?, ?, ?, ?, ?)""",
            (cron, topic, slug, created_by, now_or(now)),
        )
    return cursor.lastrowid


async def list_schedules(db: Database) -> list[Schedule]:
    rows = await db.fetch_all("SELECT * FROM schedules ORDER BY id")
    return [Schedule(**{**dict(row), "paused": bool(row["paused"])}) for row in rows]


async def set_paused(db: Database, schedule_id: int, paused: bool) -> bool:
    async with db.transaction():
        cursor = await db.execute(
            "UPDATE schedules SET paused = ? WHERE id = ?", (int(paused), schedule_id)
        )
    return cursor.rowcount > 0


async def delete_schedule(db: Database, schedule_id: int) -> bool:
    async with db.transaction():
        cursor = await db.execute("DELETE FROM schedules WHERE id = ?", (schedule_id,))
    return cursor.rowcount > 0
