import asyncio
import shutil
import sqlite3

import pytest

from storage import tips
from storage.db import (
    MIGRATIONS_DIR,
    Database,
    MigrationError,
    load_migrations,
    split_statements,
)
from tests.storage.helpers import T0

MIGRATIONS = load_migrations()
LATEST = len(MIGRATIONS)

# Rows inserted at a version, and a query that must still find them after every later migration.
# A new migration NNNN needs an entry for version NNNN-1 here (see test_every_version_has_a_seed).
SEEDS: dict[int, tuple[list[str], str]] = {
    1: (
        [
            "INSERT INTO communes VALUES (24781, 'Phường Xuân Hương - Đà Lạt', 'phường',"
            " 'xuan huong da lat', 68)",
            "INSERT INTO officers (user_id, name, created_at) VALUES (7, 'Officer', 1)",
            "INSERT INTO tips (code, receipt_hash, category, commune_code, description, created_at,"
            " updated_at, routed_at) VALUES ('K7Q2M', 'h', 'fraud', 24781, 'd', 1, 1, 1)",
            "INSERT INTO tip_way_back (tip_id, sealed) VALUES (1, x'00ff')",
            "INSERT INTO audit_log (created_at, actor_id, action, tip_id) VALUES (1, 7, 'a', 1)",
        ],
        """SELECT count(*) = 5 FROM (SELECT 1 FROM communes UNION ALL SELECT 1 FROM officers
           UNION ALL SELECT 1 FROM tips WHERE code = 'K7Q2M' UNION ALL SELECT 1 FROM tip_way_back
           UNION ALL SELECT 1 FROM audit_log)""",
    ),
    2: (
        ["INSERT INTO pending_inputs VALUES ('officer:7', 'question', '{\"tip_id\": 1}', 99)"],
        "SELECT count(*) = 1 FROM pending_inputs WHERE kind = 'question'",
    ),
    # 0004 counts the tips and questions already there into the daily statistics tables.
    3: (
        [
            "INSERT INTO tip_messages (tip_id, kind, body, officer_id, created_at)"
            " VALUES (1, 'question', 'q', 7, 2)",
            "INSERT INTO tip_messages (tip_id, kind, body, officer_id, created_at)"
            " VALUES (1, 'answer', 'a', NULL, 3)",
        ],
        """SELECT count(*) = 2 FROM tip_messages WHERE tip_id = 1 AND kind IN ('question', 'answer')
           AND (SELECT sum(tips) FROM stats_kinds WHERE category = 'fraud') = 1
           AND (SELECT sum(answered) FROM stats_questions) = 1""",
    ),
    4: (
        [
            "INSERT INTO tip_indicators (tip_id, kind, value, raw)"
            " VALUES (1, 'phone', '+84912345678', '0912345678')"
        ],
        "SELECT count(*) = 1 FROM tip_indicators WHERE value = '+84912345678'",
    ),
    # 0006 adds the tipster's language to tips (0010 drops it again: its check is gone).
    5: (
        [
            "INSERT INTO confirmed_indicators (tip_id, tip_code, kind, value, display,"
            " confirmed_by, confirmed_at) VALUES (1, 'K7Q2M', 'phone', '+84912345678', 'x', 7, 4)"
        ],
        "SELECT count(*) = 1 FROM confirmed_indicators WHERE tip_code = 'K7Q2M'",
    ),
    # 0007 drops links of private chats: only groups can be commune groups.
    6: (
        [
            "INSERT INTO commune_groups (chat_id, commune_code, title, linked_by, linked_at)"
            " VALUES (7, 24781, 'private', 7, 1),"
            " (-100, 24781, 'gr' || char(0x202E) || 'oup', 7, 1)",
            "UPDATE officers SET name = 'Minh' || char(0x202E) || 'gnp' WHERE user_id = 7",
        ],
        # ... and bidirectional controls leave names and titles.
        """SELECT count(*) = 1 AND min(chat_id) = -100 AND min(title) = 'group'
                  AND (SELECT name FROM officers WHERE user_id = 7) = 'Minhgnp'
           FROM commune_groups""",
    ),
    # 0008 adds the web door's uploads.
    7: (
        ["INSERT INTO check_counts (day, outcome, count) VALUES ('2026-01-01', 'unknown', 1)"],
        "SELECT count(*) = 1 FROM check_counts WHERE outcome = 'unknown'",
    ),
    # 0009 rebuilds tips (categories from a table): rows, children and daily totals stay.
    8: (
        [
            "INSERT INTO tips (code, receipt_hash, category, kind, description, created_at,"
            " updated_at, routed_at, language) VALUES ('P3X9A', 'h2', 'forest', 'logging', 'd',"
            " 86400, 86400, 86400, 'vi')",
            "INSERT INTO tip_messages (tip_id, kind, body, officer_id, created_at)"
            " VALUES (2, 'note', 'n', 7, 86401)",
        ],
        """SELECT (SELECT count(*) FROM tips WHERE code = 'P3X9A' AND category = 'forest') = 1
                  AND (SELECT count(*) FROM tip_messages WHERE tip_id = 2) = 1
                  AND (SELECT sum(tips) FROM stats_kinds WHERE category = 'forest') = 1
                  AND (SELECT count(*) FROM categories) = 4""",
    ),
    # 0010 drops the tipster's language from tips (it lives in the sealed way back only): the
    # tip stays, without the column.
    9: (
        ["UPDATE tips SET language = 'en' WHERE code = 'K7Q2M'"],
        """SELECT count(*) = 1 FROM tips WHERE code = 'K7Q2M'
           AND NOT EXISTS (SELECT 1 FROM pragma_table_info('tips') WHERE name = 'language')""",
    ),
}


