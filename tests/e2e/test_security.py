"""Holes an outside attack found, closed end to end: a revoked officer's ways back in, answers
of every media kind, answers nobody asked for, and what reaches officers with a file."""

from __future__ import annotations

import json
import time

import pytest

from tests.e2e.driver import Person, text_of
from tests.e2e.test_admin import BANNED
from tests.e2e.test_intake import REVIEW, SENT, send_reviewed, start_tip
from tests.e2e.test_officers import (
    XUAN_HUONG,
    arrives,
    card,
    forced_reply,
    register,
    send_tip,
)
from tests.e2e.test_onboarding import audit, wait_for_answer
from tests.support.media import MEDIA_DATA, PHONE, PLACE, filmed_mp4


@pytest.fixture
def bot_settings(admin_user):
    return {"TIPBOT_ADMIN_IDS": str(admin_user.id)}


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


def id3_tagged(performer: str, title: str) -> bytes:
    """An MP3 whose ID3v2.3 tag names its performer and title."""
    body = b"".join(
        name + (len(text) + 1).to_bytes(4, "big") + b"\x00\x00\x00" + text.encode("latin-1")
        for name, text in ((b"TPE1", performer), (b"TIT2", title))
    )
    size = len(body)
    synchsafe = bytes([(size >> 21) & 0x7F, (size >> 14) & 0x7F, (size >> 7) & 0x7F, size & 0x7F])
    return b"ID3\x03\x00\x00" + synchsafe + body + b"\xff\xfb\x90\x64" + bytes(2000)


async def ask(sandbox, minh: Person, lan: Person, question: str) -> dict:
    """Minh asks; the question reaches Lan with ForceReply, to be answered by replying to it
    (no "Reply" button on new questions). Returns the question message."""
    await minh.tap("❓ Hỏi người báo tin", expect="Nhập câu hỏi")
    since = sandbox.version
    await minh.send(question, expect="Đã gửi câu hỏi")
    asked = await arrives(sandbox, lan.chat_id, question, since)
    assert forced_reply(sandbox, asked) and "Trả lời" not in str(asked.get("reply_markup"))
    return asked


async def tipster_and_officer(sandbox, bot) -> tuple[Person, Person, str]:
    """Lan sent a tip of Xuân Hương; Minh, its officer, has the card."""
    lan = Person(sandbox, sandbox.add_user("Lan", last_name="Nguyễn", language_code="vi"), 15)
    minh_user = sandbox.add_user("Minh", language_code="vi")
    await register(bot, minh_user, XUAN_HUONG)
    code = await send_tip(lan)
    await card(sandbox, minh_user.id, code)
    return lan, Person(sandbox, minh_user, timeout=15), code


