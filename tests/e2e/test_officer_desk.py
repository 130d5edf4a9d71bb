"""The officer's desk as a phone user meets it (issue 14): every message about a tip carries its
actions and a summary, "Ask again" under each answer, the tipster's language on the card and in
the question prompt, why a card came to the admins, links shown whole and not clickable, and
the fraud checklist before the offer of a reply."""

from __future__ import annotations

import pytest

from tests.e2e.driver import Person, buttons_of, text_of
from tests.e2e.test_check import fraud_tip
from tests.e2e.test_intake import REVIEW, SENT, WHAT_TO_REPORT
from tests.e2e.test_officers import (
    XUAN_HUONG,
    arrives,
    card,
    forced_reply,
    register,
    send_tip,
)
from tests.support.catalog import vi


@pytest.fixture
def bot_settings(admin_user):
    return {"TIPBOT_ADMIN_IDS": str(admin_user.id)}


async def tom_and_minh(sandbox, bot) -> tuple[Person, Person]:
    """Tom, a resident whose Telegram speaks English; Minh, the officer of Xuân Hương."""
    tom = Person(sandbox, sandbox.add_user("Tom", language_code="en"), timeout=15)
    minh_user = sandbox.add_user("Minh", language_code="vi")
    await register(bot, minh_user, XUAN_HUONG)
    return tom, Person(sandbox, minh_user, timeout=15)


async def english_tip(tom: Person) -> None:
    """Tom, whose Telegram speaks English, sends an "Other" tip for Xuân Hương."""
    await tom.send("/report", expect="What do you want to report?")
    await tom.tap("📝 Other", expect="happening right now")
    await tom.tap("No", expect="commune")
    await tom.send("xuan huong", expect="describe what happened")  # the only match: taken
    await tom.send("Someone sells fake visas at the market", expect="check your tip")
    await tom.tap("✅ Send", expect="/status")


def code_spans(message: dict) -> list[str]:
    """The texts a message shows as code (entity offsets count UTF-16 units)."""
    utf16 = text_of(message).encode("utf-16-le")
    return [
        utf16[2 * e["offset"] : 2 * (e["offset"] + e["length"])].decode("utf-16-le")
        for e in message.get("entities", message.get("caption_entities", []))
        if e["type"] == "code"
    ]


async def test_language_on_card_and_prompt_and_ask_again_under_each_answer(sandbox, bot):
    tom, minh = await tom_and_minh(sandbox, bot)
    tom_user, minh_user = tom.user, minh.user

    await english_tip(tom)
    with bot.db() as conn:
        [code] = conn.execute("SELECT code FROM tips").fetchone()
        columns = {row[1] for row in conn.execute("PRAGMA table_info(tips)")}
    assert "language" not in columns  # only in the sealed way back, which the card opens
    tip_card = await card(sandbox, minh_user.id, code)
    assert "Ngôn ngữ người báo tin: 🇬🇧 Tiếng Anh" in text_of(tip_card)
    prompt = await minh.tap("❓ Hỏi người báo tin", expect="Nhập câu hỏi")
    assert "Tiếng Anh" in text_of(prompt)  # reminded to write in English

    since = sandbox.version
    await minh.send("Which stall exactly?", expect="Đã gửi câu hỏi")
    question = await arrives(sandbox, tom_user.id, "Which stall exactly?", since)
    assert forced_reply(sandbox, question)  # issue 17: he answers by replying to the question
    since = sandbox.version
    map_link = "https://maps.example.vn/place/3?z=17&q=gate"
    await tom.do(
        lambda: sandbox.send_text(
            tom_user, f"The third one from the gate, see {map_link}",
            reply_to=question["message_id"],
        ),
        expect="passed to the",
    )  # fmt: skip
    answer = await arrives(sandbox, minh_user.id, "The third one from the gate", since)
    assert map_link in code_spans(answer)  # shown whole, a tap copies it rather than opens it
    # What he needs to act, on the answer itself: ask again, the tip's actions, a summary.
    assert buttons_of(answer)[:2] == ["✅ Tiếp nhận", "❓ Hỏi lại"]
    assert "📋 Tình trạng ▸" in buttons_of(answer)
    assert "Phường Xuân Hương - Đà Lạt" in text_of(answer) and "Tiếng Anh" in text_of(answer)

    await minh.tap("❓ Hỏi lại", expect="Nhập câu hỏi")
    since = sandbox.version
    await minh.send("What colour is the sign?", expect="Đã gửi câu hỏi")
    await arrives(sandbox, tom_user.id, "What colour is the sign?", since)
    await minh.tap("✅ Tiếp nhận", expect="Minh tiếp nhận lúc")  # from the answer too
    with bot.db() as conn:
        actions = [r[0] for r in conn.execute("SELECT action FROM audit_log ORDER BY id")]
    assert actions == ["tip.question", "tip.answer_relayed", "tip.question", "tip.acknowledge"]
    assert not sandbox.errors


