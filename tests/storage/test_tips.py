import sqlite3

import pytest

from storage import fraud, tips
from storage.tips import Attachment, Indicator, NewTip
from tests.storage.helpers import ADMIN, COMMUNES, OFFICER, OTHER_OFFICER, T0

HOUR = 3600


def fraud_tip(**overrides):
    values = dict(
        code="K7Q2M",
        receipt_hash="scrypt$receipt",
        category="fraud",
        kind="impersonation",
        commune_code=COMMUNES[0],
        urgent=False,
        description="Gọi điện giả danh công an, yêu cầu chuyển tiền <script>",
        answers={"lost": "5.000.000 đ", "when": "hôm qua"},
        location=(11.9404, 108.4583),
        indicators=(
            Indicator("phone", "+84912345678", "0912 345 678"),
            Indicator("account", "0123456789", "0123-456-789", bank="Vietcombank"),
            Indicator("link", "vcb-secure.example", "https://vcb-secure.example/login"),
        ),
        attachments=(
            Attachment("photo", "AgAD-photo", "uniq-1"),
            Attachment("voice", "AwAD-voice", "uniq-2"),
        ),
        way_back=b"\x01sealed-chat-and-pseudonym",
    )
    values.update(overrides)
    return NewTip(**values)


async def test_insert_stores_everything_and_reads_back(staffed):
    db = staffed
    stored = await tips.insert(db, fraud_tip(), now=T0)
    for found in (
        stored,
        await tips.get(db, stored.id),
        await tips.get_by_code(db, "K7Q2M"),
        await tips.get_by_receipt_hash(db, "scrypt$receipt"),
    ):
        assert found == stored
    assert stored.status == "new" and not stored.closed
    assert stored.created_at == stored.updated_at == stored.routed_at == T0
    assert stored.answers == {"lost": "5.000.000 đ", "when": "hôm qua"}
    assert stored.location == (11.9404, 108.4583)
    assert stored.indicators[1] == Indicator("account", "0123456789", "0123-456-789", "Vietcombank")
    assert [a.kind for a in stored.attachments] == ["photo", "voice"]
    assert await tips.get_way_back(db, stored.id) == b"\x01sealed-chat-and-pseudonym"
    assert await tips.history(db, stored.id) == [tips.StatusChange("new", COMMUNES[0], None, T0)]


async def test_unknown_commune_and_no_extras(staffed):
    stored = await tips.insert(
        staffed, fraud_tip(commune_code=None, location=None, indicators=(), attachments=())
    )
    assert stored.commune_code is None and stored.location is None
    assert stored.indicators == () and stored.attachments == ()


async def test_lookups_of_unknown_tips_give_none(db):
    assert await tips.get(db, 1) is None
    assert await tips.get_by_code(db, "NOPE") is None
    assert await tips.get_by_receipt_hash(db, "nope") is None


async def test_insert_is_all_or_nothing(staffed):
    db = staffed
    bad = fraud_tip(indicators=(Indicator("email", "x@example.com", "x@example.com"),))
    with pytest.raises(sqlite3.IntegrityError, match="CHECK"):
        await tips.insert(db, bad)
    for table in ("tips", "tip_indicators", "tip_attachments", "tip_way_back"):
        assert await db.fetch_value(f"SELECT count(*) FROM {table}") == 0, table


@pytest.mark.parametrize("field", ["code", "receipt_hash"])
async def test_code_and_receipt_are_unique(staffed, field):
    await tips.insert(staffed, fraud_tip())
    other = {"code": "OTHER", "receipt_hash": "other"}
    other.pop(field)
    with pytest.raises(sqlite3.IntegrityError, match="UNIQUE"):
        await tips.insert(staffed, fraud_tip(**other))


async def test_indicators_stored_once_per_tip(staffed):
    await tips.insert(staffed, fraud_tip())
    again = fraud_tip(
        code="B",
        receipt_hash="b",
        indicators=(
            Indicator("phone", "+84912345678", "+84 912 345 678"),
            Indicator("phone", "+84912345678", "0912345678"),  # named twice: counted once
        ),
    )
    await tips.insert(staffed, again)
    assert (await fraud.mentions(staffed, "phone", "+84912345678")).tips == 2
    assert (await fraud.mentions(staffed, "account", "0123456789")).tips == 1
    assert (await fraud.mentions(staffed, "account", "+84912345678")).tips == 0


