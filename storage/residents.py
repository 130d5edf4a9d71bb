"""Residents' preferences, keyed by pseudonym (never by Telegram id)."""

from __future__ import annotations

from storage.db import Database


async def get_language(db: Database, pseudonym: str) -> str | None:
    return await db.fetch_value(
        "SELECT language FROM resident_prefs WHERE pseudonym = ?", (pseudonym,)
    )


async def set_language(db: Database, pseudonym: str, language: str) -> None:
    async with db.transaction():
        await db.execute(
            """INSERT INTO resident_prefs (pseudonym, language) VALUES (?, ?)
               ON CONFLICT (pseudonym) DO UPDATE SET language = excluded.language""",
            (pseudonym, language),
        )


async def forget_language(db: Database, pseudonym: str) -> None:
    """A web visitor's "Forget this device": not even their language choice stays."""
    async with db.transaction():
        await db.execute("DELETE FROM resident_prefs WHERE pseudonym = ?", (pseudonym,))
