"""The broadcast engine without Telegram: a fake sender that records when each call started and
raises what Telegram would. Pacing, 429 pauses, blocked chats, retries, crash recovery, quiet
hours, batches, cancellation and the channel."""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import sqlite3

import pytest
from telegram.error import BadRequest, Forbidden, NetworkError, RetryAfter, TimedOut

import bot.broadcast
from bot import bulletins as services
from bot.broadcast import MAX_ATTEMPTS, Broadcaster
from bot.bulletins import Composed, ComposeError
from bot.config import Keys, load_config
from bot.quiet_hours import QuietHours
from bot.runtime import Runtime
from bot.send_budget import WINDOW, SendBudget
from storage import broadcasts, bulletins, officers, outbox, subscribers
from storage.db import Database
from tests.support.clock import Clock

T0 = 1_757_898_000  # Monday 15 September 2025, 08:00 in Lâm Đồng
ADMIN = 9001
SLUG = "otp"


class FakeTelegram:
    """Records (loop time, chat) of every call; ``faults[chat]`` lists errors to raise first."""

    def __init__(self, latency: float = 0.0) -> None:
        self.calls: list[tuple[float, int | str]] = []
        self.delivered: list[tuple[int | str, str]] = []
        self.faults: dict[int | str, list[Exception]] = {}
        self.latency = latency
        self.on_call = None

    async def __call__(self, chat, text, markup) -> int:
        self.calls.append((asyncio.get_running_loop().time(), chat))
        if self.on_call is not None:
            self.on_call(len(self.calls))
        if self.latency:
            await asyncio.sleep(self.latency)
        if self.faults.get(chat):
            raise self.faults[chat].pop(0)
        self.delivered.append((chat, text))
        return len(self.delivered)

    def received(self, chat) -> list[str]:
        return [text for to, text in self.delivered if to == chat]


def render(bulletin, language, *, channel=False):
    return f"{'channel' if channel else language}:{bulletin.language}:{bulletin.title}", None


@pytest.fixture
async def runtime(tmp_path):
    env = {"TIPBOT_TOKEN": "1:abc", "TIPBOT_DATA_DIR": str(tmp_path), "TIPBOT_QUIET_HOURS": "off"}
    db = await Database.open(tmp_path / "tipbot.sqlite3")
    await officers.ensure_admins(db, [ADMIN])
    for language in ("vi", "en"):
        await bulletins.upsert(
            db, SLUG, language, topic="cyber_privacy", title=f"OTP {language}", body="…",
            source="library",
        )  # fmt: skip
    yield Runtime(
        config=load_config(env),
        keys=Keys(b"p" * 32, b"w" * 32),
        db=db,
        communes=None,
        province_name="Lâm Đồng",
        clock=Clock(T0),
    )
    await db.close()


async def subscribe(runtime, count: int, first: int = 1000) -> list[int]:
    chats = list(range(first, first + count))
    for chat in chats:
        await subscribers.subscribe(runtime.db, chat, "vi" if chat % 2 else "en", ["cyber_privacy"])
    return chats


async def start(runtime, slug: str = SLUG, key: str | None = None) -> int:
    return await services.start_broadcast(
        runtime, slug, "cyber_privacy", actor_id=ADMIN, created_by=ADMIN, run_key=key, why="test"
    )


class Running:
    def __init__(self, engine: Broadcaster) -> None:
        self.engine = engine
        self.task = asyncio.create_task(engine.run())

    async def until_done(self, runtime, broadcast_id: int, timeout: float = 20) -> None:
        for _ in range(int(timeout / 0.01)):
            found = await broadcasts.get(runtime.db, broadcast_id)
            if found.status != "sending":
                return
            if self.task.done():
                self.task.result()
            await asyncio.sleep(0.01)
        raise TimeoutError(f"broadcast {broadcast_id} did not finish")

    async def stop(self) -> None:
        self.engine.stop()
        await asyncio.wait_for(self.task, 10)


def engine(runtime, telegram, **options) -> Broadcaster:
    options = {"rate": 200.0, "poll": 0.02, **options}
    return Broadcaster(runtime, telegram, render, **options)


