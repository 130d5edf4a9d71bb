"""Retention: each kind of record is deleted when its time has come and not before; whole tips
only when TIPBOT_TIP_RETENTION_DAYS is set; the audit log keeps its rows; one log line per run."""

from __future__ import annotations

import logging
from types import SimpleNamespace

import pytest

from bot.config import ConfigError, load_config
from bot.retention import DAY, INVITE_KEPT, purge, retention_job
from storage import audit, drafts, officers, outbox, pending, ratelimits, stats, tips
from tests.storage import conftest as storage_fixtures
from tests.storage.helpers import ADMIN, COMMUNES, OFFICER, T0
from tests.storage.test_tips import fraud_tip

# The storage tests' fixtures: a migrated database, with communes and staff.
staffed = storage_fixtures.staffed

NOW = T0 + 400 * DAY


def config(**env):
    return load_config({"TIPBOT_TOKEN": "1:abc", "TIPBOT_DATA_DIR": "/nonexistent", **env})


async def closed_tip(db, n: int, *, closed_days_ago: float, keep_way_back_days: int = 90):
    created = NOW - int((closed_days_ago + 10) * DAY)
    tip = await tips.insert(db, fraud_tip(code=f"T-RT{n:03d}", receipt_hash=f"rt{n}"), now=created)
    await tips.add_message(db, tip.id, "question", "?", officer_id=OFFICER, now=created + 60)
    await tips.add_notification(db, tip.id, OFFICER, 1000 + n)
    await outbox.enqueue(db, "tip", {"tip_id": tip.id}, chat_id=OFFICER, dedupe_key=f"k{n}")
    await audit.append(db, "tip.status", actor_id=OFFICER, tip_id=tip.id, now=created)
    await tips.set_status(
        db, tip.id, "resolved", officer_id=OFFICER, keep_way_back_for=keep_way_back_days * DAY,
        now=NOW - int(closed_days_ago * DAY),
    )  # fmt: skip
    return tip


async def count(db, table: str) -> int:
    return await db.fetch_value(f"SELECT count(*) FROM {table}")


async def test_everything_expired_goes_and_nothing_else(staffed):
    db = staffed
    await drafts.save(db, "old", "where", {}, ttl=DAY, now=NOW - 2 * DAY)
    await drafts.save(db, "fresh", "where", {}, ttl=DAY, now=NOW - 60)
    await pending.put(db, "officer:1", "note", {}, ttl=3600, now=NOW - 2 * 3600)
    await pending.put(db, "officer:2", "note", {}, ttl=3600, now=NOW - 60)
    await ratelimits.hit(db, "p", "tips", limit=9, window=DAY, now=NOW - 3 * DAY)
    await ratelimits.hit(db, "p", "tips", limit=9, window=DAY, now=NOW)
    for token, created, used in (
        ("used-long-ago", NOW - INVITE_KEPT - 5 * DAY, True),
        ("expired-long-ago", NOW - INVITE_KEPT - 5 * DAY, False),
        ("expired-lately", NOW - 5 * DAY, False),  # kept: a late click hears "expired"
        ("valid", NOW - 3600, False),
    ):
        await officers.create_invite(
            db, token, COMMUNES[0], created_by=ADMIN, expires_at=created + 3 * DAY, now=created
        )
        if used:
            await officers.redeem_invite(db, token, 4242, "New officer", now=created + 60)
    old = await closed_tip(db, 1, closed_days_ago=100)  # past the 90 days of its way back
    recent = await closed_tip(db, 2, closed_days_ago=10)
    open_tip = await tips.insert(db, fraud_tip(code="T-OPEN01", receipt_hash="o"), now=NOW - DAY)

    purged = await purge(db, config(), NOW)
    assert purged.__dict__ == {
        "drafts": 1, "pending_inputs": 1, "rate_windows": 1, "invites": 2, "way_backs": 1,
        "tips": 0, "outbox": 0, "web_files": 0,
    }  # fmt: skip
    assert await drafts.get(db, "fresh", now=NOW) is not None
    assert await tips.get_way_back(db, old.id) is None  # the tip stays, its sender unreachable
    assert await tips.get(db, old.id) is not None
    for kept in (recent, open_tip):
        assert await tips.get_way_back(db, kept.id) is not None
    invites = {row[0] for row in await db.fetch_all("SELECT token_hash FROM invites")}
    assert invites == {"expired-lately", "valid"}
    assert (await purge(db, config(), NOW)).__dict__ == dict.fromkeys(purged.__dict__, 0)


async def test_whole_closed_tips_when_configured(staffed):
    db = staffed
    old = await closed_tip(db, 1, closed_days_ago=400)
    recent = await closed_tip(db, 2, closed_days_ago=100)
    open_tip = await tips.insert(
        db, fraud_tip(code="T-OPEN01", receipt_hash="o"), now=NOW - 900 * DAY
    )
    audit_rows = await count(db, "audit_log")
    before = await stats.period_totals(db, 0, NOW + DAY)

    purged = await purge(db, config(TIPBOT_TIP_RETENTION_DAYS="365"), NOW)
    assert purged.tips == 1
    assert await tips.get(db, old.id) is None
    assert await tips.get(db, recent.id) is not None and await tips.get(db, open_tip.id) is not None
    for table in ("tip_messages", "tip_notifications", "tip_attachments", "tip_indicators",
                  "tip_status_history", "tip_way_back", "outbox"):  # fmt: skip
        rows = await db.fetch_value(
            f"SELECT count(*) FROM {table} WHERE {_tip_column(table)} = ?", (old.id,)
        )
        assert rows == 0, table
    assert await count(db, "audit_log") == audit_rows  # append-only: it keeps naming the tip id
    after = await stats.period_totals(db, 0, NOW + DAY)
    assert after.tips == before.tips - 1 and after.questions_asked == before.questions_asked - 1


def _tip_column(table: str) -> str:
    return "to_tipster_of" if table == "outbox" else "tip_id"


async def test_tips_are_deleted_in_batches(staffed):
    from storage.retention import purge_closed_tips

    for n in range(7):
        await closed_tip(staffed, n, closed_days_ago=500)
    assert await purge_closed_tips(staffed, closed_before=NOW, batch=3) == 7
    assert await count(staffed, "tips") == 0


async def test_the_job_logs_one_line_of_counts(staffed, caplog):
    await drafts.save(staffed, "old", "where", {}, ttl=60, now=T0)
    runtime = SimpleNamespace(db=staffed, config=config(), now=lambda: NOW)
    with caplog.at_level(logging.INFO, logger="bot.retention"):
        await retention_job(SimpleNamespace(runtime=runtime))
    [line] = [r.getMessage() for r in caplog.records if r.name == "bot.retention"]
    assert line.startswith("event=retention drafts=1 pending_inputs=0 rate_windows=0 invites=0")
    assert "way_backs=0 tips=0 outbox=0 web_files=0 checkpointed=True took_ms=" in line


def test_tip_retention_setting():
    assert config().tip_retention_days is None
    assert config(TIPBOT_TIP_RETENTION_DAYS="365").tip_retention_days == 365
    for wrong in ("0", "-5", "a year"):
        with pytest.raises(ConfigError, match="TIPBOT_TIP_RETENTION_DAYS"):
            config(TIPBOT_TIP_RETENTION_DAYS=wrong)
