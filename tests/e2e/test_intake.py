"""A resident sends a tip, end to end: real PTB, real HTTP to the sandbox, a real SQLite file."""

from __future__ import annotations

import asyncio
import json
import re

import pytest

from tests.e2e.driver import Person, buttons_of, text_of
from tests.support.catalog import vi
from tests.support.waiting import settle

RECEIPT = re.compile(r"/status ([0-9A-Z]{4}(?:-[0-9A-Z]{4}){4})")
CODE = re.compile(r"T-[0-9A-Z]{6}")
WHAT_TO_REPORT = vi("What do you want to report?")
SENT = vi("✅ <b>Your tip has been sent.</b> Its code is <code>{code}</code>.")
REVIEW = vi("<b>Please check your tip before sending:</b>")
PICK_A_COMMUNE = vi("Tap your commune or ward — or type another name to search again.")


NEXT_QUESTION = {
    "🚨 Tội phạm": "loại tội phạm",
    "🌲 Vi phạm về rừng": "Rừng đang bị",
    "💸 Lừa đảo qua mạng": "kiểu lừa đảo",
    "📝 Việc khác": "đang diễn ra",
}


async def start_tip(resident: Person, category: str) -> None:
    await resident.send("/report", expect=WHAT_TO_REPORT)
    assert "ẩn danh" in resident.history_text()
    await resident.tap(category, expect=NEXT_QUESTION[category])


async def choose_place(resident: Person, query: str, pick: str) -> None:
    """A name with several matches: the resident taps one."""
    results = await resident.send(query, expect=PICK_A_COMMUNE)
    assert pick in buttons_of(results)
    await resident.tap(pick, expect="kể lại sự việc")


async def send_reviewed(resident: Person) -> tuple[str, str]:
    done = await resident.tap("✅ Gửi tin báo", expect=SENT)
    return CODE.search(text_of(done))[0], RECEIPT.search(text_of(done))[1]


def tips_rows(bot):
    with bot.db() as conn:
        return [dict(r) for r in conn.execute("SELECT * FROM tips ORDER BY id")]


async def test_crime_tip_with_photo_and_location(sandbox, bot):
    lan = Person(sandbox, sandbox.add_user("Lan", username="lan_dl", language_code="vi"))
    await start_tip(lan, "🚨 Tội phạm")
    await lan.tap("Ma túy", expect="Sự việc xảy ra khi nào?")
    await lan.tap("🚨 Đang xảy ra / có người gặp nguy hiểm", expect="xã, phường")
    assert "113 — công an" in lan.history_text()
    await lan.send("xuan huong", expect="kể lại sự việc")
    text = "Có nhóm thanh niên <b>mua bán</b> & sử dụng ma túy sau chợ"
    await lan.send(text, expect="Bạn kiểm tra lại tin báo")
    await lan.photo(caption=None, expect="Đã nhận (1/10)")
    await lan.tap("📍 Thêm vị trí cụ thể", expect="gửi vị trí")
    await lan.do(
        lambda: sandbox.send_location(lan.user, 11.94, 108.44), expect="Bạn kiểm tra lại tin báo"
    )
    code, receipt = await send_reviewed(lan)

    [tip] = tips_rows(bot)
    assert tip["code"] == code
    assert (tip["category"], tip["kind"], tip["urgent"]) == ("crime", "drugs", 1)
    assert tip["commune_code"] is not None and tip["latitude"] == pytest.approx(11.94)
    assert "<b>mua bán</b> & sử dụng" in tip["description"]  # stored as typed, escaped on output
    assert json.loads(tip["answers"]) == {"when": "now"}
    assert receipt not in json.dumps(tip)
    with bot.db() as conn:
        assert conn.execute("SELECT COUNT(*) FROM tip_attachments").fetchone()[0] == 1
        assert conn.execute("SELECT COUNT(*) FROM drafts").fetchone()[0] == 0
    assert not sandbox.errors
    assert not [c for c in sandbox.calls if c.method == "forwardMessage"]


