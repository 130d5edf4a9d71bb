"""Holes a security review of the merged code found, closed end to end: tip buttons pressed in a
group the tip does not go to, a revoked officer still in other officers' groups, public groups,
queued rows for chats that no longer cover a tip."""

from __future__ import annotations

import pytest

from tests.e2e.driver import Person, text_of
from tests.e2e.test_officers import LANG_BIANG, XUAN_HUONG, arrives, card, register, send_tip
from tests.e2e.test_onboarding import audit, wait_for_answer


@pytest.fixture
def bot_settings(admin_user):
    return {"TIPBOT_ADMIN_IDS": str(admin_user.id)}


def tip_id(bot, code: str) -> int:
    with bot.db() as conn:
        return conn.execute("SELECT id FROM tips WHERE code = ?", (code,)).fetchone()[0]


async def linked_group(sandbox, officer, title: str):
    group = sandbox.add_group(title, members=[officer])
    await sandbox.send_text(officer, "/linkgroup", chat=group)
    await sandbox.wait_for_message(group.id, predicate=lambda m: "✅" in text_of(m))
    return group


async def test_tip_buttons_work_only_in_a_group_the_tip_goes_to(sandbox, bot):
    """A modified client sends o:show:<id> (or any tip action) on any bot message in any group:
    the card, prompts and offers must not land in a group that does not cover the tip — an
    unrelated group, or the old commune's group after a transfer."""
    minh_user = sandbox.add_user("Minh", language_code="vi")
    await register(bot, minh_user, XUAN_HUONG)
    linked = await linked_group(sandbox, minh_user, "CA Xuân Hương")
    with bot.db() as conn:  # he serves Lang Biang too
        conn.execute(
            "INSERT INTO officer_communes (officer_id, commune_code) VALUES (?, ?)",
            (minh_user.id, LANG_BIANG),
        )
    code = await send_tip(Person(sandbox, sandbox.add_user("Lan"), timeout=15))
    number = tip_id(bot, code)
    group_card = await card(sandbox, linked.id, code)

    # A group the bot is in that serves no commune: any bot message there will do.
    other = sandbox.add_group("Hội đồng hương", members=[minh_user])
    await sandbox.send_text(minh_user, "/unlinkgroup", chat=other)
    anchor = await sandbox.wait_for_message(other.id, timeout=15)
    since = sandbox.version
    for data in (f"o:show:{number}", f"o:ask:{number}", f"o:status:{number}"):
        query = await sandbox.press_callback(minh_user, anchor["message_id"], data, chat=other)
        await wait_for_answer(sandbox, query)
        assert sandbox.callback_answers[query].show_alert, data
    assert sandbox.bot_messages_since(other.id, since) == []
    denied = audit(bot, "denied.tip.show")
    assert [d["chat"] for d in denied] == [other.id]
    assert audit(bot, "denied.tip.question")[0]["chat"] == other.id
    assert audit(bot, "tip.show") == []

    # In the linked group the card is shown, and that is audited.
    await sandbox.press_callback(
        minh_user, group_card["message_id"], f"o:show:{number}", chat=linked
    )
    await arrives(sandbox, linked.id, code, since)
    [shown] = audit(bot, "tip.show")
    assert shown["chat"] == linked.id and shown["actor"] == minh_user.id

    # Transferred to Lang Biang: the Xuân Hương group's stale buttons no longer answer there,
    # even for an officer of both communes.
    minh = Person(sandbox, minh_user, timeout=15)
    mine = await card(sandbox, minh_user.id, code)
    await minh.forge(mine["message_id"], f"o:to:{number}:{LANG_BIANG}", expect="chuyển")
    since = sandbox.version
    for data in (f"o:ask:{number}", f"o:note:{number}", f"o:status:{number}"):
        query = await sandbox.press_callback(minh_user, group_card["message_id"], data, chat=linked)
        await wait_for_answer(sandbox, query)
        assert sandbox.callback_answers[query].show_alert, data
    assert [m for m in sandbox.bot_messages_since(linked.id, since) if "reply_markup" in m] == []
    assert [d["chat"] for d in audit(bot, "denied.tip.note")] == [linked.id]
    assert not sandbox.errors


async def test_a_public_group_cannot_be_linked(sandbox, bot):
    """A supergroup with an @username is open to anyone: none of the commune's tips go there."""
    minh_user = sandbox.add_user("Minh", language_code="vi")
    await register(bot, minh_user, XUAN_HUONG)
    public = sandbox.add_group("Cư dân Xuân Hương", members=[minh_user], username="xh_public")
    await sandbox.send_text(minh_user, "/linkgroup", chat=public)
    refusal = await sandbox.wait_for_message(public.id, timeout=15)
    assert "công khai" in text_of(refusal) and "@username" in text_of(refusal)
    [denied] = audit(bot, "denied.group.link")
    assert denied["chat"] == public.id and denied["why"] == "public"
    with bot.db() as conn:
        assert conn.execute("SELECT count(*) FROM commune_groups").fetchone()[0] == 0
    code = await send_tip(Person(sandbox, sandbox.add_user("Lan"), timeout=15))
    await card(sandbox, minh_user.id, code)
    assert not [m for m in sandbox.history(public.id) if code in text_of(m)]
    assert not sandbox.errors


