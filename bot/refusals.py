"""Why a service said no: one result type, returned (not raised) beside what it gives otherwise.

    result = await submission.submit(...)
    if isinstance(result, Refused):
        ...  # result.reason says which

A refusal is an expected answer to a resident's request (a ban, a daily limit, a wrong receipt),
not an error: it is returned like a value, and the handler picks the words for it.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum


class Reason(StrEnum):
    BANNED = "banned"  # the sender of this chat was banned by an admin
    DAILY_LIMIT = "daily_limit"  # as many tips as a day allows
    INCOMPLETE = "incomplete"  # an answer the tip needs is missing
    THROTTLED = "throttled"  # too many wrong receipts this hour
    MALFORMED = "malformed"  # not a receipt at all
    UNKNOWN = "unknown"  # a receipt of no tip


@dataclass(frozen=True)
class Refused:
    reason: Reason
