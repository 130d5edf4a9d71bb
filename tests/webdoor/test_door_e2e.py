"""The web door end to end: the real bot (both Applications of `tipbot run`), a visitor over
HTTP, officers in the Telegram sandbox."""

from __future__ import annotations

import hashlib
import hmac
import re

from bot.doors import WEB_ID_BASE
from bot.webdoor.identity import visitor_id
from tests.e2e.driver import Person, buttons_of, text_of
from tests.e2e.test_intake import REVIEW, WHAT_TO_REPORT
from tests.e2e.test_officers import XUAN_HUONG, arrives, card, register
from tests.webdoor.visitor import jpeg_with_gps, plain


async def web_tip(resident, *, photo: bytes | None = None) -> str:
    """A drug tip, happening now, in Xuân Hương (the only match), through the resident flow."""
    await resident.send("/report", expect=WHAT_TO_REPORT)
    assert "ẩn danh" in " ".join(resident.texts())
    await resident.tap("🚨 Tội phạm", expect="loại tội phạm")
    await resident.tap("Ma túy", expect="khi nào")
    await resident.tap("🚨 Đang xảy ra / có người gặp nguy hiểm", expect="xã, phường")
    await resident.send("xuan huong", expect="kể lại sự việc")
    await resident.send("Bán ma túy ở quán <Karaoke> & bida", expect=plain(REVIEW))
    if photo is not None:
        await resident.upload(photo, "IMG_2041.jpg", expect="Đã nhận (1/10)")
    done = await resident.tap("✅ Gửi tin báo", expect="Tin báo đã được gửi")
    resident.receipt = re.search(r"/status ([0-9A-Z-]{24})", plain(done["html"]))[1]
    return re.search(r"T-[0-9A-Z]{6}", plain(done["html"]))[0]


async def test_text_tip_through_the_web_door_and_the_way_back(sandbox, bot, visitor):
    minh_user = sandbox.add_user("Minh", language_code="vi")
    await register(bot, minh_user, XUAN_HUONG)
    minh = Person(sandbox, minh_user, timeout=15)
    web = visitor()
    await web.send("/start", expect="ẩn danh")

    code = await web_tip(web)
    tip_card = await card(sandbox, minh_user.id, code)
    assert "<Karaoke> & bida" in text_of(tip_card) and "KHẨN CẤP" in text_of(tip_card)

    since = sandbox.version
    await minh.tap("✅ Tiếp nhận", expect="Minh tiếp nhận lúc")
    await web.wait_for("Cán bộ đã tiếp nhận tin báo")
    await minh.tap("❓ Hỏi người báo tin", expect="Nhập câu hỏi")
    await minh.send("Quán ở số nhà mấy?", expect="Đã gửi câu hỏi")
    question = await web.wait_for("Quán ở số nhà mấy?")
    # The question is a question box (ForceReply): the page's next message answers it.
    assert web.view["reply_to"] == question["id"] and not question["buttons"]
    since = sandbox.version
    await web.send("Số 12 đường Phan Đình Phùng", expect="đã được chuyển tới cán bộ")
    await arrives(sandbox, minh_user.id, "Số 12 đường Phan Đình Phùng", since)
    # A second question, and the visitor does something else before typing the answer: the
    # box is gone, and the last resort (the newest question waits a day) still takes it.
    await minh.tap("❓ Hỏi người báo tin", expect="Nhập câu hỏi")
    await minh.send("Mấy giờ quán mở?", expect="Đã gửi câu hỏi")
    await web.wait_for("Mấy giờ quán mở?")
    await web.send("/help")
    assert web.view["reply_to"] is None
    since = sandbox.version
    await web.send("Từ 8 giờ tối", expect="đã được chuyển tới cán bộ")
    await arrives(sandbox, minh_user.id, "Từ 8 giờ tối", since)
    assert not sandbox.errors

    # Another browser, with only the receipt, reads the whole thread.
    other = visitor()
    thread = await other.send(f"/status {web.receipt}", expect="Trao đổi về tin báo")
    assert "Cán bộ hỏi: Quán ở số nhà mấy?" in plain(thread["html"])
    assert "Bạn trả lời: Số 12 đường Phan Đình Phùng" in plain(thread["html"])

    # The web tipster's pseudonym lives in the web door's namespace, and no Telegram chat of the
    # sandbox ever heard from the bot about this visitor.
    with bot.db() as conn:
        assert conn.execute("SELECT count(*) FROM drafts").fetchone()[0] == 0
        assert conn.execute("SELECT count(*) FROM tips").fetchone()[0] == 1
    user_id = visitor_id(bot.keys.pseudonym, web.secret)
    assert user_id >= WEB_ID_BASE
    assert (
        bot.runtime.pseudonym_of(user_id)
        == hmac.new(bot.keys.pseudonym, f"web:{user_id}".encode(), hashlib.sha256).hexdigest()
    )
    assert user_id not in sandbox.chats