async def test_a_file_answer_carries_ask_again_too(sandbox, bot):
    tom, minh = await tom_and_minh(sandbox, bot)
    tom_user, minh_user = tom.user, minh.user
    await english_tip(tom)
    with bot.db() as conn:
        code = conn.execute("SELECT code FROM tips").fetchone()[0]
    await card(sandbox, minh_user.id, code)
    await minh.tap("❓ Hỏi người báo tin", expect="Nhập câu hỏi")
    since = sandbox.version
    await minh.send("A photo of the stall?", expect="Đã gửi câu hỏi")
    await arrives(sandbox, tom_user.id, "A photo of the stall?", since)
    since = sandbox.version
    await tom.photo(caption="This one", expect="passed to the")  # sent after the question
    photo = await sandbox.wait_for_message(
        minh_user.id, timeout=15, predicate=lambda m: "photo" in m, since=since
    )
    assert "❓ Hỏi lại" in buttons_of(photo) and "Tiếng Anh" in text_of(photo)
    assert not sandbox.errors


async def test_a_tip_without_an_officer_says_whom_to_invite(sandbox, bot, admin_user):
    admin = Person(sandbox, admin_user, timeout=15)
    await admin.send("/start", expect="ẩn danh")
    code = await send_tip(Person(sandbox, sandbox.add_user("Lan"), timeout=15))
    queued = await card(sandbox, admin_user.id, code)
    assert vi("👮 <b>No officer covers {commune} yet</b> — invite one: {command}") in text_of(
        queued
    )
    assert "Phường Xuân Hương - Đà Lạt" in text_of(queued)
    assert f"/invite {XUAN_HUONG}" in text_of(queued)
    assert "Ngôn ngữ người báo tin: 🇻🇳 Tiếng Việt" in text_of(queued)
    # Once the commune has an officer, its next tip is his, without that line.
    await register(bot, sandbox.add_user("Minh"), XUAN_HUONG)
    later = await send_tip(Person(sandbox, sandbox.add_user("Bảy"), timeout=15))
    with bot.db() as conn:
        minh_id = conn.execute("SELECT user_id FROM officers WHERE name = 'Minh'").fetchone()[0]
    assert "Chưa có cán bộ" not in text_of(await card(sandbox, minh_id, later))
    assert not sandbox.errors