async def test_acknowledge_once(staffed):
    tip = await tips.insert(staffed, fraud_tip(), now=T0)
    assert await tips.acknowledge(staffed, tip.id, officer_id=OFFICER, now=T0 + 60)
    assert not await tips.acknowledge(staffed, tip.id, officer_id=OTHER_OFFICER, now=T0 + 61)
    tip = await tips.get(staffed, tip.id)
    assert tip.status == "acknowledged"
    assert (tip.acknowledged_by, tip.acknowledged_at) == (OFFICER, T0 + 60)
    assert [h.officer_id for h in await tips.history(staffed, tip.id)] == [None, OFFICER]


async def test_status_changes_and_close(staffed):
    db = staffed
    tip = await tips.insert(db, fraud_tip(), now=T0)
    await tips.acknowledge(db, tip.id, officer_id=OFFICER, now=T0 + 1)
    assert await tips.set_status(db, tip.id, "investigating", officer_id=OFFICER, now=T0 + 2)
    assert not await tips.set_status(db, tip.id, "investigating", officer_id=OFFICER, now=T0 + 3)
    assert await tips.set_status(
        db, tip.id, "resolved", officer_id=OFFICER, keep_way_back_for=90 * 24 * HOUR, now=T0 + 4
    )
    tip = await tips.get(db, tip.id)
    assert tip.closed and tip.closed_at == T0 + 4 and tip.updated_at == T0 + 4
    assert [h.status for h in await tips.history(db, tip.id)] == [
        "new",
        "acknowledged",
        "investigating",
        "resolved",
    ]
    # A closed tip stays closed.
    assert not await tips.set_status(
        db, tip.id, "not_actionable", officer_id=OFFICER, keep_way_back_for=0, now=T0 + 5
    )
    assert not await tips.set_status(db, tip.id, "investigating", officer_id=OFFICER)
    assert not await tips.transfer(db, tip.id, COMMUNES[1], officer_id=OFFICER)
    assert await tips.open_tips(db, None, limit=10) == ([], 0)


async def test_set_status_rejects_what_it_cannot_do(staffed):
    tip = await tips.insert(staffed, fraud_tip())
    with pytest.raises(ValueError, match="cannot set"):
        await tips.set_status(staffed, tip.id, "new", officer_id=OFFICER)
    with pytest.raises(ValueError, match="keep_way_back_for"):
        await tips.set_status(staffed, tip.id, "resolved", officer_id=OFFICER)


async def test_way_back_is_deleted_when_retention_ends(staffed):
    db = staffed
    open_tip = await tips.insert(db, fraud_tip(), now=T0)
    closed = await tips.insert(db, fraud_tip(code="B", receipt_hash="b"), now=T0)
    await tips.set_status(
        db, closed.id, "not_actionable", officer_id=OFFICER, keep_way_back_for=HOUR, now=T0
    )
    assert await tips.purge_way_backs(db, now=T0 + HOUR - 1) == 0
    assert await tips.purge_way_backs(db, now=T0 + HOUR) == 1
    assert await tips.get_way_back(db, closed.id) is None
    assert await tips.get_way_back(db, open_tip.id) is not None
    assert (await tips.get(db, closed.id)).description  # the tip itself stays


async def test_transfer_restarts_routing(staffed):
    db = staffed
    tip = await tips.insert(db, fraud_tip(), now=T0)
    await tips.acknowledge(db, tip.id, officer_id=OFFICER, now=T0 + 1)
    await tips.mark_reminded(db, tip.id, now=T0 + 2)
    assert await tips.transfer(db, tip.id, COMMUNES[1], officer_id=OFFICER, now=T0 + 10)
    assert not await tips.transfer(db, tip.id, COMMUNES[1], officer_id=OFFICER, now=T0 + 11)
    tip = await tips.get(db, tip.id)
    assert (tip.commune_code, tip.status, tip.routed_at, tip.reminded_at) == (
        COMMUNES[1],
        "new",
        T0 + 10,
        None,
    )
    assert (await tips.history(db, tip.id))[-1] == tips.StatusChange(
        "new", COMMUNES[1], OFFICER, T0 + 10
    )


