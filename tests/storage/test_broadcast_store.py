"""Storage for bulletins (0003): the library sync, choosing a topic's next bulletin, schedules'
slots, planned sends, and what the sender reads and writes."""

from __future__ import annotations

import pytest

from storage import broadcasts, bulletins, officers, subscribers
from storage.bulletins import LibraryText
from tests.storage.helpers import ADMIN

T0 = 1_757_898_000  # Monday 15 September 2025, 08:00 in Lâm Đồng


@pytest.fixture
async def db(db):
    """The fresh database with an admin, who writes bulletins and plans sends."""
    await officers.ensure_admins(db, [ADMIN])
    return db


async def _bulletin(db, slug: str, language: str):
    return (await bulletins.languages_of(db, slug)).get(language)


def library(*items: tuple[str, str, str]) -> list[LibraryText]:
    return [
        LibraryText(slug, language, topic, f"{slug} {language}", body)
        for slug, topic, body in items
        for language in ("vi", "en")
    ]


async def test_the_library_sync_is_idempotent_and_follows_the_files(db):
    first = await bulletins.sync_library(db, library(("a", "drugs", "x"), ("b", "fire", "y")))
    assert (first.added, first.updated, first.removed) == (4, 0, 0)
    again = await bulletins.sync_library(db, library(("a", "drugs", "x"), ("b", "fire", "y")))
    assert (again.added, again.updated, again.removed) == (0, 0, 0)
    stamp = (await _bulletin(db, "a", "vi")).updated_at

    # An admin's bulletin with a slug a file later takes is left alone.
    await bulletins.write_admin_bulletin(
        db, "c", "vi", topic="forest", title="Mine", body="z", created_by=ADMIN
    )
    changed = await bulletins.sync_library(
        db, library(("a", "drugs", "x2"), ("c", "forest", "file"))
    )
    assert (changed.added, changed.updated, changed.removed) == (1, 2, 2)  # c/en; a; b gone
    assert (await _bulletin(db, "a", "en")).body == "x2"
    assert (await _bulletin(db, "a", "vi")).updated_at >= stamp
    assert (await _bulletin(db, "c", "vi")).title == "Mine"
    assert await _bulletin(db, "b", "vi") is None
    # A library text is not an admin's to overwrite.
    assert not await bulletins.write_admin_bulletin(
        db, "a", "vi", topic="drugs", title="Hijack", body="z", created_by=ADMIN
    )


async def test_a_bulletin_a_broadcast_still_needs_stays(db):
    await bulletins.sync_library(db, library(("a", "drugs", "x")))
    await subscribers.subscribe(db, 1, "vi", ["drugs"])
    await broadcasts.create(db, "a", "drugs", now=T0)
    result = await bulletins.sync_library(db, [])
    assert result.removed == 0 and await _bulletin(db, "a", "vi") is not None


async def test_a_topic_sends_what_its_audience_has_not_had(db):
    await bulletins.sync_library(db, library(("a", "drugs", "x"), ("b", "drugs", "y")))
    await subscribers.subscribe(db, 1, "vi", ["drugs"])
    assert await bulletins.next_for_audience(db, "drugs") == "a"
    await broadcasts.create(db, "a", "drugs", now=T0)
    assert await bulletins.next_for_audience(db, "drugs") == "b"
    cancelled = await broadcasts.create(db, "b", "drugs", now=T0 + 1)
    await broadcasts.cancel(db, cancelled)
    assert await bulletins.next_for_audience(db, "drugs") == "b"  # a cancelled one did not count
    await broadcasts.create(db, "b", "drugs", now=T0 + 2)
    assert await bulletins.next_for_audience(db, "drugs") == "a"  # then the longest ago
    assert await bulletins.next_for_audience(db, "fire") is None


async def test_pausing_counts_the_slots_it_skipped_as_dealt_with(db):
    schedule_id = await bulletins.add_schedule(db, "0 8 * * *", "drugs", created_by=ADMIN, now=T0)
    assert await bulletins.pause_schedule(db, schedule_id, True, now=T0 + 10)
    assert not await bulletins.pause_schedule(db, schedule_id, True, now=T0 + 20)
    assert (await bulletins.get_schedule(db, schedule_id)).last_slot_at is None
    assert await bulletins.pause_schedule(db, schedule_id, False, now=T0 + 30)
    resumed = await bulletins.get_schedule(db, schedule_id)
    assert (resumed.paused, resumed.last_slot_at) == (False, T0 + 30)
    await bulletins.set_last_slot(db, schedule_id, T0 + 5)  # never backwards
    assert (await bulletins.get_schedule(db, schedule_id)).last_slot_at == T0 + 30


