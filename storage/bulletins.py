"""Bulletins (one row per slug and language) and the schedules that broadcast them."""

from __future__ import annotations

from collections.abc import Iterable
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
    last_slot_at: int | None = None  # the latest slot sent or skipped (0003)


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
        return await db.insert(
            """INSERT INTO schedules (cron, topic, slug, created_by, created_at)
               VALUES (?, ?, ?, ?, ?)""",
            (cron, topic, slug, created_by, now_or(now)),
        )


async def list_schedules(db: Database) -> list[Schedule]:
    rows = await db.fetch_all("SELECT * FROM schedules ORDER BY id")
    return [Schedule(**{**dict(row), "paused": bool(row["paused"])}) for row in rows]


async def delete_schedule(db: Database, schedule_id: int) -> bool:
    async with db.transaction():
        cursor = await db.execute("DELETE FROM schedules WHERE id = ?", (schedule_id,))
    return cursor.rowcount > 0


# The library and admins' bulletins (0003) -----------------------------------------------------


@dataclass(frozen=True)
class LibraryText:
    slug: str
    language: str
    topic: str
    title: str
    body: str


@dataclass(frozen=True)
class LibrarySync:
    added: int
    updated: int
    removed: int


async def sync_library(
    db: Database, texts: Iterable[LibraryText], *, now: int | None = None
) -> LibrarySync:
    """Makes the library rows match the files, in one transaction: new texts added, changed
    ones rewritten, those whose file is gone deleted unless a broadcast still sending needs them.
    Bulletins admins wrote are never touched, even by a file with the same slug."""
    now = now_or(now)
    added = updated = removed = 0
    async with db.transaction():
        rows = await db.fetch_all(
            "SELECT slug, language, topic, title, body, source FROM bulletins"
        )
        stored = {(r["slug"], r["language"]): r for r in rows}
        wanted = {(t.slug, t.language): t for t in texts}
        for key, text in wanted.items():
            row = stored.get(key)
            if row is not None and row["source"] != "library":
                continue
            if row is None:
                added += 1
            elif (row["topic"], row["title"], row["body"]) != (text.topic, text.title, text.body):
                updated += 1
            else:
                continue
            await upsert(
                db, text.slug, text.language, topic=text.topic, title=text.title,
                body=text.body, source="library", now=now,
            )  # fmt: skip
        busy = {
            row[0]
            for row in await db.fetch_all("SELECT slug FROM broadcasts WHERE status = 'sending'")
        }
        for (slug, language), row in stored.items():
            if row["source"] == "library" and (slug, language) not in wanted and slug not in busy:
                await db.execute(
                    "DELETE FROM bulletins WHERE slug = ? AND language = ? AND source = 'library'",
                    (slug, language),
                )
                removed += 1
    return LibrarySync(added, updated, removed)


async def write_admin_bulletin(
    db: Database,
    slug: str,
    language: str,
    *,
    topic: str,
    title: str,
    body: str,
    created_by: int,
    now: int | None = None,
) -> bool:
    """Adds an admin's bulletin, or rewrites one language of it. False if that slug and language
    belong to the library (library texts are changed in their files)."""
    now = now_or(now)
    async with db.transaction():
        cursor = await db.execute(
            """INSERT INTO bulletins
                   (slug, language, topic, title, body, source, created_by, created_at, updated_at)
               VALUES (?, ?, ?, ?, ?, 'admin', ?, ?, ?)
               ON CONFLICT (slug, language) DO UPDATE SET topic = excluded.topic,
                   title = excluded.title, body = excluded.body,
                   created_by = excluded.created_by, updated_at = excluded.updated_at
               WHERE bulletins.source = 'admin'""",
            (slug, language, topic, title, body, created_by, now, now),
        )
    return cursor.rowcount > 0


async def list_bulletins(db: Database, *, language: str) -> list[Bulletin]:
    """Every bulletin in one language, by topic: the library the web door's page shows."""
    rows = await db.fetch_all(
        "SELECT * FROM bulletins WHERE language = ? ORDER BY topic, slug", (language,)
    )
    return [Bulletin(**row) for row in rows]


async def languages_of(db: Database, slug: str) -> dict[str, Bulletin]:
    """Every language of one bulletin."""
    rows = await db.fetch_all("SELECT * FROM bulletins WHERE slug = ?", (slug,))
    return {row["language"]: Bulletin(**row) for row in rows}


async def slugs_like(db: Database, base: str) -> set[str]:
    """Slugs that are ``base`` or ``base-<n>``: what a new admin bulletin must not take."""
    rows = await db.fetch_all(
        "SELECT DISTINCT slug FROM bulletins WHERE slug = ? OR slug LIKE ? ESCAPE '\\'",
        (base, base.replace("_", "\\_").replace("%", "\\%") + "-%"),
    )
    return {row[0] for row in rows}