async def test_every_kind_of_answer_reaches_the_officers_without_names(sandbox, bot):
    lan, minh, code = await tipster_and_officer(sandbox, bot)
    lan_user, minh_user = lan.user, minh.user
    question = await ask(sandbox, minh, lan, "Bạn có ảnh hay ghi âm không?")
    q = question["message_id"]

    # Each answer replies to the question (the reply names its tip by itself).
    answers = {
        "photo": lambda: sandbox.send_photo(lan_user, caption="Ảnh chụp quán", reply_to=q),
        "voice": lambda: sandbox.send_voice(lan_user, reply_to=q),
        "video": lambda: sandbox.send_video(lan_user, filmed_mp4(), reply_to=q),
        "audio": lambda: sandbox.send_audio(
            lan_user, id3_tagged("Nguyen Thi Lan", "ghi am cua Lan"), "Lan_ghi_am.mp3", reply_to=q
        ),
        "document": lambda: sandbox.send_document(
            lan_user, b"%PDF-1.4 bien ban", "Nguyen_Thi_Lan_CCCD.pdf", reply_to=q
        ),
    }
    for kind, send in answers.items():
        since = sandbox.version
        await send()
        told = await arrives(sandbox, lan_user.id, "đã được chuyển tới cán bộ", since)
        assert "Xin lỗi" not in text_of(told), kind
        copy = await sandbox.wait_for_message(
            minh_user.id, timeout=15, predicate=lambda m, kind=kind: kind in m, since=since
        )
        assert code in text_of(copy)
        if kind == "photo":
            await arrives(sandbox, minh_user.id, "Ảnh chụp quán", since)
    seen = sandbox.history(minh_user.id)
    [document] = [m["document"] for m in seen if "document" in m]
    assert document["file_name"] == "attachment-1.pdf"
    [audio] = [m["audio"] for m in seen if "audio" in m]
    assert audio["file_name"] == "attachment-1.mp3"
    assert "performer" not in audio and "title" not in audio
    [video] = [m["video"] for m in seen if "video" in m]
    video_bytes = sandbox.file_bytes(video["file_id"])
    assert PLACE not in video_bytes and PHONE not in video_bytes and MEDIA_DATA in video_bytes
    assert b"Lan" not in sandbox.file_bytes(audio["file_id"])
    assert "Nguyen_Thi_Lan" not in str(seen) and "Nguyễn" not in str(seen)
    assert not [c for c in sandbox.calls if c.method == "forwardMessage"]
    with bot.db() as conn:
        stored = [r[0] for r in conn.execute("SELECT kind FROM tip_message_files ORDER BY 1")]
        relayed = conn.execute(
            "SELECT count(*) FROM audit_log WHERE action = 'tip.answer_relayed'"
        ).fetchone()[0]
    assert stored == sorted(answers) and relayed == len(answers)
    assert not sandbox.errors


async def test_answers_nobody_asked_for_are_not_relayed(sandbox, bot, admin_user):
    lan, minh, code = await tipster_and_officer(sandbox, bot)
    lan_user, minh_user = lan.user, minh.user

    # A modified client sends the Reply button's data with no question asked.
    since = sandbox.version
    await lan.forge(lan.last_bot_message()["message_id"], f"r:{code}")
    told = await arrives(sandbox, lan_user.id, "/report", since)
    assert "đã kết thúc" in text_of(told)
    await lan.send("Tôi muốn nói thêm", expect=None)

    # Asked, the tipster answers by replying to the question; a banned one no longer can, by
    # reply, by a plain message, or by an old question's Reply button.
    question = await ask(sandbox, minh, lan, "Quán mở cửa mấy giờ?")

    def reply(text: str):
        return lambda: sandbox.send_text(lan_user, text, reply_to=question["message_id"])

    await lan.do(reply("Từ 20 giờ"), expect="đã được chuyển tới cán bộ")
    await Person(sandbox, admin_user).send("/start", expect="ẩn danh")
    await Person(sandbox, admin_user).send(f"/ban {code} quấy rối", expect=code)
    await lan.do(reply("Vẫn muốn nói"), expect=BANNED)
    await lan.forge(question["message_id"], f"r:{code}", expect=BANNED)
    await lan.send("Vẫn muốn nói nữa", expect=None)

    # A week after the officers last wrote, an answered question takes no more answers.
    with bot.db() as conn:
        conn.execute("DELETE FROM bans")
        conn.commit()
    bot.runtime.clock = lambda: time.time() + 8 * 24 * 3600
    await lan.do(reply("Tôi muốn nói thêm"), expect="/report")
    await lan.forge(question["message_id"], f"r:{code}", expect="/report")
    with bot.db() as conn:
        answers = [
            r[0] for r in conn.execute("SELECT body FROM tip_messages WHERE kind = 'answer'")
        ]
    assert answers == ["Từ 20 giờ"]
    assert not [m for m in sandbox.history(minh_user.id) if "muốn nói" in text_of(m)]
    assert not sandbox.errors


