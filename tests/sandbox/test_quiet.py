"""`wait_until_quiet`: how a test waits out what did NOT happen, on the sandbox's clock."""

import pytest
import telegram

from tests.sandbox.conftest import drain


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
