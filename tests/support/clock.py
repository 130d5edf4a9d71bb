"""A clock the test sets and moves by hand, for code that takes a `clock` callable."""

from __future__ import annotations

import time


class Clock:
    """Unix seconds (or any seconds) that stand still until the test moves them: `clock.now = t`,
    `clock.now += s` or `clock.advance(...)`. `ticking=True` lets real time pass as well, for code
    that keeps working in real time meanwhile (a running bot's jobs and timeouts)."""

    def __init__(self, now: float | None = None, *, ticking: bool = False) -> None:
        self.ticking = ticking
        self._now = time.time() if now is None else float(now)
        self._set_at = time.monotonic()

    @property
    def now(self) -> float:
        if self.ticking:
            return self._now + (time.monotonic() - self._set_at)
        return self._now

    @now.setter
    def now(self, value: float) -> None:
        self._now, self._set_at = float(value), time.monotonic()

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float = 0.0, *, minutes: float = 0.0) -> None:
        self.now += seconds + 60 * minutes
