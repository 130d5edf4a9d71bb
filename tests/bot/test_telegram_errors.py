"""One reading of Telegram's errors for every sender."""

from __future__ import annotations

import pytest
from telegram.error import (
    BadRequest,
    ChatMigrated,
    Conflict,
    Forbidden,
    InvalidToken,
    NetworkError,
    RetryAfter,
    TimedOut,
)

from bot import broadcast, outbox_worker
from bot.telegram_errors import (
    Verdict,
    backoff_seconds,
    classify,
    is_expected,
    is_file_too_big,
    is_missing_chat,
    is_stale_query,
    is_transient,
    moved_to,
)


@pytest.mark.parametrize(
    ("error", "verdict"),
    [
        (RetryAfter(3), Verdict.WAIT),
        (TimedOut(), Verdict.RETRY),
        (NetworkError("Bad Gateway"), Verdict.RETRY),
        (NetworkError("Internal Server Error (500)"), Verdict.RETRY),
        (Conflict("terminated by other getUpdates request"), Verdict.RETRY),
        (InvalidToken(), Verdict.RETRY),
        (ChatMigrated(-1001), Verdict.MOVED),
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


def test_the_error_handler_expects_what_is_no_bug_of_the_bot():
    for expected in (
        RetryAfter(1),
        TimedOut(),
        NetworkError("Bad Gateway"),
        Forbidden("Forbidden: bot was blocked by the user"),  # blocked mid-conversation
        BadRequest("Message is not modified"),  # a second tap
        ChatMigrated(-1001),  # the group was upgraded meanwhile
    ):
        assert is_expected(expected), expected
    for bug in (
        BadRequest("Can't parse entities"),  # the bot sent what Telegram refuses
        Conflict("another bot polls"),
        InvalidToken(),
        ValueError("not Telegram's"),
        None,
    ):
        assert not is_expected(bug), bug


def test_a_moved_group_names_its_new_id():
    assert moved_to(ChatMigrated(-1001234)) == -1001234
    assert moved_to(BadRequest("Chat not found")) is None


def test_the_errors_one_caller_reads_are_named():
    assert is_stale_query(BadRequest("Query is too old and response timeout expired"))
    assert not is_stale_query(BadRequest("Message is not modified"))
    assert is_file_too_big(BadRequest("File is too big"))
    assert not is_file_too_big(BadRequest("Wrong file identifier"))
    assert not is_file_too_big(NetworkError("too big"))  # only Telegram's refusal says so


def test_one_backoff_doubles_up_to_its_cap():
    assert [backoff_seconds(n, base=5, cap=60) for n in range(1, 7)] == [5, 10, 20, 40, 60, 60]
    assert backoff_seconds(0, base=5, cap=60) == 5  # a row never tried waits the base


def test_each_sender_waits_as_documented():
    # The outbox: 5 s doubling to an hour (storage/outbox.py's MAX_ATTEMPTS keeps it at it for
    # days); a broadcast's delivery and its channel post: 10 s doubling, at most 10 minutes.
    def outbox_wait(n):
        return backoff_seconds(n, base=outbox_worker.RETRY_BASE, cap=outbox_worker.RETRY_CAP)

    assert [outbox_wait(n) for n in (1, 2, 3, 11, 12)] == [5, 10, 20, 3600, 3600]
    waits = [
        backoff_seconds(n, base=broadcast.RETRY_BASE, cap=broadcast.RETRY_CAP) for n in (1, 2, 3, 4)
    ]
    assert waits == [10, 20, 40, 80]
