"""What a Telegram error means for the message that met it: one reading, used by every sender
(the outbox, the broadcaster, the resident's receipt) and by the log of the long poll.

PTB's error classes overlap (BadRequest is a NetworkError; a blocked user is a Forbidden, a
deleted account a BadRequest), so each sender reading them on its own drifted apart. Here:

- WAIT: Telegram asks to slow down (429); send again after `retry_after_seconds`.
- RETRY: the network, a timeout, Telegram's own trouble (5xx); send again later, backing off.
- UNCHANGED: an edit that changes nothing ("message is not modified"); what was asked is so.
- GONE: the chat cannot receive anything (blocked, deleted, never opened the bot); stop writing.
- REFUSED: Telegram refuses this message as it is (its HTML, its length); sending it again
  would be refused again.
- MOVED: the group was upgraded to a supergroup, which has a new id (`moved_to`); the old one
  is read-only for good. What was meant for it goes to the new id.

A few BadRequests mean something to one caller only (a tap answered too late, a file too big
to download); they are read here too, by name, so that no error text is matched anywhere else.
And every sender that tries again waits by one rule, `backoff_seconds`.
"""

from __future__ import annotations

from enum import StrEnum

from telegram.error import (
    BadRequest,
    ChatMigrated,
    Forbidden,
    NetworkError,
    RetryAfter,
    TelegramError,
)

# BadRequests that say the chat, not the message, is the problem.
GONE_CHAT = ("chat not found", "user is deactivated", "bot was blocked", "peer_id_invalid")


class Verdict(StrEnum):
    WAIT = "wait"
    RETRY = "retry"
    UNCHANGED = "unchanged"
    GONE = "gone"
    REFUSED = "refused"
    MOVED = "moved"


def classify(error: TelegramError) -> Verdict:
    if isinstance(error, RetryAfter):
        return Verdict.WAIT
    if isinstance(error, ChatMigrated):
        return Verdict.MOVED
    if isinstance(error, Forbidden):
        return Verdict.GONE
    if isinstance(error, BadRequest):
        text = error.message.lower()
        if "message is not modified" in text:
            return Verdict.UNCHANGED
        if any(reason in text for reason in GONE_CHAT):
            return Verdict.GONE
        return Verdict.REFUSED
    if isinstance(error, NetworkError):  # TimedOut among them
        return Verdict.RETRY
    return Verdict.RETRY  # Telegram's other troubles (Conflict, a 5xx): transient


def is_transient(error: BaseException) -> bool:
    """A network blip or a busy Telegram: worth a warning, not an error, for it passes by itself
    (unlike a wrong token or a second bot polling, which are TelegramErrors too)."""
    if not isinstance(error, TelegramError):
        return False
    verdict = classify(error)
    return verdict is Verdict.WAIT or (verdict is Verdict.RETRY and isinstance(error, NetworkError))


def is_expected(error: BaseException | None) -> bool:
    """A Telegram error a handler may meet with nothing wrong in the bot: a transient one, a
    chat gone meanwhile (blocked in the middle of a conversation), an edit that changed nothing
    (a second tap), a group upgraded to a supergroup meanwhile (its links follow it through
    the service message). The error handler logs these as one warning line; anything else (Telegram
    refusing what the bot sent, a wrong token, a second bot polling) is an error to look into."""
    if not isinstance(error, TelegramError):
        return False
    expected = (Verdict.GONE, Verdict.UNCHANGED, Verdict.MOVED)
    return is_transient(error) or classify(error) in expected


def moved_to(error: TelegramError) -> int | None:
    """The supergroup a group became, when the error says the group was upgraded (Telegram's
    `migrate_to_chat_id`)."""
    return error.new_chat_id if isinstance(error, ChatMigrated) else None


def is_missing_chat(error: TelegramError) -> bool:
    """ "Chat not found": for a staff member, one who has not opened the bot yet (Telegram lets
    bots write only to people who did), not one who left."""
    return _says(error, "chat not found")


def is_stale_query(error: TelegramError) -> bool:
    """A button's tap answered too late (Telegram allows about 15 seconds): the tap still counts,
    only its toast is lost."""
    return _says(error, "query is too old")


def is_file_too_big(error: TelegramError) -> bool:
    """getFile of a file over the 20 MB a bot may download: it cannot be fetched to be cleaned."""
    return _says(error, "too big")


def _says(error: TelegramError, words: str) -> bool:
    return isinstance(error, BadRequest) and words in error.message.lower()


def backoff_seconds(attempt: int, *, base: int, cap: int) -> int:
    """How long to wait after the ``attempt``-th failed try (1 for the first): ``base``, doubling
    with each further failure, never more than ``cap``. The one rule of every sender that tries
    again (the outbox, the broadcaster, the channel post, the resident's receipt); each picks its
    own base and cap, for what it sends and how long it may keep trying."""
    return min(base * 2 ** (max(attempt, 1) - 1), cap)
