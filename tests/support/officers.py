"""Officers written straight to the database: onboarding has its own tests."""

from __future__ import annotations

from pathlib import Path

from sandbox.server import Sandbox
from sandbox.world import User
from storage import officers
from storage.db import Database
from tests.e2e.driver import Person


async def register_officer(
    sandbox: Sandbox, db_path: Path, user: User, *communes: int, expect: str | None = None
) -> None:
    """An officer of these communes who has opened the bot (Telegram lets bots write only to
    people who did); `expect` is a part of the bot's answer to /start to wait for."""
    await Person(sandbox, user, timeout=30).send("/start", expect=expect)
    db = await Database.open(db_path)
    try:
        await officers.add(db, user.id, user.first_name)
        for commune in communes:
            await officers.add_commune(db, user.id, commune)
    finally:
        await db.close()
