"""The resident's side as residents use it (issue 17): nothing typed is lost, a tip in at most 8
interactions, 113 at once, checking a tip, answers typed without tapping Reply."""

from __future__ import annotations

import json

import pytest

from storage import pending, residents
from tests.e2e.driver import Message, Person, buttons_of, text_of
from tests.e2e.test_bulletins import subscribe
from tests.e2e.test_intake import CODE, RECEIPT, start_tip, tips_rows
from tests.e2e.test_officers import XUAN_HUONG, card, register
from tests.support.waiting import wait_until

MAX_INTERACTIONS = 8


@pytest.fixture
def bot_settings(admin_user):
    return {"TIPBOT_ADMIN_IDS": str(admin_user.id)}


class CountingResident(Person):
    """Counts what the resident does: every message typed and every button tapped."""

    interactions = 0

    async def _act(self, action, expect: str | None) -> Message:
        self.interactions += 1
        return await super()._act(action, expect)


MINIMAL_TIPS = {
    # category: the taps between the category and the commune
    "🚨 Tội phạm": [("Trộm cắp, cướp giật", "khi nào"), ("Trong hôm nay", "xã, phường")],
    "🌲 Vi phạm về rừng": [("Chặt phá rừng trái phép", "đang diễn ra"), ("Không", "xã, phường")],
    "💸 Lừa đảo qua mạng": [
        ("Sàn đầu tư, tiền ảo giả", "liên lạc"),
        ("⏭ Bỏ qua các chi tiết này", "xã, phường"),
    ],
    "📝 Việc khác": [("Không", "xã, phường")],
}


@pytest.mark.parametrize("category", list(MINIMAL_TIPS))
async def test_a_minimal_tip_takes_at_most_eight_interactions(sandbox, bot, category):
    """Category, kind, commune typed, description, Send — from /start to the receipt."""
    lan = CountingResident(sandbox, sandbox.add_user("Lan", language_code="vi"))
    await lan.send("/start", expect="ẩn danh")
    await lan.tap("📝 Gửi tin báo", expect="Bạn muốn báo tin về việc gì?")
    await lan.tap(category)
    for label, expect in MINIMAL_TIPS[category]:
        await lan.tap(label, expect=expect)
    await lan.send("xuan huong", expect="kể lại sự việc")  # the only match: taken
    review = await lan.send("Có người lạ đi lại ban đêm", expect="Bạn kiểm tra lại")
    # Optional detail stays available on the review.
    assert {"📎 Thêm ảnh hoặc tệp", "✏️ Mô tả"} <= set(buttons_of(review))
    done = await lan.tap("✅ Gửi tin báo", expect="Tin báo đã được gửi")
    assert RECEIPT.search(text_of(done))
    assert lan.interactions <= MAX_INTERACTIONS, lan.interactions
    [tip] = tips_rows(bot)
    assert tip["commune_code"] == XUAN_HUONG
    assert not sandbox.errors


async def test_happening_now_sends_to_113_first_and_is_not_asked_again(sandbox, bot):
    lan = Person(sandbox, sandbox.add_user("Lan", language_code="vi"))
    await start_tip(lan, "🚨 Tội phạm")
    await lan.tap("Ma túy", expect="khi nào")
    since = sandbox.version
    await lan.tap("🚨 Đang xảy ra / có người gặp nguy hiểm", expect="xã, phường")
    new = [m for m in sandbox.bot_messages_since(lan.chat_id, since) if "113" in text_of(m)]
    fresh = [m for m in sandbox.history(lan.chat_id) if m["message_id"] > new[0]["message_id"]]
    assert "📞 113 — công an" in text_of(new[0]) and "📞 114" in text_of(new[0])
    assert "📞 115" in text_of(new[0]) and "📞 112" in text_of(new[0])
    assert any("xã, phường" in text_of(m) for m in fresh)  # then the tip goes on
    await lan.send("xuan huong", expect="kể lại sự việc")
    await lan.send("Đang có người bán ma túy sau chợ", expect="Bạn kiểm tra lại")
    await lan.tap("✅ Gửi tin báo", expect="Tin báo đã được gửi")
    assert "có ai đang gặp nguy hiểm không?" not in lan.history_text()  # never asked twice
    [tip] = tips_rows(bot)
    assert tip["urgent"] == 1