async def test_every_subscriber_once_in_their_language_at_the_set_rate(runtime):
    chats = await subscribe(runtime, 60)
    telegram = FakeTelegram(latency=0.002)
    broadcast_id = await start(runtime)
    running = Running(engine(runtime, telegram, rate=100.0))
    await running.until_done(runtime, broadcast_id)
    await running.stop()

    assert sorted(chat for chat, _ in telegram.delivered) == chats
    for chat in chats:
        language = "vi" if chat % 2 else "en"
        assert telegram.received(chat) == [f"{language}:{language}:OTP {language}"]
    starts = [moment for moment, _ in telegram.calls]
    # 100/s: any ten requests in a row span at least a tenth of a second (the pacing is on the
    # start of each request; a little slack for the event loop picking up a task late).
    assert min(b - a for a, b in zip(starts, starts[10:], strict=False)) >= 0.1 - 0.015
    done = await broadcasts.get(runtime.db, broadcast_id)
    assert (done.recipients, done.sent_count, done.blocked_count, done.failed_count) == (
        60, 60, 0, 0,
    )  # fmt: skip
    assert await runtime.db.fetch_value("SELECT count(*) FROM deliveries") == 0
    [notice] = await outbox.claim_due(runtime.db, limit=10, now=T0 + 60)
    assert notice.chat_id == ADMIN and notice.payload == {
        "template": "summary",
        "broadcast_id": broadcast_id,
    }


async def test_retry_after_pauses_every_send_and_loses_nothing(runtime):
    chats = await subscribe(runtime, 30)
    telegram = FakeTelegram()
    telegram.faults[chats[4]] = [RetryAfter(1)]
    broadcast_id = await start(runtime)
    running = Running(engine(runtime, telegram, rate=200.0, max_in_flight=4))
    await running.until_done(runtime, broadcast_id)
    await running.stop()

    refused_at = telegram.calls[4][0]
    after = [moment for moment, _ in telegram.calls[5:]]
    # At most the requests already let through (one per slot in flight, and the next) start
    # before the pause; every later one waits out retry_after.
    assert len(after) == 26 and all(moment >= refused_at + 1.0 for moment in after[5:])
    assert sorted(chat for chat, _ in telegram.delivered) == chats  # each once
    assert running.engine.counters.rate_limited == 1


async def test_blocked_and_vanished_chats_are_unsubscribed(runtime):
    chats = await subscribe(runtime, 6)
    telegram = FakeTelegram()
    telegram.faults[chats[0]] = [Forbidden("Forbidden: bot was blocked by the user")]
    telegram.faults[chats[1]] = [BadRequest("Chat not found")]
    telegram.faults[chats[2]] = [Forbidden("Forbidden: user is deactivated")]
    broadcast_id = await start(runtime)
    running = Running(engine(runtime, telegram))
    await running.until_done(runtime, broadcast_id)
    await running.stop()

    for chat in chats[:3]:
        assert not (await subscribers.get(runtime.db, chat)).active
    for chat in chats[3:]:
        assert (await subscribers.get(runtime.db, chat)).active
        assert len(telegram.received(chat)) == 1
    done = await broadcasts.get(runtime.db, broadcast_id)
    assert (done.sent_count, done.blocked_count) == (3, 3)
    # The next broadcast does not even try them.
    telegram.calls.clear()
    second = await start(runtime)
    running = Running(engine(runtime, telegram))
    await running.until_done(runtime, second)
    await running.stop()
    assert sorted(chat for _, chat in telegram.calls) == chats[3:]


async def test_transient_errors_are_retried_with_backoff_then_given_up(runtime):
    chats = await subscribe(runtime, 4)
    telegram = FakeTelegram()
    telegram.faults[chats[0]] = [NetworkError("Bad Gateway"), TimedOut()]
    telegram.faults[chats[1]] = [NetworkError("Internal Server Error (500)")] * MAX_ATTEMPTS
    broadcast_id = await start(runtime)
    running = Running(engine(runtime, telegram, chat_interval=0.01))
    await asyncio.sleep(0.3)
    assert telegram.received(chats[0]) == []  # waiting for its backoff (10 s on the clock)
    assert len(telegram.received(chats[2])) == 1

    async def time_passes() -> None:
        while True:
            await asyncio.sleep(0.05)
            runtime.clock.now += bot.broadcast.RETRY_CAP

    clock = asyncio.create_task(time_passes())
    await running.until_done(runtime, broadcast_id)
    clock.cancel()
    await running.stop()

    assert len(telegram.received(chats[0])) == 1
    assert telegram.received(chats[1]) == []
    assert sum(chat == chats[1] for _, chat in telegram.calls) == MAX_ATTEMPTS
    done = await broadcasts.get(runtime.db, broadcast_id)
    assert (done.sent_count, done.failed_count) == (3, 1)
    assert (await subscribers.get(runtime.db, chats[1])).active  # a failure is not a block


