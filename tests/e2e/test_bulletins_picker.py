"""/sendnow and /sendat without a name (issue 14, point 7): a picker (topic -> bulletin, titles
in the admin's language), a preview exactly as subscribers will see it, the number it reaches,
then Send / Cancel. A typed name gets the same preview and count."""

from __future__ import annotations

import pytest

from tests.e2e.driver import Person, buttons_of, text_of
from tests.e2e.test_bulletins import OTP, ready, received, subscribe
from tests.support.waiting import wait_until

OTP_TITLE_VI = "Mã OTP là chìa khóa két tiền: không đưa cho ai"
OTP_TITLE_EN = "Your OTP is the key to your money: never give it away"
CYBER = "Tội phạm công nghệ cao, dữ liệu cá nhân"


@pytest.fixture
def bot_settings(admin_user):
    return {"TIPBOT_ADMIN_IDS": str(admin_user.id), "TIPBOT_QUIET_HOURS": "off"}


def topic_button(message: dict, topic: str) -> str:
    return next(label for label in buttons_of(message) if label.startswith(topic))


async def test_sendnow_picker_preview_count_then_send(sandbox, bot, admin_user):
    await ready(bot)
    admin = Person(sandbox, admin_user, timeout=15)
    lan = Person(sandbox, sandbox.add_user("Lan", language_code="vi"), timeout=15)
    await subscribe(lan)

    topics = await admin.send("/sendnow", expect="Chọn chủ đề")
    assert "✖ Hủy" in buttons_of(topics)
    bulletins = await admin.tap(topic_button(topics, CYBER), expect="chọn bản tin nào")
    assert OTP_TITLE_VI in buttons_of(bulletins)  # titles, in the admin's language
    assert OTP not in str(buttons_of(bulletins))
    confirm = await admin.tap(OTP_TITLE_VI, expect="người đăng ký ngay bây giờ")
    assert "1 người đăng ký" in text_of(confirm)
    assert buttons_of(confirm) == ["📤 Gửi", "✖ Hủy"]
    # Above it: a heading, then the bulletin itself, as subscribers will get it.
    shown = [m for m in sandbox.history(admin.chat_id) if m["message_id"] > topics["message_id"]]
    heading, preview, last = shown[-3:]
    assert "Xem trước" in text_of(heading) and last["message_id"] == confirm["message_id"]
    assert OTP_TITLE_VI in text_of(preview)
    assert buttons_of(preview) == ["⚙️ Đổi chủ đề", "🔕 Ngừng nhận bản tin"]
    assert not any(OTP_TITLE_VI in text_of(m) for m in sandbox.history(lan.chat_id))

    await admin.tap("📤 Gửi", expect="Đã bắt đầu lượt gửi #1")
    bulletin = await received(sandbox, lan.chat_id, OTP_TITLE_VI)
    assert text_of(bulletin) == text_of(preview)  # exactly what the admin saw
    assert buttons_of(bulletin) == buttons_of(preview)
    assert not sandbox.errors


async def test_sendat_picker_and_typed_names_and_cancel(sandbox, bot, admin_user):
    await ready(bot)
    admin = Person(sandbox, admin_user, timeout=15)
    await admin.send("/language", expect="chọn ngôn ngữ")
    await admin.tap("🇬🇧 English", expect="Language set")

    topics = await admin.send("/sendat 25/12 19:30", expect="Pick a topic")
    assert "19:30" in text_of(topics)
    bulletins = await admin.tap(
        topic_button(topics, "Hi-tech crime and personal data"), expect="which bulletin"
    )
    assert OTP_TITLE_EN in buttons_of(bulletins)  # now in English
    next_one = next(b for b in buttons_of(bulletins) if b.startswith("⏭"))
    back = await admin.tap("⬅️ Topics", expect="Pick a topic")
    assert back["message_id"] == topics["message_id"]  # the same message, one step back
    await admin.tap(topic_button(back, "Hi-tech crime and personal data"), expect="which bulletin")
    planned = await admin.tap(next_one, expect="It has 0 subscribers now")
    assert "Preview" in admin.history_text()
    await admin.tap("📤 Send", expect="Planned as #1")

    # Typed names still work, with the same preview and count first.
    confirm = await admin.send(f"/sendnow {OTP}", expect="subscribers now?")
    assert OTP_TITLE_EN in text_of(confirm) and "0 subscribers" in text_of(confirm)
    history = sandbox.history(admin.chat_id)
    before = [m for m in history if m["message_id"] < confirm["message_id"]]
    assert text_of(before[-2]).startswith("👁 Preview")
    assert text_of(before[-1]).startswith("📬")  # the bulletin, as it will go out
    await admin.tap("✖ Cancel", expect="Nothing was sent")
    with bot.db() as conn:
        assert conn.execute("SELECT count(*) FROM broadcasts").fetchone()[0] == 0
        assert conn.execute("SELECT count(*) FROM planned_sends").fetchone()[0] == 1
    assert planned
    assert not sandbox.errors


async def test_only_admins_pick(sandbox, bot, admin_user):
    await ready(bot)
    admin = Person(sandbox, admin_user, timeout=15)
    topics = await admin.send("/sendnow", expect="Chọn chủ đề")
    nam = Person(sandbox, sandbox.add_user("Nam", language_code="vi"))
    await nam.send("/start", expect="ẩn danh")
    data = topics["reply_markup"]["inline_keyboard"][0][0]["callback_data"]
    query = await sandbox.press_callback(nam.user, topics["message_id"], data)
    await wait_until(lambda: query in sandbox.callback_answers, timeout=10)
    assert "quản trị" in sandbox.callback_answers[query].text
    with bot.db() as conn:
        denied = conn.execute(
            "SELECT count(*) FROM audit_log WHERE action = 'denied.broadcast.pick'"
        ).fetchone()[0]
    assert denied == 1
    assert not sandbox.errors
