"""A group upgraded to a supergroup, as Telegram does it: a new -100… id, a service message in
each chat, and every later call to the old id refused with the new one."""

import pytest
import telegram
from telegram.error import ChatMigrated

from tests.sandbox.conftest import drain


async def test_an_upgraded_group_gets_a_new_id_and_says_so_in_both_chats(sb, tg: telegram.Bot):
    owner, officer = sb.add_user("Trưởng CA"), sb.add_user("Cán bộ")
    group = sb.add_group("CA xã Lạc Dương", [owner, officer])
    await drain(tg)

    supergroup = sb.upgrade_group(group)

    assert supergroup.type == "supergroup" and str(supergroup.id).startswith("-100")
    assert supergroup.title == group.title and supergroup.members == group.members
    assert supergroup.bot_status == group.bot_status and supergroup.username is None
    old, new = await tg.get_updates()
    # In the old group, from the admin who upgraded it, naming the new id ...
    assert old.message.chat.id == group.id and old.message.chat.type == "group"
    assert old.message.migrate_to_chat_id == supergroup.id
    assert old.message.from_user.id == owner.id
    # ... then in the supergroup, on behalf of the supergroup itself, naming the old id.
    assert new.message.chat.id == supergroup.id and new.message.chat.type == "supergroup"
    assert new.message.migrate_from_chat_id == group.id
    assert new.message.from_user.username == "GroupAnonymousBot"
    assert new.message.sender_chat.id == supergroup.id


async def test_every_call_to_the_old_id_names_the_new_one(sb, tg: telegram.Bot, raw):
    owner = sb.add_user("Trưởng CA")
    group = sb.add_group("CA xã", [owner])
    card = await tg.send_message(group.id, "Tin báo")
    supergroup = sb.upgrade_group(group)

    status, body = await raw("sendMessage", chat_id=group.id, text="x")
    assert status == 400
    assert body == {
        "ok": False,
        "error_code": 400,
        "description": "Bad Request: group chat was upgraded to a supergroup chat",
        "parameters": {"migrate_to_chat_id": supergroup.id},
    }
    for call in (
        tg.send_message(group.id, "x"),
        tg.edit_message_text("y", chat_id=group.id, message_id=card.message_id),
        tg.get_chat(group.id),
        tg.get_chat_member(group.id, owner.id),
    ):
        with pytest.raises(ChatMigrated) as raised:
            await call
        assert raised.value.new_chat_id == supergroup.id

    sent = await tg.send_message(supergroup.id, "Tin báo")  # the new id works
    assert sent.chat.type == "supergroup"
    chat = await tg.get_chat(supergroup.id)
    assert chat.type == "supergroup" and chat.username is None


async def test_members_write_in_the_supergroup_only(sb):
    owner = sb.add_user("Trưởng CA")
    group = sb.add_group("CA xã", [owner])
    supergroup = sb.upgrade_group(group)
    with pytest.raises(ValueError, match="was upgraded"):
        await sb.send_text(owner, "/linkgroup", chat=group)
    await sb.send_text(owner, "/linkgroup", chat=supergroup)
    with pytest.raises(ValueError, match="no basic group"):
        sb.upgrade_group(group)
    with pytest.raises(ValueError, match="no basic group"):
        sb.upgrade_group(supergroup)


async def test_a_group_made_public_becomes_a_public_supergroup(sb, tg: telegram.Bot):
    owner = sb.add_user("Trưởng CA")
    group = sb.add_group("CA xã", [owner])
    supergroup = sb.upgrade_group(group, username="ca_xa_public")
    chat = await tg.get_chat(supergroup.id)
    assert chat.type == "supergroup" and chat.username == "ca_xa_public"


async def test_the_service_messages_may_reach_the_bot_late(sb, tg: telegram.Bot):
    owner = sb.add_user("Trưởng CA")
    group = sb.add_group("CA xã", [owner])
    await drain(tg)
    supergroup = sb.upgrade_group(group, tell_bot=False)
    assert await tg.get_updates() == ()
    with pytest.raises(ChatMigrated):
        await tg.send_message(group.id, "x")

    sb.tell_bot_of_upgrade(group)
    old, new = await tg.get_updates()
    assert old.message.migrate_to_chat_id == supergroup.id
    assert new.message.migrate_from_chat_id == group.id