async def schema(db):
    rows = await db.fetch_all(
        "SELECT type, name, tbl_name, sql FROM sqlite_master WHERE name NOT LIKE 'sqlite_%'"
        " ORDER BY type, name"
    )
    return [tuple(row) for row in rows]


async def test_fresh_database_is_at_the_latest_version(db):
    assert await db.user_version() == LATEST == db.latest_version
    tables = {row[0] for row in await db.fetch_all("SELECT name FROM sqlite_master")}
    assert {
        "communes",
        "commune_aliases",
        "commune_sources",
        "resident_prefs",
        "drafts",
        "bans",
        "rate_limits",
        "officers",
        "officer_communes",
        "commune_groups",
        "invites",
        "tips",
        "tip_indicators",
        "tip_attachments",
        "tip_messages",
        "tip_status_history",
        "tip_notifications",
        "tip_way_back",
        "outbox",
        "subscribers",
        "subscriber_topics",
        "bulletins",
        "schedules",
        "broadcasts",
        "deliveries",
        "audit_log",
    } <= tables
    assert await db.fetch_all("PRAGMA foreign_key_check") == []


async def test_pragmas_are_in_effect(db):
    assert await db.fetch_value("PRAGMA journal_mode") == "wal"
    assert await db.fetch_value("PRAGMA foreign_keys") == 1
    assert await db.fetch_value("PRAGMA busy_timeout") == 5000
    assert await db.fetch_value("PRAGMA synchronous") == 1  # NORMAL


async def test_foreign_keys_are_enforced(db):
    with pytest.raises(sqlite3.IntegrityError, match="FOREIGN KEY"):
        async with db.transaction():
            await db.execute("INSERT INTO officer_communes VALUES (1, 2)")


def test_every_version_has_a_seed():
    assert set(range(1, LATEST)) <= set(SEEDS)


@pytest.mark.parametrize("version", range(LATEST))
async def test_upgrade_from_every_earlier_version(tmp_path, version):
    path = tmp_path / "old.sqlite3"
    # Each seed goes in at its own version, so that every later migration (the one that cleans
    # or converts those rows included) runs over it, as on a database that lived through them.
    for seeded_at in range(version + 1):
        old = await Database.open(path, to_version=seeded_at)
        assert await old.user_version() == seeded_at
        if seeded_at:
            async with old.transaction():
                for statement in SEEDS[seeded_at][0]:
                    await old.execute(statement)
        await old.close()

    upgraded = await Database.open(path)
    fresh = await Database.open(tmp_path / "fresh.sqlite3")
    try:
        assert await upgraded.user_version() == LATEST
        assert await schema(upgraded) == await schema(fresh)
        for seeded_at in range(1, version + 1):
            assert await upgraded.fetch_value(SEEDS[seeded_at][1]) == 1
        assert await upgraded.fetch_all("PRAGMA foreign_key_check") == []
    finally:
        await upgraded.close()
        await fresh.close()


@pytest.fixture
def migrations_dir(tmp_path):
    """A copy of the real migrations, to which a test adds its own."""
    directory = tmp_path / "migrations"
    shutil.copytree(MIGRATIONS_DIR, directory)
    return directory


