"""Every step of a tip takes every kind of wrong input without losing anything, and a restart of
the bot at any step continues the draft where the resident was."""

from __future__ import annotations

import json

from tests.e2e.driver import Person, text_of
from tests.e2e.test_intake import SENT, start_tip
from tests.support.catalog import vi
from tests.support.waiting import wait_until

LONG_TEXT = "Rất dài " * 1250  # 10,000 characters
RESUME = vi("You have a tip you haven't sent yet. Here is where you stopped:")
HOSTILE_TEXTS = [
    "<b>", "<script>alert(1)</script>", "a & b", "\u202eabc\u202c", "x\u200by", LONG_TEXT
]  # fmt: skip


def squeeze(text: str) -> str:
    return "".join(text.split())


def draft_of(bot) -> dict:
    with bot.db() as conn:
        row = conn.execute("SELECT data FROM drafts").fetchone()
    data = json.loads(row[0])
    data.pop("commune_query", None)  # a search remembers what was typed: not an answer
    data.pop("last_update", None)  # bookkeeping of which updates were applied
    return data


async def probe_wrong_inputs(sandbox, bot, person: Person, *, text_is_answer: bool) -> None:
    """Sends what this step does not expect; the bot answers each, and the draft keeps its
    answers and step."""
    before = draft_of(bot)
    first_prompt = sandbox.history(person.chat_id)[1]["message_id"]
    await person.do(lambda: sandbox.send_sticker(person.user))
    await person.send("/frobnicate", expect="Tin báo của bạn chưa gửi đi")
    await person.send("😀😀😀")
    await person.send("\u200b\u200b")
    await person.forge(first_prompt, "t:category:crime", expect=None)
    await person.forge(first_prompt, "t:kind:no-such-kind", expect=None)
    await person.forge(first_prompt, "x" * 64, expect=None)
    if not text_is_answer:
        for text in HOSTILE_TEXTS:
            await person.send(text)
    after = draft_of(bot)
    assert after == before, "a wrong input changed the draft"
    assert not sandbox.errors, sandbox.errors


async def test_wrong_inputs_at_every_step_of_a_crime_tip(sandbox, bot):
    lan = Person(sandbox, sandbox.add_user("Lan", language_code="vi"))
    await start_tip(lan, "🚨 Tội phạm")
    # (Text typed at a button question is kept as the description: tests/e2e/test_resident.py.)
    await probe_wrong_inputs(sandbox, bot, lan, text_is_answer=True)  # kind
    await lan.tap("Cờ bạc, cá độ", expect="khi nào")
    await probe_wrong_inputs(sandbox, bot, lan, text_is_answer=True)  # when
    await lan.tap("Trong hôm nay", expect="xã, phường")
    await probe_wrong_inputs(sandbox, bot, lan, text_is_answer=True)  # commune
    for text in HOSTILE_TEXTS:
        reply = await lan.send(text, expect="xã, phường")
        assert "<script>" not in text_of(reply) or "“<script>" in text_of(reply)
    await lan.tap("Tôi không rõ", expect="kể lại sự việc")
    await probe_wrong_inputs(sandbox, bot, lan, text_is_answer=True)  # description
    # The app splits 10,000 characters into three messages; every part is kept.
    await lan.send(LONG_TEXT, expect="vượt mức tối đa")
    await wait_until(lambda: squeeze(draft_of(bot)["overflow"] or "") == squeeze(LONG_TEXT))
    review = await lan.tap("✂️ Giữ phần vừa đủ", expect="Bạn kiểm tra lại")
    assert len(text_of(review)) < 4096
    assert 2900 < len(draft_of(bot)["description"]) <= 3000
    await probe_wrong_inputs(sandbox, bot, lan, text_is_answer=True)  # review
    await lan.send("<script>alert(1)</script> & <b>", expect="vượt mức tối đa")
    await lan.tap("✍️ Tôi sẽ gửi bản ngắn hơn", expect="bản ngắn gọn hơn")  # decided: drop it
    await lan.tap("📎 Thêm ảnh hoặc tệp", expect="Xong")
    await probe_wrong_inputs(sandbox, bot, lan, text_is_answer=True)  # attachments
    await lan.tap("✅ Xong", expect="Bạn kiểm tra lại")
    await lan.tap("📍 Thêm vị trí cụ thể", expect="gửi vị trí")
    await probe_wrong_inputs(sandbox, bot, lan, text_is_answer=True)  # location
    await lan.send("Bỏ qua", expect="Bạn kiểm tra lại")
    await lan.tap("✅ Gửi tin báo", expect=SENT)
    # A tap on a button of the finished tip: told politely, nothing breaks.
    old_prompt = sandbox.history(lan.chat_id)[1]["message_id"]
    query_id = await sandbox.press_callback(lan.user, old_prompt, "t:review:send")
    await wait_until(lambda: query_id in sandbox.callback_answers)
    assert "đã được gửi hoặc đã hủy" in sandbox.callback_answers[query_id].text
    assert not sandbox.errors


