"""Backups with SQLite's online backup API, pruning, verification and restore, and the data
directory lock that keeps restore away from a running bot."""

from __future__ import annotations

import os
import shutil
import sqlite3
import stat
from datetime import UTC, datetime, timedelta

import pytest

from bot.backup import (
    BackupError,
    BotRunning,
    DataDirLock,
    backup_dir,
    list_backups,
    make_backup,
    restore,
    running_pid,
    verify,
)
from bot.config import ConfigError, load_config, load_keys
from storage import tips
from storage.db import Database
from tests.storage.test_tips import fraud_tip


@pytest.fixture
def setup(tmp_path):
    env = {"TIPBOT_TOKEN": "1:abc", "TIPBOT_DATA_DIR": str(tmp_path / "data")}
    config = load_config(env)
    return config, load_keys(config, env)


async def add_tips(config, first: int, count: int) -> None:
    db = await Database.open(config.db_path)
    try:
        for n in range(first, first + count):
            await tips.insert(
                db, fraud_tip(code=f"T-BK{n:04d}", receipt_hash=f"b{n}", commune_code=None)
            )
    finally:
        await db.close()


def tip_count(path) -> int:
    with sqlite3.connect(path) as conn:
        return conn.execute("SELECT count(*) FROM tips").fetchone()[0]


async def test_backup_while_the_database_is_open_and_written(setup):
    config, _keys = setup
    config.data_dir.mkdir(parents=True, exist_ok=True)
    db = await Database.open(config.db_path)  # the bot's connection stays open meanwhile
    try:
        for n in range(20):
            await tips.insert(
                db, fraud_tip(code=f"T-LV{n:04d}", receipt_hash=f"l{n}", commune_code=None)
            )
        made = make_backup(config)
        await tips.insert(db, fraud_tip(code="T-AFTER1", receipt_hash="after", commune_code=None))
    finally:
        await db.close()
    assert made.path.parent == backup_dir(config)
    assert made.path.name.startswith("tipbot-") and made.path.name.endswith("Z.sqlite3")
    assert stat.S_IMODE(made.path.stat().st_mode) == 0o600
    assert stat.S_IMODE(backup_dir(config).stat().st_mode) == 0o700
    assert tip_count(made.path) == 20  # a snapshot: the tip inserted after is not in it
    assert not (made.path.parent / (made.path.name + "-wal")).exists()  # one file, no WAL
    with sqlite3.connect(made.path) as conn:
        assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "delete"
    assert verify(made.path).tips == 20


async def test_only_the_newest_are_kept(setup, tmp_path):
    config, _keys = setup
    await add_tips(config, 0, 1)
    config = load_config({"TIPBOT_TOKEN": "1:abc", "TIPBOT_DATA_DIR": str(config.data_dir),
                          "TIPBOT_BACKUP_KEEP": "3"})  # fmt: skip
    start = datetime(2026, 7, 1, tzinfo=UTC)
    made = [make_backup(config, start + timedelta(days=n)) for n in range(5)]
    kept = list_backups(backup_dir(config))
    assert [p.name for p in kept] == [m.path.name for m in made[2:]]
    assert made[4].removed == (made[1].path,)
    (backup_dir(config) / "notes.txt").write_text("not a backup: never pruned")
    twice = make_backup(config, start + timedelta(days=4))  # the same second: a second name
    assert twice.path.name.endswith("-2.sqlite3")
    assert (backup_dir(config) / "notes.txt").exists()


async def test_restore_round_trip_keeps_the_replaced_database(setup):
    config, keys = setup
    await add_tips(config, 0, 5)
    made = make_backup(config)
    await add_tips(config, 5, 3)  # written after the backup
    restored = restore(config, made.path, keys)
    assert restored.verified.tips == 5 and restored.verified.version >= 4
    assert tip_count(config.db_path) == 5
    assert tip_count(restored.kept_aside) == 8
    assert restored.kept_aside.name.startswith("tipbot.sqlite3.before-restore-")
    db = await Database.open(config.db_path)  # the bot opens and migrates it as usual
    try:
        assert await tips.get_by_code(db, "T-BK0004") is not None
        assert await tips.get_by_code(db, "T-BK0005") is None
    finally:
        await db.close()


