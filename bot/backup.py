"""Backups of the database, restoring one, and the lock that says the bot is running.

A backup is made with SQLite's online backup API from its own connection: a consistent snapshot
while the bot keeps writing (WAL lets it). It goes to TIPBOT_DATA_DIR/backups as
tipbot-<UTC time>.sqlite3 (mode 0600, a single self-contained file, checked with quick_check
before it replaces anything), and only the newest TIPBOT_BACKUP_KEEP are kept.

Restoring replaces the database while the bot is stopped: the running bot holds an exclusive
flock on TIPBOT_DATA_DIR/tipbot.lock (bot/runner.py), restore takes the same lock or refuses.
The file must be a tipbot database this version can open; the database it replaces is kept aside
as <name>.before-restore-<UTC time>.

The keys are not in the backups on purpose (see README, "Backups"): a backup alone de-anonymises
no one, and without the keys it cannot be fully used either.
"""

from __future__ import annotations

import contextlib
import fcntl
import logging
import os
import sqlite3
import time
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from bot.anonymity import WayBackError, open_way_back
from bot.config import Config, Keys
from bot.context import TipbotContext
from bot.logging_setup import kv
from storage.db import load_migrations

log = logging.getLogger(__name__)

LOCK_FILE = "tipbot.lock"
BACKUP_PREFIX = "tipbot-"
BACKUP_SUFFIX = ".sqlite3"
STAMP = "%Y%m%dT%H%M%SZ"
# What makes a file a tipbot database, beyond being SQLite.
REQUIRED_TABLES = frozenset({"tips", "tip_way_back", "audit_log", "officers", "communes"})


class BackupError(Exception):
    """A backup or restore that cannot be done; the message is one line for the operator."""


class BotRunning(BackupError):
    def __init__(self, pid: int | None) -> None:
        holder = f" (pid {pid})" if pid else ""
        super().__init__(f"the bot is running{holder}; stop it first")
        self.pid = pid


# The lock --------------------------------------------------------------------------------------


class DataDirLock:
    """An exclusive, non-blocking flock on TIPBOT_DATA_DIR/tipbot.lock, holding the owner's pid.

    The kernel drops it when the process dies, even by SIGKILL, so it never goes stale; the file
    itself stays (deleting a lock file races with the next one to take it)."""

    def __init__(self, data_dir: Path) -> None:
        self.path = data_dir / LOCK_FILE
        self._fd: int | None = None

    def acquire(self) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o600)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            os.close(fd)
            raise BotRunning(lock_holder_pid(self.path)) from None
        os.ftruncate(fd, 0)
        os.write(fd, f"{os.getpid()}\n".encode())
        self._fd = fd

    def release(self) -> None:
        if self._fd is not None:
            fcntl.flock(self._fd, fcntl.LOCK_UN)
            os.close(self._fd)
            self._fd = None

    def __enter__(self) -> DataDirLock:
        self.acquire()
        return self

    def __exit__(self, *exc: object) -> None:
        self.release()


def lock_holder_pid(path: Path) -> int | None:
    with contextlib.suppress(OSError, ValueError):
        return int(path.read_text().strip())
    return None


def running_pid(data_dir: Path) -> int | None:
    """The pid of the bot holding the data dir's lock, or None if no bot runs there (0 when one
    runs but its pid cannot be read)."""
    path = data_dir / LOCK_FILE
    if not path.exists():
        return None
    try:
        fd = os.open(path, os.O_RDWR)
    except OSError:
        return None
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        return lock_holder_pid(path) or 0
    else:
        fcntl.flock(fd, fcntl.LOCK_UN)
        return None
    finally:
        os.close(fd)


# Backups ---------------------------------------------------------------------------------------


def backup_dir(config: Config) -> Path:
    return config.data_dir / "backups"


def _stamp(moment: datetime | None = None) -> str:
    return (moment or datetime.now(UTC)).astimezone(UTC).strftime(STAMP)


@contextlib.contextmanager
def _connect(path: Path, *, read_only: bool = False) -> Iterator[sqlite3.Connection]:
    uri = f"{path.resolve().as_uri()}?mode={'ro' if read_only else 'rw'}"
    conn = sqlite3.connect(uri, uri=True, timeout=30)
    try:
        yield conn
    finally:
        conn.close()


