"""Injected faults: what PTB makes of each, and whether the call took effect."""

import pytest
import telegram
from telegram.error import NetworkError, RetryAfter, TimedOut

from tests.sandbox.conftest import retry_seconds


async def test_injected_429_becomes_retry_after(sb, tg: telegram.Bot, lan):
    sb.fail_next("sendMessage", kind="429", retry_after=7)
    with pytest.raises(RetryAfter) as error:
        await tg.send_message(lan.id, "x")
    assert retry_seconds(error.value) == 7
    call = sb.calls[-1]
    assert (call.status, call.injected, call.description) == (
        429,
        True,
        "Too Many Requests: retry after 7",
    )
    await tg.send_message(lan.id, "the next one goes through")


@pytest.mark.parametrize(("kind", "status"), [("500", 500), ("502", 502)])
async def test_server_errors_become_network_errors(sb, tg: telegram.Bot, lan, kind, status):
    sb.fail_next("sendMessage", kind=kind)
    with pytest.raises(NetworkError):
        await tg.send_message(lan.id, "x")
    assert sb.calls[-1].status == status
    assert sb.last_bot_message(lan.id) is None


async def test_drop_closes_the_connection_before_sending(sb, tg: telegram.Bot, lan):
    sb.fail_next("sendMessage", kind="drop")
    with pytest.raises(NetworkError) as error:
        await tg.send_message(lan.id, "x")
    assert not isinstance(error.value, TimedOut)
    assert sb.last_bot_message(lan.id) is None
    assert (sb.calls[-1].status, sb.calls[-1].injected) == (0, True)
    assert sb.errors == []  # no answer was given, so no error answer either


async def test_drop_after_sends_but_loses_the_answer(sb, tg: telegram.Bot, lan):
    sb.fail_next("sendMessage", kind="drop_after")
    with pytest.raises(NetworkError):
        await tg.send_message(lan.id, "sent twice if retried blindly")
    assert sb.last_bot_message(lan.id)["text"] == "sent twice if retried blindly"


async def test_delay_beyond_the_read_timeout_is_timed_out(sb, tg: telegram.Bot, lan):
    sb.fail_next("sendMessage", kind="delay", delay=0.5)
    with pytest.raises(TimedOut):
        await tg.send_message(lan.id, "slow", read_timeout=0.1)
    sb.fail_next("sendMessage", kind="delay", delay=0.1)
    assert (await tg.send_message(lan.id, "late but fine")).text == "late but fine"


async def test_count_and_wildcard(sb, tg: telegram.Bot, lan):
    sb.fail_next("*", count=2, kind="500")
    await tg.get_updates()  # the wildcard leaves getUpdates alone
    for _ in range(2):
        with pytest.raises(NetworkError):
            await tg.send_chat_action(lan.id, "typing")
    assert await tg.send_chat_action(lan.id, "typing")
    sb.fail_next("getUpdates", kind="502")
    with pytest.raises(NetworkError):
        await tg.get_updates()


async def test_unknown_fault_kind_is_refused(sb):
    with pytest.raises(ValueError, match="fault kind"):
        sb.fail_next("sendMessage", kind="teapot")