async def test_staff_commands_and_buttons_do_not_exist_at_the_web_door(
    sandbox, bot, visitor, admin_user
):
    minh_user = sandbox.add_user("Minh", language_code="vi")
    await register(bot, minh_user, XUAN_HUONG)
    resident = Person(sandbox, sandbox.add_user("Lan", language_code="vi"), timeout=15)
    from tests.e2e.test_officers import send_tip

    code = await send_tip(resident)
    tip_card = await card(sandbox, minh_user.id, code)
    web = visitor()
    for command in ("/invite xuan huong", "/stats", "/queue", f"/tip {code}", "/officers",
                    f"/ban {code} x", "/audit", "/export", "/linkgroup", "/newbulletin x",
                    "/sendnow online_fraud", "/broadcasts"):  # fmt: skip
        await web.send(command)
        assert "chưa hiểu lệnh này" in web.texts()[-1], command
    # An officer's button, forged with its real data, is refused by the door itself.
    forged = tip_card["reply_markup"]["inline_keyboard"][0][0]["callback_data"]
    async with web.session.post(
        f"{web.base}/api/press",
        json={"message_id": 1, "data": forged, "language": "vi"},
        headers=web.headers,
    ) as response:
        assert response.status == 400
    # Nothing happened to the tip, and nobody at the web door became staff.
    with bot.db() as conn:
        assert conn.execute("SELECT status FROM tips").fetchone()[0] == "new"
        assert conn.execute("SELECT count(*) FROM invites").fetchone()[0] == 0
        staff = {r[0] for r in conn.execute("SELECT user_id FROM officers")}
    assert all(user_id < WEB_ID_BASE for user_id in staff)
    assert "Tiếp nhận" in str(buttons_of(await card(sandbox, minh_user.id, code)))


async def test_bulletins_are_read_not_subscribed(bot, visitor):
    web = visitor()
    await web.send("/subscribe", expect="không thể gửi bản tin")
    async with web.session.get(f"{web.base}/api/bulletins?language=vi") as response:
        library = await response.json()
    assert library and all(item["title"] and item["html"] for item in library)
    with bot.db() as conn:
        assert conn.execute("SELECT count(*) FROM subscribers").fetchone()[0] == 0


async def test_web_tipster_answers_with_a_photo(sandbox, bot, visitor):
    minh_user = sandbox.add_user("Minh", language_code="vi")
    await register(bot, minh_user, XUAN_HUONG)
    minh = Person(sandbox, minh_user, timeout=15)
    web = visitor()
    code = await web_tip(web)
    await card(sandbox, minh_user.id, code)
    # A question answered with a photo: it reaches the officer as an upload.
    await minh.tap("❓ Hỏi người báo tin", expect="Nhập câu hỏi")
    await minh.send("Bạn có ảnh quán không?", expect="Đã gửi câu hỏi")
    await web.wait_for("Bạn có ảnh quán không?")
    since = sandbox.version
    await web.upload(jpeg_with_gps(), "quan.jpg", expect="đã được chuyển tới cán bộ")
    photo = await arrives(sandbox, minh_user.id, "Người báo tin gửi về tin báo", since)
    assert "photo" in photo
    assert b"SecretCam" not in sandbox.file_bytes(photo["photo"][-1]["file_id"])
