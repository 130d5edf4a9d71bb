"""The data directory is 0700 and the database, its WAL and shared memory 0600, whatever the
umask the bot was started with (outside systemd, often 022 or even 000)."""

from __future__ import annotations

import os
import stat

import pytest

from bot.app import open_runtime
from bot.config import Keys, load_config
from storage.db import Database, private_dir


def mode(path) -> int:
    return stat.S_IMODE(os.stat(path).st_mode)


@pytest.fixture
def loose_umask():
    previous = os.umask(0)
    yield
    os.umask(previous)


async def test_database_files_are_private_whatever_the_umask(tmp_path, loose_umask):
    data = tmp_path / "data"
    private_dir(data)
    db = await Database.open(data / "tipbot.sqlite3")
    try:
        async with db.transaction():
            await db.execute("INSERT INTO resident_prefs VALUES ('p', 'vi')")
        for name in ("tipbot.sqlite3", "tipbot.sqlite3-wal", "tipbot.sqlite3-shm"):
            assert mode(data / name) == 0o600, name
    finally:
        await db.close()
    assert mode(data) == 0o700


async def test_files_left_readable_by_an_older_version_are_tightened(tmp_path, loose_umask):
    data = tmp_path / "data"
    data.mkdir(mode=0o755)
    path = data / "tipbot.sqlite3"
    db = await Database.open(path)
    await db.close()
    os.chmod(path, 0o644)
    private_dir(data)
    db = await Database.open(path)
    try:
        assert mode(path) == 0o600 and mode(data) == 0o700
    finally:
        await db.close()


async def test_the_bot_makes_its_data_directory_private(tmp_path, loose_umask):
    config = load_config({"TIPBOT_TOKEN": "1:abc", "TIPBOT_DATA_DIR": str(tmp_path / "d" / "e")})
    runtime = await open_runtime(config, Keys(b"p" * 32, b"w" * 32))
    try:
        assert mode(tmp_path / "d" / "e") == 0o700
        assert mode(config.db_path) == 0o600
    finally:
        await runtime.db.close()