async def test_a_bulletin_telegram_refuses_stops_the_broadcast(runtime, monkeypatch):
    monkeypatch.setattr(bot.broadcast, "REFUSED_IN_A_ROW", 5)
    chats = await subscribe(runtime, 12)
    telegram = FakeTelegram()
    for chat in chats:
        telegram.faults[chat] = [BadRequest("Can't parse entities: unclosed tag")]
    broadcast_id = await start(runtime)
    running = Running(engine(runtime, telegram, max_in_flight=1))
    await running.until_done(runtime, broadcast_id)
    await running.stop()
    done = await broadcasts.get(runtime.db, broadcast_id)
    assert done.status == "cancelled" and len(telegram.calls) < len(chats)
    notices = await outbox.claim_due(runtime.db, limit=10, now=T0 + 60)
    assert [n.payload["template"] for n in notices] == ["refused"]


async def test_resumes_after_a_crash_without_sending_twice(runtime):
    chats = await subscribe(runtime, 10)
    broadcast_id = await start(runtime)
    rows = await broadcasts.due(runtime.db, broadcast_id, after=None, now=T0, limit=100)
    for row in rows[:4]:  # sent before the crash
        await broadcasts.claim_many(runtime.db, broadcast_id, [row.subscriber_id])
        await broadcasts.record(runtime.db, broadcast_id, row.subscriber_id, "sent", message_id=1)
    for row in rows[4:6]:  # in flight at the crash
        await broadcasts.claim_many(runtime.db, broadcast_id, [row.subscriber_id])

    telegram = FakeTelegram()
    running = Running(engine(runtime, telegram))
    await running.until_done(runtime, broadcast_id)
    await running.stop()
    sent_before = {row.chat_id for row in rows[:4]}
    assert sorted(chat for chat, _ in telegram.delivered) == sorted(set(chats) - sent_before)
    done = await broadcasts.get(runtime.db, broadcast_id)
    assert done.sent_count == 10


async def test_nothing_goes_out_in_quiet_hours(runtime):
    await subscribe(runtime, 3)
    runtime.clock.now = T0 + 14 * 3600 + 30  # 22:00:30
    quiet = QuietHours(21 * 60, 7 * 60, runtime.config.timezone)
    telegram = FakeTelegram()
    broadcast_id = await start(runtime)
    running = Running(engine(runtime, telegram, quiet=quiet))
    await asyncio.sleep(0.3)
    assert telegram.calls == []
    runtime.clock.now = T0 + 23 * 3600  # 07:00 the next morning
    await running.until_done(runtime, broadcast_id)
    await running.stop()
    assert len(telegram.delivered) == 3


async def test_a_broadcast_is_read_in_batches(runtime, monkeypatch):
    await subscribe(runtime, 45)
    limits, sizes = [], []
    read = broadcasts.due

    async def spy(*args, **kwargs):
        found = await read(*args, **kwargs)
        limits.append(kwargs["limit"])
        sizes.append(len(found))
        return found

    monkeypatch.setattr(broadcasts, "due", spy)
    broadcast_id = await start(runtime)
    telegram = FakeTelegram()
    running = Running(engine(runtime, telegram, batch=7))
    await running.until_done(runtime, broadcast_id)
    await running.stop()
    assert set(limits) == {7} and max(sizes) == 7 and sum(sizes) == 45
    assert len(telegram.delivered) == 45


async def test_one_chat_gets_at_most_one_message_per_interval(runtime):
    [chat] = await subscribe(runtime, 1)
    first, second = await start(runtime), await start(runtime)
    telegram = FakeTelegram()
    running = Running(engine(runtime, telegram, chat_interval=0.3))
    await running.until_done(runtime, second)
    await running.stop()
    assert (await broadcasts.get(runtime.db, first)).status == "done"
    (one, _), (two, _) = telegram.calls
    assert two - one >= 0.3 and len(telegram.received(chat)) == 2


