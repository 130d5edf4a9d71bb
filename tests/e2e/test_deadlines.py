"""Reminders and escalation with a controllable clock, across a restart, never twice."""

from __future__ import annotations

import pytest

from tests.e2e.driver import Person, text_of
from tests.e2e.test_officers import XUAN_HUONG, card, register, send_tip
from tests.support.clock import Clock


@pytest.fixture
def bot_settings(admin_user):
    return {"TIPBOT_ADMIN_IDS": str(admin_user.id)}


def banners(sandbox, chat_id: int, code: str, banner: str) -> int:
    return sum(1 for m in sandbox.history(chat_id) if code in text_of(m) and banner in text_of(m))


async def test_urgent_tip_reminded_then_escalated_once(sandbox, bot, admin_user):
    clock = Clock(ticking=True)
    bot.clock = clock
    bot.runtime.clock = clock
    minh_user = sandbox.add_user("Minh")
    await register(bot, minh_user, XUAN_HUONG)
    await Person(sandbox, admin_user).send("/start", expect="ẩn danh")
    code = await send_tip(Person(sandbox, sandbox.add_user("Lan"), timeout=15))  # urgent
    await card(sandbox, minh_user.id, code)

    clock.advance(minutes=10)
    await bot.run_job("deadlines")
    assert banners(sandbox, minh_user.id, code, "Nhắc việc") == 0  # not yet

    clock.advance(minutes=6)  # 16 minutes
    await bot.run_job("deadlines")
    await sandbox.wait_for_message(
        minh_user.id, timeout=15, predicate=lambda m: "Nhắc việc" in text_of(m)
    )
    await bot.run_job("deadlines")

    await bot.restart()  # the reminder is remembered in the database
    await bot.run_job("deadlines")
    clock.advance(minutes=15)  # 31 minutes
    await bot.run_job("deadlines")
    await sandbox.wait_for_message(
        admin_user.id, timeout=15, predicate=lambda m: "Chuyển lên tỉnh" in text_of(m)
    )
    await bot.run_job("deadlines")
    await bot.restart()
    await bot.run_job("deadlines")

    assert banners(sandbox, minh_user.id, code, "Nhắc việc") == 1
    assert banners(sandbox, admin_user.id, code, "Chuyển lên tỉnh") == 1
    with bot.db() as conn:
        actions = [r[0] for r in conn.execute("SELECT action FROM audit_log ORDER BY id")]
    assert actions.count("tip.remind") == 1 and actions.count("tip.escalate") == 1


async def test_acknowledging_stops_the_clock(sandbox, bot):
    clock = Clock(ticking=True)
    bot.clock = clock
    bot.runtime.clock = clock
    minh_user = sandbox.add_user("Minh")
    await register(bot, minh_user, XUAN_HUONG)
    code = await send_tip(Person(sandbox, sandbox.add_user("Lan"), timeout=15))
    await card(sandbox, minh_user.id, code)
    await Person(sandbox, minh_user, timeout=15).tap("✅ Tiếp nhận", expect="tiếp nhận lúc")
    clock.advance(minutes=5 * 24 * 60)
    await bot.run_job("deadlines")
    with bot.db() as conn:
        actions = [r[0] for r in conn.execute("SELECT action FROM audit_log")]
    assert "tip.remind" not in actions and "tip.escalate" not in actions