async def test_fraud_tip_normalises_indicators(sandbox, bot):
    tom = Person(sandbox, sandbox.add_user("Tom", language_code="vi"))
    await start_tip(tom, "💸 Lừa đảo qua mạng")
    await tom.tap("Việc nhẹ lương cao, làm nhiệm vụ online", expect="liên lạc với bạn qua kênh nào")
    await tom.tap("Zalo")
    await tom.tap("✓ Zalo", expect="liên lạc")  # toggles off
    await tom.tap("Zalo")
    await tom.tap("Tin nhắn SMS")
    await tom.tap("Tiếp tục ➡️", expect="số điện thoại nào")
    await tom.send("0912.345.678 và 0168 123 4567", expect="tài khoản ngân hàng")
    await tom.send("STK 0071001234567 Vietcombank", expect="đường link")
    await tom.send("https://www.Example-Scam.vn/login?x=1", expect="mất bao nhiêu tiền")
    await tom.send("1,5 triệu", expect="xã, phường")
    await tom.tap("Tôi không rõ", expect="kể lại sự việc")
    await tom.send("Họ bảo làm nhiệm vụ like video được hoàn tiền", expect="Bạn kiểm tra")
    await send_reviewed(tom)

    [tip] = tips_rows(bot)
    assert tip["commune_code"] is None
    answers = json.loads(tip["answers"])
    assert answers["channels"] == ["zalo", "sms"]
    with bot.db() as conn:
        values = {(r[0], r[1]) for r in conn.execute("SELECT kind, value FROM tip_indicators")}
    assert ("phone", "+84912345678") in values
    assert ("phone", "+84381234567") in values  # the old 0168 prefix became 038
    assert ("account", "0071001234567") in values
    assert ("link", "example-scam.vn") in values
    assert ("amount", "1500000") in values


async def test_forest_tip_with_edits_on_review(sandbox, bot):
    lan = Person(sandbox, sandbox.add_user("Lan", language_code="vi"))
    await start_tip(lan, "🌲 Vi phạm về rừng")
    await lan.tap("Chặt phá rừng trái phép", expect="đang diễn ra")
    await lan.tap("Không", expect="xã, phường")
    await choose_place(lan, "bao lam", "Xã Bảo Lâm 1")  # also an old district's name
    review = await lan.send("Có người cưa gỗ thông ban đêm", expect=REVIEW)
    assert "cưa gỗ thông" in text_of(review)

    await lan.tap("✏️ Mô tả", expect="thay cho nội dung cũ")
    review = await lan.send("Có 3 người cưa gỗ thông ban đêm", expect=REVIEW)
    assert "Mô tả sự việc: Có 3 người cưa gỗ thông ban đêm" in text_of(review)

    await lan.tap("✏️ Loại việc và chi tiết", expect=WHAT_TO_REPORT)
    await lan.tap("🚨 Tội phạm", expect="loại tội phạm")
    await lan.tap("Trộm cắp, cướp giật", expect="khi nào")
    review = await lan.tap("Trong hôm nay", expect=REVIEW)
    assert "Trộm cắp, cướp giật" in text_of(review)
    await lan.tap("✅ Gửi tin báo", expect=SENT)
    [tip] = tips_rows(bot)
    assert (tip["category"], tip["kind"]) == ("crime", "theft")


async def test_place_written_as_on_an_envelope(sandbox, bot):
    """An old ward with its old district, then a typo: both find today's ward."""
    lan = Person(sandbox, sandbox.add_user("Lan", language_code="vi"))
    await start_tip(lan, "📝 Việc khác")
    await lan.tap("Không", expect="xã, phường")
    taken = await lan.send("Xuân Hươg", expect="duy nhất")  # the only match: taken at once
    assert "Phường Xuân Hương - Đà Lạt" in text_of(taken)
    await lan.tap("✏️ Không phải nơi này — chọn lại", expect="xã, phường")  # a way to change it
    formerly = "Phường Xuân Hương - Đà Lạt (trước đây: Phường 1, TP Đà Lạt)"
    await choose_place(lan, "phuong 1 tp da lat", formerly)
    await lan.send("Trộm xe máy trước chợ", expect="Bạn kiểm tra")
    await send_reviewed(lan)
    [tip] = tips_rows(bot)
    assert tip["commune_code"] == 24781


