"""Bulletins end to end: subscribing (from the menu, after a tip, from a bulletin), changing
topics, unsubscribing in one tap; admins writing, sending and scheduling bulletins from chat; the
channel."""

from __future__ import annotations

import asyncio

import pytest

from bot.bulletin_jobs import BROADCASTER
from tests.e2e.driver import Person, buttons_of, text_of
from tests.e2e.test_intake import SENT
from tests.e2e.test_officers import send_tip
from tests.support.waiting import quiet, wait_until

TOPIC_SCREEN = "Bản tin tuyên truyền pháp luật"
OTP = "never-share-otp"  # a library bulletin of the cyber_privacy topic


@pytest.fixture
def bot_settings(admin_user):
    return {"TIPBOT_ADMIN_IDS": str(admin_user.id), "TIPBOT_QUIET_HOURS": "off"}


async def ready(bot) -> None:
    """The library is in the database and the engine runs (a job right after start)."""
    for _ in range(400):
        if bot.application.bot_data.get(BROADCASTER) is not None:
            return
        await asyncio.sleep(0.025)
    raise TimeoutError("the bulletins did not start")


def subscription(bot, chat_id: int):
    with bot.db() as conn:
        row = conn.execute("SELECT * FROM subscribers WHERE chat_id = ?", (chat_id,)).fetchone()
        if row is None:
            return None
        topics = conn.execute(
            "SELECT topic FROM subscriber_topics WHERE subscriber_id = ? ORDER BY topic",
            (row["id"],),
        ).fetchall()
    return {"active": row["active"], "language": row["language"], "topics": [t[0] for t in topics]}


async def answer_to(sandbox, person: Person, label: str):
    """Taps a button that answers with a toast or an alert only."""
    query = await sandbox.press_button(person.user, label)
    await wait_until(lambda: query in sandbox.callback_answers)
    return sandbox.callback_answers[query]


async def received(sandbox, chat_id: int, fragment: str) -> dict:
    """A bot message containing ``fragment`` in that chat, whenever it came."""
    return await sandbox.wait_for_message(
        chat_id, timeout=20, predicate=lambda m: fragment in text_of(m), since=0
    )


def broadcast_done(bot, broadcast_id: int) -> bool:
    with bot.db() as conn:
        row = conn.execute("SELECT status FROM broadcasts WHERE id = ?", (broadcast_id,)).fetchone()
    return row is not None and row[0] == "done"


async def subscribe(person: Person, *, untick: tuple[str, ...] = ()) -> None:
    await person.send("/subscribe", expect=TOPIC_SCREEN)
    for label in untick:
        await person.tap(f"✓ {label}", expect=TOPIC_SCREEN)
    await person.tap("💾 Lưu", expect="Đã lưu")


async def send_now(admin: Person, what: str, expect: str = "Gửi") -> dict:
    await admin.send(f"/sendnow {what}", expect="người đăng ký ngay bây giờ")
    return await admin.tap("📤 Gửi", expect="Đã bắt đầu lượt gửi")


# Subscribers -----------------------------------------------------------------------------------