async def test_planned_sends_start_once(db):
    planned = await bulletins.plan_send(
        db, "drugs", None, T0 + 60, request_key="1:2", created_by=ADMIN, now=T0
    )
    assert await bulletins.plan_send(
        db, "drugs", None, T0 + 60, request_key="1:2", created_by=ADMIN, now=T0
    ) is None  # fmt: skip
    assert await bulletins.due_planned(db, now=T0) == []
    [due] = await bulletins.due_planned(db, now=T0 + 60)
    assert due.id == planned and due.slug is None
    assert await bulletins.settle_planned(db, planned, "started")
    assert not await bulletins.settle_planned(db, planned, "cancelled")
    assert await bulletins.list_planned(db) == []


async def test_the_sender_streams_claims_and_records(db):
    await bulletins.sync_library(db, library(("a", "drugs", "x")))
    for chat in range(1, 8):
        await subscribers.subscribe(db, chat, "vi", ["drugs"])
    broadcast_id = await broadcasts.create(db, "a", "drugs", now=T0)
    assert (await broadcasts.get(db, broadcast_id)).recipients == 7
    first = await broadcasts.due(db, broadcast_id, after=None, now=T0, limit=3)
    second = await broadcasts.due(db, broadcast_id, after=first[-1].subscriber_id, now=T0, limit=3)
    assert [d.chat_id for d in first + second] == [1, 2, 3, 4, 5, 6]

    one, two, three = first
    assert await broadcasts.claim_many(db, broadcast_id, [one.subscriber_id])
    assert not await broadcasts.claim_many(db, broadcast_id, [one.subscriber_id])  # once
    await broadcasts.record(db, broadcast_id, one.subscriber_id, "sent", message_id=5)
    await broadcasts.claim_many(db, broadcast_id, [two.subscriber_id])
    await broadcasts.record(
        db, broadcast_id, two.subscriber_id, "pending", error="x", retry_at=T0 + 10
    )
    await broadcasts.claim_many(db, broadcast_id, [three.subscriber_id])  # in flight at a "crash"
    assert await broadcasts.requeue_in_flight(db) == 1
    due_now = await broadcasts.due(db, broadcast_id, after=None, now=T0, limit=10)
    assert [d.chat_id for d in due_now] == [3, 4, 5, 6, 7]
    later = await broadcasts.due(db, broadcast_id, after=None, now=T0 + 10, limit=10)
    assert later[0].chat_id == 2 and later[0].attempts == 1
    assert await broadcasts.next_attempt_at(db) == 0
    assert not await broadcasts.complete(db, broadcast_id, now=T0)

    # A cancelled row stays cancelled even if an answer for it comes late.
    await subscribers.unsubscribe(db, 4)
    assert not await broadcasts.claim_many(db, broadcast_id, [due_now[1].subscriber_id])
    progress = await broadcasts.progress_of(db, await broadcasts.get(db, broadcast_id))
    assert (progress.sent, progress.cancelled, progress.remaining) == (1, 1, 5)


async def test_rows_claimed_released_and_recorded_together(db):
    await bulletins.sync_library(db, library(("a", "drugs", "x")))
    await subscribers.subscribe_many(db, [(chat, "vi") for chat in range(1, 7)], ["drugs"])
    await subscribers.subscribe_many(db, [(3, "en")], ["drugs", "fire"])  # again: updated
    assert (await subscribers.get(db, 3)).topics == ("drugs", "fire")
    assert (await subscribers.get(db, 3)).language == "en"
    assert await subscribers.count_active(db, "drugs") == 6
    broadcast_id = await broadcasts.create(db, "a", "drugs", now=T0)
    rows = await broadcasts.due(db, broadcast_id, after=None, now=T0, limit=10)
    ids = [row.subscriber_id for row in rows]

    await subscribers.unsubscribe(db, 2)  # moved on before the claim
    assert await broadcasts.claim_many(db, broadcast_id, ids[:4]) == {ids[0], ids[2], ids[3]}
    assert await broadcasts.claim_many(db, broadcast_id, ids[:4]) == set()  # once
    await broadcasts.release(db, broadcast_id, [ids[3]])  # claimed, not sent after all
    await broadcasts.record_sent(db, [(broadcast_id, ids[0], 11), (broadcast_id, ids[2], 12)])
    await broadcasts.record_sent(db, [(broadcast_id, ids[0], 99)])  # again: no change
    assert await broadcasts.progress(db, broadcast_id) == {"sent": 2, "cancelled": 1, "pending": 3}
    sent = await db.fetch_all(
        "SELECT message_id, attempts FROM deliveries WHERE status = 'sent' ORDER BY subscriber_id"
    )
    assert [tuple(row) for row in sent] == [(11, 1), (12, 1)]
