"""One sending budget for the whole bot: Telegram's overall limit (about 30 messages a second,
TIPBOT_MAX_MESSAGES_PER_SECOND) counts every message, whoever in the bot sends it.

What the application sends — answers to residents, tip alerts, officers' actions — goes first and
is never held back for a bulletin. A broadcast takes what that leaves: with nobody else talking it
runs close to the limit, and it slows down as soon as residents and officers need the room.

The application's messages are counted as they are sent (bot/app.py's rate limiter notes each
request that goes to a chat); the broadcast engine asks for its rate before every message.
"""

from __future__ import annotations

import time
from collections import deque
from collections.abc import Callable

from telegram.ext import AIORateLimiter

WINDOW = 2.0  # seconds over which the application's recent messages are counted


class SendBudget:
    def __init__(self, per_second: float, *, clock: Callable[[], float] = time.monotonic) -> None:
        self.per_second = per_second
        self._clock = clock
        self._sent: deque[float] = deque()

    def note_sent(self) -> None:
        """The application sends one message now."""
        self._sent.append(self._clock())

    def app_rate(self) -> float:
        """Messages a second the application sent lately."""
        cutoff = self._clock() - WINDOW
        while self._sent and self._sent[0] < cutoff:
            self._sent.popleft()
        return len(self._sent) / WINDOW

    def broadcast_rate(self, ceiling: float) -> float:
        """Messages a second a broadcast may send now: at most ``ceiling``, and no more than the
        application's own recent messages leave of the total. 0: none at the moment."""
        return max(0.0, min(ceiling, self.per_second - self.app_rate()))


class CountingRateLimiter(AIORateLimiter):
    """PTB's AIORateLimiter for the application's requests, which also notes every request to a
    chat in the shared budget (the ones Telegram's overall limit counts)."""

    def __init__(self, budget: SendBudget, **options) -> None:
        super().__init__(**options)
        self.budget = budget

    async def process_request(self, callback, args, kwargs, endpoint, data, rate_limit_args):
        if data.get("chat_id") is not None:
            self.budget.note_sent()
        return await super().process_request(
            callback, args, kwargs, endpoint, data, rate_limit_args
        )
