"""Files uploaded through the web door (migration 0006): kept here because, unlike Telegram's,
they have no other home. Officers get them as uploads (handlers/notifications.py)."""

from __future__ import annotations

from dataclasses import dataclass

from storage.db import Database


@dataclass(frozen=True)
class WebFile:
    file_id: str
    kind: str
    file_name: str
    data: bytes


async def add(db: Database, file: WebFile) -> None:
    async with db.transaction():
        await db.execute(
            "INSERT INTO web_files (file_id, kind, file_name, data) VALUES (?, ?, ?, ?)",
            (file.file_id, file.kind, file.file_name, file.data),
        )


async def get(db: Database, file_id: str) -> WebFile | None:
    row = await db.fetch_one("SELECT * FROM web_files WHERE file_id = ?", (file_id,))
    return WebFile(**row) if row else None


async def purge_unreferenced(db: Database) -> int:
    """Files nothing names any more: no tip's attachment, no draft, no outbox row (an answer's
    photo is named by its outbox rows until they are purged). A whole tip deleted by retention
    takes its files with it here, the next day. An upload whose draft is being saved at this
    very moment could be caught in between; the resident would send that photo again."""
    async with db.transaction():
        cursor = await db.execute(
            """DELETE FROM web_files
               WHERE NOT EXISTS (SELECT 1 FROM tip_attachments AS a
                                 WHERE a.file_id = web_files.file_id)
                 AND NOT EXISTS (SELECT 1 FROM drafts AS d
                                 WHERE instr(d.data, web_files.file_id) > 0)
                 AND NOT EXISTS (SELECT 1 FROM outbox AS o
                                 WHERE instr(o.payload, web_files.file_id) > 0)"""
        )
    return cursor.rowcount