async def test_revocation_names_groups_the_officer_is_still_in(sandbox, bot, admin_user):
    """Revoking Minh: the group he linked ends; the group Nga linked, which he is still a member
    of, keeps getting the commune's tips, so the admin is told (Telegram is asked); a link of
    another commune that went unvouched earlier is neither ended nor blamed on Minh."""
    admin = Person(sandbox, admin_user, timeout=15)
    await admin.send("/start", expect="ẩn danh")
    minh_user = sandbox.add_user("Minh", language_code="vi")
    nga_user = sandbox.add_user("Nga", language_code="vi")
    hoa_user = sandbox.add_user("Hoa", language_code="vi")
    await register(bot, minh_user, XUAN_HUONG)
    await register(bot, nga_user, XUAN_HUONG)
    await register(bot, hoa_user, LANG_BIANG)
    own = await linked_group(sandbox, minh_user, "Nhóm của Minh")
    shared = await linked_group(sandbox, nga_user, "CA Xuân Hương chung")
    sandbox.add_member(shared, minh_user)
    left = await linked_group(sandbox, nga_user, "Nhóm Minh đã rời")
    stale = await linked_group(sandbox, hoa_user, "Nhóm Lang Biang")
    with bot.db() as conn:  # Hoa moved off Lang Biang: that link went unvouched before
        conn.execute("DELETE FROM officer_communes WHERE officer_id = ?", (hoa_user.id,))

    await admin.send("/officers", expect="Minh")
    await admin.tap("🚫 Thu hồi Minh", expect="Thu hồi quyền")
    done = await admin.tap("🚫 Đồng ý thu hồi", expect="đã bị thu hồi")
    text = text_of(done)
    ended, still = text.split("⚠️")
    assert "Nhóm của Minh" in ended and "CA Xuân Hương chung" not in ended
    assert "CA Xuân Hương chung" in still and "Nhóm Minh đã rời" not in text
    assert "Lang Biang" not in text
    [unlinked] = audit(bot, "group.unlink")
    assert unlinked["chat"] == own.id and unlinked["officer"] == minh_user.id
    [noted] = audit(bot, "officer.revoke.still_member")
    assert noted["chats"] == [shared.id] and noted["officer"] == minh_user.id
    with bot.db() as conn:
        kept = {row[0] for row in conn.execute("SELECT chat_id FROM commune_groups")}
    assert kept == {shared.id, left.id, stale.id}
    assert not sandbox.errors


async def test_texts_are_measured_as_telegram_counts_them(sandbox, bot):
    """ "a😀" × 1365 is 2730 characters but 4095 UTF-16 units: with the summary around it, it
    would never fit the officers' message, after the tipster was told it went."""
    from tests.e2e.test_security import ask, tipster_and_officer

    lan, minh, _code = await tipster_and_officer(sandbox, bot)
    wide = "a😀" * 1365
    await minh.tap("❓ Hỏi người báo tin", expect="Nhập câu hỏi")
    await minh.send(wide, expect="không quá")
    await minh.send("/cancel")
    question = await ask(sandbox, minh, lan, "Quán ở số mấy?")
    await lan.do(
        lambda: sandbox.send_text(lan.user, wide, reply_to=question["message_id"]),
        expect="không quá",
    )
    since = sandbox.version
    await lan.send("Số 12", expect="đã được chuyển tới cán bộ")  # typed plainly: the last resort
    await arrives(sandbox, minh.chat_id, "Số 12", since)
    assert not sandbox.errors


async def test_audio_answers_reach_officers_without_their_tags(sandbox, bot):
    """An M4A, OGG or FLAC the tipster sends keeps its sound, not the names in its tags."""
    from tests.bot.test_audio_tags import NAME, flac, m4a, ogg_opus, tagged
    from tests.e2e.test_security import ask, tipster_and_officer

    lan, minh, _code = await tipster_and_officer(sandbox, bot)
    question = await ask(sandbox, minh, lan, "Bạn có ghi âm không?")
    files = [
        (tagged(m4a(), "\xa9ART"), "ghi_am_Lan.m4a"),
        (tagged(ogg_opus(), "artist"), "ghi_am_Lan.ogg"),
        (tagged(flac(), "artist"), "ghi_am_Lan.flac"),
    ]
    for data, name in files:
        since = sandbox.version
        await sandbox.send_audio(lan.user, data, name, reply_to=question["message_id"])
        await arrives(sandbox, lan.chat_id, "đã được chuyển tới cán bộ", since)
        copy = await sandbox.wait_for_message(
            minh.chat_id, timeout=15, predicate=lambda m: "audio" in m, since=since
        )
        assert NAME.encode() not in sandbox.file_bytes(copy["audio"]["file_id"]), name
        assert "Lan" not in copy["audio"]["file_name"]
    assert not sandbox.errors


async def test_a_linked_group_made_public_gets_no_more_tips(sandbox, bot, admin_user):
    """Telegram tells the bot nothing when a group gets an @username: before anything about a
    tip goes to a group, the bot asks whether it is still private."""
    minh_user = sandbox.add_user("Minh", language_code="vi")
    await register(bot, minh_user, XUAN_HUONG)
    linked = await linked_group(sandbox, minh_user, "CA Xuân Hương")
    first = await send_tip(Person(sandbox, sandbox.add_user("Lan"), timeout=15))
    await card(sandbox, linked.id, first)

    linked.type, linked.username = "supergroup", "xh_public"  # its owner made it public
    since = sandbox.version
    second = await send_tip(Person(sandbox, sandbox.add_user("Bảy"), timeout=15))
    await card(sandbox, minh_user.id, second)
    notice = await arrives(sandbox, linked.id, "công khai", since)
    assert "/linkgroup" in text_of(notice)
    assert not [m for m in sandbox.bot_messages_since(linked.id, since) if second in text_of(m)]
    [unlinked] = audit(bot, "group.unlink")
    assert unlinked["chat"] == linked.id and unlinked["why"] == "public"
    with bot.db() as conn:
        assert conn.execute("SELECT count(*) FROM commune_groups").fetchone()[0] == 0
    assert not sandbox.errors
