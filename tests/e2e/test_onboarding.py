"""Onboarding staff end to end: invites, joining, the officers list, revoking, commune groups."""

from __future__ import annotations

import asyncio
import dataclasses
import hashlib
import json
import os
import re
import sys
import time

import pytest

from tests.e2e.driver import Person, buttons_of, text_of
from tests.e2e.test_officers import wait_for_answer
from tests.support.officers import register_officer

XUAN_HUONG, LAM_VIEN, BAO_LOC_2 = 24781, 24778, 24820
LINK = re.compile(r"https://t\.me/tipbot_test_bot\?start=(inv_[A-Za-z0-9_-]+)")


@pytest.fixture
def admin_user(sandbox):
    return sandbox.add_user("Hùng", language_code="vi")


@pytest.fixture
def bot_settings(admin_user):
    return {"TIPBOT_ADMIN_IDS": str(admin_user.id)}


@pytest.fixture
def admin(sandbox, admin_user):
    return Person(sandbox, admin_user)


def audit(bot, action: str) -> list[dict]:
    with bot.db() as conn:
        rows = conn.execute(
            "SELECT actor_id, detail FROM audit_log WHERE action = ? ORDER BY id", (action,)
        ).fetchall()
    return [{"actor": row["actor_id"], **json.loads(row["detail"])} for row in rows]


def chat_commands(sandbox, chat_id: int, language: str = "") -> list[str]:
    scope = {"type": "chat", "chat_id": chat_id}
    return [c["command"] for c in sandbox.bot_commands(scope=scope, language_code=language)]


async def invite(admin: Person, commune: str) -> str:
    reply = await admin.send(f"/invite {commune}", expect="t.me/")
    return LINK.search(text_of(reply))[1]


async def join(sandbox, name: str, payload: str, language: str = "vi") -> Person:
    officer = Person(sandbox, sandbox.add_user(name, language_code=language))
    await officer.send(f"/start {payload}", expect="Xuân Hương" if language == "vi" else None)
    return officer


async def test_an_invite_makes_an_officer_once(sandbox, bot, admin):
    reply = await admin.send("/invite xuan huong", expect="t.me/")
    assert "Phường Xuân Hương - Đà Lạt" in text_of(reply)
    assert "72" in text_of(reply) and "một lần" in text_of(reply)
    payload = LINK.search(text_of(reply))[1]
    assert len(payload) <= 64
    token = payload.removeprefix("inv_")

    minh = Person(sandbox, sandbox.add_user("Minh", language_code="en"))
    welcome = await minh.send(f"/start {payload}", expect="Welcome")
    assert "Phường Xuân Hương - Đà Lạt" in text_of(welcome) and "/queue" in text_of(welcome)
    with bot.db() as conn:
        stored = conn.execute("SELECT * FROM invites").fetchone()
        officer = conn.execute(
            "SELECT * FROM officers WHERE user_id = ?", (minh.chat_id,)
        ).fetchone()
        communes = conn.execute(
            "SELECT commune_code FROM officer_communes WHERE officer_id = ?", (minh.chat_id,)
        ).fetchall()
        dump = "\n".join(conn.iterdump())
    assert stored["token_hash"] == hashlib.sha256(token.encode()).hexdigest()
    assert token not in dump  # only the hash is stored
    assert stored["used_by"] == minh.chat_id
    assert stored["expires_at"] - stored["created_at"] == 72 * 3600
    assert officer["active"] == 1 and officer["name"] == "Minh"
    assert [row[0] for row in communes] == [XUAN_HUONG]

    # The new officer's own menus, in both languages and without one; residents keep theirs.
    for language in ("", "vi", "en"):
        assert {"queue", "tip", "mycommunes", "linkgroup", "report"} <= set(
            chat_commands(sandbox, minh.chat_id, language)
        )
        assert "invite" not in chat_commands(sandbox, minh.chat_id, language)
    assert "queue" not in [c["command"] for c in sandbox.bot_commands(language_code="vi")]
    english = {
        c["command"]: c["description"]
        for c in sandbox.bot_commands(
            scope={"type": "chat", "chat_id": minh.chat_id}, language_code="en"
        )
    }
    assert english["queue"] == "Open tips of my communes"
    notice = await sandbox.wait_for_message(admin.chat_id, predicate=lambda m: "Minh" in text_of(m))
    assert "Phường Xuân Hương - Đà Lạt" in text_of(notice)

    # Single use: a second person is refused, politely; the first is told they are in already.
    lan = Person(sandbox, sandbox.add_user("Lan", language_code="vi"))
    refusal = await lan.send(f"/start {payload}", expect="đã được sử dụng")
    assert "quản trị viên" in text_of(refusal)
    again = await minh.send(f"/start {payload}", expect="already joined")
    assert "/mycommunes" in text_of(again)
    with bot.db() as conn:
        assert (
            conn.execute(
                "SELECT count(*) FROM officers WHERE user_id = ?", (lan.chat_id,)
            ).fetchone()[0]
            == 0
        )
    assert audit(bot, "officer.invite") == [
        {"actor": admin.chat_id, "commune": XUAN_HUONG, "via": "telegram"}
    ]
    assert audit(bot, "officer.join") == [
        {"actor": minh.chat_id, "commune": XUAN_HUONG, "invited_by": admin.chat_id}
    ]
    assert [(a["actor"], a["reason"]) for a in audit(bot, "denied.officer.redeem")] == [
        ("outsider", "used"),  # not staff: kept without an id
        (minh.chat_id, "used_by_you"),
    ]
    # A plain /start is still the residents' menu.
    await lan.send("/start", expect="ẩn danh")
    assert not sandbox.errors


