"""`wait_until_quiet`: how a test waits out what did NOT happen, on the sandbox's clock."""

import asyncio

import pytest
import telegram

from tests.sandbox.conftest import drain
from tests.support.waiting import wait_until


async def test_an_update_the_bot_has_not_fetched_is_not_quiet(sb, tg: telegram.Bot, lan, clock):
    clock.advance(60)
    with pytest.raises(TimeoutError):
        await sb.wait_until_quiet(calm=1, timeout=0.1)  # lan's /start waits for the bot
    await drain(tg)
    await sb.wait_until_quiet(calm=1, timeout=5)


async def test_a_recent_call_is_not_quiet_until_the_calm_has_passed(sb, tg, lan, clock):
    await drain(tg)
    clock.advance(60)
    await tg.send_message(lan.id, "vừa gửi")
    with pytest.raises(TimeoutError):
        await sb.wait_until_quiet(calm=1, timeout=0.1)
    await sb.wait_until_quiet(calm=1, timeout=5, chat_id=lan.id + 1)  # another chat is quiet
    clock.advance(1.1)
    await sb.wait_until_quiet(calm=1, timeout=5)


async def test_polling_for_updates_is_not_activity(sb, tg, lan, clock):
    await drain(tg)
    clock.advance(60)
    await tg.get_updates()
    await sb.wait_until_quiet(calm=1, timeout=5)


async def test_a_call_in_flight_is_not_quiet_however_long_ago_it_came(sb, tg, lan, clock):
    await drain(tg)
    sb.fail_next("sendMessage", kind="delay", delay=3.0)  # answered 3 real seconds late
    sending = asyncio.create_task(tg.send_message(lan.id, "chậm", read_timeout=10))
    await wait_until(lambda: any(c.method == "sendMessage" for c in sb.calls), timeout=5)
    clock.advance(60)  # it arrived long ago on the sandbox's clock, and is still unanswered
    with pytest.raises(TimeoutError):
        await sb.wait_until_quiet(calm=1, timeout=0.1)
    await sb.wait_until_quiet(calm=1, timeout=20)  # once answered
    assert (await sending).text == "chậm"
