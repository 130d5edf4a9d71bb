"""One SQLite connection: pragmas, numbered migrations, serialised write transactions.

Every write goes through ``async with db.transaction():`` and ``db.execute``. The bot runs one
aiosqlite connection shared by all handlers of the event loop; without the lock, a handler's
INSERT could land inside another handler's open transaction and be committed or rolled back
with it.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import re
import sqlite3
import time
from collections.abc import AsyncIterator, Iterable, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any, cast

import aiosqlite

MIGRATIONS_DIR = Path(__file__).parent / "migrations"
BUSY_TIMEOUT = "PRAGMA busy_timeout = 5000"  # ms a writer waits for another
_MIGRATION_FILE = re.compile(r"^(\d{4})_(\w+)\.sql$")
# The first line of a migration that rebuilds a table (SQLite's twelve steps): foreign keys are
# switched off around its transaction, or dropping the old table would delete its children by
# cascade, and checked before it commits.
REBUILDS_TABLES = "-- rebuilds tables: foreign keys off"

Params = Sequence[Any] | dict[str, Any]


def private_dir(path: Path) -> None:
    """A directory only the bot's user can enter (0700), created if missing, tightened if an
    older version or a loose umask left it open."""
    path.mkdir(mode=0o700, parents=True, exist_ok=True)
    os.chmod(path, 0o700)


def _private_files(path: Path) -> None:
    """The database, its WAL and shared memory: 0600 whatever the umask. SQLite gives the WAL and
    shm the database file's mode, so creating that one 0600 first is what counts."""
    os.close(os.open(path, os.O_RDWR | os.O_CREAT, 0o600))
    for suffix in ("", "-wal", "-shm"):
        with contextlib.suppress(FileNotFoundError):
            os.chmod(f"{path}{suffix}", 0o600)


def now_or(now: int | None) -> int:
    """Times are unix seconds everywhere; functions take ``now`` so tests can move the clock."""
    return int(time.time()) if now is None else now


class MigrationError(RuntimeError):
    """A migration could not be applied; the database stays at the version before it."""


@dataclass(frozen=True)
class Migration:
    version: int
    name: str
    sql: str

    @property
    def rebuilds_tables(self) -> bool:
        return self.sql.startswith(REBUILDS_TABLES + "\n")


def load_migrations(directory: Path = MIGRATIONS_DIR) -> list[Migration]:
    migrations = []
    for path in sorted(directory.glob("*.sql")):
        match = _MIGRATION_FILE.match(path.name)
        if match is None:
            raise MigrationError(f"{path.name}: migration files are named NNNN_name.sql")
        migrations.append(Migration(int(match[1]), match[2], path.read_text(encoding="utf-8")))
    versions = [m.version for m in migrations]
    if versions != list(range(1, len(migrations) + 1)):
        raise MigrationError(f"migrations in {directory} must be numbered 1..n, found {versions}")
    for m in migrations:
        # Each file sets its own version as its last statement, inside its transaction: the
        # number is written in the file, never assembled into SQL at run time.
        codes = [
            " ".join(
                " ".join(
                    line for line in st.splitlines() if not line.lstrip().startswith("--")
                ).split()
            )
            for st in split_statements(m.sql)
        ]
        codes = [code for code in codes if code.strip("; ")]
        if not codes or codes[-1] != f"PRAGMA user_version = {m.version};":
            raise MigrationError(
                f"{m.version:04d}_{m.name}.sql must end with PRAGMA user_version = {m.version};"
            )
    return migrations


def split_statements(script: str) -> list[str]:
    """Split a script at the semicolons that end statements.

    ``executescript`` would be simpler but commits any open transaction first, so a migration
    could not be one transaction. ``sqlite3.complete_statement`` knows about strings, comments
    and trigger bodies, so a ``;`` inside those does not split.
    """
    statements, current = [], ""
    for piece in script.split(";"):
        current += piece + ";"
        if sqlite3.complete_statement(current):
            statements.append(current.strip())
            current = ""
    # The text after the last ";" (a trailing comment) ends up with a spurious ";": harmless,
    # SQLite runs a comment-only statement as a no-op.
    if current.strip(" \n\t;"):
        statements.append(current.strip())
    return statements