async def test_reminders_then_escalation(staffed):
    db = staffed
    urgent = await tips.insert(db, fraud_tip(code="U", receipt_hash="u", urgent=True), now=T0)
    normal = await tips.insert(db, fraud_tip(code="N", receipt_hash="n"), now=T0)
    acked = await tips.insert(db, fraud_tip(code="A", receipt_hash="a"), now=T0)
    await tips.acknowledge(db, acked.id, officer_id=OFFICER, now=T0)

    def cutoffs(now, urgent_after, normal_after):
        return {"urgent_before": now - urgent_after, "normal_before": now - normal_after}

    # 15 minutes on: only the urgent tip is due (urgent: 10 min, normal: 4 h).
    due = await tips.due_reminders(db, **cutoffs(T0 + 900, 600, 4 * HOUR))
    assert [t.code for t in due] == ["U"]
    await tips.mark_reminded(db, urgent.id, now=T0 + 900)
    assert await tips.due_reminders(db, **cutoffs(T0 + 960, 600, 4 * HOUR)) == []
    # Five hours on: the normal tip's reminder; both escalate once past their second cutoff.
    due = await tips.due_reminders(db, **cutoffs(T0 + 5 * HOUR, 600, 4 * HOUR))
    assert [t.code for t in due] == ["N"]
    due = await tips.due_escalations(db, **cutoffs(T0 + 5 * HOUR, 1800, 4 * HOUR))
    assert {t.code for t in due} == {"U", "N"}
    await tips.mark_escalated(db, normal.id, now=T0 + 5 * HOUR)
    due = await tips.due_escalations(db, **cutoffs(T0 + 5 * HOUR, 1800, 4 * HOUR))
    assert [t.code for t in due] == ["U"]
    assert (await tips.get(db, normal.id)).escalated_at == T0 + 5 * HOUR


async def test_thread(staffed):
    db = staffed
    tip = await tips.insert(db, fraud_tip(), now=T0)
    await tips.add_message(db, tip.id, "question", "Số tài khoản là gì?", officer_id=OFFICER)
    await tips.add_message(db, tip.id, "answer", "0123456789", now=T0 + 5)
    await tips.add_message(db, tip.id, "note", "Đã xác minh", officer_id=OTHER_OFFICER)
    await tips.add_message(db, tip.id, "reply", "Đã tiếp nhận xử lý", officer_id=ADMIN)
    thread = await tips.list_messages(db, tip.id)
    assert [(m.kind, m.officer_id) for m in thread] == [
        ("question", OFFICER),
        ("answer", None),
        ("note", OTHER_OFFICER),
        ("reply", ADMIN),
    ]
    assert thread[1].created_at == T0 + 5
    public = await tips.list_messages(db, tip.id, kinds=("reply",))
    assert [m.body for m in public] == ["Đã tiếp nhận xử lý"]


async def test_only_the_tipsters_answer_has_no_officer(staffed):
    tip = await tips.insert(staffed, fraud_tip())
    with pytest.raises(sqlite3.IntegrityError, match="CHECK"):
        await tips.add_message(staffed, tip.id, "answer", "x", officer_id=OFFICER)
    with pytest.raises(sqlite3.IntegrityError, match="CHECK"):
        await tips.add_message(staffed, tip.id, "question", "x")


async def test_notifications(staffed):
    tip = await tips.insert(staffed, fraud_tip())
    await tips.add_notification(staffed, tip.id, OFFICER, 10)
    await tips.add_notification(staffed, tip.id, -100123, 77)
    await tips.add_notification(staffed, tip.id, OFFICER, 10)  # recorded twice: kept once
    assert await tips.list_notifications(staffed, tip.id) == [
        tips.Notification(OFFICER, 10),
        tips.Notification(-100123, 77),
    ]
