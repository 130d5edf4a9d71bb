"""Telegram's flood limits, as token buckets on an injectable clock.

Telegram documents about 30 messages per second overall, about one message per second in a
private chat (short bursts tolerated) and 20 messages per minute in a group. Edits are limited
separately and more loosely. A bucket holds ``capacity`` tokens and refills ``rate`` per second;
each message takes one token, an album one per item. An album larger than a bucket may still go
when the bucket is full; the bucket then runs into debt, so the next messages wait, which is how
Telegram treats a 10-photo album in a private chat.
"""

import math
from collections.abc import Callable
from dataclasses import dataclass, field


@dataclass
class LimitConfig:
    global_per_second: float = 30.0
    private_burst: float = 3.0
    private_per_second: float = 1.0
    group_per_minute: float = 20.0
    edit_burst: float = 10.0
    edits_per_second: float = 1.0


@dataclass
class _Bucket:
    capacity: float
    rate: float
    tokens: float
    updated: float

    def refill(self, now: float) -> None:
        self.tokens = min(self.capacity, self.tokens + (now - self.updated) * self.rate)
        self.updated = now

    def wait(self, now: float, count: int) -> float:
        """Seconds until ``count`` messages may go; 0 when they may go now."""
        self.refill(now)
        needed = min(count, self.capacity)
        return 0.0 if self.tokens >= needed else (needed - self.tokens) / self.rate


@dataclass
class RateLimiter:
    clock: Callable[[], float]
    config: LimitConfig = field(default_factory=LimitConfig)
    _buckets: dict[tuple[str, int], _Bucket] = field(default_factory=dict)

    def check_send(self, chat_id: int, is_private: bool, count: int = 1) -> int:
        """0 if ``count`` messages may go to the chat now (and counts them), else retry_after."""
        config = self.config
        chat_bucket = (
            ("private", chat_id, config.private_burst, config.private_per_second)
            if is_private
            else ("group", chat_id, config.group_per_minute, config.group_per_minute / 60)
        )
        return self._take(
            [
                ("global", 0, config.global_per_second, config.global_per_second),
                chat_bucket,
            ],
            count,
        )

    def check_edit(self, chat_id: int) -> int:
        config = self.config
        return self._take([("edit", chat_id, config.edit_burst, config.edits_per_second)], 1)

    def _take(self, specs: list[tuple[str, int, float, float]], count: int) -> int:
        now = self.clock()
        buckets = [
            self._bucket(name, key, capacity, rate, now) for name, key, capacity, rate in specs
        ]
        wait = max(bucket.wait(now, count) for bucket in buckets)
        if wait > 0:
            return max(1, math.ceil(wait))
        for bucket in buckets:
            bucket.tokens -= count
        return 0

    def _bucket(self, name: str, key: int, capacity: float, rate: float, now: float) -> _Bucket:
        bucket = self._buckets.get((name, key))
        if bucket is None:
            bucket = self._buckets[(name, key)] = _Bucket(capacity, rate, capacity, now)
        return bucket