async def test_urgent_yes_in_another_category_also_says_113_first(sandbox, bot):
    lan = Person(sandbox, sandbox.add_user("Lan", language_code="vi"))
    await start_tip(lan, "🌲 Vi phạm về rừng")
    await lan.tap("Đốt rừng, cháy rừng", expect="đang diễn ra")
    since = sandbox.version
    await lan.tap("🚨 Có, khẩn cấp", expect="xã, phường")
    new = sandbox.bot_messages_since(lan.chat_id, since)
    first_new = min(
        (m for m in new if "113" in text_of(m) or "xã, phường" in text_of(m)),
        key=lambda m: m["message_id"],
    )
    assert "📞 113" in text_of(first_new) and "📞 114 — cứu hỏa" in text_of(first_new)


async def test_words_typed_at_a_button_question_are_kept(sandbox, bot):
    lan = Person(sandbox, sandbox.add_user("Lan", language_code="vi"))
    await lan.send("/report", expect="Bạn muốn báo tin về việc gì?")
    kept = await lan.send("có người bán ma túy ở gần nhà tôi", expect="đã được giữ lại")
    assert "Bạn muốn báo tin về việc gì?" in text_of(kept)  # the question again
    await lan.tap("🚨 Tội phạm", expect="loại tội phạm")
    await lan.tap("Ma túy", expect="khi nào")
    await lan.tap("Từ hôm qua trở về trước", expect="xã, phường")
    so_far = await lan.send("xuan huong", expect="Phần mô tả bạn đã viết")
    assert "có người bán ma túy ở gần nhà tôi" in text_of(so_far)
    await lan.tap("✅ Vậy là đủ", expect="Bạn kiểm tra lại")
    await lan.tap("📍 Thêm vị trí cụ thể", expect="gửi vị trí")
    review = await lan.send("nhà số 12 đường Trần Phú", expect="Bạn kiểm tra lại")
    assert "nhà số 12 đường Trần Phú" in text_of(review)
    await lan.tap("✅ Gửi tin báo", expect="Tin báo đã được gửi")
    [tip] = tips_rows(bot)
    assert tip["description"] == "có người bán ma túy ở gần nhà tôi"
    assert json.loads(tip["answers"])["place_detail"] == "nhà số 12 đường Trần Phú"


async def test_the_officer_card_shows_the_residents_own_words(sandbox, bot):
    minh_user = sandbox.add_user("Minh", language_code="vi")
    await register(bot, minh_user, XUAN_HUONG)
    tom = Person(sandbox, sandbox.add_user("Tom", language_code="vi"))
    await start_tip(tom, "💸 Lừa đảo qua mạng")
    await tom.tap("Sàn đầu tư, tiền ảo giả", expect="liên lạc")
    await tom.tap("Tiếp tục ➡️", expect="Không chọn kênh nào")  # not "✓ —"
    await tom.send("0912 345 67x hoặc 091234567", expect="tài khoản ngân hàng")
    await tom.send("STK 1903 5555 888 Techcombank NGUYEN VAN A", expect="đường link")
    await tom.send("https://evil-scam.vn/dang-nhap/vi?ref=abc", expect="mất bao nhiêu")
    await tom.send("không nhớ số", expect="xã, phường")
    await tom.send("xuan huong", expect="kể lại sự việc")
    await tom.send("Họ bảo nạp tiền để rút lãi", expect="Bạn kiểm tra lại")
    done = await tom.tap("✅ Gửi tin báo", expect="Tin báo đã được gửi")
    code = CODE.search(text_of(done))[0]
    shown = await card(sandbox, minh_user.id, code)
    text = text_of(shown)
    for words in (
        "0912 345 67x hoặc 091234567",
        "STK 1903 5555 888 Techcombank NGUYEN VAN A",
        "https://evil-scam.vn/dang-nhap/vi?ref=abc",
        "không nhớ số",
    ):
        assert words in text, words
    # The link is whole but not clickable: no url or text_link entity anywhere on the card.
    assert not [e for e in shown.get("entities", []) if e["type"] in ("url", "text_link")]


async def quick_tip(resident: Person, description: str = "Trộm chó ở thôn 3") -> dict:
    """The shortest "other" tip; returns the receipt message."""
    await resident.send("/report", expect="Bạn muốn báo tin về việc gì?")
    await resident.tap("📝 Việc khác", expect="đang diễn ra")
    await resident.tap("Không", expect="xã, phường")
    await resident.send("xuan huong", expect="kể lại sự việc")
    await resident.send(description, expect="Bạn kiểm tra lại")
    return await resident.tap("✅ Gửi tin báo", expect="Tin báo đã được gửi")


