"""Officers at work, end to end: routing, the card, acknowledge, anonymous follow-up, statuses,
transfer, groups, the province queue, delivery through faults, and the authorisation matrix."""

from __future__ import annotations

import pytest

from storage import officers
from storage.db import Database
from tests.e2e.driver import Person, buttons_of, text_of
from tests.e2e.test_intake import WHAT_TO_REPORT, send_reviewed, start_tip
from tests.support.officers import register_officer
from tests.support.waiting import wait_until

XUAN_HUONG = 24781  # Phường Xuân Hương - Đà Lạt
LANG_BIANG = 24846  # Phường Lang Biang - Đà Lạt


@pytest.fixture
def bot_settings(admin_user):
    return {"TIPBOT_ADMIN_IDS": str(admin_user.id)}


async def register(bot, user, *communes: int) -> None:
    """An officer of these communes who has opened the in-process bot."""
    await register_officer(bot.sandbox, bot.config.db_path, user, *communes)


async def send_tip(resident: Person, *, place: str | None = "xuan huong", photo=False) -> str:
    await start_tip(resident, "🚨 Tội phạm")
    await resident.tap("Ma túy", expect="khi nào")
    await resident.tap("🚨 Đang xảy ra / có người gặp nguy hiểm", expect="xã, phường")
    if place:
        await resident.send(place, expect="kể lại sự việc")  # the only match: taken
    else:
        await resident.tap("Tôi không rõ", expect="kể lại sự việc")
    await resident.send("Bán ma túy ở quán <Karaoke> & bida", expect="Bạn kiểm tra")
    if photo:
        await resident.photo(expect="Đã nhận")
    code, _receipt = await send_reviewed(resident)
    return code


async def card(sandbox, chat_id: int, code: str) -> dict:
    """The tip's card with its buttons in that chat: already there, or the next to come."""

    def is_card(message: dict) -> bool:
        return code in text_of(message) and bool(message.get("reply_markup"))

    for message in reversed(sandbox.history(chat_id)):
        if is_card(message):
            return message
    return await sandbox.wait_for_message(chat_id, timeout=15, predicate=is_card)


async def arrives(sandbox, chat_id: int, fragment: str, since: int) -> dict:
    """A bot message containing `fragment` in that chat, sent after version `since`."""
    return await sandbox.wait_for_message(
        chat_id, timeout=15, predicate=lambda m: fragment in text_of(m), since=since
    )


def tip_id_of(bot, code: str) -> int:
    with bot.db() as conn:
        return conn.execute("SELECT id FROM tips WHERE code = ?", (code,)).fetchone()[0]


def forced_reply(sandbox, message: dict) -> bool:
    """The bot sent this message with ForceReply (the app opens the answer as a reply to it)."""
    return any(
        call.method == "sendMessage"
        and (call.result or {}).get("message_id") == message["message_id"]
        and call.params.get("chat_id") == message["chat"]["id"]
        and (call.params.get("reply_markup") or {}).get("force_reply") is True
        for call in sandbox.calls
    )


def visible_to(sandbox, chat_id: int) -> str:
    return "\n".join(text_of(m) + str(m.get("reply_markup", "")) for m in sandbox.history(chat_id))