async def test_subscribe_change_topics_and_unsubscribe(sandbox, bot):
    lan = Person(sandbox, sandbox.add_user("Lan", language_code="vi"))
    menu = await lan.send("/start", expect="ẩn danh")
    assert "📬 Bản tin" in buttons_of(menu)
    screen = await lan.tap("📬 Bản tin", expect=TOPIC_SCREEN)
    assert "không gắn với bất kỳ tin báo nào" in text_of(screen)
    assert "✓ Ma túy" in buttons_of(screen) and "✓ 🇻🇳 Tiếng Việt" in buttons_of(screen)
    assert "🔕 Hủy đăng ký" not in buttons_of(screen)  # not subscribed yet

    unticked = await lan.tap("✓ Ma túy", expect=TOPIC_SCREEN)
    assert "Ma túy" in buttons_of(unticked) and "✓ Ma túy" not in buttons_of(unticked)
    await lan.tap("✓ Bảo vệ rừng", expect=TOPIC_SCREEN)
    saved = await lan.tap("💾 Lưu", expect="Đã lưu")
    assert "Lừa đảo qua mạng" in text_of(saved) and "Ma túy" not in text_of(saved)
    stored = subscription(bot, lan.chat_id)
    assert stored["active"] == 1 and stored["language"] == "vi"
    assert "drugs" not in stored["topics"] and "forest" not in stored["topics"]
    assert len(stored["topics"]) == 5

    # Change topics and language from the saved message, in place.
    screen = await lan.tap("⚙️ Đổi chủ đề", expect=TOPIC_SCREEN)
    assert "Ma túy" in buttons_of(screen) and "🔕 Hủy đăng ký" in buttons_of(screen)
    await lan.tap("Ma túy", expect=TOPIC_SCREEN)
    await lan.tap("🇬🇧 English", expect=TOPIC_SCREEN)
    await lan.tap("💾 Lưu", expect="Đã lưu")
    stored = subscription(bot, lan.chat_id)
    assert "drugs" in stored["topics"] and stored["language"] == "en"

    gone = await lan.send("/unsubscribe", expect="không nhận bản tin nữa")
    assert "📬 Đăng ký nhận bản tin" in buttons_of(gone)
    assert subscription(bot, lan.chat_id)["active"] == 0
    assert "chưa đăng ký" in text_of(await lan.send("/unsubscribe"))

    # Saving with no topic at all is unsubscribing.
    await lan.tap("📬 Đăng ký nhận bản tin", expect=TOPIC_SCREEN)
    for topic in ("Lừa đảo qua mạng", "Bảo vệ rừng", "Ma túy", "An toàn giao thông"):
        await lan.tap(f"✓ {topic}", expect=TOPIC_SCREEN)
    for topic in ("Phòng cháy, chữa cháy", "Tội phạm công nghệ cao, dữ liệu cá nhân"):
        await lan.tap(f"✓ {topic}", expect=TOPIC_SCREEN)
    await lan.tap("✓ Báo tin an toàn", expect=TOPIC_SCREEN)
    await lan.tap("💾 Lưu", expect="không nhận bản tin nữa")
    assert subscription(bot, lan.chat_id)["active"] == 0
    assert not sandbox.errors


async def test_forged_topic_buttons_change_nothing(sandbox, bot):
    lan = Person(sandbox, sandbox.add_user("Lan", language_code="vi"))
    screen = await lan.send("/subscribe", expect=TOPIC_SCREEN)
    for data in ("bs:t:999:vi:1", "bs:t:3:fr:1", "bs:t:3:vi:99", "bs:save:abc:vi", "bs:l:1"):
        query = await sandbox.press_callback(lan.user, screen["message_id"], data)
        await wait_until(lambda q=query: q in sandbox.callback_answers)
    assert subscription(bot, lan.chat_id) is None
    assert not sandbox.errors


async def test_the_offer_after_a_tip_is_not_linked_to_the_tip(sandbox, bot):
    lan = Person(sandbox, sandbox.add_user("Lan", language_code="vi"), timeout=15)
    await send_tip(lan)
    receipt = lan.last_bot_message()
    assert SENT in text_of(receipt)
    assert buttons_of(receipt)[:2] == ["🔎 Xem tình trạng tin báo này", "📬 Nhận bản tin cảnh giác"]
    assert "📬 Bản tin" not in buttons_of(receipt)  # the offer is there once
    await lan.tap("📬 Nhận bản tin cảnh giác", expect=TOPIC_SCREEN)
    await lan.tap("💾 Lưu", expect="Đã lưu")
    with bot.db() as conn:
        columns = [r[1] for r in conn.execute("PRAGMA table_info(subscribers)")]
        audit = conn.execute("SELECT action, detail FROM audit_log").fetchall()
        tip = dict(conn.execute("SELECT * FROM tips").fetchone())
    assert columns == ["id", "chat_id", "language", "active"]  # no time, no pseudonym
    assert str(lan.chat_id) not in str(audit) and not any("subscri" in a[0] for a in audit)
    assert str(lan.chat_id) not in str(tip)


