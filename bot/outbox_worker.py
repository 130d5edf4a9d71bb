"""Delivers the outbox: every message that must survive a crash (tip alerts, messages to and from
tipsters, reminders) is a row first and a Telegram call second.

One consumer per chat sends that chat's messages in order and at Telegram's pace (about one
message a second to a person, twenty a minute to a group); chats are served concurrently. A claim
is a lease: if the bot dies mid-send, the row is taken again — at-least-once, never lost; a row
whose send succeeded is marked sent and never sent again. At start-up the claims of the process
before are released at once rather than after their lease, so a restart delays no alert.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Awaitable, Callable
from typing import cast

from telegram.error import Forbidden, RetryAfter, TelegramError

from bot import onboarding
from bot.runtime import Runtime
from bot.send_budget import retry_after_seconds
from bot.telegram_errors import Verdict, backoff_seconds, classify, is_missing_chat, moved_to
from storage import outbox
from storage.outbox import OutboxItem as OutboxItem
from storage.outbox import OutboxKind as OutboxKind

log = logging.getLogger(__name__)

Deliver = Callable[[OutboxItem], Awaitable[int | None]]

LEASE = 300  # seconds a claimed row stays ours; longer than a chat's queue can take
PRIVATE_INTERVAL = 1.05
GROUP_INTERVAL = 3.1
IN_FLIGHT = 200
STOP_GRACE = 5.0  # seconds a message under way gets to finish when the bot stops
RETRY_BASE = 5  # seconds before the second attempt; doubles each time (backoff_seconds) ...
RETRY_CAP = 3600  # ... up to an hour: see storage/outbox.py's MAX_ATTEMPTS


class Undeliverable(Exception):
    """The message can never be sent (e.g. the tipster's way back was deleted by retention)."""


def addressed_chat(item: OutboxItem) -> int:
    """The chat of a row addressed to a chat (every kind but those for a tipster)."""
    if item.chat_id is None:
        raise Undeliverable(f"a {item.kind} row without a chat")
    return item.chat_id


def chat_key(item: OutboxItem) -> str:
    return f"chat:{item.chat_id}" if item.chat_id is not None else f"tipster:{item.to_tipster_of}"


class OutboxWorker:
    def __init__(self, runtime: Runtime, deliverers: dict[str, Deliver], *, idle: float = 2.0):
        self.runtime, self.deliverers, self.idle = runtime, deliverers, idle
        self._wake = asyncio.Event()
        self._queues: dict[str, asyncio.Queue[OutboxItem]] = {}
        self._consumers: dict[str, asyncio.Task] = {}
        self._in_flight = 0
        self._held: set[int] = set()  # rows queued or being sent by this worker
        self._task: asyncio.Task | None = None
        self._sending: set[asyncio.Task] = set()  # consumers in the middle of a delivery
        self._stopping = False

    def wake(self) -> None:
        """New rows were written: look now rather than at the next idle tick."""
        self._wake.set()

    def start(self) -> None:
        self._task = asyncio.create_task(self._claim_loop(), name="outbox")

    async def stop(self, grace: float = STOP_GRACE) -> None:
        """Ends the loops. A message under way is given ``grace`` seconds to be sent and
        recorded, so a restart does not send it twice; one still unfinished then is cut short
        and goes out again at the next start (or after its lease). Rows waiting their turn stay
        in the database. The loops also check a flag on every turn: a cancellation may be lost
        in a race with a timeout."""
        self._stopping = True
        self._wake.set()
        for task in self._consumers.values():
            if task not in self._sending:
                task.cancel()  # waiting for a row or for its chat's pace: nothing under way
        tasks = [t for t in (self._task, *self._consumers.values()) if t is not None]
        if not tasks:
            return
        _done, unfinished = await asyncio.wait(tasks, timeout=grace)
        for task in unfinished:
            task.cancel()
        if unfinished:
            await asyncio.wait(unfinished, timeout=10)

    async def _claim_loop(self) -> None:
        try:
            released = await outbox.release_claims(self.runtime.db)
        except Exception:
            log.exception("event=outbox_release_failed")
        else:
            if released:
                log.info("event=outbox_claims_released rows=%d", released)
        while not self._stopping:
            try:
                claimed = await self._claim()
            except Exception:
                log.exception("event=outbox_claim_failed")
                claimed = 0
            if claimed == 0:
                self._wake.clear()
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self._wake.wait(), self.idle)

    async def _claim(self) -> int:
        room = IN_FLIGHT - self._in_flight
        if room <= 0:
            return 0
        items = await outbox.claim_due(self.runtime.db, limit=room, lease=LEASE)
        for item in items:
            if item.id in self._held:
                continue  # its lease ran out while it waited in its chat's queue: still ours
            self._held.add(item.id)
            key = chat_key(item)
            if key not in self._queues:
                self._queues[key] = asyncio.Queue()
                self._consumers[key] = asyncio.create_task(self._consume(key), name=key)
            self._in_flight += 1
            self._queues[key].put_nowait(item)
        return len(items)

    async def _consume(self, key: str) -> None:
        interval = GROUP_INTERVAL if key.startswith("chat:-") else PRIVATE_INTERVAL
        queue = self._queues[key]
        last = 0.0
        try:
            while not self._stopping:
                try:
                    item = await asyncio.wait_for(queue.get(), 30)
                except TimeoutError:
                    return  # idle chat: its consumer ends, a new one starts with its next row
                await asyncio.sleep(max(0.0, last + interval - time.monotonic()))
                if self._stopping:
                    queue.put_nowait(item)  # released with the rest below
                    break
                consumer = cast(asyncio.Task, asyncio.current_task())  # this consumer's task
                self._sending.add(consumer)
                try:
                    await self.deliver(item)
                finally:
                    self._sending.discard(consumer)
                    last = time.monotonic()
                    self._in_flight -= 1
                    self._held.discard(item.id)
        finally:
            self._queues.pop(key, None)
            self._consumers.pop(key, None)
            while not queue.empty():  # rows left unsent go back at the next start or lease end
                self._held.discard(queue.get_nowait().id)
                self._in_flight -= 1

    async def deliver(self, item: OutboxItem) -> None:
        db = self.runtime.db
        deliver = self.deliverers.get(item.kind)
        try:
            if deliver is None:
                raise Undeliverable(f"no deliverer for {item.kind!r}")
            message_id = await deliver(item)
        except TelegramError as error:
            await self._telegram_error(item, error)
        except Undeliverable as error:
            await outbox.mark_failed(db, item.id, str(error), permanent=True)
            log.info("event=outbox_undeliverable kind=%s", item.kind)
        except Exception as error:
            await outbox.mark_failed(db, item.id, type(error).__name__, retry_in=backoff(item))
            log.exception("event=outbox_deliver_failed kind=%s", item.kind)
        else:
            await outbox.mark_sent(db, item.id, message_id=message_id)

    async def _telegram_error(self, item: OutboxItem, error: TelegramError) -> None:
        db, verdict = self.runtime.db, classify(error)
        if verdict is Verdict.WAIT:
            wait = int(retry_after_seconds(cast(RetryAfter, error)))
            await outbox.mark_failed(db, item.id, "retry_after", retry_in=wait or backoff(item))
            return
        if verdict is Verdict.RETRY:
            await outbox.mark_failed(db, item.id, type(error).__name__, retry_in=backoff(item))
            return
        if verdict is Verdict.UNCHANGED:
            await outbox.mark_sent(db, item.id, message_id=None)
            return
        new_chat_id = moved_to(error)
        if verdict is Verdict.MOVED and new_chat_id is not None and item.chat_id is not None:
            # The group became a supergroup before its service message reached the bot (or
            # while it was being handled): its links and its queue, this row among them, move
            # to the new id now, where the message goes out as a new row.
            await onboarding.group_moved(self.runtime, item.chat_id, new_chat_id)
            await outbox.mark_failed(db, item.id, f"moved to {new_chat_id}", permanent=True)
            log.info("event=outbox_group_moved kind=%s", item.kind)
            return
        if isinstance(error, Forbidden):
            await outbox.mark_failed(db, item.id, "forbidden", permanent=True)
            log.info("event=outbox_forbidden kind=%s", item.kind)
            return
        if is_missing_chat(error) and item.chat_id is not None:
            # A staff member (often an admin from TIPBOT_ADMIN_IDS) who has not opened the bot
            # yet: Telegram lets bots write only to people who did. Keep trying with backoff, so
            # the alert arrives once they do, and say so loudly.
            await outbox.mark_failed(db, item.id, error.message, retry_in=backoff(item))
            log.warning("event=staff_chat_unreachable target=%s hint=open_the_bot", chat_key(item))
            return
        # Telegram refused this message as it is; sending it again would be refused again.
        await outbox.mark_failed(db, item.id, error.message, permanent=True)
        log.warning(
            "event=outbox_rejected kind=%s target=%s error=%s",
            item.kind,
            chat_key(item),
            error.message,
        )


def backoff(item: OutboxItem) -> int:
    """Seconds before a row that failed is tried again: 5, 10, 20 … up to an hour."""
    return backoff_seconds(item.attempts, base=RETRY_BASE, cap=RETRY_CAP)