async def test_unknown_commune_with_a_location_shows_the_location_first(sandbox, bot, admin_user):
    admin = Person(sandbox, admin_user, timeout=15)
    await admin.send("/start", expect="ẩn danh")
    lan = Person(sandbox, sandbox.add_user("Lan"), timeout=15)
    await lan.send("/report", expect=WHAT_TO_REPORT)
    await lan.tap("📝 Việc khác", expect="đang diễn ra")
    await lan.tap("Không", expect="xã, phường")
    await lan.tap("Tôi không rõ", expect="kể lại sự việc")
    clip = "https://fb.watch/xY12ab/?mibextid=Nif5oz"
    await lan.send(f"Có người lạ đốt rác thải công nghiệp, clip: {clip}", expect=REVIEW)
    await lan.tap("📍 Thêm vị trí cụ thể", expect="gửi vị trí")
    await lan.do(lambda: sandbox.send_location(lan.user, 11.94, 108.44), expect=REVIEW)
    done = await lan.tap("✅ Gửi tin báo", expect=SENT)
    with bot.db() as conn:
        code = conn.execute("SELECT code FROM tips").fetchone()[0]
    assert code in text_of(done)
    queued = await card(sandbox, admin_user.id, code)
    lines = text_of(queued).splitlines()
    assert "không rõ xã, phường" in lines[1] and "vị trí" in lines[1]
    assert lines[2].startswith("Vị trí: 11.94000, 108.44000")  # before type, commune, story
    assert clip in code_spans(queued)  # a link in the story: whole, as code
    pin = await sandbox.wait_for_message(
        admin_user.id, timeout=15, predicate=lambda m: "location" in m
    )
    assert pin["reply_to_message"]["message_id"] == queued["message_id"]
    assert not sandbox.errors


async def test_fraud_links_whole_as_code_then_checklist_then_reply_offer(sandbox, bot):
    minh_user = sandbox.add_user("Minh")
    await register(bot, minh_user, XUAN_HUONG)
    minh = Person(sandbox, minh_user, timeout=15)
    lan = Person(sandbox, sandbox.add_user("Lan"), timeout=15)
    link = "https://www.example-scam.vn/login/otp?ref=zalo&x=1"
    code = await fraud_tip(lan, "0912.345.678", link)
    tip_card = await card(sandbox, minh_user.id, code)
    # The whole link, path and query included, as code: shown, copied on a tap, never opened.
    assert link in text_of(tip_card)
    entities = tip_card.get("entities", [])
    linked = [e for e in entities if e["type"] in ("url", "text_link")]
    assert not linked
    assert link in code_spans(tip_card)

    await minh.tap("📋 Tình trạng ▸", expect=None)
    await minh.tap("✔️ Đã giải quyết", expect="thật sự đã dùng")
    await minh.tap("☐ 0912 345 678", expect=None)  # answered after the status change is done
    # Only the checklist so far: the offer of a reply waits until it is done.
    assert "Gửi kèm phản hồi" not in minh.history_text()
    offer = await minh.tap("Xong", expect="Gửi kèm phản hồi")
    assert "✍️ Viết phản hồi" in buttons_of(offer)
    await minh.tap("✍️ Viết phản hồi", expect="Nhập phản hồi")
    assert not sandbox.errors


async def test_start_and_help_show_each_role_its_commands(sandbox, bot, admin_user):
    minh_user = sandbox.add_user("Minh", language_code="vi")
    await register(bot, minh_user, XUAN_HUONG)
    minh = Person(sandbox, minh_user, timeout=15)
    officer_help = await minh.send("/help", expect="/report")
    assert "vai trò cán bộ" in text_of(officer_help)
    assert "/queue" in text_of(officer_help) and "/invite" not in text_of(officer_help)
    # The resident's part follows the role's, and the menu stays.
    assert text_of(officer_help).index("/queue") < text_of(officer_help).index("/report")
    assert "📝 Gửi tin báo" in buttons_of(officer_help)

    tom_admin = Person(sandbox, admin_user, timeout=15)
    await tom_admin.send("/language", expect="chọn ngôn ngữ")
    await tom_admin.tap("🇬🇧 English", expect="Language set")
    start = await tom_admin.send("/start", expect="anonymously")
    assert "Your work as a province admin" in text_of(start)
    for command in ("/invite", "/stats", "/sendnow", "/officers", "/queue"):
        assert command in text_of(start)
    assert "/invite" in text_of(await tom_admin.send("/help", expect="/report"))

    lan = Person(sandbox, sandbox.add_user("Lan", language_code="vi"))
    resident_help = await lan.send("/help", expect="/report")
    assert "/queue" not in text_of(resident_help) and "vai trò" not in text_of(resident_help)
    assert not sandbox.errors