class Database:
    def __init__(self, conn: aiosqlite.Connection, migrations: list[Migration]) -> None:
        self._conn = conn
        self._migrations = migrations
        self._lock = asyncio.Lock()
        self._owner: asyncio.Task[Any] | None = None  # the task inside transaction(), if any

    @classmethod
    async def open(
        cls,
        path: str | Path,
        *,
        to_version: int | None = None,
        migrations_dir: Path = MIGRATIONS_DIR,
    ) -> Database:
        """Connect, set the pragmas and migrate to ``to_version`` (None: the latest)."""
        migrations = load_migrations(migrations_dir)
        if str(path) != ":memory:":
            _private_files(Path(path))
        # isolation_level=None: the sqlite3 module must not open transactions behind our back.
        conn = await aiosqlite.connect(path, isolation_level=None)
        try:
            conn.row_factory = aiosqlite.Row
            await conn.execute("PRAGMA journal_mode = WAL")
            await conn.execute("PRAGMA foreign_keys = ON")
            await conn.execute(BUSY_TIMEOUT)
            await conn.execute("PRAGMA synchronous = NORMAL")
            # Deleted rows (a way back past its retention, a discarded draft) are overwritten
            # with zeros, not left in free space for anyone with a copy of the file. Debian's
            # SQLite does this by default; many builds do not.
            await conn.execute("PRAGMA secure_delete = ON")
            db = cls(conn, migrations)
            await db.migrate(to_version)
        except BaseException:
            await conn.close()
            raise
        return db

    async def checkpoint(self) -> bool:
        """Copies the write-ahead log into the database file and empties the log, which holds
        the earlier versions of changed pages (deleted rows among them) until then. False when
        a reader, such as a backup under way, kept it from finishing: the next run will."""
        async with self._lock:
            # Without waiting: the bot's one connection would be blocked for the whole busy
            # timeout while another reader (a backup) holds the log.
            await self._conn.execute("PRAGMA busy_timeout = 0")
            try:
                busy, _log_pages, _moved = await self.fetch_present(
                    "PRAGMA wal_checkpoint(TRUNCATE)"
                )
            finally:
                await self._conn.execute(BUSY_TIMEOUT)
        return busy == 0

    async def close(self) -> None:
        await self._conn.close()

    @property
    def latest_version(self) -> int:
        return len(self._migrations)

    async def user_version(self) -> int:
        return await self.fetch_value("PRAGMA user_version")

    async def migrate(self, to_version: int | None = None) -> None:
        """Apply the migrations above the current version, each in its own transaction."""
        target = self.latest_version if to_version is None else to_version
        if not 0 <= target <= self.latest_version:
            raise MigrationError(f"no migration {target}; the latest is {self.latest_version}")
        current = await self.user_version()
        if current > self.latest_version:
            raise MigrationError(
                f"database is at version {current}, newer than this code ({self.latest_version})"
            )
        if current > target:
            raise MigrationError(f"database is at version {current}; downgrades are not supported")
        for migration in self._migrations[current:target]:
            await self._apply(migration)

    async def _apply(self, migration: Migration) -> None:
        # PRAGMA foreign_keys does nothing inside a transaction: it is switched before BEGIN.
        # Migrations run from open(), before anything else shares the connection.
        if migration.rebuilds_tables:
            await self._conn.execute("PRAGMA foreign_keys = OFF")
        try:
            async with self.transaction():
                # Read again under the write lock: another process may have migrated meanwhile.
                if await self.user_version() >= migration.version:
                    return
                try:
                    for statement in split_statements(migration.sql):
                        await self._conn.execute(statement)
                except sqlite3.Error as error:
                    raise MigrationError(
                        f"migration {migration.version:04d}_{migration.name} failed: {error}"
                    ) from error
                if migration.rebuilds_tables and (
                    broken := await self.fetch_all("PRAGMA foreign_key_check")
                ):
                    raise MigrationError(
                        f"migration {migration.version:04d}_{migration.name} failed: "
                        f"{len(broken)} rows break a foreign key, first in {broken[0][0]}"
                    )
        finally:
            if migration.rebuilds_tables:
                await self._conn.execute("PRAGMA foreign_keys = ON")

    @asynccontextmanager
    async def transaction(self) -> AsyncIterator[None]:
        """BEGIN IMMEDIATE ... COMMIT, or ROLLBACK on any exception.

        Only one task at a time is inside; the others wait on the lock. Nested use by the same
        task becomes a savepoint, so storage functions that open their own transaction compose
        into a caller's larger one.
        """
        task = asyncio.current_task()
        if self._owner is not None and self._owner is task:
            async with self._savepoint():
                yield
            return
        async with self._lock:
            try:
                # Inside the try: a cancellation that lands right after BEGIN must still roll
                # back, or the connection would stay in a transaction after the lock is freed.
                await self._conn.execute("BEGIN IMMEDIATE")
                self._owner = task
                yield
                await self._conn.execute("COMMIT")
            except BaseException:
                # Also reached when COMMIT itself fails: the transaction is still open then.
                if self._conn.in_transaction:
                    await self._rollback()
                raise
            finally:
                self._owner = None

    async def _rollback(self) -> None:
        try:
            await self._conn.execute("ROLLBACK")
        except sqlite3.OperationalError as error:
            # A cancellation that lands while COMMIT is on its way to the database thread: the
            # flag read above still said "in a transaction", but the COMMIT went through.
            if "no transaction is active" not in str(error):
                raise

    @asynccontextmanager
    async def _savepoint(self) -> AsyncIterator[None]:
        # One name for every level: SQLite's ROLLBACK TO and RELEASE take the innermost
        # savepoint of that name, which is exactly the nesting we need.
        await self._conn.execute("SAVEPOINT nested")
        try:
            yield
        except BaseException:
            await self._conn.execute("ROLLBACK TO nested")
            await self._conn.execute("RELEASE nested")
            raise
        else:
            await self._conn.execute("RELEASE nested")

    def _require_transaction(self) -> None:
        if self._owner is None or self._owner is not asyncio.current_task():
            raise RuntimeError("writes must run inside `async with db.transaction():`")

    async def execute(self, sql: str, params: Params = ()) -> aiosqlite.Cursor:
        """Run one write statement; the cursor gives ``rowcount`` and ``lastrowid``."""
        self._require_transaction()
        return await self._conn.execute(sql, params)

    async def insert(self, sql: str, params: Params = ()) -> int:
        """Run one INSERT into a table with rowids; the new row's id."""
        cursor = await self.execute(sql, params)
        return cast(int, cursor.lastrowid)  # never None after an INSERT that added a row

    async def write(self, sql: str, params: Params = ()) -> aiosqlite.Cursor:
        """One write statement on its own: atomic by itself, so it needs no BEGIN and COMMIT
        around it — one trip to the database thread instead of three (drafts are saved on every
        step of every resident). Inside a caller's transaction it simply joins it."""
        if self._owner is not None and self._owner is asyncio.current_task():
            return await self._conn.execute(sql, params)
        async with self._lock:
            return await self._conn.execute(sql, params)

    async def executemany(self, sql: str, rows: Iterable[Params]) -> None:
        self._require_transaction()
        await self._conn.executemany(sql, rows)

    # Reads are one trip to the database thread (execute and fetch together) rather than three
    # (execute, fetch, close the cursor): every trip is a thread handoff on the event loop's path.
    async def fetch_one(self, sql: str, params: Params = ()) -> sqlite3.Row | None:
        """The first row; for queries that select one row (a key, LIMIT 1, an aggregate)."""
        rows = list(await self._conn.execute_fetchall(sql, params))
        return rows[0] if rows else None

    async def fetch_present(self, sql: str, params: Params = ()) -> sqlite3.Row:
        """The first row of a query that always has one: an aggregate, a row just written."""
        row = await self.fetch_one(sql, params)
        if row is None:
            raise LookupError(f"no row for {sql.split()[0]} …")
        return row

    async def fetch_all(self, sql: str, params: Params = ()) -> list[sqlite3.Row]:
        return list(await self._conn.execute_fetchall(sql, params))

    async def fetch_value(self, sql: str, params: Params = ()) -> Any:
        row = await self.fetch_one(sql, params)
        return None if row is None else row[0]
