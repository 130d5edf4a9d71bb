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
"""

from __future__ import annotations

from enum import StrEnum

from telegram.error import BadRequest, Forbidden, NetworkError, RetryAfter, TelegramError

# BadRequests that say the chat, not the message, is the problem.
GONE_CHAT = ("chat not found", "user is deactivated", "bot was blocked", "peer_id_invalid")


class Verdict(StrEnum):
    WAIT = "wait"
    RETRY = "retry"
    UNCHANGED = "unchanged"
    GONE = "gone"
    REFUSED = "refused"


def classify(error: TelegramError) -> Verdict:
    if isinstance(error, RetryAfter):
        return Verdict.WAIT
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


def is_missing_chat(error: TelegramError) -> bool:
    """ "Chat not found": for a staff member, one who has not opened the bot yet (Telegram lets
    bots write only to people who did), not one who left."""
    return isinstance(error, BadRequest) and "chat not found" in error.message.lower()
