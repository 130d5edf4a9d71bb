"""One way to check a role, end to end: every admin command refuses a resident and an officer
with the same words and one audit row each; officer commands refuse residents; an officer's
buttons on a tip of another commune are refused, each refusal audited."""

from __future__ import annotations

import json

import pytest

from handlers.callbacks import OnTip, TipAction, encode
from storage import tips
from storage.db import Database
from tests.e2e.driver import Person, text_of
from tests.e2e.test_officers import LANG_BIANG, XUAN_HUONG, register, wait_for_answer
from tests.storage.test_tips import fraud_tip
from tests.support.catalog import vi

ADMINS_ONLY = vi("Sorry, only the province admins can do this.")
OFFICERS_ONLY = vi("Sorry, this is only for police officers registered in this bot.")
NOT_THEIR_TIP = vi("Only officers of this tip's commune, or the province admins, can do that.")

# Each admin command, as someone would type it, and its action in the audit log.
ADMIN_COMMANDS = {
    "/invite xuan huong": "officer.invite",
    "/officers": "officer.list",
    "/stats": "stats.view",
    "/export": "tips.export",
    "/ban T-SEED00 spam": "resident.ban",
    "/unban": "resident.unban",
    "/audit T-SEED00": "tip.audit",
    "/confirmed 0912345678": "indicator.list",
    "/bulletins": "bulletin.list",
    "/newbulletin Tiêu đề\nNội dung": "bulletin.create",
    "/sendnow online_fraud": "broadcast.start",
    "/sendat 08:00 online_fraud": "broadcast.plan",
    "/schedule 0 8 * * 1 online_fraud": "schedule.create",
    "/schedules": "schedule.list",
    "/broadcasts": "broadcast.list",
}
OFFICER_COMMANDS = {"/queue": "tip.queue", "/mycommunes": "officer.mycommunes"}


@pytest.fixture
def bot_settings(admin_user):
    return {"TIPBOT_ADMIN_IDS": str(admin_user.id)}


def denied(bot, action: str) -> list[int | None]:
    """The actors of the refusals of `action` (None: someone who is not staff)."""
    with bot.db() as conn:
        rows = conn.execute(
            "SELECT actor_id, detail FROM audit_log WHERE action = ? ORDER BY id",
            (f"denied.{action}",),
        ).fetchall()
    assert all(row["actor_id"] is not None or json.loads(row["detail"]) for row in rows)
    return [row["actor_id"] for row in rows]


async def seed_tip(bot) -> int:
    db = await Database.open(bot.config.db_path)
    try:
        tip = await tips.insert(db, fraud_tip(code="T-SEED00", commune_code=XUAN_HUONG))
    finally:
        await db.close()
    return tip.id


async def test_every_admin_command_refuses_residents_and_officers_alike(sandbox, bot):
    await seed_tip(bot)
    resident = Person(sandbox, sandbox.add_user("Lan", language_code="vi"))
    officer_user = sandbox.add_user("Minh", language_code="vi")
    await register(bot, officer_user, XUAN_HUONG)
    officer = Person(sandbox, officer_user)
    for command, action in ADMIN_COMMANDS.items():
        for person in (resident, officer):
            reply = await person.send(command, expect="")
            assert text_of(reply) == ADMINS_ONLY, (command, person.user.first_name)
        assert denied(bot, action) == [None, officer.chat_id], command
    assert not sandbox.errors


async def test_officer_commands_refuse_residents(sandbox, bot):
    resident = Person(sandbox, sandbox.add_user("Lan", language_code="vi"))
    for command, action in OFFICER_COMMANDS.items():
        assert text_of(await resident.send(command, expect="")) == OFFICERS_ONLY, command
        assert denied(bot, action) == [None], command


async def test_tip_buttons_are_refused_outside_the_officers_communes(sandbox, bot):
    tip_id = await seed_tip(bot)
    stranger_user = sandbox.add_user("Nga", language_code="vi")
    await register(bot, stranger_user, LANG_BIANG)
    message_id = Person(sandbox, stranger_user).last_bot_message()["message_id"]
    values = {TipAction.SET_STATUS: "resolved", TipAction.TRANSFER_TO: str(LANG_BIANG)}
    for action in TipAction:
        data = encode(OnTip(action, tip_id, values.get(action, "")))
        query = await sandbox.press_callback(stranger_user, message_id, data)
        answer = await wait_for_answer(sandbox, query)
        assert answer.show_alert and NOT_THEIR_TIP in answer.text, action
    with bot.db() as conn:
        refusals = conn.execute(
            "SELECT count(*) FROM audit_log WHERE action LIKE 'denied.%' AND actor_id = ?",
            (stranger_user.id,),
        ).fetchone()[0]
        changed = conn.execute(
            "SELECT status, commune_code FROM tips WHERE id = ?", (tip_id,)
        ).fetchone()
    assert refusals == len(TipAction)
    assert tuple(changed) == ("new", XUAN_HUONG)
    assert not sandbox.errors


async def test_groups_are_refused_the_same_way(sandbox, bot):
    lan = sandbox.add_user("Lan", language_code="vi")
    group = sandbox.add_group("CA Xuân Hương", members=[lan])
    for command, action in (
        ("/linkgroup xuan huong", "group.link"),
        ("/unlinkgroup", "group.unlink"),
    ):
        since = sandbox.version
        await sandbox.send_text(lan, command, chat=group)
        reply = await sandbox.wait_for_message(group.id, since=since)
        assert text_of(reply) == OFFICERS_ONLY, command
        with bot.db() as conn:
            rows = conn.execute(
                "SELECT actor_id, detail FROM audit_log WHERE action = ?", (f"denied.{action}",)
            ).fetchall()
        assert [(row["actor_id"], json.loads(row["detail"])) for row in rows] == [
            (None, {"chat": group.id, "actor": "outsider"})
        ]