async def test_a_tips_files_reach_officers_under_neutral_names(sandbox, bot):
    lan_user = sandbox.add_user("Lan", language_code="vi")
    lan = Person(sandbox, lan_user, timeout=15)
    minh_user = sandbox.add_user("Minh", language_code="vi")
    await register(bot, minh_user, XUAN_HUONG)
    await start_tip(lan, "🚨 Tội phạm")
    # The note before a tip says that files themselves can identify a person.
    assert any(
        "Ảnh, video và tệp có thể làm lộ bạn" in str(c.params.get("text")) for c in sandbox.calls
    )
    await lan.tap("Ma túy", expect="khi nào")
    await lan.tap("🚨 Đang xảy ra / có người gặp nguy hiểm", expect="xã, phường")
    await lan.send("xuan huong", expect="kể lại sự việc")  # the only match: taken
    await lan.send("Bán ma túy ở quán karaoke", expect=REVIEW)
    # Files are added on the review.
    await lan.do(
        lambda: sandbox.send_document(lan_user, b"%PDF-1.4 x", "Don_to_cao_Tran_Van_B.pdf"),
        expect="Đã nhận (1/10)",
    )
    await lan.do(
        lambda: sandbox.send_audio(lan_user, id3_tagged("Tran Van B", "loi khai"), "TranB.mp3"),
        expect="Đã nhận (2/10)",
    )
    big = b"%PDF-1.4 " + bytes(21 * 1024 * 1024)  # more than a bot may download
    await lan.do(
        lambda: sandbox.send_document(lan_user, big, "Tran_Van_B_video_goc.pdf"),
        expect="Đã nhận (3/10)",
    )
    code, _receipt = await send_reviewed(lan)
    await card(sandbox, minh_user.id, code)
    await arrives(sandbox, minh_user.id, "Tệp 3", 0)
    [audio] = [m for m in sandbox.history(minh_user.id) if "audio" in m]
    [document] = [m["document"] for m in sandbox.history(minh_user.id) if "document" in m]
    assert document["file_name"] == "attachment-1.pdf"
    assert audio["audio"]["file_name"] == "attachment-2.mp3"
    assert "performer" not in audio["audio"] and "title" not in audio["audio"]
    assert "Tran" not in str(sandbox.history(minh_user.id))
    # Telegram refused only the download of the file over 20 MB (the bot's only way to rename it).
    assert [(c.method, c.description) for c in sandbox.errors] == [
        ("getFile", "Bad Request: file is too big")
    ]


async def test_a_receipt_cut_off_by_a_crash_is_shown_at_the_next_tap_on_send(sandbox, bot):
    from bot import submission
    from bot.intake import Draft

    lan_user = sandbox.add_user("Lan", language_code="vi")
    lan = Person(sandbox, lan_user, timeout=15)
    await start_tip(lan, "🚨 Tội phạm")
    await lan.tap("Ma túy", expect="khi nào")
    await lan.tap("🚨 Đang xảy ra / có người gặp nguy hiểm", expect="xã, phường")
    await lan.tap("Tôi không rõ", expect="kể lại sự việc")
    await lan.send("Bán ma túy ở quán karaoke", expect=REVIEW)
    # The tip is committed as a tap on Send commits it, and then the bot dies: no receipt.
    runtime = bot.runtime
    pseudonym = runtime.pseudonym_of(lan_user.id)
    with bot.db() as conn:
        [row] = conn.execute("SELECT data FROM drafts").fetchall()
    sent = await submission.submit(
        runtime, pseudonym, lan_user.id, Draft.from_json(json.loads(row[0]))
    )
    with bot.db() as conn:
        [kept] = conn.execute("SELECT key, data FROM pending_inputs").fetchall()
    assert sent.receipt not in kept[1] and sent.code not in kept[1]  # sealed
    await bot.restart()

    # The resident taps Send again: the tip is not sent twice, its receipt is shown.
    done = await lan.tap("✅ Gửi tin báo", expect=SENT)
    assert sent.code in text_of(done) and sent.receipt in text_of(done)
    await lan.send(f"/status {sent.receipt}", expect=sent.code)  # also: the tap was handled
    with bot.db() as conn:
        assert conn.execute("SELECT count(*) FROM tips").fetchone()[0] == 1
        assert conn.execute("SELECT count(*) FROM pending_inputs").fetchone()[0] == 0
    # Once shown, a further tap says the tip was sent.
    query = await sandbox.press_callback(lan_user, done["message_id"] - 1, "t:review:send")
    await wait_for_answer(sandbox, query)
    assert "đã được gửi" in sandbox.callback_answers[query].text


