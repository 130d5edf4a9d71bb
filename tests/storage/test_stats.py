"""The daily statistics tables: the triggers keep them equal to a count over the tips, whatever
happens to the tips, and a period's totals are exact for any period, not only whole days."""

from __future__ import annotations

import random
from collections import Counter

import pytest

from storage import audit, stats, tips
from storage.stats import DAY, bucket_of, bucket_width
from tests.storage.helpers import COMMUNES, OFFICER, T0
from tests.storage.test_tips import fraud_tip

VN = 7 * 3600
TABLES = ("stats_kinds", "stats_communes", "stats_statuses", "stats_ack", "stats_questions")


async def snapshot(db) -> dict[str, list[tuple]]:
    """The daily tables without the zero rows that decrements leave."""
    result = {}
    for table in TABLES:
        rows = [tuple(r) for r in await db.fetch_all(f"SELECT * FROM {table} ORDER BY 1, 2, 3")]
        counts = 2 if table == "stats_questions" else 1  # (asked, answered) or tips
        result[table] = [row for row in rows if any(row[-counts:])]
    return result


async def assert_tables_match_a_recount(db) -> None:
    kept = await snapshot(db)
    await stats.rebuild(db)
    assert kept == await snapshot(db)


def test_buckets():
    assert [bucket_of(s) for s in (None, -5, 0, 59, 61, 3599, 3600, 3660, 86399)] == [
        -1, 0, 0, 0, 60, 3540, 3600, 3600, 85800,
    ]  # fmt: skip
    assert bucket_of(86400 + 3700) == 86400 + 3600
    assert bucket_of(8 * DAY + 5) == 8 * DAY
    for seconds in (0, 59, 3599, 3600, 86399, 86400, 604799, 604800, 10**7):
        bucket = bucket_of(seconds)
        assert bucket <= seconds < bucket + bucket_width(bucket)


async def test_triggers_follow_every_change(staffed):
    db = staffed
    rnd = random.Random(7)
    ids = []
    for n in range(60):
        created = T0 + rnd.randint(0, 20 * DAY)
        tip = await tips.insert(
            db,
            fraud_tip(
                code=f"C{n:04d}",
                receipt_hash=f"h{n}",
                category=rnd.choice(["crime", "forest", "fraud", "other"]),
                kind=rnd.choice([None, "drugs", "logging"]),
                commune_code=rnd.choice([*COMMUNES, None]),
                urgent=rnd.random() < 0.3,
            ),
            now=created,
        )
        ids.append(tip.id)
    await assert_tables_match_a_recount(db)
    for tip_id in ids:
        tip = await tips.get(db, tip_id)
        roll = rnd.random()
        later = tip.created_at + rnd.choice([30, 700, 5000, 90000, 10 * DAY])
        if roll < 0.6:
            await tips.acknowledge(db, tip_id, officer_id=OFFICER, now=later)
        if roll < 0.3:
            await tips.set_status(
                db, tip_id, "resolved", officer_id=OFFICER, keep_way_back_for=DAY, now=later + 1
            )
        elif roll < 0.5:
            await tips.transfer(db, tip_id, COMMUNES[1], officer_id=OFFICER, now=later + 1)
        for _ in range(rnd.randint(0, 3)):
            later += rnd.randint(1, DAY)
            kind = rnd.choice(["question", "question", "answer", "note"])
            await tips.add_message(
                db, tip_id, kind, "…", officer_id=None if kind == "answer" else OFFICER, now=later
            )
    await assert_tables_match_a_recount(db)
    # Retention deletes whole tips, their messages with them, in whatever order SQLite picks.
    async with db.transaction():
        await db.execute("DELETE FROM tips WHERE id % 3 = 0")
    await assert_tables_match_a_recount(db)
    async with db.transaction():
        await db.execute("DELETE FROM tip_messages WHERE kind = 'answer' AND id % 2 = 0")
    await assert_tables_match_a_recount(db)