async def test_resident_to_officer_and_back(sandbox, bot):
    lan_user = sandbox.add_user(
        "Lan", last_name="Trịnh", username="lan_tipster", language_code="vi"
    )
    lan = Person(sandbox, lan_user, timeout=15)
    minh_user = sandbox.add_user("Minh", language_code="vi")
    await register(bot, minh_user, XUAN_HUONG)
    minh = Person(sandbox, minh_user, timeout=15)

    code = await send_tip(lan, photo=True)
    tip_card = await card(sandbox, minh_user.id, code)
    assert "KHẨN CẤP" in text_of(tip_card) and "Phường Xuân Hương - Đà Lạt" in text_of(tip_card)
    assert "<Karaoke> & bida" in text_of(tip_card)
    assert tip_card.get("has_protected_content") or tip_card.get("protect_content")
    await sandbox.wait_for_message(minh_user.id, timeout=15, predicate=lambda m: "photo" in m)

    since = sandbox.version
    await minh.tap("✅ Tiếp nhận", expect="Minh tiếp nhận lúc")
    await arrives(sandbox, lan_user.id, "Cán bộ đã tiếp nhận tin báo", since)

    await minh.tap("❓ Hỏi người báo tin", expect="Nhập câu hỏi")
    since = sandbox.version
    await minh.send("Quán ở số nhà mấy?", expect="Đã gửi câu hỏi")
    question = await arrives(sandbox, lan_user.id, "Quán ở số nhà mấy?", since)
    assert forced_reply(sandbox, question)  # the app answers it as a reply
    since = sandbox.version
    await lan.do(
        lambda: sandbox.send_text(
            lan_user, "Số 12 đường Phan Đình Phùng", reply_to=question["message_id"]
        ),
        expect="đã được chuyển tới cán bộ",
    )
    await arrives(sandbox, minh_user.id, "Số 12 đường Phan Đình Phùng", since)

    await minh.tap("📋 Tình trạng ▸", expect=None)
    since = sandbox.version
    await minh.tap("✔️ Đã giải quyết", expect="Gửi kèm phản hồi")
    await arrives(sandbox, lan_user.id, "đã giải quyết", since)
    await minh.tap("✍️ Viết phản hồi", expect="Nhập phản hồi")
    since = sandbox.version
    await minh.send("Đã bắt giữ. Cảm ơn bạn!", expect="Đã gửi phản hồi")
    await arrives(sandbox, lan_user.id, "Đã bắt giữ", since)
    # Later, with the offer used up, the closed tip's card still lets him reply.
    closed_card = await card(sandbox, minh_user.id, code)
    assert "Viết phản hồi" in str(closed_card["reply_markup"])
    assert "Tiếp nhận" not in str(closed_card["reply_markup"])
    await sandbox.press_callback(
        minh_user, closed_card["message_id"], f"o:reply:{tip_id_of(bot, code)}"
    )
    await sandbox.wait_for_message(
        minh_user.id, timeout=15, predicate=lambda m: "Nhập phản hồi" in text_of(m)
    )
    since = sandbox.version
    await minh.send("Vụ việc đã được chuyển lên huyện.", expect="Đã gửi phản hồi")
    [still] = [
        m for m in sandbox.history(minh_user.id) if m["message_id"] == closed_card["message_id"]
    ]
    assert "Viết phản hồi" in str(still.get("reply_markup"))  # the card keeps its button
    await arrives(sandbox, lan_user.id, "chuyển lên huyện", since)

    # Nothing identifying the resident ever reached the officer's chat.
    seen = visible_to(sandbox, minh_user.id)
    for needle in (str(lan_user.id), "lan_tipster", "Trịnh"):
        assert needle not in seen
    assert not [c for c in sandbox.calls if c.method == "forwardMessage"]
    with bot.db() as conn:
        actions = [r[0] for r in conn.execute("SELECT action FROM audit_log ORDER BY id")]
    assert actions == [
        "tip.acknowledge", "tip.question", "tip.answer_relayed", "tip.status", "tip.reply",
        "tip.reply",
    ]  # fmt: skip
    assert not sandbox.errors


async def test_transfer_group_and_province_queue(sandbox, bot, admin_user):
    lan = Person(sandbox, sandbox.add_user("Lan", language_code="vi"), timeout=15)
    minh_user, hoa_user = sandbox.add_user("Minh"), sandbox.add_user("Hoa")
    await register(bot, minh_user, XUAN_HUONG)
    await register(bot, hoa_user, LANG_BIANG)
    group = sandbox.add_group("Công an Xuân Hương", members=[minh_user])
    db = await Database.open(bot.config.db_path)
    try:
        await officers.link_group(db, group.id, XUAN_HUONG, linked_by=minh_user.id, title=None)
    finally:
        await db.close()

    code = await send_tip(lan)
    await card(sandbox, group.id, code)  # the linked group gets it too
    await card(sandbox, minh_user.id, code)
    assert not [m for m in sandbox.history(hoa_user.id) if code in text_of(m)]

    minh = Person(sandbox, minh_user, timeout=15)
    await minh.tap("📋 Tình trạng ▸", expect=None)
    await minh.tap("🔁 Chuyển xã, phường khác", expect="Nhập tên xã, phường")
    await minh.send("lang biang", expect="Chuyển tin báo")
    since = sandbox.version
    await minh.tap("Phường Lang Biang - Đà Lạt", expect="Đã chuyển tin báo")
    moved = await card(sandbox, hoa_user.id, code)
    assert "Tin báo được chuyển tới" in text_of(moved)
    await arrives(sandbox, group.id, "đã chuyển tin báo", since)
    # Minh no longer covers the tip: his old card's buttons are refused.
    with bot.db() as conn:
        tip_id = conn.execute("SELECT id FROM tips WHERE code = ?", (code,)).fetchone()[0]
    old_card = next(m for m in sandbox.history(minh_user.id) if "Nội dung sự việc" in text_of(m))
    assert not old_card.get("reply_markup")  # the card no longer offers him actions
    query_id = await sandbox.press_callback(minh_user, old_card["message_id"], f"o:ack:{tip_id}")
    assert "Chỉ cán bộ" in (await wait_for_answer(sandbox, query_id)).text
    hoa = Person(sandbox, hoa_user, timeout=15)
    await hoa.tap("✅ Tiếp nhận", expect="Hoa tiếp nhận lúc")

    # "I don't know" goes to the province queue: the admins.
    await Person(sandbox, admin_user).send("/start", expect="ẩn danh")
    other = await send_tip(Person(sandbox, sandbox.add_user("Bảy"), timeout=15), place=None)
    queued = await card(sandbox, admin_user.id, other)
    assert "chờ tỉnh phân công" in text_of(queued)
    assert not sandbox.errors


