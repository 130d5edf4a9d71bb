"""Holes an outside attack found, closed end to end: a revoked officer's ways back in, answers
of every media kind, answers nobody asked for, and what reaches officers with a file."""

from __future__ import annotations

import json

import pytest

from tests.e2e.driver import Person, text_of
from tests.e2e.test_officers import XUAN_HUONG, arrives, card, register, send_tip
from tests.e2e.test_onboarding import wait_for_answer


@pytest.fixture
def bot_settings(admin_user):
    return {"TIPBOT_ADMIN_IDS": str(admin_user.id)}


def audit(bot, action: str) -> list[dict]:
    with bot.db() as conn:
        rows = conn.execute(
            "SELECT actor_id, detail FROM audit_log WHERE action = ? ORDER BY id", (action,)
        ).fetchall()
    return [{"actor": row["actor_id"], **json.loads(row["detail"])} for row in rows]


async def test_a_revoked_officer_receives_nothing_more(sandbox, bot, admin_user):
    admin = Person(sandbox, admin_user, timeout=15)
    await admin.send("/start", expect="ẩn danh")
    minh_user = sandbox.add_user("Minh", language_code="vi")
    await register(bot, minh_user, XUAN_HUONG)
    minh = Person(sandbox, minh_user, timeout=15)

    # A crafted "link this commune" button pressed in his private chat links nothing.
    query = await sandbox.press_callback(
        minh_user, minh.last_bot_message()["message_id"], f"onb:link:{XUAN_HUONG}"
    )
    await wait_for_answer(sandbox, query)
    assert sandbox.callback_answers[query].show_alert
    [denied] = audit(bot, "denied.group.link")
    assert denied["chat"] == minh_user.id and denied["chat_type"] == "private"

    # A real group he linked, in which no other officer of the commune vouches for the link.
    group = sandbox.add_group("Nhóm <riêng> của Minh", members=[minh_user])
    await sandbox.send_text(minh_user, "/linkgroup", chat=group)
    await sandbox.wait_for_message(group.id, predicate=lambda m: "✅" in text_of(m))
    first = await send_tip(Person(sandbox, sandbox.add_user("Lan"), timeout=15))
    await card(sandbox, group.id, first)
    first_card = await card(sandbox, minh_user.id, first)

    await admin.send("/officers", expect="Minh")
    await admin.tap("🚫 Thu hồi Minh", expect="Thu hồi quyền")
    done = await admin.tap("🚫 Đồng ý thu hồi", expect="đã bị thu hồi")
    assert "Nhóm <riêng> của Minh" in text_of(done) and "/linkgroup" in text_of(done)
    [unlinked] = audit(bot, "group.unlink")
    assert unlinked["chat"] == group.id and unlinked["why"] == "revoked"
    # The open tip he alone had now waits in the admins' queue.
    await card(sandbox, admin_user.id, first)

    since = sandbox.version
    second = await send_tip(Person(sandbox, sandbox.add_user("Bảy"), timeout=15))
    await card(sandbox, admin_user.id, second)  # the province queue takes the commune's tips
    # An admin acknowledges the first tip: his old card is not edited with the news.
    admin_card = await card(sandbox, admin_user.id, first)
    await sandbox.press_callback(
        admin_user,
        admin_card["message_id"],
        admin_card["reply_markup"]["inline_keyboard"][0][0]["callback_data"],
    )
    await arrives(sandbox, admin_user.id, "tiếp nhận lúc", since)
    for chat_id in (minh_user.id, group.id):
        assert not [m for m in sandbox.bot_messages_since(chat_id, since) if second in text_of(m)]
    [still] = [
        m for m in sandbox.history(minh_user.id) if m["message_id"] == first_card["message_id"]
    ]
    assert "tiếp nhận lúc" not in text_of(still)
    assert not sandbox.errors
