"""The bot's pending updates and getUpdates long polling, with Telegram's rules.

- An update stays pending until a later getUpdates confirms it with ``offset`` > its update_id.
- ``allowed_updates`` is remembered between calls and filters updates when they are created, so
  changing it does not affect updates already waiting (as documented by Telegram).
- Only one getUpdates may wait at a time: a new one ends the older with 409, which is what
  Telegram does when two copies of a bot poll with the same token.
"""

import asyncio
import copy
from typing import Any

from sandbox.errors import ApiError

UPDATE_TYPES = frozenset(
    {
        "message", "edited_message", "channel_post", "edited_channel_post",
        "business_connection", "business_message", "edited_business_message",
        "deleted_business_messages", "message_reaction", "message_reaction_count",
        "inline_query", "chosen_inline_result", "callback_query", "shipping_query",
        "pre_checkout_query", "purchased_paid_media", "poll", "poll_answer", "my_chat_member",
        "chat_member", "chat_join_request", "chat_boost", "removed_chat_boost",
    }
)  # fmt: skip
# What a bot gets when it never chose: everything but these three.
DEFAULT_ALLOWED = UPDATE_TYPES - {"chat_member", "message_reaction", "message_reaction_count"}
MAX_TIMEOUT = 50
_STOPPING = object()  # in place of the current poller while the server shuts down


class UpdateQueue:
    def __init__(self) -> None:
        self.allowed: frozenset[str] = DEFAULT_ALLOWED
        self._pending: list[dict[str, Any]] = []
        self._next_id = 1
        self._arrived = asyncio.Event()
        self._poller: object | None = None  # the getUpdates call allowed to wait

    @property
    def pending_count(self) -> int:
        return len(self._pending)

    def push(self, kind: str, payload: dict[str, Any]) -> dict[str, Any] | None:
        """Queue a snapshot of ``payload``; None if the bot's allowed_updates excludes it."""
        if kind not in self.allowed:
            return None
        update = {"update_id": self._next_id, kind: copy.deepcopy(payload)}
        self._next_id += 1
        self._pending.append(update)
        self._wake()
        return update

    def drop_pending(self) -> None:
        self._pending.clear()

    def release_pollers(self) -> None:
        """Answer a waiting getUpdates now, so that shutting down does not wait up to 50 s."""
        self._poller = _STOPPING
        self._wake()

    def set_allowed(self, types: list[str]) -> None:
        self.allowed = frozenset(t for t in types if t in UPDATE_TYPES) or DEFAULT_ALLOWED

    async def get(self, offset: int, limit: int, wait: float) -> list[dict[str, Any]]:
        """Pending updates after confirming those below ``offset``; waits up to ``wait`` s."""
        self._confirm(offset)
        limit = min(max(limit, 1), 100)
        wait = min(max(wait, 0), MAX_TIMEOUT)
        me = object()
        self._poller = me
        self._wake()  # an older getUpdates still waiting sees it lost and answers 409
        loop = asyncio.get_running_loop()
        deadline = loop.time() + wait
        while not self._pending:
            if self._poller is _STOPPING:
                break
            if self._poller is not me:
                raise ApiError(
                    409,
                    "Conflict: terminated by other getUpdates request; make sure that only one "
                    "bot instance is running",
                )
            remaining = deadline - loop.time()
            if remaining <= 0:
                break
            arrived = self._arrived
            try:
                await asyncio.wait_for(arrived.wait(), remaining)
            except TimeoutError:
                break
        if self._poller is me:
            self._poller = None
        return self._pending[:limit]

    def _confirm(self, offset: int) -> None:
        if offset > 0:
            self._pending = [u for u in self._pending if u["update_id"] >= offset]
        elif offset < 0:
            self._pending = self._pending[offset:]

    def _wake(self) -> None:
        self._arrived.set()
        self._arrived = asyncio.Event()