def _copy(source: Path, target: Path) -> None:
    """A consistent single-file copy (SQLite's backup API), fsynced, mode 0600."""
    target.unlink(missing_ok=True)
    fd = os.open(target, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    os.close(fd)
    with _connect(source) as src, contextlib.closing(sqlite3.connect(target)) as dst:
        src.backup(dst)
        dst.execute("PRAGMA journal_mode = DELETE")  # self-contained: no -wal beside it
        if dst.execute("PRAGMA quick_check").fetchone()[0] != "ok":
            raise BackupError(f"the copy {target.name} failed SQLite's quick_check")
    with open(target, "rb") as handle:
        os.fsync(handle.fileno())


def _fsync_dir(directory: Path) -> None:
    fd = os.open(directory, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


@dataclass(frozen=True)
class BackupMade:
    path: Path
    size: int
    removed: tuple[Path, ...]  # older backups beyond TIPBOT_BACKUP_KEEP


def make_backup(config: Config, moment: datetime | None = None) -> BackupMade:
    """Copy the live database into the backups folder and prune the oldest copies."""
    if not config.db_path.exists():
        raise BackupError(f"no database at {config.db_path}")
    directory = backup_dir(config)
    directory.mkdir(mode=0o700, parents=True, exist_ok=True)
    stamp = _stamp(moment)
    final = directory / f"{BACKUP_PREFIX}{stamp}{BACKUP_SUFFIX}"
    for n in range(2, 100):  # two backups within a second get -2, -3...
        if not final.exists():
            break
        final = directory / f"{BACKUP_PREFIX}{stamp}-{n}{BACKUP_SUFFIX}"
    partial = final.with_name(final.name + ".partial")
    try:
        _copy(config.db_path, partial)
        os.replace(partial, final)
        _fsync_dir(directory)
    except sqlite3.Error as error:
        raise BackupError(f"cannot back up {config.db_path}: {error}") from None
    finally:
        partial.unlink(missing_ok=True)
    return BackupMade(final, final.stat().st_size, prune(directory, config.backup_keep))


def list_backups(directory: Path) -> list[Path]:
    """Our backups, oldest first (the UTC stamp in the name sorts by time)."""
    if not directory.is_dir():
        return []
    return sorted(
        p
        for p in directory.iterdir()
        if p.name.startswith(BACKUP_PREFIX) and p.name.endswith(BACKUP_SUFFIX)
    )


def prune(directory: Path, keep: int) -> tuple[Path, ...]:
    backups = list_backups(directory)
    removed = tuple(backups[: max(len(backups) - keep, 0)])
    for path in removed:
        path.unlink(missing_ok=True)
    return removed


async def backup_job(context: TipbotContext) -> None:
    """The daily backup, in a worker thread: the event loop keeps serving meanwhile."""
    import asyncio

    started = time.monotonic()
    try:
        made = await asyncio.to_thread(make_backup, context.runtime.config)
    except BackupError as error:
        log.error(kv("backup_failed", error=str(error)))
        return
    log.info(
        kv(
            "backup",
            file=made.path.name,
            bytes=made.size,
            removed=len(made.removed),
            took_ms=round((time.monotonic() - started) * 1000),
        )
    )


# Restoring -------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Verified:
    version: int
    tips: int
    keys_match: bool | None  # None: no way back in it to try the key on


def verify(path: Path, keys: Keys | None = None) -> Verified:
    """That `path` is a tipbot database this code can open: SQLite, intact, our tables, a
    version we know. With `keys`, also whether our way-back key opens its ways back."""
    if not path.is_file():
        raise BackupError(f"{path}: no such file")
    latest = len(load_migrations())
    try:
        with _connect(path, read_only=True) as conn:
            if conn.execute("PRAGMA quick_check").fetchone()[0] != "ok":
                raise BackupError(f"{path}: the database is damaged (quick_check failed)")
            tables = {row[0] for row in conn.execute("SELECT name FROM sqlite_master")}
            version = conn.execute("PRAGMA user_version").fetchone()[0]
            if not REQUIRED_TABLES.issubset(tables):
                raise BackupError(f"{path}: an SQLite database, but not tipbot's")
            if not 1 <= version <= latest:
                raise BackupError(
                    f"{path}: database version {version}, this tipbot knows 1 to {latest}"
                )
            count = conn.execute("SELECT count(*) FROM tips").fetchone()[0]
            sample = conn.execute(
                """SELECT t.code, w.sealed FROM tip_way_back AS w JOIN tips AS t ON t.id = w.tip_id
                   LIMIT 1"""
            ).fetchone()
    except sqlite3.DatabaseError as error:
        raise BackupError(f"{path}: not a usable SQLite database ({error})") from None
    keys_match = None
    if keys is not None and sample is not None:
        try:
            open_way_back(keys.way_back, sample[1], tip_code=sample[0])
            keys_match = True
        except WayBackError:
            keys_match = False
    return Verified(version, count, keys_match)


@dataclass(frozen=True)
class Restored:
    verified: Verified
    kept_aside: Path | None


def restore(config: Config, source: Path, keys: Keys | None = None) -> Restored:
    """Replace the database with `source` while no bot runs (BotRunning otherwise)."""
    db = config.db_path
    with DataDirLock(config.data_dir):
        verified = verify(source, keys)
        db.parent.mkdir(parents=True, exist_ok=True)
        incoming = db.with_name(db.name + ".restoring")
        try:
            _copy(source, incoming)
            kept_aside = _keep_aside(db) if db.exists() else None
            for leftover in (db, Path(f"{db}-wal"), Path(f"{db}-shm")):
                leftover.unlink(missing_ok=True)
            os.replace(incoming, db)
            _fsync_dir(db.parent)
        except sqlite3.Error as error:
            raise BackupError(f"cannot restore into {db}: {error}") from None
        finally:
            incoming.unlink(missing_ok=True)
    return Restored(verified, kept_aside)


def _keep_aside(db: Path) -> Path:
    """The database being replaced, as one file beside it. Copied through the backup API: a -wal
    file left by a crash holds committed data that belongs in it. A database too damaged to be
    read is moved aside as it is, with its -wal and -shm."""
    aside = db.with_name(f"{db.name}.before-restore-{_stamp()}")
    try:
        _copy(db, aside)
    except (sqlite3.Error, BackupError):
        aside.unlink(missing_ok=True)
        for suffix in ("", "-wal", "-shm"):
            if Path(f"{db}{suffix}").exists():
                os.replace(f"{db}{suffix}", f"{aside}{suffix}")
    return aside