async def test_hostile_text_is_escaped_in_fraud_answers(sandbox, bot):
    tom = Person(sandbox, sandbox.add_user("Tom", language_code="vi"))
    await start_tip(tom, "💸 Lừa đảo qua mạng")
    await tom.tap("App vay tiền", expect="liên lạc")
    await tom.tap("Tiếp tục ➡️", expect="số điện thoại nào")
    await probe_wrong_inputs(sandbox, bot, tom, text_is_answer=True)
    await tom.send("<b>0912345678</b> & <i>", expect="tài khoản ngân hàng")
    await tom.send(LONG_TEXT, expect="dài quá mức")
    await tom.send("\u202e1234 5678 9012\u202c", expect="đường link")
    await tom.send("<script>https://evil.example/x</script>", expect="mất bao nhiêu")
    await tom.tap("Không bị mất tiền", expect="xã, phường")
    await tom.tap("Tôi không rõ", expect="kể lại sự việc")
    review = await tom.send("Kẻ gian dùng app <Vay Nhanh> & hứa giải ngân", expect="Bạn kiểm tra")
    assert "<Vay Nhanh>" in text_of(review)  # shown as typed: escaped in HTML, not swallowed
    assert "<b>0912345678</b> &" in text_of(review)
    await tom.tap("✅ Gửi tin báo", expect=SENT)
    assert not sandbox.errors


STEPS = [
    ("kind", []),
    ("when", [("tap", "Ma túy", "khi nào")]),
    ("commune", [("tap", "Trong hôm nay", "xã, phường")]),
    ("description", [("send", "xuan huong", "kể lại sự việc")]),
    ("review", [("send", "Có người bán ma túy", "Bạn kiểm tra"), ("photo", None, "Đã nhận")]),
    ("location", [("tap", "📍 Thêm vị trí cụ thể", "gửi vị trí")]),
    ("review", [("send", "Bỏ qua", "Bạn kiểm tra lại")]),
]  # fmt: skip


async def act(person: Person, how: str, what: str | None, expect: str) -> None:
    if how == "tap":
        await person.tap(what, expect=expect)
    elif how == "send":
        await person.send(what, expect=expect)
    else:
        await person.photo(expect=expect)


async def test_restart_at_every_step_continues_the_draft(sandbox, bot):
    """The bot restarts after each step; the resident carries on and the tip arrives whole."""
    lan = Person(sandbox, sandbox.add_user("Lan", language_code="vi"))
    await start_tip(lan, "🚨 Tội phạm")
    for step, actions in STEPS:
        for how, what, expect in actions:
            await act(lan, how, what, expect)
        await bot.restart()
        assert draft_of(bot)["step"] == step
    # After the last restart a new message shows where the resident is.
    await lan.send("/report", expect=RESUME)
    await lan.tap("✅ Gửi tin báo", expect=SENT)
    with bot.db() as conn:
        tip = dict(conn.execute("SELECT * FROM tips").fetchone())
        attachments = conn.execute("SELECT COUNT(*) FROM tip_attachments").fetchone()[0]
    assert (tip["kind"], tip["description"], attachments) == ("drugs", "Có người bán ma túy", 1)
    assert not sandbox.errors