async def test_period_totals_are_exact_for_any_period(staffed):
    """Against a plain count over the tips, for periods that start and end anywhere."""
    db = staffed
    rnd = random.Random(3)
    for n in range(80):
        created = T0 + rnd.randint(0, 10 * DAY)
        tip = await tips.insert(
            db,
            fraud_tip(
                code=f"P{n:04d}",
                receipt_hash=f"p{n}",
                category=rnd.choice(["crime", "fraud"]),
                commune_code=rnd.choice([COMMUNES[0], None]),
                urgent=rnd.random() < 0.5,
            ),
            now=created,
        )
        if rnd.random() < 0.7:
            await tips.acknowledge(
                db, tip.id, officer_id=OFFICER, now=created + rnd.randint(0, 2 * DAY)
            )
        if rnd.random() < 0.4:
            question = created + rnd.randint(0, DAY)
            await tips.add_message(db, tip.id, "question", "?", officer_id=OFFICER, now=question)
            if rnd.random() < 0.5:
                await tips.add_message(db, tip.id, "answer", "!", now=question + 60)
        if rnd.random() < 0.2:
            await audit.append(db, "tip.escalate", actor_id=None, tip_id=tip.id, now=created + 99)
    rows = await db.fetch_all("SELECT * FROM tips")
    periods = [(T0 - DAY, T0 + 20 * DAY), (T0 + 3 * DAY - VN, T0 + 6 * DAY - VN)]
    periods += [tuple(sorted(rnd.sample(range(T0, T0 + 11 * DAY), 2))) for _ in range(15)]
    for start, end in periods:
        inside = [r for r in rows if start <= r["created_at"] < end]
        totals = await stats.period_totals(db, start, end)
        assert totals.kinds == Counter((r["category"], r["kind"] or "") for r in inside)
        assert totals.communes == Counter(r["commune_code"] for r in inside)
        assert totals.statuses == Counter(r["status"] for r in inside)
        assert totals.ack == Counter((bool(r["urgent"]), bucket_of(ack_seconds(r))) for r in inside)
        questions = await db.fetch_all(
            """SELECT q.id, EXISTS (SELECT 1 FROM tip_messages a WHERE a.tip_id = q.tip_id
                   AND a.kind = 'answer' AND a.id > q.id) FROM tip_messages q
               WHERE q.kind = 'question' AND q.created_at >= ? AND q.created_at < ?""",
            (start, end),
        )
        assert totals.questions_asked == len(questions)
        assert totals.questions_answered == sum(r[1] for r in questions)
        escalations = await db.fetch_value(
            "SELECT count(*) FROM audit_log WHERE created_at >= ? AND created_at < ?",
            (start, end),
        )
        assert totals.escalations == escalations
        unacknowledged = await stats.unacknowledged(db, start, end)
        assert unacknowledged == Counter(
            bool(r["urgent"]) for r in inside if r["acknowledged_at"] is None
        )


def ack_seconds(row) -> int | None:
    if row["acknowledged_at"] is None:
        return None
    return row["acknowledged_at"] - row["created_at"]


async def test_weekly_series(staffed):
    db = staffed
    monday = (T0 + VN) // DAY - ((T0 + VN) // DAY + 3) % 7  # 1970-01-01 was a Thursday
    created = [T0 + d * DAY for d in range(15)]
    for n, moment in enumerate(created):
        tip = await tips.insert(
            db, fraud_tip(code=f"W{n:04d}", receipt_hash=f"w{n}", category="crime"), now=moment
        )
        await tips.acknowledge(db, tip.id, officer_id=OFFICER, now=moment + 600)
    start, end = monday * DAY - VN, (monday + 21) * DAY - VN
    weekly = await stats.weekly_categories(db, start, end, monday)
    assert sum(weekly.values()) == 15
    assert {week for week, _ in weekly} <= {0, 1, 2}
    totals = await stats.period_totals(db, start, end, week_anchor=monday)
    assert totals.ack_by_week == {(week, False, 600): n for (week, _), n in weekly.items()}


@pytest.mark.parametrize("offset", [0, 5 * 3600 + 1800])
async def test_another_time_zone_rebuilds_the_days(staffed, offset):
    db = staffed
    for n in range(5):
        await tips.insert(db, fraud_tip(code=f"Z{n:04d}", receipt_hash=f"z{n}"), now=T0 + n * 7000)
    before = await stats.period_totals(db, T0 - DAY, T0 + DAY)
    assert await stats.use_day_offset(db, offset) is True
    assert await stats.use_day_offset(db, offset) is False
    assert await stats.day_offset(db) == offset
    assert await stats.period_totals(db, T0 - DAY, T0 + DAY) == before
    await assert_tables_match_a_recount(db)