# Sending ---------------------------------------------------------------------------------------


async def test_admin_sends_a_bulletin_and_a_subscriber_stops_it_in_one_tap(
    sandbox, bot, admin_user
):
    await ready(bot)
    admin = Person(sandbox, admin_user, timeout=15)
    lan = Person(sandbox, sandbox.add_user("Lan", language_code="vi"), timeout=15)
    john = Person(sandbox, sandbox.add_user("John", language_code="en"), timeout=15)
    await subscribe(lan)
    await john.send("/subscribe", expect="Legal-awareness bulletins")
    await john.tap("💾 Save", expect="Saved")
    outsider = Person(sandbox, sandbox.add_user("Nam", language_code="vi"))
    await subscribe(outsider, untick=("Tội phạm công nghệ cao, dữ liệu cá nhân",))

    confirm = await admin.send(f"/sendnow {OTP}", expect="người đăng ký ngay bây giờ")
    assert "2 người đăng ký" in text_of(confirm)
    started = await admin.tap("📤 Gửi", expect="Đã bắt đầu lượt gửi #1")
    # A second tap on the same confirmation sends nothing more.
    query = await sandbox.press_callback(admin.user, started["message_id"], f"bb:now:{OTP}")
    await wait_until(lambda: query in sandbox.callback_answers)

    bulletin = await received(sandbox, lan.chat_id, "OTP")
    assert buttons_of(bulletin) == ["⚙️ Đổi chủ đề", "🔕 Ngừng nhận bản tin"]
    english = await received(sandbox, john.chat_id, "OTP")
    assert "Change topics" in str(buttons_of(english)) and "Tội phạm" not in text_of(english)
    summary = await received(sandbox, admin.chat_id, "đã xong")
    assert "Đã gửi tới: 2" in text_of(summary)
    assert not any("OTP" in text_of(m) for m in sandbox.history(outsider.chat_id))
    assert sum("OTP" in text_of(m) for m in sandbox.history(lan.chat_id)) == 1

    # Stop, in one tap, from the bulletin itself.
    await lan.tap("🔕 Ngừng nhận bản tin", expect="không nhận bản tin nữa")
    assert subscription(bot, lan.chat_id)["active"] == 0
    # Change topics from a bulletin opens the screen as a new message.
    await john.tap("⚙️ Change topics", expect="Legal-awareness bulletins")

    listing = await admin.send("/broadcasts", expect="Các lượt gửi bản tin")
    assert "#1" in text_of(listing) and "đã gửi 2" in text_of(listing)
    with bot.db() as conn:
        left = conn.execute("SELECT count(*) FROM deliveries").fetchone()[0]
        actions = [r[0] for r in conn.execute("SELECT action FROM audit_log")]
    assert left == 0  # a finished broadcast keeps totals, not who got it
    assert "broadcast.start" in actions
    assert not sandbox.errors


async def test_only_admins_manage_bulletins(sandbox, bot):
    nam = Person(sandbox, sandbox.add_user("Nam", language_code="vi"))
    for command in ("/bulletins", "/sendnow drugs", "/schedules", "/broadcasts", "/newbulletin"):
        assert "chỉ quản trị viên" in text_of(await nam.send(command))
    screen = await nam.send("/subscribe", expect=TOPIC_SCREEN)
    query = await sandbox.press_callback(nam.user, screen["message_id"], "bb:now:drugs")
    await wait_until(lambda: query in sandbox.callback_answers)
    with bot.db() as conn:
        assert conn.execute("SELECT count(*) FROM broadcasts").fetchone()[0] == 0
        denied = [r[0] for r in conn.execute("SELECT action FROM audit_log")]
    assert "denied.broadcast.start" in denied
    assert not sandbox.errors


