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

from telegram.error import RetryAfter
from telegram.ext import AIORateLimiter

FREE_RATE = 30  # messages a second Telegram allows a bot without paid broadcasts
WINDOW = 1.0  # seconds over which the application's messages are counted, like Telegram's limit


class SendBudget:
    def __init__(self, per_second: float, *, clock: Callable[[], float] = time.monotonic) -> None:
        self.per_second = per_second
        self._clock = clock
        self._sent: deque[float] = deque()
        self._refused_until = 0.0

    def note_sent(self) -> None:
        """The application sends one message now."""
        self._sent.append(self._clock())

    def note_refused(self, seconds: float) -> None:
        """Telegram told the application to wait: the broadcast waits as long."""
        self._refused_until = max(self._refused_until, self._clock() + seconds)

    def app_count(self) -> int:
        """Messages the application sent in the last WINDOW seconds."""
        cutoff = self._clock() - WINDOW
        while self._sent and self._sent[0] < cutoff:
            self._sent.popleft()
        return len(self._sent)

    def broadcast_rate(self, ceiling: float) -> float:
        """Messages a second a broadcast may send now: at most ``ceiling``, and no more than the
        application's messages of the last second leave of the total. 0: none at the moment (also
        while Telegram has the application waiting after a 429)."""
        if self._clock() < self._refused_until:
            return 0.0
        return max(0.0, min(ceiling, self.per_second - self.app_count() / WINDOW))


class CountingRateLimiter(AIORateLimiter):
    """PTB's AIORateLimiter for the application's requests, which also tells the shared budget
    about every request to a chat (the ones Telegram's overall limit counts) as it is really
    made — a retry counts again — and about every 429 Telegram answers."""

    def __init__(self, budget: SendBudget, **options) -> None:
        super().__init__(**options)
        self.budget = budget

    async def process_request(self, callback, args, kwargs, endpoint, data, rate_limit_args):
        if data.get("chat_id") is None:
            return await super().process_request(
                callback, args, kwargs, endpoint, data, rate_limit_args
            )

        async def counted(*call_args, **call_kwargs):
            self.budget.note_sent()
            try:
                return await callback(*call_args, **call_kwargs)
            except RetryAfter as error:
                self.budget.note_refused(retry_after_seconds(error))
                raise

        return await super().process_request(counted, args, kwargs, endpoint, data, rate_limit_args)


def retry_after_seconds(error: RetryAfter) -> float:
    """PTB gives retry_after as seconds or, configured so, as a timedelta."""
    value = error.retry_after
    return value.total_seconds() if hasattr(value, "total_seconds") else float(value)
