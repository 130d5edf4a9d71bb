"""/check end to end: officers confirm a resolved fraud tip's indicators; residents' /check finds
them in other spellings; unconfirmed reports are answered carefully; new tips show the history;
an admin withdraws a wrong confirmation, audited."""

from __future__ import annotations

import pytest

from bot.normalize import normalize_text
from tests.e2e.driver import Person, buttons_of, text_of
from tests.e2e.test_intake import send_reviewed, start_tip
from tests.e2e.test_officers import XUAN_HUONG, card, register


@pytest.fixture
def bot_settings(admin_user):
    return {"TIPBOT_ADMIN_IDS": str(admin_user.id)}


async def fraud_tip(resident: Person, phones: str, link: str) -> str:
    await start_tip(resident, "💸 Lừa đảo qua mạng")
    await resident.tap("Giả danh công an, cơ quan nhà nước", expect="liên lạc")
    await resident.tap("Tiếp tục ➡️", expect="số điện thoại nào")
    await resident.send(phones, expect="tài khoản")
    await resident.tap("Bỏ qua", expect="đường link")
    await resident.send(link, expect="mất bao nhiêu")
    await resident.tap("Không bị mất tiền", expect="xã, phường")
    await resident.send("xuan huong", expect="kể lại sự việc")
    await resident.send("Họ gọi xưng là công an, bảo chuyển tiền", expect="Bạn kiểm tra")
    code, _receipt = await send_reviewed(resident)
    return code


async def resolved_fraud_tip(sandbox, bot, phones: str) -> tuple[Person, str, dict]:
    """Officer Minh resolves Lan's fraud tip naming ``phones`` and a link: (Minh, the tip's code,
    the offer to confirm its indicators)."""
    minh_user = sandbox.add_user("Minh")
    await register(bot, minh_user, XUAN_HUONG)
    minh = Person(sandbox, minh_user, timeout=15)
    lan = Person(sandbox, sandbox.add_user("Lan"), timeout=15)
    code = await fraud_tip(lan, phones, "https://www.example-scam.vn/login")
    await card(sandbox, minh_user.id, code)
    await minh.tap("📋 Tình trạng ▸", expect=None)
    offer = await minh.tap("✔️ Đã giải quyết", expect="thật sự đã dùng")
    return minh, code, offer


async def test_confirm_then_check_in_other_spellings(sandbox, bot, admin_user):
    minh, code, offer = await resolved_fraud_tip(sandbox, bot, "0912.345.678, 0987 654 321")
    assert "☐ 0912 345 678" in buttons_of(offer)
    await minh.tap("☐ 0912 345 678", expect=None)
    await minh.tap("☐ example-scam.vn", expect=None)
    done = await minh.tap("Xong", expect="đã xác nhận")
    assert "2" in text_of(done)

    hung = Person(sandbox, sandbox.add_user("Hùng"), timeout=15)
    await hung.send("/start", expect="ẩn danh")
    # Invisible and full-width characters pasted into a number do not hide it.
    spellings = (
        "0912 345 678",
        "+84912345678",
        "84-912-345-678",
        "0912\ufe0f345678",
        "０９１２．３４５．６７８",
    )
    for spelling in spellings:
        reply = await hung.send(f"/check {spelling}", expect="Cảnh báo")
        assert "Giả danh công an" in text_of(reply)
        # Once, as the resident wrote it, read through the one normaliser: what they see is
        # what they typed, less the invisible characters and the full-width forms.
        assert text_of(reply).count(normalize_text(spelling)) == 1
        assert code not in text_of(reply)  # nothing about the tips beyond count, date, kind
    links = ("https://www.example-scam.vn/login", "example-scam.vn", "exam\u200bple-scam\u00ad.vn")
    for spelling in links:
        assert "Cảnh báo" in text_of(await hung.send(f"/check {spelling}", expect="113"))
    unconfirmed = await hung.send("/check 0987654321", expect="113")
    assert "chưa xác nhận" in text_of(unconfirmed) and "Cảnh báo" not in text_of(unconfirmed)
    unknown = await hung.send("/check 0901 111 222", expect="113")
    assert "Chưa có tin báo nào" in text_of(unknown)
    await hung.tap("🛡 Kiểm tra số, link khác", expect="Gửi số điện thoại")
    plain = text_of(await hung.send("0912345678", expect="113"))
    assert "Cảnh báo" in plain
    # A phone and an account to the search, one number to the resident: said once, as typed.
    assert plain.count("0912345678") == 1 and "0912 345 678" not in plain

    # A new tip naming a confirmed number tells the officers so.
    new_code = await fraud_tip(Person(sandbox, sandbox.add_user("Bảy"), timeout=15),
                               "0912 345 678", "khong-co.vn")  # fmt: skip
    new_card = await card(sandbox, minh.chat_id, new_code)
    assert "đã được xác nhận là lừa đảo trong 1 tin báo trước" in text_of(new_card)

    # The admin withdraws a wrong confirmation; /check stops warning; it is audited.
    admin = Person(sandbox, admin_user, timeout=15)
    await admin.send("/start", expect="ẩn danh")
    listed = await admin.send("/confirmed example-scam.vn", expect="Các xác nhận")
    label = next(b for b in buttons_of(listed) if code in b)
    await admin.tap(label, expect=None)
    assert "Cảnh báo" not in text_of(await hung.send("/check example-scam.vn", expect="113"))
    with bot.db() as conn:
        actions = [r[0] for r in conn.execute("SELECT action FROM audit_log ORDER BY id")]
        counts = dict(conn.execute("SELECT outcome, sum(count) FROM check_counts GROUP BY 1"))
        dump = "\n".join(conn.iterdump())
    assert actions.count("indicator.confirm") == 2 and "indicator.withdraw" in actions
    assert counts["confirmed"] >= 6 and counts["unknown"] >= 1
    assert "0901 111 222" not in dump and "0901111222" not in dump  # queries are not stored
    assert not sandbox.errors


async def test_two_toggles_tapped_at_once_both_count(sandbox, bot, admin_user):
    """A quick officer taps two indicators before the first edit arrives: both are confirmed,
    and no edit that changes nothing is sent (Telegram would refuse it)."""
    minh, _code, offer = await resolved_fraud_tip(sandbox, bot, "0912.345.678")
    toggles = [
        button["callback_data"]
        for row in offer["reply_markup"]["inline_keyboard"]
        for button in row
        if button["text"].startswith("☐")
    ]
    assert len(toggles) == 2
    since = sandbox.version
    for data in toggles:
        await sandbox.press_callback(minh.user, offer["message_id"], data)
    await sandbox.wait_for_message(
        minh.chat_id,
        timeout=15,
        predicate=lambda m: str(m.get("reply_markup", "")).count("✅") == 2,
        since=since,
    )
    with bot.db() as conn:
        confirmed = conn.execute("SELECT count(*) FROM confirmed_indicators").fetchone()[0]
    assert confirmed == 2
    assert not sandbox.errors
