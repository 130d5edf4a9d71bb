import pytest

from bot import outbox_worker
from storage import outbox
from tests.storage.helpers import OFFICER, T0


async def test_enqueue_is_idempotent_per_dedupe_key(db):
    assert await outbox.enqueue(db, "tip_alert", {"tip": 1}, dedupe_key="alert:1", chat_id=OFFICER)
    assert not await outbox.enqueue(
        db, "tip_alert", {"tip": 1}, dedupe_key="alert:1", chat_id=OFFICER
    )
    assert await db.fetch_value("SELECT count(*) FROM outbox") == 1


async def test_enqueue_needs_exactly_one_recipient(db):
    with pytest.raises(ValueError, match="exactly one"):
        await outbox.enqueue(db, "x", {}, dedupe_key="k")
    with pytest.raises(ValueError, match="exactly one"):
        await outbox.enqueue(db, "x", {}, dedupe_key="k", chat_id=1, to_tipster_of=1)


async def test_claim_due_in_order_and_not_twice(db):
    await outbox.enqueue(db, "b", {"n": 2}, dedupe_key="b", chat_id=1, now=T0 + 1)
    await outbox.enqueue(db, "a", {"n": 1}, dedupe_key="a", chat_id=1, now=T0)
    await outbox.enqueue(db, "later", {}, dedupe_key="c", chat_id=1, not_before=T0 + 100, now=T0)
    claimed = await outbox.claim_due(db, limit=10, lease=600, now=T0 + 5)
    assert [(i.kind, i.payload, i.attempts) for i in claimed] == [
        ("a", {"n": 1}, 1),
        ("b", {"n": 2}, 1),
    ]
    assert await outbox.claim_due(db, limit=10, now=T0 + 6) == []  # claimed: not handed out again
    assert [i.kind for i in await outbox.claim_due(db, limit=10, now=T0 + 100)] == ["later"]


async def test_claim_respects_the_limit(db):
    for n in range(5):
        await outbox.enqueue(db, "k", {}, dedupe_key=f"k{n}", chat_id=1, now=T0)
    assert len(await outbox.claim_due(db, limit=2, now=T0)) == 2
    assert len(await outbox.claim_due(db, limit=10, now=T0)) == 3


async def test_a_lapsed_claim_is_taken_again(db):
    await outbox.enqueue(db, "k", {}, dedupe_key="k", chat_id=1, now=T0)
    [item] = await outbox.claim_due(db, limit=1, lease=60, now=T0)
    # The worker died without marking it; after the lease another worker takes it.
    assert await outbox.claim_due(db, limit=1, lease=60, now=T0 + 59) == []
    [again] = await outbox.claim_due(db, limit=1, lease=60, now=T0 + 60)
    assert again.id == item.id and again.attempts == 2


async def test_start_up_releases_the_claims_of_a_dead_process(db):
    for key in ("claimed", "sent", "later"):
        await outbox.enqueue(db, key, {}, dedupe_key=key, chat_id=1, now=T0)
    claimed, sent, _later = await outbox.claim_due(db, limit=3, lease=300, now=T0)
    await outbox.mark_sent(db, sent.id, message_id=1, now=T0)
    await outbox.mark_failed(db, _later.id, "NetworkError", retry_in=5, now=T0)  # backing off
    assert await outbox.release_claims(db, now=T0 + 1) == 1
    [again] = await outbox.claim_due(db, limit=3, now=T0 + 1)  # not 300 s later
    assert (again.id, again.attempts) == (claimed.id, 2)
    assert await outbox.release_claims(db, now=T0 + 2) == 1


async def test_sent_is_final(db):
    await outbox.enqueue(db, "k", {}, dedupe_key="k", chat_id=1, now=T0)
    [item] = await outbox.claim_due(db, limit=1, now=T0)
    await outbox.mark_sent(db, item.id, message_id=4242, now=T0 + 1)
    assert await outbox.claim_due(db, limit=1, now=T0 + 10_000) == []
    row = await db.fetch_one("SELECT status, sent_message_id FROM outbox")
    assert tuple(row) == ("sent", 4242)


