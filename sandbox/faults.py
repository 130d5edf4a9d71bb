"""Planned failures (``Sandbox.fail_next``): what a flaky network and a busy Telegram do to a bot.

Kinds:
- "429": Too Many Requests with ``retry_after`` (counted apart from real flood-limit hits);
- "500" / "502": Telegram's internal error and a proxy's bad gateway;
- "drop": the connection is closed before the call is performed, without an answer;
- "drop_after": the call IS performed, then the connection is closed: the bot cannot know the
  message went out, the case that makes blind retries send twice;
- "delay": the answer comes ``delay`` seconds late (longer than the bot's read timeout = timeout).

A plan for method "*" matches every method except getUpdates, which must be named: otherwise the
long poll, which is always waiting, would swallow a fault meant for the bot's next send.

A storm (``Sandbox.storm``) fails calls at random instead: each call with probability ``rate``,
with a kind drawn from ``kinds``, reproducibly from ``seed`` for the same sequence of calls.
Planned faults go first; getUpdates is spared unless the storm includes it.
"""

import random
from dataclasses import dataclass

from sandbox.errors import ApiError, too_many_requests

KINDS = ("429", "500", "502", "drop", "drop_after", "delay")


@dataclass
class Fault:
    method: str  # lower-case, or "*"
    kind: str
    remaining: int
    retry_after: int
    delay: float

    def error(self) -> ApiError:
        """The error answer of the "429", "500" and "502" kinds."""
        if self.kind == "429":
            return too_many_requests(self.retry_after)
        return ApiError(
            int(self.kind), {"500": "Internal Server Error", "502": "Bad Gateway"}[self.kind]
        )


@dataclass
class Storm:
    rate: float
    kinds: tuple[str, ...]
    rng: random.Random
    retry_after: int
    delay: float
    get_updates: bool

    def draw(self, name: str) -> Fault | None:
        if name == "getupdates" and not self.get_updates:
            return None
        if self.rng.random() >= self.rate:
            return None
        return Fault(name, self.rng.choice(self.kinds), 1, self.retry_after, self.delay)


class Faults:
    def __init__(self) -> None:
        self._planned: list[Fault] = []
        self._storm: Storm | None = None

    def add(self, method: str, count: int, kind: str, retry_after: int, delay: float) -> None:
        if kind not in KINDS:
            raise ValueError(f"fault kind must be one of {KINDS}, not {kind!r}")
        if count < 1:
            raise ValueError("count must be at least 1")
        self._planned.append(Fault(method.lower(), kind, count, retry_after, delay))

    def storm(
        self,
        rate: float,
        kinds: tuple[str, ...],
        seed: int,
        retry_after: int,
        delay: float,
        get_updates: bool,
    ) -> None:
        if not 0 < rate <= 1:
            raise ValueError("a storm's rate is a probability in (0, 1]")
        if not kinds or any(kind not in KINDS for kind in kinds):
            raise ValueError(f"storm kinds must be some of {KINDS}, not {kinds!r}")
        rng = random.Random(seed)  # noqa: S311 - reproducible test faults, not cryptography
        self._storm = Storm(rate, tuple(kinds), rng, retry_after, delay, get_updates)

    def calm(self) -> None:
        self._storm = None

    def take(self, method: str) -> Fault | None:
        """The first planned fault for this call of ``method``, used up by one; else, in a
        storm, perhaps a random one."""
        name = method.lower()
        for fault in self._planned:
            if fault.method == name or (fault.method == "*" and name != "getupdates"):
                fault.remaining -= 1
                if fault.remaining == 0:
                    self._planned.remove(fault)
                return fault
        return self._storm.draw(name) if self._storm is not None else None