async def test_an_answer_typed_without_reply_reaches_the_officer(sandbox, bot):
    """The question comes with ForceReply; a reply to it names its tip; even a plain message
    typed after it (an app that dropped the ForceReply) reaches the officer."""
    minh_user = sandbox.add_user("Minh", language_code="vi")
    await register(bot, minh_user, XUAN_HUONG)
    minh = Person(sandbox, minh_user, timeout=15)
    lan_user = sandbox.add_user("Lan", language_code="vi")
    lan = Person(sandbox, lan_user, timeout=15)
    code = CODE.search(text_of(await quick_tip(lan)))[0]
    await card(sandbox, minh_user.id, code)

    await minh.tap("❓ Hỏi người báo tin", expect="Nhập câu hỏi")
    since = sandbox.version
    await minh.send("Chó màu gì?", expect="Đã gửi câu hỏi")
    question = await sandbox.wait_for_message(
        lan_user.id, timeout=15, predicate=lambda m: "Chó màu gì?" in text_of(m), since=since
    )
    assert code in text_of(question) and "Việc khác" in text_of(question)  # kind and date

    # The entry that waits for a plain answer does not date the question: whole days only.
    def waiting_expiry():
        with bot.db() as conn:
            return conn.execute(
                "SELECT expires_at FROM pending_inputs WHERE kind = 'answer'"
            ).fetchone()

    await wait_until(waiting_expiry)  # written right after the question is delivered
    assert waiting_expiry()[0] % 86400 == 0
    since = sandbox.version
    thanks = await lan.send("Màu vàng, có vòng cổ đỏ", expect="đã được chuyển tới cán bộ")
    assert code in text_of(thanks) and "Việc khác" in text_of(thanks)
    await sandbox.wait_for_message(
        minh_user.id, timeout=15, predicate=lambda m: "vòng cổ đỏ" in text_of(m), since=since
    )

    # A second answer, later, as a swipe-reply to the question: it names the tip by itself.
    # The last-resort entry has expired: the reply alone must say which tip it is about.
    await pending.clear(
        bot.runtime.db, pending.resident_key("answer", bot.runtime.pseudonym_of(lan_user.id))
    )
    since = sandbox.version
    await lan.do(
        lambda: sandbox.send_text(lan_user, "Nó tên là Vàng", reply_to=question["message_id"]),
        expect="đã được chuyển tới cán bộ",
    )
    await sandbox.wait_for_message(
        minh_user.id, timeout=15, predicate=lambda m: "Nó tên là Vàng" in text_of(m), since=since
    )
    # Text that matches no question: the resident hears how to answer.
    hint = await lan.send("alo có ai không", expect="vuốt tin nhắn sang trái")
    assert "Trả lời" in text_of(hint)
    with bot.db() as conn:
        dump = "\n".join(conn.iterdump())
    assert str(lan_user.id) not in dump
    assert not sandbox.errors


