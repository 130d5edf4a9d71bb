"""One reading of Telegram's errors for every sender."""

from __future__ import annotations

import pytest
from telegram.error import (
    BadRequest,
    ChatMigrated,
    Conflict,
    Forbidden,
    NetworkError,
    RetryAfter,
    TimedOut,
)

from bot.telegram_errors import Verdict, classify, is_missing_chat, is_transient


@pytest.mark.parametrize(
    ("error", "verdict"),
    [
        (RetryAfter(3), Verdict.WAIT),
        (TimedOut(), Verdict.RETRY),
        (NetworkError("Bad Gateway"), Verdict.RETRY),
        (Conflict("terminated by other getUpdates request"), Verdict.RETRY),
        (Forbidden("Forbidden: bot was blocked by the user"), Verdict.GONE),
        (BadRequest("Chat not found"), Verdict.GONE),
        (BadRequest("Forbidden: user is deactivated"), Verdict.GONE),
        (BadRequest("PEER_ID_INVALID"), Verdict.GONE),
        (BadRequest("Message is not modified: specified new message content"), Verdict.UNCHANGED),
        (BadRequest("Can't parse entities: unsupported start tag"), Verdict.REFUSED),
        (BadRequest("Message is too long"), Verdict.REFUSED),
    ],
)
def test_each_error_has_one_meaning(error, verdict):
    assert classify(error) is verdict


def test_transient_errors_are_the_network_and_429_only():
    assert is_transient(RetryAfter(1)) and is_transient(TimedOut())
    assert is_transient(NetworkError("Connection reset"))
    for lasting in (
        BadRequest("Chat not found"),  # a NetworkError to PTB, but it will not pass by itself
        Forbidden("blocked"),
        Conflict("another bot polls"),
        ChatMigrated(-1001),
        ValueError("not Telegram's"),
    ):
        assert not is_transient(lasting), lasting


def test_a_missing_chat_is_told_apart_from_a_blocked_one():
    assert is_missing_chat(BadRequest("Bad Request: chat not found"))
    assert not is_missing_chat(Forbidden("Forbidden: bot was blocked by the user"))