async def test_a_later_migration_keeps_the_data(tmp_path, migrations_dir):
    (migrations_dir / f"{LATEST + 1:04d}_tip_note.sql").write_text(
        "-- a column added later\nALTER TABLE tips ADD COLUMN note TEXT;\n"
        "UPDATE tips SET note = 'kept: ' || code;\n"
        f"PRAGMA user_version = {LATEST + 1};\n"
    )
    path = tmp_path / "db.sqlite3"
    db = await Database.open(path, migrations_dir=migrations_dir, to_version=LATEST)
    new_tip = tips.NewTip(
        code="K7Q2M", receipt_hash="h", category="other", description="d", way_back=b"sealed"
    )
    await tips.insert(db, new_tip, now=T0)
    await db.close()

    db = await Database.open(path, migrations_dir=migrations_dir)
    try:
        assert await db.user_version() == LATEST + 1
        assert await db.fetch_value("SELECT note FROM tips") == "kept: K7Q2M"
        assert (await tips.get_by_code(db, "K7Q2M")).description == "d"
    finally:
        await db.close()


async def test_a_failing_migration_rolls_back(tmp_path, migrations_dir):
    (migrations_dir / f"{LATEST + 1:04d}_broken.sql").write_text(
        "CREATE TABLE half_done (x INTEGER);\nINSERT INTO no_such_table VALUES (1);\n"
        f"PRAGMA user_version = {LATEST + 1};\n"
    )
    path = tmp_path / "db.sqlite3"
    with pytest.raises(MigrationError, match=rf"{LATEST + 1:04d}_broken failed: no such table"):
        await Database.open(path, migrations_dir=migrations_dir)

    db = await Database.open(path)  # the real migrations: everything before the broken one
    try:
        assert await db.user_version() == LATEST
        assert await db.fetch_one("SELECT 1 FROM sqlite_master WHERE name = 'half_done'") is None
    finally:
        await db.close()


async def test_refuses_a_database_newer_than_the_code(tmp_path):
    path = tmp_path / "db.sqlite3"
    db = await Database.open(path)
    async with db.transaction():
        await db.execute(f"PRAGMA user_version = {LATEST + 1}")
    await db.close()
    with pytest.raises(MigrationError, match="newer than this code"):
        await Database.open(path)


async def test_migrate_to_an_unknown_version_is_an_error(db):
    with pytest.raises(MigrationError, match="no migration"):
        await db.migrate(LATEST + 1)
    with pytest.raises(MigrationError, match="downgrades"):
        await db.migrate(0)


def test_a_migration_must_set_its_own_version(tmp_path):
    (tmp_path / "0001_a.sql").write_text("SELECT 1;")
    with pytest.raises(MigrationError, match="must end with PRAGMA user_version = 1;"):
        load_migrations(tmp_path)


def test_migration_files_must_be_numbered_without_gaps(tmp_path):
    (tmp_path / "0001_a.sql").write_text("SELECT 1;")
    (tmp_path / "0003_c.sql").write_text("SELECT 1;")
    with pytest.raises(MigrationError, match="numbered"):
        load_migrations(tmp_path)


def test_split_statements_keeps_trigger_bodies_strings_and_comments_whole():
    script = """
        CREATE TABLE t (x TEXT); -- a comment; with a semicolon
        INSERT INTO t VALUES ('a;b');
        CREATE TRIGGER t_no_delete BEFORE DELETE ON t BEGIN SELECT RAISE(ABORT, 'no'); END;
        -- trailing comment
    """
    statements = split_statements(script)
    assert len(statements) == 4  # three statements and the trailing comment, a no-op
    conn = sqlite3.connect(":memory:")
    for statement in statements:
        conn.execute(statement)
    assert conn.execute("SELECT x FROM t").fetchall() == [("a;b",)]
    with pytest.raises(sqlite3.IntegrityError, match="no"):
        conn.execute("DELETE FROM t")


# Transactions --------------------------------------------------------------------------------


async def make_counter(db):
    async with db.transaction():
        await db.execute("CREATE TABLE counter (n INTEGER NOT NULL)")
        await db.execute("INSERT INTO counter VALUES (0)")


async def test_concurrent_writers_never_interleave(db):
    await make_counter(db)
    events = []

    async def increment(name):
        async with db.transaction():
            events.append(("begin", name))
            n = await db.fetch_value("SELECT n FROM counter")
            await asyncio.sleep(0.001)  # give every other task the chance to barge in
            await db.execute("UPDATE counter SET n = ?", (n + 1,))
            events.append(("end", name))

    await asyncio.gather(*(increment(i) for i in range(25)))
    assert await db.fetch_value("SELECT n FROM counter") == 25
    # Each transaction's begin is followed directly by its own end.
    assert all(
        events[i][0] == "begin" and events[i + 1] == ("end", events[i][1])
        for i in range(0, len(events), 2)
    )


