"""Anonymity by construction: what the tip side of the schema cannot hold."""

import re
import sqlite3

import pytest

from storage import outbox, tips
from tests.storage.helpers import T0

# Tables about tips or keyed by a resident's pseudonym.
RESIDENT_SIDE = (
    "tips",
    "tip_indicators",
    "tip_attachments",
    "tip_messages",
    "tip_status_history",
    "tip_notifications",
    "tip_way_back",
    "drafts",
    "resident_prefs",
    "bans",
    "rate_limits",
)
IDENTITY = re.compile(
    r"user_?id|user_?name|first_?name|last_?name|full_?name|phone|telegram|tg_?id|sender|pseudonym"
)
# The pseudonym only where the bot must recognise a resident again; never beside a tip.
PSEUDONYM_TABLES = {"drafts", "resident_prefs", "bans", "rate_limits"}


async def columns(db, table):
    return [row["name"] for row in await db.fetch_all(f"PRAGMA table_info({table})")]


async def test_the_resident_side_tables_exist(db):
    for table in RESIDENT_SIDE:
        assert await columns(db, table), table


async def test_no_resident_side_column_names_a_person(db):
    offenders = []
    for table in RESIDENT_SIDE:
        for column in await columns(db, table):
            if column == "pseudonym" and table in PSEUDONYM_TABLES:
                continue
            if IDENTITY.search(column):
                offenders.append(f"{table}.{column}")
    assert offenders == []


async def test_no_tip_table_holds_a_chat_but_the_officers_notifications(db):
    for table in RESIDENT_SIDE:
        if table != "tip_notifications":
            assert not any("chat" in column for column in await columns(db, table)), table


async def test_the_way_back_is_only_a_sealed_blob_that_can_expire(db):
    assert await columns(db, "tip_way_back") == ["tip_id", "sealed", "delete_after"]
    with pytest.raises(sqlite3.IntegrityError, match="cannot store TEXT value in BLOB"):
        async with db.transaction():
            await db.execute(
                "INSERT INTO tips (code, receipt_hash, category, description, created_at,"
                " updated_at, routed_at) VALUES ('A', 'h', 'other', 'd', 1, 1, 1)"
            )
            await db.execute("INSERT INTO tip_way_back (tip_id, sealed) VALUES (1, '12345')")


async def test_a_message_to_a_tipster_is_queued_without_a_chat(db):
    tip = await tips.insert(
        db,
        tips.NewTip(code="A", receipt_hash="h", category="other", description="d", way_back=b"x"),
        now=T0,
    )
    await outbox.enqueue(db, "tip_ack", {"code": "A"}, dedupe_key="ack:A", to_tipster_of=tip.id)
    row = await db.fetch_one("SELECT chat_id, to_tipster_of FROM outbox")
    assert tuple(row) == (None, tip.id)
