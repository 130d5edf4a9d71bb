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
"""

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


class Faults:
    def __init__(self) -> None:
        self._planned: list[Fault] = []

    def add(self, method: str, count: int, kind: str, retry_after: int, delay: float) -> None:
        if kind not in KINDS:
            raise ValueError(f"fault kind must be one of {KINDS}, not {kind!r}")
        if count < 1:
            raise ValueError("count must be at least 1")
        self._planned.append(Fault(method.lower(), kind, count, retry_after, delay))

    def take(self, method: str) -> Fault | None:
        """The first planned fault for this call of ``method``, used up by one."""
        name = method.lower()
        for fault in self._planned:
            if fault.method == name or (fault.method == "*" and name != "getupdates"):
                fault.remaining -= 1
                if fault.remaining == 0:
                    self._planned.remove(fault)
                return fault
        return None