async def test_admin_writes_a_bulletin_and_its_translation(sandbox, bot, admin_user):
    await ready(bot)
    admin = Person(sandbox, admin_user, timeout=15)
    usage = await admin.send("/newbulletin", expect="Soạn bản tin")
    assert "/newbulletin" in text_of(usage)

    bad = await admin.send("/newbulletin\nCảnh báo\n<b>chưa đóng thẻ")
    assert "Telegram sẽ không chấp nhận định dạng này" in text_of(bad)
    long = await admin.send("/newbulletin\n" + "T" * 130 + "\nNội dung")
    assert "Tiêu đề có 130 ký tự" in text_of(long)

    text = (
        "/newbulletin\nCảnh giác cuộc gọi giả danh điện lực\n"
        "Kẻ gian gọi điện nói <b>sắp cắt điện</b> & đòi chuyển tiền. Hãy gọi lại tổng đài."
    )
    controls = await admin.send(text, expect="Bản tin mới")
    preview = sandbox.history(admin.chat_id)[-2]
    assert "<b>" not in text_of(preview) and "sắp cắt điện" in text_of(preview)
    assert "Ngôn ngữ: 🇻🇳 Tiếng Việt" in text_of(controls)  # guessed from the text
    alert = await answer_to(sandbox, admin, "💾 Lưu")
    assert alert.show_alert and "chọn chủ đề" in alert.text  # saving needs a topic
    await admin.tap("Lừa đảo qua mạng", expect="Chủ đề: Lừa đảo qua mạng")
    saved = await admin.tap("💾 Lưu", expect="Đã lưu bản tin")
    slug = "canh-giac-cuoc-goi-gia-danh-dien-luc"
    assert slug in text_of(saved)

    translation = f"/newbulletin {slug}\nFake power company calls\nHang up and call back."
    controls = await admin.send(translation, expect="Bản ngôn ngữ khác")
    assert "✓ 🇬🇧 English" in buttons_of(controls)
    await admin.tap("💾 Lưu", expect="Đã cập nhật")
    await admin.send(f"/newbulletin {OTP}\nSomething else\nOther text", expect="Bản ngôn ngữ khác")
    refused = await admin.tap("💾 Lưu", expect="bản tin thư viện")
    assert OTP in text_of(refused)

    with bot.db() as conn:
        rows = conn.execute(
            "SELECT language, topic, source, body FROM bulletins WHERE slug = ? ORDER BY language",
            (slug,),
        ).fetchall()
        actions = [r[0] for r in conn.execute("SELECT action FROM audit_log ORDER BY id")]
    assert [(r[0], r[1], r[2]) for r in rows] == [
        ("en", "online_fraud", "admin"),
        ("vi", "online_fraud", "admin"),
    ]
    assert "&amp; đòi" in rows[1][3] and "<b>sắp cắt điện</b>" in rows[1][3]
    assert actions.count("bulletin.create") == 1 and actions.count("bulletin.update") == 1
    # The library takes more than one message: the admin's bulletin and a library one of a
    # later topic are both listed.
    await admin.send("/bulletins", expect=OTP)
    assert slug in admin.history_text().rsplit("📚", 1)[1]
    assert not sandbox.errors