async def test_a_failing_transaction_does_not_take_a_concurrent_one_with_it(db):
    await make_counter(db)

    async def fails():
        async with db.transaction():
            await db.execute("UPDATE counter SET n = n + 100")
            await asyncio.sleep(0.001)
            raise RuntimeError("handler failed")

    async def succeeds():
        async with db.transaction():
            await db.execute("UPDATE counter SET n = n + 1")

    results = await asyncio.gather(fails(), succeeds(), return_exceptions=True)
    assert isinstance(results[0], RuntimeError) and results[1] is None
    assert await db.fetch_value("SELECT n FROM counter") == 1


async def test_nested_transactions_are_savepoints(db):
    await make_counter(db)
    async with db.transaction():
        await db.execute("UPDATE counter SET n = 1")
        with pytest.raises(RuntimeError):
            async with db.transaction():
                await db.execute("UPDATE counter SET n = 2")
                raise RuntimeError
        assert await db.fetch_value("SELECT n FROM counter") == 1
        async with db.transaction():
            await db.execute("UPDATE counter SET n = n + 10")
    assert await db.fetch_value("SELECT n FROM counter") == 11


async def test_cancelled_transaction_rolls_back_and_frees_the_lock(db):
    await make_counter(db)
    entered = asyncio.Event()

    async def slow():
        async with db.transaction():
            await db.execute("UPDATE counter SET n = 50")
            entered.set()
            await asyncio.sleep(10)

    task = asyncio.create_task(slow())
    await entered.wait()
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    async with asyncio.timeout(1):
        async with db.transaction():
            await db.execute("UPDATE counter SET n = n + 1")
    assert await db.fetch_value("SELECT n FROM counter") == 1


async def test_writes_outside_a_transaction_are_refused(db):
    with pytest.raises(RuntimeError, match="inside"):
        await db.execute("INSERT INTO resident_prefs VALUES ('p', 'vi')")


async def test_another_task_cannot_write_into_someone_elses_transaction(db):
    inside = asyncio.Event()
    release = asyncio.Event()

    async def holder():
        async with db.transaction():
            inside.set()
            await release.wait()

    task = asyncio.create_task(holder())
    await inside.wait()
    with pytest.raises(RuntimeError, match="inside"):
        await db.execute("INSERT INTO resident_prefs VALUES ('p', 'vi')")
    release.set()
    await task


async def test_a_second_connection_sees_only_committed_writes(db, tmp_path):
    other = await Database.open(tmp_path / "tipbot.sqlite3")
    try:
        async with db.transaction():
            await db.execute("INSERT INTO resident_prefs VALUES ('p', 'vi')")
            assert await other.fetch_value("SELECT count(*) FROM resident_prefs") == 0
        assert await other.fetch_value("SELECT count(*) FROM resident_prefs") == 1
    finally:
        await other.close()


async def test_a_checkpoint_leaves_no_deleted_row_in_either_file(tmp_path):
    path = tmp_path / "tipbot.sqlite3"
    db = await Database.open(path)
    secret = "sealed-way-back-that-must-go-" * 4
    async with db.transaction():
        await db.execute(
            "INSERT INTO pending_inputs (key, kind, data, expires_at) VALUES ('k', 'note', ?, 1)",
            (f'"{secret}"',),
        )
    async with db.transaction():
        await db.execute("DELETE FROM pending_inputs WHERE key = 'k'")
    wal = path.with_name(path.name + "-wal")
    assert secret.encode() in wal.read_bytes()  # the log still holds the inserted page
    assert await db.checkpoint()
    assert wal.stat().st_size == 0
    assert secret.encode() not in path.read_bytes()  # secure_delete zeroed it in the file
    await db.close()


async def test_a_checkpoint_blocked_by_a_reader_is_left_for_the_next_run(tmp_path):
    path = tmp_path / "tipbot.sqlite3"
    db = await Database.open(path)
    async with db.transaction():
        await db.execute(
            "INSERT INTO pending_inputs (key, kind, data, expires_at) VALUES ('k', 'note', '{}', 1)"
        )
    backup = sqlite3.connect(path)  # a reader holding a snapshot, like a backup under way
    backup.execute("BEGIN")
    backup.execute("SELECT count(*) FROM pending_inputs").fetchone()
    assert not await db.checkpoint()
    backup.rollback()
    backup.close()
    assert await db.checkpoint()
    assert await db.fetch_value("PRAGMA busy_timeout") == 5000  # restored for the bot's writes
    await db.close()