async def test_expired_and_unknown_invites_are_refused(sandbox, bot, admin):
    payload = await invite(admin, "24781")
    with bot.db() as conn:
        conn.execute("UPDATE invites SET expires_at = ?", (int(time.time()) - 1,))
        conn.commit()
    lan = Person(sandbox, sandbox.add_user("Lan", language_code="vi"))
    await lan.send(f"/start {payload}", expect="đã hết hạn")
    tom = Person(sandbox, sandbox.add_user("Tom", language_code="en"))
    await tom.send("/start inv_" + "A" * 32, expect="not valid")
    await tom.send("/start inv_<b>", expect="not valid")
    with bot.db() as conn:
        assert conn.execute("SELECT count(*) FROM officer_communes").fetchone()[0] == 0
    reasons = [a["reason"] for a in audit(bot, "denied.officer.redeem")]
    assert reasons == ["expired", "unknown", "unknown"]
    assert not sandbox.errors


async def test_invite_commune_by_name_code_or_choice(sandbox, bot, admin):
    await admin.send("/invite", expect="/invite Xuân Hương")
    await admin.send("/invite zzzz", expect="Không tìm thấy")
    choices = await admin.send("/invite da lat", expect="Có nhiều")
    assert "Phường Lâm Viên - Đà Lạt" in buttons_of(choices)
    picked = await admin.tap("Phường Lâm Viên - Đà Lạt", expect="t.me/")
    assert "Phường Lâm Viên - Đà Lạt" in text_of(picked)
    await admin.send("/invite 24820", expect="Phường 2 Bảo Lộc")
    with bot.db() as conn:
        codes = [r[0] for r in conn.execute("SELECT commune_code FROM invites ORDER BY rowid")]
    assert codes == [LAM_VIEN, BAO_LOC_2]
    # In a group, an invite link would leak: the bot says to ask in private.
    group = sandbox.add_group("Ban chỉ đạo", members=[admin.user])
    await sandbox.send_text(admin.user, "/invite xuan huong", chat=group)
    hint = await sandbox.wait_for_message(group.id)
    assert "t.me/" not in text_of(hint) and "riêng" in text_of(hint)
    assert not sandbox.errors


async def test_residents_cannot_invite_or_list_officers(sandbox, bot, admin):
    lan = Person(sandbox, sandbox.add_user("Lan", language_code="vi"))
    await lan.send("/invite xuan huong", expect="chỉ quản trị viên")
    await lan.send("/officers", expect="chỉ quản trị viên")
    await lan.send("/mycommunes", expect="chỉ dành cho cán bộ")
    tom = Person(sandbox, sandbox.add_user("Tom", language_code="en"))
    await tom.send("/invite 24781", expect="only the province admins")
    with bot.db() as conn:
        assert conn.execute("SELECT count(*) FROM invites").fetchone()[0] == 0
    # Residents are not staff: their refusals are logged without their ids.
    assert [a["actor"] for a in audit(bot, "denied.officer.invite")] == ["outsider"] * 2
    assert [a["actor"] for a in audit(bot, "denied.officer.list")] == ["outsider"]
    assert [a["actor"] for a in audit(bot, "denied.officer.mycommunes")] == ["outsider"]
    assert not sandbox.errors