@pytest.mark.slow  # a long simulation: retries through every kind of fault
async def test_cards_arrive_through_429_5xx_and_timeouts(sandbox, bot):
    minh_user = sandbox.add_user("Minh")
    await register(bot, minh_user, XUAN_HUONG)
    lan = Person(sandbox, sandbox.add_user("Lan"), timeout=15)
    code = await send_tip(lan, photo=True)
    # The card is being sent by now or soon; make the next sends fail in every way.
    sandbox.fail_next("sendMessage", count=1, kind="429", retry_after=1)
    sandbox.fail_next("sendMessage", count=1, kind="500")
    sandbox.fail_next("sendPhoto", count=1, kind="drop")
    await card(sandbox, minh_user.id, code)
    await sandbox.wait_for_message(minh_user.id, timeout=30, predicate=lambda m: "photo" in m)
    cards = [m for m in sandbox.history(minh_user.id) if code in text_of(m)]
    assert len(cards) == 1  # delivered once, not once per retry


ACTIONS = ["ack", "ask", "note", "status", "back", "set:{id}:resolved", "transfer", "to:{id}:24846"]


async def test_authorisation_matrix(sandbox, bot):
    minh_user = sandbox.add_user("Minh")
    hoa_user = sandbox.add_user("Hoa")  # officer of another commune
    revoked_user = sandbox.add_user("Cũ")  # a former officer of this commune
    await register(bot, minh_user, XUAN_HUONG)
    await register(bot, hoa_user, LANG_BIANG)
    await register(bot, revoked_user, XUAN_HUONG)
    db = await Database.open(bot.config.db_path)
    try:
        await officers.set_active(db, revoked_user.id, False)
    finally:
        await db.close()
    lan_user = sandbox.add_user("Lan")
    code = await send_tip(Person(sandbox, lan_user, timeout=15))
    tip_card = await card(sandbox, minh_user.id, code)
    with bot.db() as conn:
        tip_id = conn.execute("SELECT id FROM tips WHERE code = ?", (code,)).fetchone()[0]

    for intruder in (lan_user, hoa_user, revoked_user):
        await sandbox.send_text(intruder, "/start")  # so the bot may answer them
        for action in ACTIONS:
            verb, _, rest = action.partition(":")
            data = f"o:{verb}:{tip_id}" + (":" + rest.split(":", 1)[1] if rest else "")
            query_id = await sandbox.press_callback(intruder, tip_card["message_id"], data)
            answer = await wait_for_answer(sandbox, query_id)
            assert "Chỉ cán bộ của xã, phường" in answer.text, (intruder, action)

    with bot.db() as conn:
        tip = conn.execute(
            "SELECT status, commune_code FROM tips WHERE id = ?", (tip_id,)
        ).fetchone()
        denied = conn.execute(
            "SELECT COUNT(*) FROM audit_log WHERE action LIKE 'denied.%' AND tip_id = ?", (tip_id,)
        ).fetchone()[0]
        messages = conn.execute("SELECT COUNT(*) FROM tip_messages").fetchone()[0]
    assert tuple(tip) == ("new", XUAN_HUONG)
    assert denied == 3 * len(ACTIONS)
    assert messages == 0
    assert not sandbox.errors


def group_links(bot) -> int:
    with bot.db() as conn:
        return conn.execute("SELECT count(*) FROM commune_groups").fetchone()[0]


async def wait_for_answer(sandbox, query_id: str):
    await wait_until(lambda: query_id in sandbox.callback_answers, timeout=10)
    return sandbox.callback_answers[query_id]