@dataclass(frozen=True)
class CatalogueEntry:
    slug: str
    topic: str
    source: str
    titles: dict[str, str]  # language -> title
    last_sent_at: int | None


async def catalogue(db: Database) -> list[CatalogueEntry]:
    """Every bulletin once, with its titles and when it was last broadcast."""
    rows = await db.fetch_all(
        """SELECT b.slug, b.topic, b.source, b.language, b.title,
                  (SELECT max(bc.created_at) FROM broadcasts AS bc
                   WHERE bc.slug = b.slug AND bc.status <> 'cancelled') AS last_sent_at
           FROM bulletins AS b ORDER BY b.topic, b.slug, b.language"""
    )
    entries: dict[str, CatalogueEntry] = {}
    for row in rows:
        entry = entries.setdefault(
            row["slug"],
            CatalogueEntry(row["slug"], row["topic"], row["source"], {}, row["last_sent_at"]),
        )
        entry.titles[row["language"]] = row["title"]
    return list(entries.values())


async def next_for_audience(db: Database, topic: str) -> str | None:
    """What a topic schedule sends next: a bulletin of the topic never broadcast to the topic's
    subscribers (oldest first), else the one broadcast to them longest ago."""
    return await db.fetch_value(
        """SELECT b.slug FROM bulletins AS b
           LEFT JOIN broadcasts AS bc
               ON bc.slug = b.slug AND bc.topic = b.topic AND bc.status <> 'cancelled'
           WHERE b.topic = ?
           GROUP BY b.slug
           ORDER BY coalesce(max(bc.created_at), -1), min(b.created_at), b.slug LIMIT 1""",
        (topic,),
    )


# Schedules (0003) ------------------------------------------------------------------------------


async def get_schedule(db: Database, schedule_id: int) -> Schedule | None:
    row = await db.fetch_one("SELECT * FROM schedules WHERE id = ?", (schedule_id,))
    return None if row is None else Schedule(**{**dict(row), "paused": bool(row["paused"])})


async def pause_schedule(db: Database, schedule_id: int, paused: bool, *, now: int) -> bool:
    """Pauses or resumes. Resuming counts the slots that passed meanwhile as dealt with, so a
    restart does not catch them up."""
    async with db.transaction():
        cursor = await db.execute(
            """UPDATE schedules SET paused = ?, last_slot_at = CASE WHEN ? THEN last_slot_at
                   ELSE max(coalesce(last_slot_at, 0), ?) END
               WHERE id = ? AND paused <> ?""",
            (int(paused), int(paused), now, schedule_id, int(paused)),
        )
    return cursor.rowcount > 0


async def set_last_slot(db: Database, schedule_id: int, slot: int) -> None:
    async with db.transaction():
        await db.execute(
            "UPDATE schedules SET last_slot_at = max(coalesce(last_slot_at, 0), ?) WHERE id = ?",
            (slot, schedule_id),
        )


# One-off sends at a given time (0003) ----------------------------------------------------------


@dataclass(frozen=True)
class PlannedSend:
    id: int
    topic: str
    slug: str | None  # None: the topic's next bulletin, chosen when it starts
    send_at: int
    status: str  # planned | started | cancelled | missed
    request_key: str | None
    broadcast_id: int | None
    created_by: int | None
    created_at: int


async def plan_send(
    db: Database,
    topic: str,
    slug: str | None,
    send_at: int,
    *,
    request_key: str,
    created_by: int | None,
    now: int | None = None,
) -> int | None:
    """None if this request (a confirmation tapped twice) was already planned."""
    async with db.transaction():
        cursor = await db.execute(
            """INSERT INTO planned_sends (topic, slug, send_at, request_key, created_by, created_at)
               VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (request_key) DO NOTHING""",
            (topic, slug, send_at, request_key, created_by, now_or(now)),
        )
    return cursor.lastrowid if cursor.rowcount else None


async def list_planned(db: Database) -> list[PlannedSend]:
    rows = await db.fetch_all(
        "SELECT * FROM planned_sends WHERE status = 'planned' ORDER BY send_at, id"
    )
    return [PlannedSend(**row) for row in rows]


async def due_planned(db: Database, *, now: int) -> list[PlannedSend]:
    rows = await db.fetch_all(
        """SELECT * FROM planned_sends WHERE status = 'planned' AND send_at <= ?
           ORDER BY send_at, id""",
        (now,),
    )
    return [PlannedSend(**row) for row in rows]


async def settle_planned(
    db: Database, planned_id: int, status: str, *, broadcast_id: int | None = None
) -> bool:
    """Moves a planned send on (started, cancelled or missed), once."""
    async with db.transaction():
        cursor = await db.execute(
            """UPDATE planned_sends SET status = ?, broadcast_id = coalesce(?, broadcast_id)
               WHERE id = ? AND status = 'planned'""",
            (status, broadcast_id, planned_id),
        )
    return cursor.rowcount > 0
