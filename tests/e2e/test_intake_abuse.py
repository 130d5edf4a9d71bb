"""Abuse: daily tip limits, bans, message floods — refused politely, nobody else slowed down."""

from __future__ import annotations

import asyncio

import pytest

from bot.anonymity import pseudonym
from storage import bans
from storage.db import Database
from tests.e2e.driver import Person
from tests.e2e.test_admin import BANNED
from tests.e2e.test_intake import send_reviewed, start_tip
from tests.support.waiting import quiet


async def quick_tip(person: Person, text: str) -> None:
    await start_tip(person, "📝 Việc khác")
    await person.tap("Không", expect="xã, phường")
    await person.tap("Tôi không rõ", expect="kể lại sự việc")
    await person.send(text, expect="Bạn kiểm tra lại")


@pytest.fixture
def bot_settings():
    return {"TIPBOT_MAX_TIPS_PER_DAY": "2"}


async def test_daily_limit_keeps_the_draft(sandbox, bot):
    lan = Person(sandbox, sandbox.add_user("Lan", language_code="vi"))
    for n in range(2):
        await quick_tip(lan, f"Tin số {n}")
        await send_reviewed(lan)
    await quick_tip(lan, "Tin thứ ba")
    await lan.tap("✅ Gửi tin báo", expect="đủ số tin báo")
    with bot.db() as conn:
        assert conn.execute("SELECT COUNT(*) FROM tips").fetchone()[0] == 2
        assert conn.execute("SELECT COUNT(*) FROM drafts").fetchone()[0] == 1  # kept for tomorrow


async def test_banned_resident_is_refused_politely(sandbox, bot):
    lan_user = sandbox.add_user("Lan", language_code="vi")
    db = await Database.open(bot.config.db_path)
    try:
        await bans.ban(db, pseudonym(bot.keys.pseudonym, lan_user.id), "spam", banned_by=None)
    finally:
        await db.close()
    lan = Person(sandbox, lan_user)
    reply = await lan.send("/report", expect=BANNED)
    assert "113" in reply["text"]


async def test_a_flood_from_one_account_does_not_starve_others(sandbox, bot, monkeypatch):
    import handlers.flood

    monkeypatch.setattr(handlers.flood, "REFILL_PER_SECOND", 1.0)
    flooder = sandbox.add_user("Spam", language_code="vi")
    lan = Person(sandbox, sandbox.add_user("Lan", language_code="vi"))
    await asyncio.gather(*(sandbox.send_text(flooder, f"rác {n}") for n in range(200)))
    reply = await lan.send("/start", expect="ẩn danh")
    assert reply
    await quiet(bot)  # every update of the flood handled: no answer is still to come
    answered = [m for m in sandbox.history(flooder.id) if m["from"]["is_bot"]]
    assert len(answered) <= handlers.flood.BURST + 2  # the burst, then one warning
    assert any("hơi nhanh" in (m.get("text") or "") for m in answered)
    assert not sandbox.errors