async def test_checking_a_tip_from_its_receipt(sandbox, bot):
    minh_user = sandbox.add_user("Minh", language_code="vi")
    await register(bot, minh_user, XUAN_HUONG)
    minh = Person(sandbox, minh_user, timeout=15)
    lan_user = sandbox.add_user("Lan", language_code="vi")
    lan = Person(sandbox, lan_user, timeout=15)
    receipt_message = await quick_tip(lan)
    code = CODE.search(text_of(receipt_message))[0]
    await card(sandbox, minh_user.id, code)
    await minh.tap("❓ Hỏi người báo tin", expect="Nhập câu hỏi")
    await minh.send("Ở thôn nào?", expect="Đã gửi câu hỏi")
    await sandbox.wait_for_message(
        lan_user.id, timeout=15, predicate=lambda m: "Ở thôn nào?" in text_of(m)
    )
    await lan.send("Thôn 3, gần cầu", expect="đã được chuyển tới cán bộ")
    await minh.tap("📋 Tình trạng ▸", expect=None)
    await minh.tap("✔️ Đã giải quyết", expect="Gửi kèm phản hồi")
    await minh.tap("✍️ Viết phản hồi", expect="Nhập phản hồi")
    await minh.send("Đã tìm thấy chó. Cảm ơn bạn!", expect="Đã gửi phản hồi")
    await sandbox.wait_for_message(
        lan_user.id, timeout=15, predicate=lambda m: "Đã tìm thấy chó" in text_of(m)
    )

    # One tap on the receipt's own button: the whole conversation, named by kind and date.
    status = await lan.forge(
        receipt_message["message_id"],
        next(
            b["callback_data"]
            for row in receipt_message["reply_markup"]["inline_keyboard"]
            for b in row
            if b["text"] == "🔎 Xem tình trạng tin báo này"
        ),
        expect="Trao đổi về tin báo",
    )
    shown = text_of(status)
    assert code in shown and "Việc khác" in shown
    for line in ("Cán bộ hỏi: Ở thôn nào?", "Bạn trả lời: Thôn 3, gần cầu", "Đã tìm thấy chó"):
        assert line in shown, line
    # The tip code instead of the receipt: explained kindly, not counted as a wrong guess.
    explained = await lan.send(f"/status {code}", expect="mã tin báo")
    assert "biên nhận" in text_of(explained)
    assert not sandbox.errors


async def test_an_english_tipster_hears_everything_in_english(sandbox, bot):
    minh_user = sandbox.add_user("Minh", language_code="vi")
    await register(bot, minh_user, XUAN_HUONG)
    minh = Person(sandbox, minh_user, timeout=15)
    tom_user = sandbox.add_user("Tom", language_code="en")
    tom = Person(sandbox, tom_user, timeout=15)
    await tom.send("/report", expect="What do you want to report?")
    await tom.tap("📝 Other", expect="happening right now")
    await tom.tap("No", expect="commune")
    await tom.send("xuan huong", expect="describe what happened")
    await tom.send("Someone stole my bike", expect="check your tip")
    done = await tom.tap("✅ Send", expect="Your tip has been sent")
    code = CODE.search(text_of(done))[0]
    # The resident's language setting changes later; the tip keeps the language it was sent in.
    await residents.set_language(bot.runtime.db, bot.runtime.pseudonym_of(tom_user.id), "vi")
    await card(sandbox, minh_user.id, code)
    since = sandbox.version
    await minh.tap("✅ Tiếp nhận", expect="Minh tiếp nhận lúc")
    await minh.tap("❓ Hỏi người báo tin", expect="Nhập câu hỏi")
    await minh.send("Xe màu gì?", expect="Đã gửi câu hỏi")
    question = await sandbox.wait_for_message(
        tom_user.id, timeout=15, predicate=lambda m: "Xe màu gì?" in text_of(m), since=since
    )
    assert "Officers have a question about your tip" in text_of(question)
    assert "Officers have received your tip" in tom.history_text()
    assert "Cán bộ" not in tom.history_text()


async def test_small_things_on_the_way(sandbox, bot):
    """One "too long" prompt for a message Telegram split in two; "no attachments"; no offer to
    subscribe to a resident who already is."""
    lan = Person(sandbox, sandbox.add_user("Lan", language_code="vi"))
    await lan.send("/report", expect="Bạn muốn báo tin về việc gì?")
    await lan.tap("📝 Việc khác", expect="đang diễn ra")
    await lan.tap("Không", expect="xã, phường")
    await lan.send("xuan huong", expect="kể lại sự việc")
    await lan.send("Dài quá " * 625, expect="vượt mức tối đa")  # 5,000 characters: two messages
    await lan.tap("✂️ Giữ phần vừa đủ", expect="Bạn kiểm tra lại")
    too_long = [
        call
        for call in sandbox.calls
        if call.method == "sendMessage" and "vượt mức tối đa" in call.params.get("text", "")
    ]
    assert len(too_long) == 1
    await lan.tap("📎 Thêm ảnh hoặc tệp", expect="Xong")
    done = await lan.tap("✅ Xong", expect="Bạn kiểm tra lại")
    assert "Không có tệp đính kèm" in text_of(done)

    await subscribe(lan)
    receipt = await lan.tap("✅ Gửi tin báo", expect="Tin báo đã được gửi")
    assert "📬 Nhận bản tin cảnh giác" not in buttons_of(receipt)
    assert "🔎 Xem tình trạng tin báo này" in buttons_of(receipt)
