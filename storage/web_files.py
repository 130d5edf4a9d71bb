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