async def test_cancel_and_unsubscribe_midway_stop_those_sends(runtime):
    chats = await subscribe(runtime, 40)
    telegram = FakeTelegram()
    broadcast_id = await start(runtime)

    def interfere(calls: int) -> None:
        if calls == 5:
            asyncio.get_running_loop().create_task(subscribers.unsubscribe(runtime.db, chats[-1]))
        if calls == 20:
            asyncio.get_running_loop().create_task(
                services.cancel_broadcast(runtime, ADMIN, broadcast_id)
            )

    telegram.on_call = interfere
    running = Running(engine(runtime, telegram, rate=100.0, max_in_flight=2))
    await running.until_done(runtime, broadcast_id)
    await asyncio.sleep(0.1)
    await running.stop()
    assert 20 <= len(telegram.calls) <= 24
    assert chats[-1] not in {chat for _, chat in telegram.calls}
    done = await broadcasts.get(runtime.db, broadcast_id)
    assert done.status == "cancelled" and done.sent_count >= 20


async def test_the_channel_gets_each_bulletin_once(tmp_path, runtime):
    env = {
        "TIPBOT_TOKEN": "1:abc",
        "TIPBOT_DATA_DIR": str(tmp_path),
        "TIPBOT_QUIET_HOURS": "off",
        "TIPBOT_CHANNEL_ID": "@tipbot_news",
    }
    runtime.config = load_config(env)
    await subscribe(runtime, 2)
    telegram = FakeTelegram()
    telegram.faults["@tipbot_news"] = [RetryAfter(1)]
    first = await start(runtime)
    running = Running(engine(runtime, telegram))
    await running.until_done(runtime, first)
    second = await start(runtime)
    await running.until_done(runtime, second)
    await running.stop()
    assert telegram.received("@tipbot_news") == ["channel:vi:OTP vi"]
    post = await broadcasts.channel_post_of(runtime.db, first)
    assert post.status == "sent" and post.message_id is not None  # after the 429's pause
    assert await broadcasts.channel_post_of(runtime.db, second) is None


# Batched writes: rows claimed a few at a time, messages that went out recorded together ---------


async def test_a_stop_records_what_went_out_and_releases_the_rest(runtime, monkeypatch):
    monkeypatch.setattr(bot.broadcast, "FLUSH_ROWS", 1000)  # nothing recorded until the stop
    monkeypatch.setattr(bot.broadcast, "FLUSH_SECONDS", 60)
    chats = await subscribe(runtime, 40)
    telegram = FakeTelegram(latency=0.005)
    broadcast_id = await start(runtime)
    running = Running(engine(runtime, telegram, rate=100.0, max_in_flight=3))
    while len(telegram.delivered) < 12:
        await asyncio.sleep(0.01)
    assert "sent" not in await broadcasts.progress(runtime.db, broadcast_id)
    await running.stop()

    statuses = await broadcasts.progress(runtime.db, broadcast_id)
    assert "sending" not in statuses  # sent ones recorded, claimed ones released
    assert statuses["sent"] == len(telegram.delivered) >= 12
    running = Running(engine(runtime, telegram))
    await running.until_done(runtime, broadcast_id)
    await running.stop()
    assert sorted(chat for chat, _ in telegram.delivered) == chats  # each once


async def test_a_crash_before_the_record_resends_only_those_messages(
    runtime, monkeypatch, tmp_path
):
    """The process dies (here: a copy of what the database had committed at that moment)
    between sends and their record. The restarted engine sends the rest, and again only what
    was in flight or sent but not yet recorded: at most a flush's worth and the calls in flight."""
    flush_rows, in_flight = 10, 4
    monkeypatch.setattr(bot.broadcast, "FLUSH_ROWS", flush_rows)
    monkeypatch.setattr(bot.broadcast, "FLUSH_SECONDS", 60)
    chats = await subscribe(runtime, 60)
    broadcast_id = await start(runtime)
    at_crash = tmp_path / "at_the_crash.sqlite3"
    started, delivered = set(), set()

    def crash(calls: int) -> None:
        if calls == 25:
            started.update(chat for _, chat in telegram.calls)
            delivered.update(chat for chat, _ in telegram.delivered)
            with (
                contextlib.closing(sqlite3.connect(tmp_path / "tipbot.sqlite3")) as source,
                contextlib.closing(sqlite3.connect(at_crash)) as copy,
            ):
                source.backup(copy)

    telegram = FakeTelegram(latency=0.003)
    telegram.on_call = crash
    running = Running(engine(runtime, telegram, rate=500.0, max_in_flight=in_flight))
    await running.until_done(runtime, broadcast_id)
    await running.stop()

    db = await Database.open(at_crash)
    try:
        sending = {
            row[0]
            for row in await db.fetch_all(
                """SELECT s.chat_id FROM deliveries AS d JOIN subscribers AS s
                   ON s.id = d.subscriber_id WHERE d.status = 'sending'"""
            )
        }
        assert delivered & sending  # sent, not yet recorded: the case at hand
        restarted = dataclasses.replace(runtime, db=db)
        again = FakeTelegram()
        running = Running(engine(restarted, again))
        await running.until_done(restarted, broadcast_id)
        await running.stop()
    finally:
        await db.close()
    resent = [chat for chat, _ in again.delivered]
    assert len(resent) == len(set(resent))
    assert started | set(resent) == set(chats)
    twice = started & set(resent)
    assert twice <= sending and len(twice) <= flush_rows + in_flight