async def test_admin_revokes_an_officer(sandbox, bot, admin):
    officer = await join(sandbox, "Tú <Bình> & Co", await invite(admin, "xuan huong"))
    other = await join(sandbox, "Nga", await invite(admin, "xuan huong"))

    listing = await admin.send("/officers", expect="Tú <Bình> & Co (")
    assert "1. Hùng (" in text_of(listing)
    assert "Phường Xuân Hương - Đà Lạt" in text_of(listing)
    labels = buttons_of(listing)
    assert "🚫 Thu hồi Tú <Bình> & Co" in labels and not any("Hùng" in b for b in labels)
    await admin.tap("🚫 Thu hồi Tú <Bình> & Co", expect="Thu hồi quyền")
    done = await admin.tap("🚫 Đồng ý thu hồi", expect="đã bị thu hồi")
    assert "Danh sách" in buttons_of(done)[0]
    with bot.db() as conn:
        row = conn.execute("SELECT active FROM officers WHERE user_id = ?", (officer.chat_id,))
        assert row.fetchone()[0] == 0
    assert audit(bot, "officer.revoke") == [{"actor": admin.chat_id, "officer": officer.chat_id}]
    notice = await sandbox.wait_for_message(
        officer.chat_id, predicate=lambda m: "thu hồi" in text_of(m)
    )
    assert notice
    for language in ("", "vi", "en"):
        assert chat_commands(sandbox, officer.chat_id, language) == []  # the residents' menu
        assert "queue" in chat_commands(sandbox, other.chat_id, language)

    # From now on the revoked officer is refused everything.
    await officer.send("/mycommunes", expect="chỉ dành cho cán bộ")
    group = sandbox.add_group("CA Xuân Hương", members=[officer.user])
    await sandbox.send_text(officer.user, "/linkgroup", chat=group)
    assert "Xin lỗi" in text_of(await sandbox.wait_for_message(group.id))
    with bot.db() as conn:
        assert conn.execute("SELECT count(*) FROM commune_groups").fetchone()[0] == 0

    # A second admin tap on the stale confirmation changes nothing.
    stale = await sandbox.press_callback(
        admin.user, done["message_id"], f"onb:rvy:{officer.chat_id}"
    )
    await wait_for_answer(sandbox, stale)
    assert "đã bị thu hồi từ trước" in sandbox.callback_answers[stale].text
    assert len(audit(bot, "officer.revoke")) == 1

    # Invited again, they serve the new commune only.
    payload = await invite(admin, "24820")
    await officer.send(f"/start {payload}", expect="Phường 2 Bảo Lộc")
    with bot.db() as conn:
        communes = conn.execute(
            "SELECT commune_code FROM officer_communes WHERE officer_id = ?", (officer.chat_id,)
        ).fetchall()
    assert [row[0] for row in communes] == [BAO_LOC_2]
    assert not sandbox.errors


async def test_forged_revoke_is_refused_and_audited(sandbox, bot, admin):
    officer = await join(sandbox, "Minh", await invite(admin, "xuan huong"))
    other = await join(sandbox, "Nga", await invite(admin, "xuan huong"))
    message_id = officer.last_bot_message()["message_id"]
    for data in (f"onb:rvy:{other.chat_id}", f"onb:rv:{other.chat_id}", "onb:of:0"):
        query = await sandbox.press_callback(officer.user, message_id, data)
        await wait_for_answer(sandbox, query)
        answer = sandbox.callback_answers[query]
        assert answer.show_alert and "chỉ quản trị viên" in answer.text
    with bot.db() as conn:
        assert (
            conn.execute(
                "SELECT active FROM officers WHERE user_id = ?", (other.chat_id,)
            ).fetchone()[0]
            == 1
        )
    assert [a["actor"] for a in audit(bot, "denied.officer.revoke")] == [officer.chat_id] * 2
    assert audit(bot, "officer.revoke") == []
    # An admin's forged data naming an admin or nobody does nothing either.
    for data, expected in ((f"onb:rvy:{admin.chat_id}", "TIPBOT_ADMIN_IDS"), ("onb:rvy:x", "")):
        query = await sandbox.press_callback(admin.user, 1, data)
        await wait_for_answer(sandbox, query)
        assert expected in sandbox.callback_answers[query].text
    assert audit(bot, "officer.revoke") == []
    assert not sandbox.errors