async def test_status_from_another_account_and_throttling(sandbox, bot):
    lan = Person(sandbox, sandbox.add_user("Lan", language_code="vi"))
    await start_tip(lan, "📝 Việc khác")
    await lan.tap("Không", expect="xã, phường")
    await lan.tap("Tôi không rõ", expect="kể lại sự việc")
    await lan.send("Trộm chó ở thôn 3", expect="Bạn kiểm tra")
    code, receipt = await send_reviewed(lan)

    other = Person(sandbox, sandbox.add_user("Hùng", language_code="vi"))
    status = await other.send(f"/status {receipt.lower()}", expect=code)
    assert "đang chờ cán bộ tiếp nhận" in text_of(status)

    guesser = Person(sandbox, sandbox.add_user("Kẻ dò", language_code="vi"))
    for _ in range(5):
        await guesser.send("/status AAAA-BBBB-CCCC-DDDD-EEEE", expect="Không có tin báo")
    reply = await guesser.send(f"/status {receipt}", expect="quá nhiều lần")
    assert code not in text_of(reply)


async def test_database_holds_no_identity_of_residents(sandbox, bot):
    lan_user = sandbox.add_user("Lan", last_name="Nguyễn Thị", username="lan_dalat_1990")
    lan = Person(sandbox, lan_user)
    await start_tip(lan, "📝 Việc khác")
    await lan.tap("Không", expect="xã, phường")
    await lan.tap("Tôi không rõ", expect="kể lại sự việc")
    await lan.send("Có cháy nhỏ ở bãi rác", expect="Bạn kiểm tra")
    await send_reviewed(lan)
    with bot.db() as conn:
        dump = "\n".join(conn.iterdump())
    for needle in (str(lan_user.id), "lan_dalat_1990", "Nguyễn Thị"):
        assert needle not in dump


async def test_a_tap_on_send_again_while_the_receipt_is_on_its_way_is_refused_nothing(sandbox, bot):
    """Found by the random kills: the receipt's send is retried through a bad connection, the
    resident, who sees nothing yet, taps Send again. That tap, carrying the review as it was when
    tapped (buttons and all), waits for the first; it then finds the tip sent and its buttons
    already taken off, and must not ask Telegram to take them off again (refused as "message is
    not modified")."""
    lan = Person(sandbox, sandbox.add_user("Lan", language_code="vi"), timeout=15)
    await start_tip(lan, "📝 Việc khác")
    await lan.tap("Không", expect="xã, phường")
    await lan.tap("Tôi không rõ", expect="kể lại sự việc")
    review = await lan.send("Có cháy nhỏ ở bãi rác", expect=REVIEW)
    sandbox.fail_next("sendMessage", count=1, kind="drop")  # the receipt: retried a second later
    await sandbox.press_callback(lan.user, review["message_id"], "t:review:send")
    while not sandbox.injected:
        await asyncio.sleep(0.01)
    again = await sandbox.press_callback(lan.user, review["message_id"], "t:review:send")
    await settle(bot)

    chat = sandbox.history(lan.chat_id)
    assert len([m for m in chat if RECEIPT.search(text_of(m))]) == 1
    assert sandbox.callback_answers[again].text == vi("This tip was already sent or cancelled.")
    [shown] = [m for m in chat if m["message_id"] == review["message_id"]]
    assert not shown.get("reply_markup")  # taken off once
    assert [(c.method, c.description) for c in sandbox.errors if not c.injected] == []