async def test_a_record_the_database_refused_is_written_later(runtime, monkeypatch):
    monkeypatch.setattr(bot.broadcast, "FLUSH_RETRY", 0.05)
    chats = await subscribe(runtime, 20)
    record_sent, refused = broadcasts.record_sent, []

    async def flaky(db, rows):
        if not refused:
            refused.append(len(rows))
            raise sqlite3.OperationalError("disk I/O error")
        await record_sent(db, rows)

    monkeypatch.setattr(broadcasts, "record_sent", flaky)
    telegram = FakeTelegram()
    broadcast_id = await start(runtime)
    running = Running(engine(runtime, telegram))
    await running.until_done(runtime, broadcast_id)
    await running.stop()
    assert refused and sorted(chat for chat, _ in telegram.delivered) == chats
    assert (await broadcasts.get(runtime.db, broadcast_id)).sent_count == 20


async def test_the_bots_own_messages_come_first(runtime):
    """While residents and officers use the whole sending budget, no bulletin goes out; once
    they leave room, the broadcast takes what is left, never more than its own rate."""
    chats = await subscribe(runtime, 20)
    loop = asyncio.get_running_loop()
    skipped = 0.0  # the budget's clock runs ahead by this much: its window empties at once
    budget = SendBudget(30, clock=lambda: loop.time() + skipped)
    for _ in range(60):  # 60 in the window: the whole 30 a second
        budget.note_sent()
    quiet_from = loop.time() + 0.5

    async def the_application_falls_quiet() -> None:
        nonlocal skipped
        await asyncio.sleep(0.5)
        skipped = WINDOW

    telegram = FakeTelegram()
    falling_quiet = asyncio.create_task(the_application_falls_quiet())
    broadcast_id = await start(runtime)
    running = Running(engine(runtime, telegram, rate=200.0, budget=budget))
    await running.until_done(runtime, broadcast_id)
    await running.stop()
    await falling_quiet

    assert sorted(chat for chat, _ in telegram.delivered) == chats
    assert min(moment for moment, _ in telegram.calls) >= quiet_from
    # What was left was the whole 30 a second, not the engine's own 200.
    starts = [moment for moment, _ in telegram.calls]
    assert starts[-1] - starts[0] >= (len(starts) - 1) / 30 - 0.02


async def test_admin_bulletins_get_unique_slugs_never_a_topic(runtime):
    composed = Composed(None, "Fire", "Body", "en")
    with pytest.raises(ComposeError, match="topic"):
        await services.save_bulletin(runtime, ADMIN, composed, language="en", topic=None)
    first = await services.save_bulletin(runtime, ADMIN, composed, language="en", topic="fire")
    second = await services.save_bulletin(runtime, ADMIN, composed, language="en", topic="fire")
    assert (first.slug, second.slug) == ("fire-2", "fire-3")
    target = await services.resolve_target(runtime, "fire")
    assert (target.topic, target.slug) == ("fire", None)
    assert (await services.resolve_target(runtime, "fire-2")).slug == "fire-2"
    with pytest.raises(ComposeError, match="unknown_slug"):
        await services.save_bulletin(
            runtime, ADMIN, Composed("nope", "T", "B", "vi"), language="vi", topic=None
        )
