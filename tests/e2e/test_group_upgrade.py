"""A commune's group upgraded to a supergroup (made public, 200 members, history shown to new
members…): Telegram gives it a new id and refuses the old one. Its tips follow it there, whether
the bot hears of the upgrade first or meets the old id first; a group upgraded by being made
public still gets no tip."""

from __future__ import annotations

import pytest

from tests.e2e.driver import Person, text_of
from tests.e2e.test_officers import XUAN_HUONG, arrives, card, register, send_tip
from tests.e2e.test_onboarding import audit
from tests.e2e.test_security_review import linked_group
from tests.support.waiting import quiet, wait_until

UPGRADED = "Bad Request: group chat was upgraded to a supergroup chat"


@pytest.fixture
def bot_settings(admin_user):
    return {"TIPBOT_ADMIN_IDS": str(admin_user.id)}


def linked_chats(bot) -> list[int]:
    with bot.db() as conn:
        return [row[0] for row in conn.execute("SELECT chat_id FROM commune_groups")]


def outbox_drained(bot) -> bool:
    with bot.db() as conn:
        return not conn.execute(
            "SELECT 1 FROM outbox WHERE status IN ('pending', 'sending')"
        ).fetchone()


async def all_sent(bot) -> None:
    """Every queued message went out (or was given up), and nothing more is under way."""
    await wait_until(lambda: outbox_drained(bot), timeout=60)
    await quiet(bot)


def cards_of(sandbox, chat_id: int, code: str) -> list[dict]:
    return [
        m
        for m in sandbox.history(chat_id)
        if code in text_of(m) and m.get("reply_markup") and m["from"]["id"] == sandbox.me["id"]
    ]


async def group_with_a_card(sandbox, bot):
    """Minh, Xuân Hương's officer, linked his group; Lan's tip has its card there, all sent."""
    minh = sandbox.add_user("Minh", language_code="vi")
    await register(bot, minh, XUAN_HUONG)
    group = await linked_group(sandbox, minh, "CA Xuân Hương")
    first = await send_tip(Person(sandbox, sandbox.add_user("Lan"), timeout=15))
    await card(sandbox, group.id, first)
    await all_sent(bot)
    return minh, group, first


async def test_a_linked_group_upgraded_to_a_supergroup_keeps_its_tips(sandbox, bot):
    minh, group, first = await group_with_a_card(sandbox, bot)

    since = sandbox.version
    supergroup = sandbox.upgrade_group(group, minh)  # both service messages reach the bot

    # The open tip gets a card there that works (the old one is in a read-only chat) ...
    await card(sandbox, supergroup.id, first)
    # ... and the next tip goes there.
    second = await send_tip(Person(sandbox, sandbox.add_user("Bảy"), timeout=15))
    await card(sandbox, supergroup.id, second)
    await all_sent(bot)

    assert linked_chats(bot) == [supergroup.id]
    [moved] = audit(bot, "group.migrate")  # two service messages, one move
    assert moved == {"actor": None, "commune": XUAN_HUONG, "chat": group.id, "to": supergroup.id}
    assert sandbox.bot_messages_since(group.id, since) == []
    assert len(cards_of(sandbox, supergroup.id, first)) == 1
    assert len(cards_of(sandbox, supergroup.id, second)) == 1
    assert not sandbox.errors  # the bot never wrote to the old id


async def test_a_tip_meeting_the_old_id_first_still_reaches_the_supergroup(sandbox, bot):
    """The upgrade's service messages come late (or never): the card sent to the old id is
    refused with the new one, and the link and the card move there by themselves."""
    minh, group, first = await group_with_a_card(sandbox, bot)

    supergroup = sandbox.upgrade_group(group, minh, tell_bot=False)
    second = await send_tip(Person(sandbox, sandbox.add_user("Bảy"), timeout=15))
    await card(sandbox, supergroup.id, second)
    await card(sandbox, supergroup.id, first)
    await all_sent(bot)

    assert linked_chats(bot) == [supergroup.id]
    [moved] = audit(bot, "group.migrate")
    assert moved["chat"] == group.id and moved["to"] == supergroup.id
    refused = sandbox.errors
    assert refused and {call.description for call in refused} == {UPGRADED}
    assert {call.params["chat_id"] for call in refused} == {group.id}

    # The service messages arrive at last: nothing is left to move, nothing is sent twice.
    sandbox.tell_bot_of_upgrade(group)
    await all_sent(bot)
    assert len(audit(bot, "group.migrate")) == 1
    assert len(cards_of(sandbox, supergroup.id, first)) == 1
    assert len(cards_of(sandbox, supergroup.id, second)) == 1
    assert linked_chats(bot) == [supergroup.id]


async def test_a_group_upgraded_by_being_made_public_gets_no_tip(sandbox, bot):
    """Making a basic group public upgrades it: the link moves to the new id, where the check
    before each message finds it public and ends it."""
    minh, group, first = await group_with_a_card(sandbox, bot)

    since = sandbox.version
    supergroup = sandbox.upgrade_group(group, minh, username="xh_public")
    notice = await arrives(sandbox, supergroup.id, "công khai", since)
    assert "/linkgroup" in text_of(notice)
    second = await send_tip(Person(sandbox, sandbox.add_user("Bảy"), timeout=15))
    await card(sandbox, minh.id, second)
    await all_sent(bot)

    assert linked_chats(bot) == []
    [unlinked] = audit(bot, "group.unlink")
    assert unlinked["chat"] == supergroup.id and unlinked["why"] == "public"
    assert not [m for m in sandbox.history(supergroup.id) if first in text_of(m)]
    assert not [m for m in sandbox.history(supergroup.id) if second in text_of(m)]