async def test_names_reach_admins_without_bidi_controls(sandbox, bot, admin_user):
    from tests.e2e.test_onboarding import invite, join

    rlo = "\u202e"
    admin = Person(sandbox, admin_user, timeout=15)
    await admin.send("/start", expect="ẩn danh")
    since = sandbox.version
    officer = await join(sandbox, f"Minh{rlo}gnp.exe", await invite(admin, "xuan huong"))
    notice = await arrives(sandbox, admin_user.id, "Minhgnp.exe", since)
    assert rlo not in text_of(notice)
    listing = await admin.send("/officers", expect="Minhgnp.exe")
    assert rlo not in str(listing)
    group = sandbox.add_group(f"CA{rlo} Xuân Hương", members=[officer.user])
    await sandbox.send_text(officer.user, "/linkgroup", chat=group)
    await sandbox.wait_for_message(group.id, predicate=lambda m: "✅" in text_of(m))
    mine = await officer.send("/mycommunes", expect="CA Xuân Hương")
    assert rlo not in text_of(mine)

    code = await send_tip(Person(sandbox, sandbox.add_user("Lan"), timeout=15))
    await admin.send(f"/ban {code} gửi{rlo} tin rác", expect=code)
    bans = await admin.send("/unban", expect="gửi tin rác")
    assert rlo not in str(bans)
    with bot.db() as conn:
        stored = [
            *conn.execute("SELECT name FROM officers"),
            *conn.execute("SELECT title FROM commune_groups"),
            *conn.execute("SELECT reason FROM bans"),
        ]
    assert not [row[0] for row in stored if row[0] and rlo in row[0]]
    assert not sandbox.errors


async def test_residents_and_admins_buttons_do_nothing_in_a_group(sandbox, bot, admin_user):
    """Forged callback data on a tip card in a commune group: a member who is no officer cannot
    start a tip there (its receipt and way back would lead into the group), subscribe the group
    or reply as a tipster; an admin's statistics do not land in the group."""
    minh_user = sandbox.add_user("Minh", language_code="vi")
    await register(bot, minh_user, XUAN_HUONG)
    lan_user = sandbox.add_user("Lan", language_code="vi")
    group = sandbox.add_group("CA Xuân Hương", members=[minh_user, lan_user, admin_user])
    await sandbox.send_text(minh_user, "/linkgroup", chat=group)
    await sandbox.wait_for_message(group.id, predicate=lambda m: "✅" in text_of(m))
    code = await send_tip(Person(sandbox, lan_user, timeout=15))
    tip_card = await card(sandbox, group.id, code)
    since = sandbox.version
    forged = [
        (lan_user, "t:category:crime"),
        (lan_user, "t:review:send"),
        (lan_user, f"r:{code}"),
        (lan_user, "menu:report"),
        (admin_user, "adm:s:this_year"),
    ]
    for user, data in forged:
        query = await sandbox.press_callback(user, tip_card["message_id"], data, chat=group)
        await wait_for_answer(sandbox, query)
        answer = sandbox.callback_answers[query]
        assert answer.show_alert and "trò chuyện riêng" in answer.text, data
    assert [m for m in sandbox.bot_messages_since(group.id, since)] == []
    with bot.db() as conn:
        assert conn.execute("SELECT count(*) FROM drafts").fetchone()[0] == 0
    # The officers' own buttons still work in the group.
    minh = Person(sandbox, minh_user, timeout=15)
    await sandbox.press_callback(
        minh_user, tip_card["message_id"], f"o:ack:{_tip_id(bot, code)}", chat=group
    )
    await arrives(sandbox, group.id, "tiếp nhận lúc", since)
    assert minh and not sandbox.errors


def _tip_id(bot, code: str) -> int:
    with bot.db() as conn:
        return conn.execute("SELECT id FROM tips WHERE code = ?", (code,)).fetchone()[0]