async def test_officers_link_their_own_communes_groups(sandbox, bot, admin):
    minh = await join(sandbox, "Minh", await invite(admin, "xuan huong"))
    nga = await join(sandbox, "Nga", await invite(admin, "24820"), language="en")
    lan = sandbox.add_user("Lan", language_code="vi")
    group = sandbox.add_group("CA <Xuân Hương>", members=[minh.user, nga.user, lan])

    async def say(user, text: str) -> str:
        since = sandbox.version
        await sandbox.send_text(user, text, chat=group)
        return text_of(await sandbox.wait_for_message(group.id, since=since))

    # Another commune's officer, and a resident, are refused; the officer's commune is linked.
    refusal = await say(nga.user, "/linkgroup Xuân Hương")
    assert "Sorry" in refusal and "Phường 2 Bảo Lộc" in refusal
    assert "Xin lỗi" in await say(lan, "/linkgroup xuan huong")
    assert "Phường Xuân Hương - Đà Lạt" in await say(minh.user, "/linkgroup")
    assert "Phường 2 Bảo Lộc" in await say(nga.user, "/linkgroup@tipbot_test_bot bao loc")
    with bot.db() as conn:
        links = conn.execute(
            "SELECT commune_code, title, linked_by FROM commune_groups ORDER BY commune_code"
        ).fetchall()
    assert [tuple(r) for r in links] == [
        (XUAN_HUONG, "CA <Xuân Hương>", minh.chat_id),
        (BAO_LOC_2, "CA <Xuân Hương>", nga.chat_id),
    ]
    assert [(a["actor"], a["commune"]) for a in audit(bot, "group.link")] == [
        (minh.chat_id, XUAN_HUONG),
        (nga.chat_id, BAO_LOC_2),
    ]
    denied = audit(bot, "denied.group.link")
    assert [a["actor"] for a in denied] == [nga.chat_id, "outsider"]
    assert all(a["chat"] == group.id for a in denied)

    mine = await minh.send("/mycommunes", expect="Phường Xuân Hương - Đà Lạt")
    assert "nhóm: CA <Xuân Hương>" in text_of(mine)
    # In a private chat /linkgroup explains where to send it.
    await minh.send("/linkgroup", expect="nhóm Telegram")

    # Unlinking: each officer their own commune.
    assert "Sorry" in await say(nga.user, "/unlinkgroup xuan huong")
    unlinked = await say(minh.user, "/unlinkgroup")
    assert "không còn nhận" in unlinked and "Bảo Lộc" not in unlinked
    with bot.db() as conn:
        assert [r[0] for r in conn.execute("SELECT commune_code FROM commune_groups")] == [
            BAO_LOC_2
        ]
    assert [a["commune"] for a in audit(bot, "group.unlink")] == [XUAN_HUONG]
    assert [a["actor"] for a in audit(bot, "denied.group.unlink")] == [nga.chat_id]
    assert not sandbox.errors


async def test_admin_picks_the_commune_of_a_group_by_button(sandbox, bot, admin):
    group = sandbox.add_group("Ban chỉ đạo Đà Lạt", members=[admin.user])
    await sandbox.send_text(admin.user, "/linkgroup da lat", chat=group)
    choices = await sandbox.wait_for_message(group.id)
    assert "Phường Lâm Viên - Đà Lạt" in buttons_of(choices)
    # A member who is not staff taps the button: refused, nothing linked.
    lan = sandbox.add_user("Lan", language_code="vi")
    sandbox.add_member(group, lan)
    query = await sandbox.press_button(lan, "Phường Lâm Viên - Đà Lạt", chat=group)
    await wait_for_answer(sandbox, query)
    assert sandbox.callback_answers[query].show_alert
    await sandbox.press_button(admin.user, "Phường Lâm Viên - Đà Lạt", chat=group)
    linked = await sandbox.wait_for_message(group.id, predicate=lambda m: "✅" in text_of(m))
    assert "Phường Lâm Viên - Đà Lạt" in text_of(linked)
    assert [a["actor"] for a in audit(bot, "group.link")] == [admin.chat_id]
    assert [a["actor"] for a in audit(bot, "denied.group.link")] == ["outsider"]
    assert not sandbox.errors