async def test_queue_tip_and_audit(sandbox, bot, admin_user):
    minh_user = sandbox.add_user("Minh")
    await register(bot, minh_user, XUAN_HUONG)
    hoa_user = sandbox.add_user("Hoa")
    await register(bot, hoa_user, LANG_BIANG)
    admin = Person(sandbox, admin_user, timeout=15)
    await admin.send("/start", expect="ẩn danh")
    code = await send_tip(Person(sandbox, sandbox.add_user("Lan"), timeout=15))
    await card(sandbox, minh_user.id, code)
    minh = Person(sandbox, minh_user, timeout=15)

    queue = await minh.send("/queue", expect="Tin báo chưa xử lý xong")
    assert code in text_of(queue) and "🚨" in text_of(queue)
    assert "Không có tin báo" in text_of(await Person(sandbox, hoa_user).send("/queue"))
    shown = await minh.tap(code, expect="Nội dung sự việc")
    assert "✅ Tiếp nhận" in buttons_of(shown)
    again = await minh.send(f"/tip {code.lower()}", expect="Nội dung sự việc")
    await minh.tap("✅ Tiếp nhận", expect="Minh tiếp nhận lúc")  # from the newest card
    refused = await Person(sandbox, hoa_user).send(f"/tip {code}", expect="Chỉ cán bộ")
    assert code not in text_of(refused)

    history = await admin.send(f"/audit {code}", expect="Lịch sử")
    assert "Minh" in text_of(history) and "tiếp nhận" in text_of(history)
    assert "từ chối" in text_of(history)  # Hoa's refused /tip is on record
    assert "chỉ quản trị viên" in text_of(await minh.send(f"/audit {code}"))
    assert again["message_id"] != shown["message_id"]
    assert not sandbox.errors


async def test_removing_the_bot_from_a_group_unlinks_it(sandbox, bot):
    minh_user = sandbox.add_user("Minh")
    await register(bot, minh_user, XUAN_HUONG)
    group = sandbox.add_group("Công an Xuân Hương", members=[minh_user])
    db = await Database.open(bot.config.db_path)
    try:
        await officers.link_group(db, group.id, XUAN_HUONG, linked_by=minh_user.id, title=None)
    finally:
        await db.close()
    sandbox.remove_bot(group, by=minh_user)
    await wait_until(lambda: not group_links(bot))
    code = await send_tip(Person(sandbox, sandbox.add_user("Lan"), timeout=15))
    await card(sandbox, minh_user.id, code)
    with bot.db() as conn:
        assert conn.execute("SELECT count(*) FROM commune_groups").fetchone()[0] == 0
        unlinked = conn.execute(
            "SELECT actor_id FROM audit_log WHERE action = 'group.unlink'"
        ).fetchall()
    assert [tuple(r) for r in unlinked] == [(None,)]
    assert not sandbox.errors


async def test_follow_ups_reach_only_the_current_commune_and_never_eat_a_new_tip(sandbox, bot):
    lan_user = sandbox.add_user("Lan")
    lan = Person(sandbox, lan_user, timeout=15)
    minh_user, hoa_user = sandbox.add_user("Minh"), sandbox.add_user("Hoa")
    await register(bot, minh_user, XUAN_HUONG)
    await register(bot, hoa_user, LANG_BIANG)
    code = await send_tip(lan)
    await card(sandbox, minh_user.id, code)
    minh = Person(sandbox, minh_user, timeout=15)
    await minh.tap("📋 Tình trạng ▸", expect=None)
    await minh.tap("🔁 Chuyển xã, phường khác", expect="Nhập tên xã, phường")
    await minh.send("lang biang", expect="Chuyển tin báo")
    await minh.tap("Phường Lang Biang - Đà Lạt", expect="Đã chuyển tin báo")
    await card(sandbox, hoa_user.id, code)
    hoa = Person(sandbox, hoa_user, timeout=15)
    await hoa.tap("❓ Hỏi người báo tin", expect="Nhập câu hỏi")
    since = sandbox.version
    await hoa.send("Mấy người?", expect="Đã gửi câu hỏi")
    question = await arrives(sandbox, lan_user.id, "Mấy người?", since)

    # Lan starts a new tip before answering: her typing goes to the new tip, not to the officers.
    await lan.send("/report", expect=WHAT_TO_REPORT)
    await lan.tap("📝 Việc khác", expect="đang diễn ra")
    await lan.tap("Không", expect="xã, phường")
    await lan.send("xuan huong", expect="kể lại sự việc")
    # Then she answers by replying to the question: that reaches Hoa, and only Hoa.
    since = sandbox.version
    await sandbox.send_text(lan_user, "Khoảng 5 người", reply_to=question["message_id"])
    await arrives(sandbox, hoa_user.id, "Khoảng 5 người", since)
    await arrives(sandbox, lan_user.id, "đã được chuyển tới cán bộ", since)
    assert "Khoảng 5 người" not in visible_to(sandbox, minh_user.id)
    assert "xuan huong" not in visible_to(sandbox, hoa_user.id)
    assert not sandbox.errors
