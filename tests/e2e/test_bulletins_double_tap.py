"""A double tap in the bulletin picker: one preview, one confirmation, and the bulletin goes to
each subscriber once, however often Send is pressed for that picker."""

from __future__ import annotations

import pytest

from tests.e2e.driver import Person, text_of
from tests.e2e.test_bulletins import ready, received, subscribe
from tests.e2e.test_bulletins_picker import CYBER, OTP_TITLE_VI, topic_button
from tests.e2e.test_onboarding import wait_for_answer

CONFIRM = "người đăng ký ngay bây giờ"


@pytest.fixture
def bot_settings(admin_user):
    return {"TIPBOT_ADMIN_IDS": str(admin_user.id), "TIPBOT_QUIET_HOURS": "off"}


def data_of(message: dict, label: str) -> str:
    rows = message["reply_markup"]["inline_keyboard"]
    return next(b["callback_data"] for row in rows for b in row if b["text"] == label)


async def test_a_double_tap_in_the_picker_sends_once(sandbox, bot, admin_user):
    await ready(bot)
    admin = Person(sandbox, admin_user, timeout=15)
    lan = Person(sandbox, sandbox.add_user("Lan", language_code="vi"), timeout=15)
    await subscribe(lan)
    topics = await admin.send("/sendnow", expect="Chọn chủ đề")
    picker = await admin.tap(topic_button(topics, CYBER), expect="chọn bản tin nào")
    preview = data_of(picker, OTP_TITLE_VI)

    # Two taps in flight at once, both from the picker as the client last showed it.
    taps = [
        await sandbox.press_callback(admin_user, picker["message_id"], preview) for _ in range(2)
    ]
    for query in taps:
        await wait_for_answer(sandbox, query)
    confirm = await sandbox.wait_for_message(
        admin.chat_id, timeout=15, predicate=lambda m: CONFIRM in text_of(m), since=0
    )
    await admin.send("/help")  # anything answered after both taps were handled
    assert len([m for m in sandbox.history(admin.chat_id) if CONFIRM in text_of(m)]) == 1
    assert len([m for m in sandbox.history(admin.chat_id) if "Xem trước" in text_of(m)]) == 1

    # Send, twice on the confirmation and once more on another message: one broadcast.
    send = data_of(confirm, "📤 Gửi")
    for message_id in (confirm["message_id"], confirm["message_id"], picker["message_id"]):
        query = await sandbox.press_callback(admin_user, message_id, send)
        await wait_for_answer(sandbox, query)
    await received(sandbox, lan.chat_id, OTP_TITLE_VI)
    with bot.db() as conn:
        assert conn.execute("SELECT count(*) FROM broadcasts").fetchone()[0] == 1
    # The second tap's edit found the picker advanced already: that refusal is the guard.
    [refused] = sandbox.errors
    assert refused.method == "editMessageText" and "not modified" in str(refused)
