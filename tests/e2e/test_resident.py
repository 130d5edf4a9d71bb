"""The resident's side as residents use it (issue 17): nothing typed is lost, a tip in at most 8
interactions, 113 at once, checking a tip, answers typed without tapping Reply."""

from __future__ import annotations

import json

import pytest

from tests.e2e.driver import Message, Person, buttons_of, text_of
from tests.e2e.test_intake import CODE, RECEIPT, start_tip, tips_rows
from tests.e2e.test_officers import XUAN_HUONG, card, register

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
