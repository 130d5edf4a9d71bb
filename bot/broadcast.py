"""The broadcast engine: every broadcast's delivery rows go out at Telegram's pace, exactly once.

- Streamed: a broadcast's due rows are read in batches, in subscriber order after the last one
  read, so memory does not grow with the number of subscribers.
- Paced by itself, inside the bot's one sending budget (bot/send_budget.py): requests start
  evenly at ``rate`` per second at most (TIPBOT_BROADCAST_RATE, by default one below Telegram's
  overall limit), less whatever the application itself sent lately, so replies to residents and
  tip alerts are never held back by a bulletin; at most one message a second goes to one chat.
- Its own HTTP client, without PTB's AIORateLimiter: that one retries a 429 on its own and, in
  22.8, a concurrent request can end its pause early (PTB issue #5338). Here a 429 pauses every
  send of the engine for ``retry_after``; the message goes back to the queue, never dropped.
- Forbidden (the user blocked the bot) and "chat not found" deactivate the subscriber. Transient
  errors (5xx, network, timeouts) are retried with backoff; other 400s fail that one delivery
  (each error read by bot/telegram_errors.py, as every sender reads them).
- Cheap per message, so that it is never the bottleneck, even at Telegram's paid rate of 1,000
  a second: rows are claimed a few at a time (what goes out in the next ``CLAIM_AHEAD`` seconds,
  one statement), and the messages that went out are recorded together, one transaction every
  ``FLUSH_ROWS`` messages or ``FLUSH_SECONDS``, whichever comes first, and always before a 429's
  pause, at the end of a pass and before the engine stops. A broadcast is finished only once every
  row is recorded.
- Crash-safe: rows are marked 'sending' before their calls. At start, rows still 'sending' were
  claimed, in flight or sent but not yet recorded at a crash, and are queued again. Only the
  last two kinds can arrive twice, and they are few: the calls in flight (``max_in_flight`` at
  most) and the messages of the last ``FLUSH_SECONDS`` (``FLUSH_ROWS`` or so): at most about
  160 at 1,000 a second, a handful at 29. Claimed rows the engine does not send after all (it
  stops, quiet hours begin, the bulletin is refused) are released at once.
- Cancelling a broadcast or unsubscribing stops the sends not yet claimed: the few claimed or in
  flight still go out (at 29 a second, the one claimed and those in flight).
- Quiet hours: nothing goes out in them; a broadcast under way pauses and resumes when they end.

Times for retries and quiet hours come from ``runtime.now()`` (tests move that clock); the pacing
within a second uses the event loop's monotonic clock.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable, Coroutine
from dataclasses import dataclass
from typing import Any, cast

from telegram import Bot, LinkPreviewOptions
from telegram.constants import ParseMode
from telegram.error import RetryAfter, TelegramError

from bot import bulletins as services
from bot.aiohttp_request import AiohttpRequest
from bot.config import Config
from bot.i18n import LANGUAGES
from bot.quiet_hours import QuietHours
from bot.runtime import Runtime
from bot.send_budget import FREE_RATE, SendBudget, retry_after_seconds
from bot.telegram_errors import Verdict, backoff_seconds, classify
from storage import broadcasts, subscribers
from storage import bulletins as store
from storage.broadcasts import Broadcast, ChannelPost, Delivery

log = logging.getLogger(__name__)

# render(bulletin, language, channel=bool) -> (text, reply markup): how a bulletin looks to a
# subscriber of that language, or in the channel. The views (handlers/) provide it.
Render = Callable[..., tuple[str, object]]
Send = Callable[[int | str, str, object], Awaitable[int]]

BATCH = 200
CLAIM_AHEAD = 0.025  # seconds of sending claimed in one statement (at least one row)
CLAIM_MAX = 32
MIN_RATE = 0.5  # messages a second below which the engine waits for the budget instead
BUDGET_WAIT = 0.1  # seconds between two looks at the budget when it has no room
CATCH_UP = 0.01  # seconds a late request may be made up for (at least one interval)
FLUSH_ROWS = 50  # messages sent are recorded in one transaction this many at a time ...
FLUSH_SECONDS = 0.05  # ... or this long after the first of them, whichever comes first
FLUSH_RETRY = 1.0  # seconds before recording again when the database refused
MAX_ATTEMPTS = 5
RETRY_BASE = 10  # seconds before the second attempt; doubles each time (backoff_seconds) ...
RETRY_CAP = 600  # ... up to this
CHAT_INTERVAL = 1.05  # seconds between two messages to one chat
REFUSED_IN_A_ROW = 20  # Telegram refused the bulletin itself this often: stop the broadcast


class TelegramSender:
    """Sends through a Bot of its own: its own connections (on aiohttp, see bot/aiohttp_request.py:
    PTB's default transport would cost the engine 2 ms of CPU a message) and no rate limiter."""

    def __init__(self, config: Config, *, connections: int) -> None:
        # A broadcast faster than Telegram's free 30 a second must ask for the paid rate on each
        # message (Telegram charges Stars for it): the operator opted in by raising
        # TIPBOT_MAX_MESSAGES_PER_SECOND, and with it the broadcast's rate.
        self.paid = config.broadcast_rate > FREE_RATE
        self.request = AiohttpRequest(connections=connections)
        self.bot = Bot(
            config.token,
            base_url=config.api_url,
            base_file_url=config.file_url,
            request=self.request,
        )

    async def __call__(self, chat_id: int | str, text: str, markup) -> int:
        message = await self.bot.send_message(
            chat_id,
            text,
            parse_mode=ParseMode.HTML,
            reply_markup=markup,
            link_preview_options=LinkPreviewOptions(is_disabled=True),
            allow_paid_broadcast=self.paid or None,
        )
        return message.message_id

    async def close(self) -> None:
        # Bot.shutdown() does nothing for a Bot never initialize()d (that would call getMe).
        await self.request.shutdown()


@dataclass
class Counters:
    sent: int = 0
    blocked: int = 0
    failed: int = 0
    retried: int = 0
    rate_limited: int = 0  # 429s answered: each paused the engine


class _Stopping(Exception):
    pass


class Broadcaster:
    def __init__(
        self,
        runtime: Runtime,
        send: Send,
        render: Render,
        *,
        rate: float,
        budget: SendBudget | None = None,
        quiet: QuietHours | None = None,
        chat_interval: float = CHAT_INTERVAL,
        max_in_flight: int | None = None,
        batch: int = BATCH,
        poll: float = 1.0,
    ) -> None:
        self.runtime, self.send, self.render = runtime, send, render
        self.rate, self.interval = rate, 1.0 / rate
        self.budget = budget  # None: the engine has Telegram to itself (benchmarks, tests)
        self.quiet, self.chat_interval, self.batch, self.poll = quiet, chat_interval, batch, poll
        self.max_in_flight = max_in_flight or in_flight_for(rate)
        self.claim_size = max(1, min(CLAIM_MAX, int(rate * CLAIM_AHEAD)))
        self.catch_up = max(self.interval, CATCH_UP)
        self.counters = Counters()
        self._slots = asyncio.Semaphore(self.max_in_flight)
        self._tasks: set[asyncio.Task] = set()
        self._wake = asyncio.Event()
        self._stopping = False
        self._next_slot = 0.0
        self._paused_until = 0.0
        self._recent: dict[int | str, float] = {}  # chat -> when it last got a message
        self._recent_limit = 4 * self.max_in_flight + 100  # trimmed when it grows past this
        self._unrecorded: list[tuple[int, int, int]] = []  # (broadcast, subscriber, message id)
        self._flush_lock = asyncio.Lock()
        self._flush_timer: asyncio.TimerHandle | None = None
        self._flushes: set[asyncio.Task] = set()
        self._refused = 0
        self._waiting_logged = False

    # --- lifecycle ---------------------------------------------------------------------------

    def wake(self) -> None:
        """A broadcast was created: look now rather than at the next poll."""
        self._wake.set()

    def stop(self) -> None:
        self._stopping = True
        self._wake.set()

    async def run(self) -> None:
        """Until stop(): resumes what a crash left, then sends whatever is due."""
        requeued = await broadcasts.requeue_in_flight(self.runtime.db)
        if requeued:
            log.warning("event=broadcast_resumed in_flight_requeued=%d", requeued)
        try:
            while not self._stopping:
                try:
                    worked = await self._turn()
                except _Stopping:
                    break
                except Exception:
                    log.exception("event=broadcast_loop_failed")
                    worked = False
                if not worked:
                    self._wake.clear()
                    with contextlib.suppress(TimeoutError):
                        await asyncio.wait_for(self._wake.wait(), self.poll)
        finally:
            await self._drain()
            if self._flush_timer is not None:  # the database refused the last flush: no more
                self._flush_timer.cancel()
                self._flush_timer = None

    # --- one turn: finish what is done, send what is due ------------------------------------

    async def _turn(self) -> bool:
        for done in await broadcasts.finishable(self.runtime.db):
            await self._finish(done)
        if self._quiet():
            return False
        broadcast = await broadcasts.next_with_work(self.runtime.db, now=self.runtime.now())
        if broadcast is None:
            return False
        await self._sweep(broadcast)
        return True

    def _quiet(self) -> bool:
        now = self.runtime.now()
        if self.quiet is None or not self.quiet.contains(now):
            self._waiting_logged = False
            return False
        if not self._waiting_logged:
            self._waiting_logged = True
            log.info("event=broadcast_quiet_hours until=%d", self.quiet.ends_at(now))
        return True

    async def _sweep(self, broadcast: Broadcast) -> None:
        """One pass over the broadcast's due rows (the channel post first)."""
        db = self.runtime.db
        texts = await self._texts(broadcast)
        if texts is None:
            return
        await broadcasts.mark_started(db, broadcast.id, now=self.runtime.now())
        await self._post_to_channel(broadcast)
        after = None
        try:
            while not self._stopping:
                batch = await broadcasts.due(
                    db, broadcast.id, after=after, now=self.runtime.now(), limit=self.batch
                )
                if not batch:
                    return
                for start in range(0, len(batch), self.claim_size):
                    if self._stopping or self._quiet():
                        return
                    if self._refused >= REFUSED_IN_A_ROW:
                        await self._drain()
                        await self._give_up(broadcast)
                        return
                    chunk = batch[start : start + self.claim_size]
                    after = chunk[-1].subscriber_id
                    claimed = await broadcasts.claim_many(
                        db, broadcast.id, [delivery.subscriber_id for delivery in chunk]
                    )  # the others: unsubscribed or cancelled meanwhile
                    await self._send_claimed(
                        broadcast, [d for d in chunk if d.subscriber_id in claimed], texts
                    )
        finally:
            await self._drain()

    async def _send_claimed(
        self, broadcast: Broadcast, claimed: list[Delivery], texts: dict[str, tuple[str, object]]
    ) -> None:
        """Each claimed row at its turn; those not launched (a stop, quiet hours, the bulletin
        refused) are released, so the next pass or a restart finds them 'pending'."""
        launched = 0
        try:
            for delivery in claimed:
                if self._stopping or self._quiet() or self._refused >= REFUSED_IN_A_ROW:
                    return
                await self._pace(delivery.chat_id)
                await self._launch(self._deliver(broadcast, delivery, texts))
                launched += 1
        finally:
            if launched < len(claimed):
                await broadcasts.release(
                    self.runtime.db, broadcast.id, [d.subscriber_id for d in claimed[launched:]]
                )

    async def _texts(self, broadcast: Broadcast) -> dict[str, tuple[str, object]] | None:
        """The bulletin rendered once per language; a language it lacks gets the other one."""
        versions = await store.languages_of(self.runtime.db, broadcast.slug)
        if not versions:
            log.error("event=broadcast_without_bulletin broadcast=%d", broadcast.id)
            await services.cancel_broadcast(self.runtime, None, broadcast.id)
            return None
        fallback = versions.get(self.runtime.config.default_language) or next(
            iter(versions.values())
        )
        texts = {}
        for language in LANGUAGES:
            bulletin = versions.get(language, fallback)
            texts[language] = self.render(bulletin, language, channel=False)
        return texts

    # --- pacing ------------------------------------------------------------------------------

    async def _pace(self, chat: int | str) -> None:
        """Waits for this request's turn: the overall rate, a 429's pause, the chat's own pace."""
        loop = asyncio.get_running_loop()
        while True:
            now = loop.time()
            interval = self._interval_now()
            if interval is None:  # residents and officers use the whole budget: wait a little
                await asyncio.sleep(BUDGET_WAIT)
                if self._stopping:
                    raise _Stopping
                continue
            ready = max(
                self._next_slot,
                self._paused_until,
                self._recent.get(chat, -self.chat_interval) + self.chat_interval,
            )
            if ready <= now:
                break
            await asyncio.sleep(min(ready - now, 0.25))  # short naps: a stop is noticed soon
            if self._stopping:
                raise _Stopping
        # Requests that start late (the event loop was busy with answers) let the next ones
        # start sooner, up to ``catch_up`` seconds behind: at 1,000 a second the loop often
        # wakes a millisecond or two late, and starting afresh from `now` each time cost a
        # quarter of the rate. Any n requests in a row still span (n - 1) intervals less that.
        late = now - self._next_slot
        self._next_slot = (self._next_slot if late <= self.catch_up else now) + interval
        self._recent[chat] = now
        if len(self._recent) > self._recent_limit:
            self._recent = {c: t for c, t in self._recent.items() if now - t < self.chat_interval}
            # At 1,000 a second a thousand chats are recent at any time: trim when the dict has
            # doubled, not at every call.
            self._recent_limit = 2 * len(self._recent) + 4 * self.max_in_flight + 100

    def _interval_now(self) -> float | None:
        """Seconds between two requests at the rate the budget leaves now; None: none now."""
        if self.budget is None:
            return self.interval
        rate = self.budget.broadcast_rate(self.rate)
        return 1.0 / rate if rate >= min(MIN_RATE, self.rate) and rate > 0 else None

    def _pause(self, error: RetryAfter) -> None:
        seconds = retry_after_seconds(error)
        loop = asyncio.get_running_loop()
        self._paused_until = max(self._paused_until, loop.time() + seconds + 0.1)
        self.counters.rate_limited += 1
        log.warning("event=broadcast_rate_limited retry_after=%s", seconds)

    async def _launch(self, work: Coroutine[Any, Any, None]) -> None:
        await self._slots.acquire()
        task = asyncio.create_task(work)
        self._tasks.add(task)
        task.add_done_callback(self._done)

    def _done(self, task: asyncio.Task) -> None:
        self._tasks.discard(task)
        self._slots.release()
        if not task.cancelled() and task.exception() is not None:
            log.error("event=broadcast_delivery_crashed", exc_info=task.exception())

    async def _drain(self) -> None:
        """Waits for every call in flight, then records what went out."""
        if self._tasks:
            await asyncio.gather(*list(self._tasks), return_exceptions=True)
        await self._flush()

    # --- recording what went out, in batches -------------------------------------------------

    async def _record_sent(self, broadcast_id: int, subscriber_id: int, message_id: int) -> None:
        self._unrecorded.append((broadcast_id, subscriber_id, message_id))
        if len(self._unrecorded) >= FLUSH_ROWS:
            await self._flush()
        elif self._flush_timer is None:
            self._flush_timer = asyncio.get_running_loop().call_later(
                FLUSH_SECONDS, self._flush_soon
            )

    def _flush_soon(self) -> None:
        self._flush_timer = None
        task = asyncio.create_task(self._flush())
        self._flushes.add(task)
        task.add_done_callback(self._flushes.discard)

    async def _flush(self) -> None:
        """The messages sent since the last flush, 'sent' in one transaction. If the database
        refuses, they are kept and tried again: until then their rows stay 'sending', and the
        broadcast does not finish."""
        async with self._flush_lock:
            if self._flush_timer is not None:
                self._flush_timer.cancel()
                self._flush_timer = None
            rows, self._unrecorded = self._unrecorded, []
            if not rows:
                return
            try:
                await broadcasts.record_sent(self.runtime.db, rows)
            except BaseException as error:
                # Kept for the next flush, even when cancelled: recording a row twice is harmless
                # (only rows still 'sending' change), losing one would leave it 'sending'.
                self._unrecorded[:0] = rows
                if not isinstance(error, Exception):
                    raise
                log.exception("event=broadcast_record_failed rows=%d", len(rows))
                self._flush_timer = asyncio.get_running_loop().call_later(
                    FLUSH_RETRY, self._flush_soon
                )

    # --- one delivery ------------------------------------------------------------------------

    async def _deliver(
        self, broadcast: Broadcast, delivery: Delivery, texts: dict[str, tuple[str, object]]
    ) -> None:
        db, now = self.runtime.db, self.runtime.now()
        text, markup = texts.get(delivery.language) or texts[self.runtime.config.default_language]
        record = broadcasts.record
        try:
            message_id = await self.send(delivery.chat_id, text, markup)
        except TelegramError as error:
            verdict = classify(error)
            if verdict is Verdict.WAIT:
                self._pause(cast(RetryAfter, error))
                await self._flush()
                await record(
                    db, broadcast.id, delivery.subscriber_id, "pending",
                    error="retry_after", retry_at=now, count_attempt=False,
                )  # fmt: skip
            elif verdict is Verdict.GONE:
                await self._gone(broadcast, delivery, error.message)
            elif verdict in (Verdict.REFUSED, Verdict.UNCHANGED, Verdict.MOVED):
                # (MOVED: only a group is ever upgraded, and subscribers are private chats)
                self._refused += 1
                self.counters.failed += 1
                await record(
                    db, broadcast.id, delivery.subscriber_id, "failed", error=error.message
                )
                log.warning("event=broadcast_refused broadcast=%d error=%s", broadcast.id, error)
            else:  # 5xx, network, timeouts: try again later
                await self._retry(broadcast, delivery, error)
        except Exception as error:  # not Telegram's: try again later
            await self._retry(broadcast, delivery, error)
        else:
            self._refused = 0
            self.counters.sent += 1
            await self._record_sent(broadcast.id, delivery.subscriber_id, message_id)

    async def _gone(self, broadcast: Broadcast, delivery: Delivery, reason: str) -> None:
        db = self.runtime.db
        async with db.transaction():
            await broadcasts.record(
                db, broadcast.id, delivery.subscriber_id, "blocked", error=reason
            )
            await subscribers.deactivate(db, delivery.subscriber_id)
        self.counters.blocked += 1

    async def _retry(self, broadcast: Broadcast, delivery: Delivery, error: Exception) -> None:
        attempts = delivery.attempts + 1
        name = type(error).__name__
        if attempts >= MAX_ATTEMPTS:
            self.counters.failed += 1
            status, retry_at = "failed", None
        else:
            self.counters.retried += 1
            status = "pending"
            retry_in = backoff_seconds(attempts, base=RETRY_BASE, cap=RETRY_CAP)
            retry_at = self.runtime.now() + retry_in
        await broadcasts.record(
            self.runtime.db, broadcast.id, delivery.subscriber_id, status,
            error=f"{name}: {error}", retry_at=retry_at,
        )  # fmt: skip
        log.info(
            "event=broadcast_retry broadcast=%d error=%s status=%s", broadcast.id, name, status
        )

    # --- the channel -------------------------------------------------------------------------

    async def _post_to_channel(self, broadcast: Broadcast) -> None:
        db, channel = self.runtime.db, self.runtime.config.channel_id
        post = await broadcasts.channel_post_of(db, broadcast.id)
        if channel is None or post is None or post.channel != str(channel):
            return
        now = self.runtime.now()
        if not await broadcasts.claim_channel_post(db, post.slug, post.channel, now=now):
            return
        versions = await store.languages_of(db, broadcast.slug)
        language = self.runtime.config.default_language
        bulletin = versions.get(language) or next(iter(versions.values()))
        text, markup = self.render(bulletin, language, channel=True)
        await self._pace(channel)
        record = broadcasts.record_channel_post
        try:
            message_id = await self.send(channel, text, markup)
        except TelegramError as error:
            verdict = classify(error)
            if verdict is Verdict.WAIT:
                self._pause(cast(RetryAfter, error))
                await record(db, post.slug, post.channel, "pending", retry_at=self.runtime.now(),
                             count_attempt=False)  # fmt: skip
            elif verdict is Verdict.RETRY:
                await self._retry_channel_post(post, error)
            else:
                await record(db, post.slug, post.channel, "failed", error=error.message)
                log.error("event=channel_post_refused error=%s", error.message)
        except Exception as error:  # not Telegram's: try again later
            await self._retry_channel_post(post, error)
        else:
            await record(db, post.slug, post.channel, "sent", message_id=message_id)

    async def _retry_channel_post(self, post: ChannelPost, error: Exception) -> None:
        attempts = post.attempts + 1
        give_up = attempts >= MAX_ATTEMPTS
        retry_in = backoff_seconds(attempts, base=RETRY_BASE, cap=RETRY_CAP)
        await broadcasts.record_channel_post(
            self.runtime.db, post.slug, post.channel, "failed" if give_up else "pending",
            error=type(error).__name__,
            retry_at=None if give_up else self.runtime.now() + retry_in,
        )  # fmt: skip

    # --- the end of a broadcast --------------------------------------------------------------

    async def _finish(self, broadcast: Broadcast) -> None:
        db = self.runtime.db
        async with db.transaction():
            if not await broadcasts.complete(db, broadcast.id, now=self.runtime.now()):
                return
            await services.notify_admin(
                self.runtime, broadcast.created_by, f"summary:{broadcast.id}",
                template="summary", broadcast_id=broadcast.id,
            )  # fmt: skip
        self.runtime.wake_outbox()
        done = await broadcasts.get(db, broadcast.id)
        if done is not None:  # (None: deleted meanwhile, nothing to count)
            log.info(
                "event=broadcast_done broadcast=%d sent=%s blocked=%s failed=%s",
                broadcast.id,
                done.sent_count,
                done.blocked_count,
                done.failed_count,
            )

    async def _give_up(self, broadcast: Broadcast) -> None:
        """Telegram refuses the bulletin itself (its HTML, its length): stop before every
        subscriber has been tried, and tell the admin."""
        self._refused = 0
        async with self.runtime.db.transaction():
            await services.cancel_broadcast(self.runtime, None, broadcast.id)
            await services.notify_admin(
                self.runtime, broadcast.created_by, f"refused:{broadcast.id}",
                template="refused", broadcast_id=broadcast.id,
            )  # fmt: skip
        self.runtime.wake_outbox()
        log.error("event=broadcast_stopped_refused broadcast=%d", broadcast.id)


def engine_for(
    runtime: Runtime, render: Render, *, quiet: QuietHours | None
) -> tuple[Broadcaster, TelegramSender]:
    """The engine and its sender as the bot runs them, from its settings (bench/broadcast.py
    builds them the same way, so its figures follow any change here)."""
    config = runtime.config
    in_flight = in_flight_for(config.broadcast_rate)
    sender = TelegramSender(config, connections=in_flight + 2)
    engine = Broadcaster(
        runtime,
        sender,
        render,
        rate=config.broadcast_rate,
        budget=runtime.send_budget,
        quiet=quiet,
        max_in_flight=in_flight,
    )
    return engine, sender


def in_flight_for(rate: float) -> int:
    """Requests in flight at once: enough to keep ``rate`` going over a slow connection."""
    return max(8, min(64, int(rate)))
