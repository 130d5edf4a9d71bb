"""Migration 0009: tips rebuilt to take their category from the categories table."""

import sqlite3

import pytest

from storage import categories, stats, tips
from storage.db import Database
from tests.storage.helpers import T0

BEFORE = 8  # the version before 0009
DAY = 86400


async def tips_schema(db):
    """The indexes and triggers on tips, as SQLite keeps them (auto-indexes included)."""
    rows = await db.fetch_all(
        "SELECT type, name, sql FROM sqlite_master WHERE tbl_name = 'tips' AND type <> 'table'"
        " ORDER BY type, name"
    )
    return [tuple(row) for row in rows]


async def totals(db):
    return await stats.period_totals(db, 0, T0 + 30 * DAY)


async def test_the_rebuild_keeps_indexes_triggers_children_and_totals(tmp_path):
    path = tmp_path / "db.sqlite3"
    old = await Database.open(path, to_version=BEFORE)
    for n, category in enumerate(("crime", "forest", "fraud", "other")):
        tip = await tips.insert(
            old,
            tips.NewTip(
                code=f"K{n}",
                receipt_hash=f"h{n}",
                category=category,
                kind="other" if category != "other" else None,
                description="d",
                urgent=n % 2 == 0,
                indicators=(tips.Indicator("phone", "+84912345678", "0912 345 678"),),
                way_back=b"sealed",
            ),
            now=T0 + n * DAY,
        )
    async with old.transaction():
        await old.execute("UPDATE tips SET acknowledged_at = ? WHERE code = 'K1'", (T0 + 2 * DAY,))
        await old.execute(
            "UPDATE tips SET status = 'resolved', closed_at = ? WHERE id = ?",
            (T0 + 5 * DAY, tip.id),
        )
    schema_before, totals_before = await tips_schema(old), await totals(old)
    children = "SELECT (SELECT count(*) FROM tip_indicators) + (SELECT count(*) FROM tip_way_back)"
    assert await old.fetch_value(children) == 8
    await old.close()

    db = await Database.open(path)
    try:
        assert await db.user_version() > BEFORE
        assert await tips_schema(db) == schema_before
        assert await totals(db) == totals_before
        assert await db.fetch_value(children) == 8  # no cascade when the old table went
        assert await db.fetch_value("PRAGMA foreign_keys") == 1  # on again after the rebuild
        assert await db.fetch_all("PRAGMA foreign_key_check") == []
        # The triggers work on the new table: a tip more, counted.
        await tips.insert(
            db,
            tips.NewTip(
                code="K9", receipt_hash="h9", category="crime", description="d", way_back=b"x"
            ),
            now=T0 + DAY,
        )
        assert (await totals(db)).kinds[("crime", "")] == 1
        assert sum((await totals(db)).statuses.values()) == 5
    finally:
        await db.close()


async def test_a_category_must_be_in_the_table(db):
    assert await categories.keys(db) == ["crime", "forest", "fraud", "other"]
    with pytest.raises(sqlite3.IntegrityError, match="FOREIGN KEY"):
        await tips.insert(
            db,
            tips.NewTip(
                code="A", receipt_hash="h", category="traffic", description="d", way_back=b"x"
            ),
            now=T0,
        )
