from storage import broadcasts, bulletins, subscribers
from tests.storage.helpers import ADMIN, T0


async def add_library(db):
    for slug, topic in (("fraud-calls", "fraud"), ("fraud-links", "fraud"), ("fire", "fire")):
        for language in ("vi", "en"):
            await bulletins.upsert(
                db,
                slug,
                language,
                topic=topic,
                title=f"{slug} {language}",
                body="…",
                source="library",
                now=T0,
            )


async def test_subscribe_update_and_unsubscribe(db):
    first = await subscribers.subscribe(db, 555, "vi", ["fraud", "fire"])
    assert (first.language, first.active, first.topics) == ("vi", True, ("fire", "fraud"))
    again = await subscribers.subscribe(db, 555, "en", ["forest"])
    assert again.id == first.id and (again.language, again.topics) == ("en", ("forest",))
    assert await subscribers.unsubscribe(db, 555)
    assert not await subscribers.unsubscribe(db, 555)
    assert not (await subscribers.get(db, 555)).active
    assert (await subscribers.subscribe(db, 555, "en", ["forest"])).active
    assert await subscribers.get(db, 556) is None


async def test_bulletin_upsert_and_listing(db):
    await add_library(db)
    await add_library(db)  # loading the library at every start changes nothing
    assert [(e.topic, e.slug, sorted(e.titles)) for e in await bulletins.catalogue(db)] == [
        ("fire", "fire", ["en", "vi"]),
        ("fraud", "fraud-calls", ["en", "vi"]),
        ("fraud", "fraud-links", ["en", "vi"]),
    ]
    await bulletins.upsert(
        db,
        "fire",
        "en",
        topic="fire",
        title="Fire!",
        body="New",
        source="admin",
        created_by=None,
        now=T0 + 5,
    )
    fire = (await bulletins.languages_of(db, "fire"))["en"]
    assert (fire.title, fire.source) == ("Fire!", "admin")
    assert (fire.created_at, fire.updated_at) == (T0, T0 + 5)
    assert set(await bulletins.languages_of(db, "fire")) == {"vi", "en"}


async def test_topic_schedules_rotate_through_the_topic(db):
    await add_library(db)
    await subscribers.subscribe(db, 1, "vi", ["fraud"])
    assert await bulletins.next_for_audience(db, "fraud") == "fraud-calls"
    await broadcasts.create(db, "fraud-calls", "fraud", now=T0)
    assert await bulletins.next_for_audience(db, "fraud") == "fraud-links"
    await broadcasts.create(db, "fraud-links", "fraud", now=T0 + 1)
    assert await bulletins.next_for_audience(db, "fraud") == "fraud-calls"
    assert await bulletins.next_for_audience(db, "drugs") is None


async def test_schedules(db, staffed):
    first = await bulletins.add_schedule(db, "0 8 * * 1", "fraud", created_by=ADMIN, now=T0)
    second = await bulletins.add_schedule(db, "0 9 1 * *", "fire", slug="fire", created_by=ADMIN)
    assert await bulletins.pause_schedule(db, first, True, now=T0)
    listed = await bulletins.list_schedules(db)
    assert [(s.id, s.cron, s.slug, s.paused) for s in listed] == [
        (first, "0 8 * * 1", None, True),
        (second, "0 9 1 * *", "fire", False),
    ]
    assert await bulletins.delete_schedule(db, first)
    assert not await bulletins.pause_schedule(db, first, False, now=T0)
    assert [s.id for s in await bulletins.list_schedules(db)] == [second]


async def test_broadcast_reaches_each_active_subscriber_once(db):
    await add_library(db)
    for chat, language, topics in (
        (1, "vi", ["fraud"]),
        (2, "en", ["fraud", "fire"]),
        (3, "vi", ["fire"]),
        (4, "vi", ["fraud"]),
    ):
        await subscribers.subscribe(db, chat, language, topics)
    await subscribers.unsubscribe(db, 4)
    broadcast_id = await broadcasts.create(db, "fraud-calls", "fraud", created_by=None, now=T0)
    assert [b.id for b in await broadcasts.list_recent(db)] == [broadcast_id]
    pending = await broadcasts.due(db, broadcast_id, after=None, now=T0, limit=10)
    assert [(d.chat_id, d.language) for d in pending] == [(1, "vi"), (2, "en")]
    first, second = pending
    assert await broadcasts.claim_many(db, broadcast_id, [first.subscriber_id]) == {
        first.subscriber_id
    }
    await broadcasts.record_sent(db, [(broadcast_id, first.subscriber_id, 99)])
    assert not await broadcasts.complete(db, broadcast_id, now=T0 + 1)
    # A crash here: the restart resumes with what is still pending.
    assert await broadcasts.due(db, broadcast_id, after=None, now=T0, limit=10) == [second]
    await broadcasts.claim_many(db, broadcast_id, [second.subscriber_id])
    await broadcasts.record(db, broadcast_id, second.subscriber_id, "blocked")
    assert await broadcasts.progress(db, broadcast_id) == {"sent": 1, "blocked": 1}
    assert await broadcasts.complete(db, broadcast_id, now=T0 + 2)
    done = await broadcasts.get(db, broadcast_id)
    assert (done.status, done.finished_at) == ("done", T0 + 2)
    assert (done.sent_count, done.blocked_count) == (1, 1)


async def test_a_schedule_slot_broadcasts_once(db):
    await add_library(db)
    schedule = await bulletins.add_schedule(db, "0 8 * * *", "fraud", created_by=None)
    key = f"schedule:{schedule}:2025-07-01T08:00"
    first = await broadcasts.create(db, "fraud-calls", "fraud", schedule_id=schedule, run_key=key)
    again = await broadcasts.create(db, "fraud-calls", "fraud", schedule_id=schedule, run_key=key)
    assert first is not None and again is None
    assert (await broadcasts.get(db, first)).schedule_id == schedule


async def test_cancel_and_unsubscribe_during_a_broadcast(db):
    await add_library(db)
    for chat in (1, 2, 3):
        await subscribers.subscribe(db, chat, "vi", ["fire"])
    broadcast_id = await broadcasts.create(db, "fire", "fire", now=T0)
    first, *_ = await broadcasts.due(db, broadcast_id, after=None, now=T0, limit=10)
    await broadcasts.claim_many(db, broadcast_id, [first.subscriber_id])
    await broadcasts.record_sent(db, [(broadcast_id, first.subscriber_id, 1)])
    await subscribers.unsubscribe(db, 2)
    left = await broadcasts.due(db, broadcast_id, after=None, now=T0, limit=10)
    assert [d.chat_id for d in left] == [3]
    assert await broadcasts.cancel(db, broadcast_id, now=T0 + 1)
    assert not await broadcasts.cancel(db, broadcast_id)
    assert await broadcasts.progress(db, broadcast_id) == {"sent": 1, "cancelled": 2}
    assert (await broadcasts.get(db, broadcast_id)).status == "cancelled"
    assert await broadcasts.get(db, 404) is None