async def test_start_up_publishes_every_staff_menu(sandbox, bot, admin, monkeypatch):
    """At start, every active officer and admin gets their menu; a chat the bot never met is
    skipped without stopping the start."""
    from bot import app as bot_app
    from handlers.onboarding import publish_staff_commands

    publish = bot_app.publish_commands

    async def publish_all(application):
        await publish(application)
        await publish_staff_commands(application)

    monkeypatch.setattr(bot_app, "publish_commands", publish_all)
    minh = sandbox.add_user("Minh", language_code="vi")
    await admin.send("/start", expect="ẩn danh")
    await register_officer(sandbox, bot.config.db_path, minh, XUAN_HUONG)
    stranger = 424242  # an admin id of nobody who ever opened the bot
    bot.config = dataclasses.replace(bot.config, admin_ids=frozenset({admin.chat_id, stranger}))
    await bot.restart()
    for language in ("", "vi", "en"):
        assert "invite" in chat_commands(sandbox, admin.chat_id, language)
        assert "sendnow" in chat_commands(sandbox, admin.chat_id, language)  # opens the picker
        assert "queue" in chat_commands(sandbox, minh.id, language)
        assert "invite" not in chat_commands(sandbox, minh.id, language)
    groups = sandbox.bot_commands(scope={"type": "all_group_chats"}, language_code="vi")
    assert [c["command"] for c in groups] == ["linkgroup", "unlinkgroup"]
    assert {c.description for c in sandbox.errors} == {"Bad Request: chat not found"}
    # The bot runs on.
    await admin.send("/officers", expect="Minh")


@pytest.mark.slow
async def test_invite_officer_on_the_command_line(sandbox, bot, admin, tmp_path):
    async def tipbot(*args: str, **env: str) -> tuple[int, str, str]:
        environment = {k: v for k, v in os.environ.items() if not k.startswith("TIPBOT_")}
        environment.update(bot.env)
        environment.update(env)
        process = await asyncio.create_subprocess_exec(
            sys.executable, "-m", "bot.cli", *args,
            env=environment, cwd=tmp_path,
            stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE,
        )  # fmt: skip
        out, err = await asyncio.wait_for(process.communicate(), 60)
        return process.returncode, out.decode(), err.decode()

    await admin.send("/start", expect="ẩn danh")
    code, out, err = await tipbot("invite-officer", "--commune", "24781")
    assert code == 0, err
    assert "Phường Xuân Hương - Đà Lạt" in out
    payload = LINK.search(out)[1]
    minh = Person(sandbox, sandbox.add_user("Minh", language_code="vi"))
    await minh.send(f"/start {payload}", expect="Chào mừng")
    with bot.db() as conn:
        invite_row = conn.execute("SELECT created_by, used_by FROM invites").fetchone()
    assert tuple(invite_row) == (admin.chat_id, minh.chat_id)
    await sandbox.wait_for_message(admin.chat_id, predicate=lambda m: "Minh" in text_of(m))
    assert audit(bot, "officer.invite") == [{"actor": None, "commune": XUAN_HUONG, "via": "cli"}]

    code, out, err = await tipbot("invite-officer", "--commune", "99999")
    assert code == 2 and out == ""
    assert err.strip().count("\n") == 0 and "99999" in err
    code, out, err = await tipbot("invite-officer", "--commune", "24781", TIPBOT_ADMIN_IDS="")
    assert code == 2 and "TIPBOT_ADMIN_IDS" in err and err.strip().count("\n") == 0
    with bot.db() as conn:
        assert conn.execute("SELECT count(*) FROM invites").fetchone()[0] == 1
    assert bot.config.token not in out + err
    assert not sandbox.errors