async def test_schedules_from_chat(sandbox, bot, admin_user):
    await ready(bot)
    admin = Person(sandbox, admin_user, timeout=15)
    assert "năm trường" in text_of(await admin.send("/schedule"))
    assert "nhiều hơn một lần mỗi giờ" in text_of(await admin.send("/schedule * 8 * * * drugs"))
    assert "không ghi cả hai" in text_of(await admin.send("/schedule 0 8 1 * 1 drugs"))
    assert "không phải là chủ đề" in text_of(await admin.send("/schedule 0 8 * * 1 nothing"))

    created = await admin.send("/schedule 0 8 * * 1 online_fraud", expect="Đã tạo lịch gửi #1")
    assert "08:00" in text_of(created) and "Asia/Ho_Chi_Minh" in text_of(created)
    [job] = bot.application.job_queue.get_jobs_by_name("schedule:1")
    assert job.next_t.astimezone(bot.config.timezone).strftime("%a %H:%M") == "Mon 08:00"

    await admin.tap("⏸ Tạm dừng #1", expect="đang tạm dừng")
    assert bot.application.job_queue.get_jobs_by_name("schedule:1") == ()
    await admin.tap("▶️ Tiếp tục #1", expect="lượt tới")
    assert len(bot.application.job_queue.get_jobs_by_name("schedule:1")) == 1

    planned = await admin.send("/sendat 25/12 19:30 fire", expect="Hiện có")
    assert "19:30 25/12" in text_of(planned)
    await admin.tap("📤 Gửi", expect="Đã hẹn gửi (#1)")
    listing = await admin.send("/schedules", expect="Lịch gửi")
    assert "<code>" not in text_of(listing) and "0 8 * * 1" in text_of(listing)
    assert "Các lượt gửi đã hẹn" in text_of(listing) and "#1 · 19:30 25/12" in text_of(listing)
    await admin.tap("✖ Hủy lượt hẹn #1", expect="Chưa có: hẹn gửi")
    await admin.tap("🗑 Xóa #1", expect="Xóa lịch gửi #1?")
    await admin.tap("🗑 Đồng ý xóa", expect="Chưa có lịch nào")
    assert bot.application.job_queue.get_jobs_by_name("schedule:1") == ()
    with bot.db() as conn:
        actions = [r[0] for r in conn.execute("SELECT action FROM audit_log ORDER BY id")]
    for action in ("schedule.create", "schedule.pause", "schedule.resume", "schedule.delete"):
        assert action in actions
    assert "broadcast.plan" in actions and "broadcast.unplan" in actions
    assert not sandbox.errors


# The channel -----------------------------------------------------------------------------------


@pytest.fixture
def channel(sandbox, admin_user):
    return sandbox.add_group("Kênh tuyên truyền", [admin_user], bot_status="administrator")


class TestChannel:
    @pytest.fixture
    def bot_settings(self, admin_user, channel):
        return {
            "TIPBOT_ADMIN_IDS": str(admin_user.id),
            "TIPBOT_QUIET_HOURS": "off",
            "TIPBOT_CHANNEL_ID": str(channel.id),
        }

    async def test_each_bulletin_goes_to_the_channel_once(self, sandbox, bot, admin_user, channel):
        await ready(bot)
        admin = Person(sandbox, admin_user, timeout=15)
        lan = Person(sandbox, sandbox.add_user("Lan", language_code="vi"))
        await subscribe(lan)
        await send_now(admin, OTP)
        post = await received(sandbox, channel.id, "OTP")
        [button] = post["reply_markup"]["inline_keyboard"][0]
        assert button["url"] == "https://t.me/tipbot_test_bot?start=bulletins"
        await wait_until(lambda: broadcast_done(bot, 1))
        await send_now(admin, OTP)  # the same bulletin again: subscribers yes, channel no
        await wait_until(lambda: broadcast_done(bot, 2))
        posts = [m for m in sandbox.history(channel.id) if "OTP" in text_of(m)]
        assert len(posts) == 1
        assert sum("OTP" in text_of(m) for m in sandbox.history(lan.chat_id)) == 2

        # The channel's link opens the topic screen.
        await Person(sandbox, sandbox.add_user("Hoa")).send("/start bulletins", expect=TOPIC_SCREEN)
        assert not sandbox.errors


async def test_blocking_the_bot_ends_the_subscription_at_once(sandbox, bot):
    """Telegram tells the bot when someone blocks it: their bulletins stop then, not at the next
    broadcast's refusal; unblocking does not subscribe them again."""
    lan = Person(sandbox, sandbox.add_user("Lan", language_code="vi"))
    await lan.send("/start", expect="ẩn danh")
    await subscribe(lan)
    assert subscription(bot, lan.chat_id)["active"] == 1
    sandbox.block(lan.user)
    await wait_until(lambda: subscription(bot, lan.chat_id)["active"] == 0)
    sandbox.unblock(lan.user)
    await quiet(bot)  # the bot has heard of the unblocking and said and done nothing more
    assert subscription(bot, lan.chat_id)["active"] == 0
    assert not sandbox.errors
