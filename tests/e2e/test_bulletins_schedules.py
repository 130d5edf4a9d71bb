"""Schedules on a controllable clock: a cron slot fires at its local time, once, even across
restarts; quiet hours hold sends back until they end; planned one-off sends go at their time."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

import pytest

from tests.e2e.driver import Person, text_of
from tests.e2e.test_bulletins import TOPIC_SCREEN, ready, received
from tests.support.clock import Clock
from tests.support.waiting import quiet, wait_until

TZ = ZoneInfo("Asia/Ho_Chi_Minh")


def local(*fields: int) -> int:
    return int(datetime(*fields, tzinfo=TZ).timestamp())


@pytest.fixture
def bot_settings(admin_user):
    return {"TIPBOT_ADMIN_IDS": str(admin_user.id)}  # quiet hours: the default 21-7


@pytest.fixture
async def clock(bot):
    moment = Clock(local(2025, 9, 15, 7, 58))  # a Monday
    bot.clock = bot.runtime.clock = moment
    await ready(bot)
    return moment


async def subscriber(sandbox) -> Person:
    lan = Person(sandbox, sandbox.add_user("Lan", language_code="vi"), timeout=15)
    await lan.send("/subscribe", expect=TOPIC_SCREEN)
    await lan.tap("💾 Lưu", expect="Đã lưu")
    return lan


def broadcasts(bot) -> list[dict]:
    with bot.db() as conn:
        return [dict(r) for r in conn.execute("SELECT * FROM broadcasts ORDER BY id")]


def bulletins_in(sandbox, chat_id: int) -> list[str]:
    return [text_of(m) for m in sandbox.history(chat_id) if text_of(m).startswith("📬 ")]


async def test_a_schedule_fires_at_its_local_time_once(sandbox, bot, admin_user, clock):
    lan = await subscriber(sandbox)
    admin = Person(sandbox, admin_user, timeout=15)
    await admin.send("/schedule 0 8 * * 1 drugs", expect="Đã tạo lịch gửi #1")
    [job] = bot.application.job_queue.get_jobs_by_name("schedule:1")
    assert job.next_t.astimezone(TZ).strftime("%A %H:%M") == "Monday 08:00"

    await bot.run_job("schedule:1")  # 07:58: the slot has not come
    assert broadcasts(bot) == []

    clock.now = local(2025, 9, 15, 8, 0, 2)
    await bot.run_job("schedule:1")
    first = await received(sandbox, lan.chat_id, "📬 Ma túy")
    await bot.run_job("schedule:1")  # the same slot again: nothing more
    await wait_until(lambda: broadcasts(bot)[0]["status"] == "done")
    [done] = broadcasts(bot)
    assert done["run_key"] == f"schedule:1:{local(2025, 9, 15, 8, 0)}"
    assert done["schedule_id"] == 1 and done["sent_count"] == 1

    clock.now = local(2025, 9, 22, 8, 0, 1)  # a week later: the topic's next bulletin
    await bot.run_job("schedule:1")
    await wait_until(lambda: len(bulletins_in(sandbox, lan.chat_id)) == 2)
    slugs = [b["slug"] for b in broadcasts(bot)]
    assert len(set(slugs)) == 2
    assert text_of(first) == bulletins_in(sandbox, lan.chat_id)[0]
    assert not sandbox.errors


async def test_quiet_hours_hold_a_send_until_they_end(sandbox, bot, admin_user, clock):
    lan = await subscriber(sandbox)
    admin = Person(sandbox, admin_user, timeout=15)
    clock.now = local(2025, 9, 15, 21, 50)
    created = await admin.send("/schedule 0 22 * * * fire", expect="Đã tạo lịch gửi #1")
    assert "khung giờ không gửi (21:00–07:00)" in text_of(created)

    clock.now = local(2025, 9, 15, 22, 0, 1)
    await bot.run_job("schedule:1")
    confirm = await admin.send("/sendnow drugs", expect="ngay bây giờ")
    assert "bắt đầu lúc 07:00 16/09/2025" in text_of(confirm)
    await admin.tap("📤 Gửi", expect="Đã bắt đầu lượt gửi #2")
    await quiet(bot, calm=1.5)  # the engine looks every second: a whole look sent nothing
    assert bulletins_in(sandbox, lan.chat_id) == []
    progress = await admin.send("/broadcasts", expect="Các lượt gửi bản tin")
    assert "đang chờ hết khung giờ không gửi (07:00 16/09/2025)" in text_of(progress)
    assert "còn 1" in text_of(progress)

    clock.now = local(2025, 9, 16, 6, 59, 50)
    await quiet(bot, calm=1.5)
    assert bulletins_in(sandbox, lan.chat_id) == []
    clock.now = local(2025, 9, 16, 7, 0, 1)
    await wait_until(lambda: len(bulletins_in(sandbox, lan.chat_id)) == 2)
    assert [b["started_at"] >= local(2025, 9, 16, 7) for b in broadcasts(bot)] == [True, True]
    summary = await received(sandbox, admin.chat_id, "Lượt gửi #2 đã xong")
    assert "Đã gửi tới: 1" in text_of(summary)
    assert not sandbox.errors


async def test_missed_slots_and_planned_sends_after_a_restart(sandbox, bot, admin_user, clock):
    lan = await subscriber(sandbox)
    admin = Person(sandbox, admin_user, timeout=15)
    clock.now = local(2025, 9, 15, 8, 55)
    await admin.send("/schedule 0 9 * * * traffic", expect="Đã tạo lịch gửi #1")
    await admin.send("/sendat 10:00 forest", expect="Hiện có 1 người đăng ký")
    await admin.tap("📤 Gửi", expect="Đã hẹn gửi (#1)")
    await admin.send("/sendat 11:00 fire", expect="Hiện có")
    await admin.tap("📤 Gửi", expect="Đã hẹn gửi (#2)")

    await bot.stop()  # down over the 09:00 slot and the 10:00 send
    clock.now = local(2025, 9, 15, 10, 20)
    await bot.start()
    await wait_until(lambda: len(bulletins_in(sandbox, lan.chat_id)) == 2)
    assert {b["topic"] for b in broadcasts(bot)} == {"traffic", "forest"}
    await bot.restart()
    await ready(bot)
    await quiet(bot, calm=1.5)  # a whole look of the engine after the restart
    assert len(broadcasts(bot)) == 2  # nothing sent twice

    await bot.stop()  # down until long after the 11:00 send: it is dropped, and said so
    clock.now = local(2025, 9, 15, 18, 0)
    await bot.start()
    notice = await received(sandbox, admin.chat_id, "không được gửi")
    assert "#2" in text_of(notice)
    clock.now = local(2025, 9, 16, 9, 0, 1)
    await bot.run_job("schedule:1")  # the next day's slot, as usual
    await wait_until(lambda: len(broadcasts(bot)) == 3)
    with bot.db() as conn:
        planned = [tuple(r) for r in conn.execute("SELECT id, status FROM planned_sends")]
    assert planned == [(1, "started"), (2, "missed")]
    assert not sandbox.errors


async def test_a_planned_send_goes_at_its_time(sandbox, bot, admin_user, clock):
    lan = await subscriber(sandbox)
    admin = Person(sandbox, admin_user, timeout=15)
    await admin.send("/sendat 08:30 reporting", expect="Hiện có 1 người đăng ký")
    await admin.tap("📤 Gửi", expect="Đã hẹn gửi (#1)")
    await bot.run_job("bulletins")
    assert broadcasts(bot) == []
    clock.now = local(2025, 9, 15, 8, 30)
    await bot.run_job("bulletins")
    await received(sandbox, lan.chat_id, "📬 Báo tin an toàn")
    assert len(broadcasts(bot)) == 1
