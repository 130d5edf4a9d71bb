"""Why a service said no: one result type, returned (not raised) beside what it gives otherwise.

    result = await submission.submit(...)
    if isinstance(result, Refused):
        ...  # result.reason says which

A refusal is an expected answer to a request (a ban, a daily limit, a wrong receipt, an invite
used already), not an error: it is returned like a value, and the handler picks the words for it,
one text for each reason it can meet.

A mistake in typed text found while parsing it (a bulletin without a title, a date that is no
date, a schedule that is no schedule: ComposeError, PeriodError, CronError, parse_when's
ValueError) stays an exception: it is raised from deep inside a parser, where returning it would
thread a union through every step, and the handler catches it at the one call and says what to
type instead. save_bulletin's last checks of an admin's draft (no topic or language chosen, a
slug of no bulletin) raise the same ComposeError: they end the same compose flow, in the same
table of texts.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum


class Reason(StrEnum):
    # A resident's tip, or an answer to the officers
    BANNED = "banned"  # the sender of this chat was banned by an admin
    DAILY_LIMIT = "daily_limit"  # as many tips as a day allows
    INCOMPLETE = "incomplete"  # an answer the tip needs is missing
    ENDED = "ended"  # the officers' conversation is over: no question open, or closed long ago
    TOO_MANY = "too_many"  # as many answers as an hour allows
    # A receipt (/status)
    THROTTLED = "throttled"  # too many wrong receipts this hour
    MALFORMED = "malformed"  # not a receipt at all
    # What was named does not exist: a receipt of no tip, an invite link of no invite, an
    # officer who is none, a tip code of no tip
    UNKNOWN = "unknown"
    # An invite link (the values are the audit log's "denied.officer.redeem" reasons)
    USED = "used"  # someone else joined with it
    USED_BY_YOU = "used_by_you"  # this same person joined with it already
    EXPIRED = "expired"  # older than its 72 hours
    # An admin's action on a person
    NOT_ADMIN = "not_admin"  # only an admin may do this
    IS_ADMIN = "is_admin"  # admins come from TIPBOT_ADMIN_IDS, not from a button
    ALREADY = "already"  # it is so already (an officer revoked)
    NOT_BANNED = "not_banned"  # an unban of a sender nobody banned
    SENDER_GONE = "sender_gone"  # retention deleted the tip's way back: its sender is nobody now
    SENDER_UNREADABLE = "sender_unreadable"  # the way back does not open with this server's key


@dataclass(frozen=True)
class Refused:
    reason: Reason
    tip_code: str | None = None  # the tip the refusal is about, normalised, when it names one