async def test_failures_back_off_then_give_up(db):
    await outbox.enqueue(db, "k", {}, dedupe_key="k", chat_id=1, now=T0)
    now, delays = T0, []
    while True:
        [item] = await outbox.claim_due(db, limit=1, now=now)
        retry_in = outbox_worker.backoff(item)  # as the worker waits
        status = await outbox.mark_failed(
            db, item.id, "502 Bad Gateway", retry_in=retry_in, now=now
        )
        if status == "failed":
            break
        next_at = await db.fetch_value("SELECT next_attempt_at FROM outbox")
        delays.append(next_at - now)
        assert await outbox.claim_due(db, limit=1, now=next_at - 1) == []
        now = next_at
    # Doubling from 5 s up to the one-hour cap, then hourly: an outage of days loses nothing.
    assert delays[:11] == [5, 10, 20, 40, 80, 160, 320, 640, 1280, 2560, 3600]
    assert set(delays[11:]) == {3600}
    assert sum(delays) > 3 * 24 * 3600
    assert item.attempts == outbox.MAX_ATTEMPTS
    assert await outbox.claim_due(db, limit=1, now=now + 10**6) == []


async def test_retry_after_and_permanent_failures(db):
    await outbox.enqueue(db, "a", {}, dedupe_key="a", chat_id=1, now=T0)
    await outbox.enqueue(db, "b", {}, dedupe_key="b", chat_id=2, now=T0)
    a, b = await outbox.claim_due(db, limit=2, now=T0)
    assert await outbox.mark_failed(db, a.id, "429", retry_in=33, now=T0) == "pending"
    assert await outbox.mark_failed(db, b.id, "403 blocked", permanent=True, now=T0) == "failed"
    assert await db.fetch_value("SELECT next_attempt_at FROM outbox WHERE id = ?", (a.id,)) == (
        T0 + 33
    )
    assert [i.id for i in await outbox.claim_due(db, limit=5, now=T0 + 33)] == [a.id]


async def test_mark_failed_of_an_unknown_row(db):
    with pytest.raises(KeyError):
        await outbox.mark_failed(db, 404, "x")


async def test_finished_rows_are_purged_after_their_time(db):
    await outbox.enqueue(db, "k", {}, dedupe_key="old", chat_id=1, now=T0)
    await outbox.enqueue(db, "k", {}, dedupe_key="new", chat_id=1, now=T0)
    await outbox.enqueue(db, "k", {}, dedupe_key="waiting", chat_id=1, now=T0)
    old, new = await outbox.claim_due(db, limit=2, now=T0)
    await outbox.mark_sent(db, old.id, message_id=1, now=T0)
    await outbox.mark_sent(db, new.id, message_id=2, now=T0 + 100)
    assert await outbox.purge_finished(db, before=T0 + 50) == 1
    keys = {r[0] for r in await db.fetch_all("SELECT dedupe_key FROM outbox")}
    assert keys == {"new", "waiting"}


async def test_a_moved_chat_gets_its_unsent_rows_under_its_new_id(db):
    old, new = -4_000_000_001, -1_000_000_000_002
    await outbox.enqueue(db, "tip", {"tip_id": 1}, dedupe_key=f"tip:1:5:{old}", chat_id=old, now=T0)
    await outbox.enqueue(
        db, "refresh", {"message_id": 7}, dedupe_key=f"r:1:{old}", chat_id=old, now=T0
    )
    await outbox.enqueue(db, "staff_text", {}, dedupe_key=f"note:1:{old}:x", chat_id=old, now=T0)
    await outbox.enqueue(db, "tip", {"tip_id": 2}, dedupe_key="tip:2:5:1", chat_id=1, now=T0)
    sent = await outbox.claim_due(db, limit=1, now=T0 + 5)  # tip 1, being sent
    assert [item.chat_id for item in sent] == [old]

    assert await outbox.readdress(db, old, new, drop_kinds=["refresh"], now=T0 + 9) == 2
    rows = await db.fetch_all("SELECT kind, chat_id, dedupe_key, status FROM outbox ORDER BY id")
    assert [tuple(row) for row in rows] == [
        ("tip", old, f"tip:1:5:{old}", "failed"),
        ("refresh", old, f"r:1:{old}", "failed"),  # names a message of the old chat
        ("staff_text", old, f"note:1:{old}:x", "failed"),
        ("tip", 1, "tip:2:5:1", "pending"),
        ("tip", new, f"tip:1:5:{new}", "pending"),  # routing it again finds it queued
        ("staff_text", new, f"note:1:{old}:x:moved:{new}", "pending"),
    ]
    assert await outbox.readdress(db, old, new, drop_kinds=["refresh"]) == 0
