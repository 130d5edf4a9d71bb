"""The broadcast engine: every broadcast's delivery rows go out at Telegram's pace, exactly once.

- Streamed: a broadcast's due rows are read in batches, in subscriber order after the last one
  read, so memory does not grow with the number of subscribers.
- Paced by itself: requests start evenly at ``rate`` per second overall (default 25 of Telegram's
  ~30, which leaves room for replies and tip alerts sent meanwhile), and at most one message a
  second goes to one chat.
- Its own HTTP client, without PTB's AIORateLimiter: that one retries a 429 on its own and, in
  22.8, a concurrent request can end its pause early (PTB issue #5338). Here a 429 pauses every
  send of the engine for ``retry_after``; the message goes back to the queue, never dropped.
- Forbidden (the user blocked the bot) and "chat not found" deactivate the subscriber. Transient
  errors (5xx, network, timeouts) are retried with backoff; other 400s fail that one delivery.
- Crash-safe: a row is marked 'sending' before the call. At start, rows still 'sending' were in
  flight at a crash and are queued again: only those few can arrive twice.
- Quiet hours: nothing goes out in them; a broadcast under way pauses and resumes when they end.

Times for retries and quiet hours come from ``runtime.now()`` (tests move that clock); the pacing
within a second uses the event loop's monotonic clock.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from telegram import Bot, LinkPreviewOptions
from telegram.constants import ParseMode
from telegram.error import BadRequest, Forbidden, RetryAfter
from telegram.request import HTTPXRequest

from bot import bulletins as services
from bot.config import Config
from bot.i18n import LANGUAGES
from bot.quiet_hours import QuietHours
from bot.runtime import Runtime
from storage import broadcasts, subscribers
from storage import bulletins as store
from storage.broadcasts import Broadcast, Delivery

log = logging.getLogger(__name__)

# render(bulletin, language, channel=bool) -> (text, reply markup): how a bulletin looks to a
# subscriber of that language, or in the channel. The views (handlers/) provide it.
Render = Callable[..., tuple[str, object]]
Send = Callable[[int | str, str, object], Awaitable[int]]

BATCH = 200
MAX_ATTEMPTS = 5
RETRY_BASE = 10  # seconds before the second attempt; doubles each time
RETRY_CAP = 600
CHAT_INTERVAL = 1.05  # seconds between two messages to one chat
REFUSED_IN_A_ROW = 20  # Telegram refused the bulletin itself this often: stop the broadcast
# What Telegram says about a chat the bot can no longer write to (beside 403 Forbidden).
GONE = ("chat not found", "user is deactivated", "bot was blocked", "peer_id_invalid")


class TelegramSender:
    """Sends through a Bot of its own: its own connection pool and no PTB rate limiter."""

    def __init__(self, config: Config, *, connections: int) -> None:
        request = HTTPXRequest(
            connection_pool_size=connections,
            connect_timeout=10,
            read_timeout=15,
            write_timeout=15,
            pool_timeout=10,
        )
        self.bot = Bot(
            config.token,
            base_url=config.api_url,
            base_file_url=config.file_url,
            request=request,
        )

    async def __call__(self, chat_id: int | str, text: str, markup) -> int:
        message = await self.bot.send_message(
            chat_id,
            text,
            parse_mode=ParseMode.HTML,
            reply_markup=markup,
            link_preview_options=LinkPreviewOptions(is_disabled=True),
        )
        return message.message_id

    async def close(self) -> None:
        await self.bot.shutdown()


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
        quiet: QuietHours | None = None,
        chat_interval: float = CHAT_INTERVAL,
        max_in_flight: int | None = None,
        batch: int = BATCH,
        poll: float = 1.0,
    ) -> None:
        self.runtime, self.send, self.render = runtime, send, render
        self.interval = 1.0 / rate
        self.quiet, self.chat_interval, self.batch, self.poll = quiet, chat_interval, batch, poll
        self.max_in_flight = max_in_flight or in_flight_for(rate)
        self.counters = Counters()
        self._slots = asyncio.Semaphore(self.max_in_flight)
        self._tasks: set[asyncio.Task] = set()
        self._wake = asyncio.Event()
        self._stopping = False
        self._next_slot = 0.0
        self._paused_until = 0.0
        self._recent: dict[int | str, float] = {}  # chat -> when it last got a message
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
                for delivery in batch:
                    if self._stopping or self._quiet():
                        return
                    if self._refused >= REFUSED_IN_A_ROW:
                        await self._drain()
                        await self._give_up(broadcast)
                        return
                    after = delivery.subscriber_id
                    if not await broadcasts.claim(db, broadcast.id, delivery.subscriber_id):
                        continue  # unsubscribed or cancelled meanwhile
                    await self._pace(delivery.chat_id)
                    await self._launch(self._deliver(broadcast, delivery, texts))
        finally:
            await self._drain()

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
        self._next_slot = max(self._next_slot, now) + self.interval
        self._recent[chat] = now
        if len(self._recent) > 4 * self.max_in_flight + 100:
            self._recent = {c: t for c, t in self._recent.items() if now - t < self.chat_interval}

    def _pause(self, error: RetryAfter) -> None:
        seconds = _seconds(error)
        loop = asyncio.get_running_loop()
        self._paused_until = max(self._paused_until, loop.time() + seconds + 0.1)
        self.counters.rate_limited += 1
        log.warning("event=broadcast_rate_limited retry_after=%s", seconds)

    async def _launch(self, work: Awaitable[None]) -> None:
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
        if self._tasks:
            await asyncio.gather(*list(self._tasks), return_exceptions=True)

    # --- one delivery ------------------------------------------------------------------------

    async def _deliver(
        self, broadcast: Broadcast, delivery: Delivery, texts: dict[str, tuple[str, object]]
    ) -> None:
        db, now = self.runtime.db, self.runtime.now()
        text, markup = texts.get(delivery.language) or texts[self.runtime.config.default_language]
        record = broadcasts.record
        try:
            message_id = await self.send(delivery.chat_id, text, markup)
        except RetryAfter as error:
            self._pause(error)
            await record(
                db, broadcast.id, delivery.subscriber_id, "pending",
                error="retry_after", retry_at=now, count_attempt=False,
            )  # fmt: skip
        except Forbidden as error:
            await self._gone(broadcast, delivery, error.message)
        except BadRequest as error:
            if _is_gone(error.message):
                await self._gone(broadcast, delivery, error.message)
                return
            self._refused += 1
            self.counters.failed += 1
            await record(db, broadcast.id, delivery.subscriber_id, "failed", error=error.message)
            log.warning("event=broadcast_refused broadcast=%d error=%s", broadcast.id, error)
        except Exception as error:  # 5xx, network, timeouts: try again later
            await self._retry(broadcast, delivery, error)
        else:
            self._refused = 0
            self.counters.sent += 1
            await record(db, broadcast.id, delivery.subscriber_id, "sent", message_id=message_id)

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
            retry_at = self.runtime.now() + min(RETRY_BASE * 2 ** (attempts - 1), RETRY_CAP)
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
        except RetryAfter as error:
            self._pause(error)
            await record(db, post.slug, post.channel, "pending", retry_at=self.runtime.now(),
                         count_attempt=False)  # fmt: skip
        except (Forbidden, BadRequest) as error:
            await record(db, post.slug, post.channel, "failed", error=error.message)
            log.error("event=channel_post_refused error=%s", error.message)
        except Exception as error:
            attempts = post.attempts + 1
            give_up = attempts >= MAX_ATTEMPTS
            await record(
                db, post.slug, post.channel, "failed" if give_up else "pending",
                error=type(error).__name__,
                retry_at=None if give_up else self.runtime.now() + RETRY_BASE * 2 ** attempts,
            )  # fmt: skip
        else:
            await record(db, post.slug, post.channel, "sent", message_id=message_id)

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


def in_flight_for(rate: float) -> int:
    """Requests in flight at once: enough to keep ``rate`` going over a slow connection."""
    return max(8, min(64, int(rate)))


def _is_gone(message: str) -> bool:
    text = message.lower()
    return any(reason in text for reason in GONE)


def _seconds(error: RetryAfter) -> float:
    value = error.retry_after
    return value.total_seconds() if hasattr(value, "total_seconds") else float(value)