async def test_restore_keeps_what_a_crash_left_in_the_wal(setup, tmp_path):
    """After a kill -9 the newest commits may be only in tipbot.sqlite3-wal: the copy kept
    aside must hold them, and the stale WAL must not be applied to the restored file."""
    config, keys = setup
    await add_tips(config, 0, 2)
    made = make_backup(config)
    crashed = tmp_path / "crashed"
    crashed.mkdir()
    writer = sqlite3.connect(config.db_path)
    writer.execute("PRAGMA wal_autocheckpoint = 0")
    writer.execute("UPDATE tips SET description = 'only in the WAL'")
    writer.commit()
    for suffix in ("", "-wal"):  # a snapshot of the files as a crash would leave them
        shutil.copy(f"{config.db_path}{suffix}", crashed / f"tipbot.sqlite3{suffix}")
    writer.close()
    for suffix in ("", "-wal", "-shm"):
        path = f"{config.db_path}{suffix}"
        if os.path.exists(path):
            os.remove(path)
        if os.path.exists(crashed / f"tipbot.sqlite3{suffix}"):
            shutil.copy(crashed / f"tipbot.sqlite3{suffix}", path)
    assert os.path.exists(f"{config.db_path}-wal")
    restored = restore(config, made.path, keys)
    with sqlite3.connect(restored.kept_aside) as conn:
        assert {r[0] for r in conn.execute("SELECT description FROM tips")} == {"only in the WAL"}
    with sqlite3.connect(config.db_path) as conn:
        assert "only in the WAL" not in {r[0] for r in conn.execute("SELECT description FROM tips")}


async def test_restore_refuses_while_the_bot_runs(setup):
    config, keys = setup
    await add_tips(config, 0, 1)
    made = make_backup(config)
    lock = DataDirLock(config.data_dir)
    lock.acquire()
    try:
        assert running_pid(config.data_dir) == os.getpid()
        with pytest.raises(BotRunning, match=rf"running \(pid {os.getpid()}\); stop it first"):
            restore(config, made.path, keys)
        with pytest.raises(BotRunning):
            DataDirLock(config.data_dir).acquire()  # nor can a second bot start
    finally:
        lock.release()
    assert running_pid(config.data_dir) is None
    assert restore(config, made.path, keys).verified.tips == 1


async def test_only_tipbot_databases_are_restored(setup, tmp_path):
    config, keys = setup
    await add_tips(config, 0, 1)
    text = tmp_path / "notes.txt"
    text.write_text("hello")
    other = tmp_path / "other.sqlite3"
    with sqlite3.connect(other) as conn:
        conn.execute("CREATE TABLE t (x)")
    newer = tmp_path / "newer.sqlite3"
    shutil.copy(make_backup(config).path, newer)
    with sqlite3.connect(newer) as conn:
        conn.execute("PRAGMA user_version = 999")
    for path, problem in (
        (tmp_path / "missing.sqlite3", "no such file"),
        (text, "not a usable SQLite database"),
        (other, "not tipbot's"),
        (newer, "version 999"),
    ):
        with pytest.raises(BackupError, match=problem):
            restore(config, path, keys)
    assert tip_count(config.db_path) == 1  # untouched


async def test_a_backup_from_another_installation_is_noticed(setup, tmp_path):
    """The way-back key must be the one the backup's tips were sealed with."""
    from bot.anonymity import generate_key, seal_way_back

    config, keys = setup
    db = await Database.open(config.db_path)
    try:
        blob = seal_way_back(keys.way_back, 1, "p", tip_code="T-KEY001")
        await tips.insert(
            db, fraud_tip(code="T-KEY001", receipt_hash="k", way_back=blob, commune_code=None)
        )
    finally:
        await db.close()
    made = make_backup(config)
    assert verify(made.path, keys).keys_match is True
    other = type(keys)(pseudonym=keys.pseudonym, way_back=generate_key())
    assert verify(made.path, other).keys_match is False


def test_backup_keep_setting():
    assert load_config({"TIPBOT_TOKEN": "1:abc"}).backup_keep == 14
    assert load_config({"TIPBOT_TOKEN": "1:abc", "TIPBOT_BACKUP_KEEP": "30"}).backup_keep == 30
    with pytest.raises(ConfigError, match="TIPBOT_BACKUP_KEEP"):
        load_config({"TIPBOT_TOKEN": "1:abc", "TIPBOT_BACKUP_KEEP": "0"})
