"""getUpdates long polling, webhooks, and which updates the bot gets (privacy mode included)."""

import asyncio

import pytest
import telegram
from telegram.error import Conflict

from tests.sandbox.conftest import RawApi, drain


async def test_offset_confirms_and_limit_caps(sb, tg: telegram.Bot):
    lan = sb.add_user("Lan")
    for text in ("one", "two", "three"):
        await sb.send_text(lan, text)
    first = await tg.get_updates(limit=2)
    assert [u.message.text for u in first] == ["one", "two"]
    assert [u.message.text for u in await tg.get_updates()] == ["one", "two", "three"]
    rest = await tg.get_updates(offset=first[-1].update_id + 1)
    assert [u.message.text for u in rest] == ["three"]
    assert await tg.get_updates(offset=rest[-1].update_id + 1) == ()


async def test_long_poll_answers_as_soon_as_an_update_arrives(sb, tg: telegram.Bot):
    lan = sb.add_user("Lan")
    poll = asyncio.create_task(tg.get_updates(timeout=5))
    await asyncio.sleep(0.05)
    assert sb.calls[-1].method == "getUpdates" and sb.calls[-1].status is None  # in flight
    await sb.send_text(lan, "hello")
    updates = await asyncio.wait_for(poll, 2)
    assert updates[0].message.text == "hello"
    assert sb.calls[-1].status == 200


async def test_long_poll_times_out_empty(tg: telegram.Bot):
    assert await tg.get_updates(timeout=1) == ()


async def test_a_second_poller_ends_the_first_with_409(raw: RawApi):
    first = asyncio.create_task(raw("getUpdates", timeout=5))
    await asyncio.sleep(0.05)
    assert await raw("getUpdates", timeout=0) == (200, {"ok": True, "result": []})
    status, body = await asyncio.wait_for(first, 2)
    assert status == 409
    assert body["description"].startswith("Conflict: terminated by other getUpdates request")


async def test_stop_answers_a_waiting_poll_at_once(sb, raw: RawApi):
    poll = asyncio.create_task(raw("getUpdates", timeout=50))
    await asyncio.sleep(0.05)
    stop = asyncio.create_task(sb.stop())
    assert (await asyncio.wait_for(poll, 2))[0] == 200
    await stop


async def test_allowed_updates_is_remembered_and_filters_new_updates(sb, tg: telegram.Bot):
    lan = sb.add_user("Lan")
    await tg.get_updates(allowed_updates=["callback_query"])
    await sb.send_text(lan, "ignored")
    assert await tg.get_updates() == ()  # remembered from the previous call
    await tg.get_updates(allowed_updates=[])  # empty = back to the default set
    await sb.send_text(lan, "seen")
    assert [u.message.text for u in await tg.get_updates()] == ["seen"]


async def test_webhook_blocks_get_updates_until_deleted(sb, tg: telegram.Bot):
    lan = sb.add_user("Lan")
    await sb.send_text(lan, "pending")
    with pytest.raises(telegram.error.BadRequest, match=r"(?i)https url must be provided"):
        await tg.set_webhook("http://insecure.example")
    assert await tg.set_webhook("https://bot.example/hook")
    info = await tg.get_webhook_info()
    assert (info.url, info.pending_update_count) == ("https://bot.example/hook", 1)
    with pytest.raises(Conflict) as error:
        await tg.get_updates()
    assert str(error.value) == (
        "Conflict: can't use getUpdates method while webhook is active; use deleteWebhook to "
        "delete the webhook first"
    )
    assert await tg.delete_webhook(drop_pending_updates=True)
    assert await tg.get_updates() == ()


async def test_group_creation_reports_the_bot_joining(sb, tg: telegram.Bot):
    lan = sb.add_user("Lan")
    group = sb.add_group("Công an xã X", members=[lan])
    assert group.id < 0
    service, joined = await tg.get_updates()
    assert service.message.new_chat_members[0].id == tg.id
    assert joined.my_chat_member.chat.id == group.id
    assert joined.my_chat_member.from_user.id == lan.id
    assert (
        joined.my_chat_member.old_chat_member.status,
        joined.my_chat_member.new_chat_member.status,
    ) == ("left", "member")


async def test_privacy_mode_in_groups(sb, tg: telegram.Bot):
    lan = sb.add_user("Lan")
    group = sb.add_group("Xóm Đồi", members=[lan])
    await drain(tg)
    said = await tg.send_message(group.id, "Reply to me")
    await sb.send_text(lan, "chatter", chat=group)
    await sb.send_text(lan, "/report", chat=group)
    await sb.send_text(lan, "/report@other_bot", chat=group)
    await sb.send_text(lan, "/help@tipbot_demo_bot", chat=group)
    await sb.send_text(lan, "an answer", chat=group, reply_to=said.message_id)
    received = [u.message.text for u in await tg.get_updates()]
    assert received == ["/report", "/help@tipbot_demo_bot", "an answer"]
    assert len(sb.history(group.id)) == 7  # everyone still sees every message
    sb.privacy_mode = False
    await sb.send_text(lan, "chatter again", chat=group)
    assert (await tg.get_updates())[-1].message.text == "chatter again"


async def test_user_messages_and_edits_reach_the_bot(sb, tg: telegram.Bot):
    lan = sb.add_user("Lan", language_code="vi")
    sent = await sb.send_text(lan, "/status@tipbot_demo_bot ABC")
    await sb.edit_text(lan, sent["message_id"], "/status ABCD")
    message, edited = await tg.get_updates()
    assert message.message.entities[0].type == "bot_command"
    assert message.message.entities[0].length == len("/status@tipbot_demo_bot")
    assert message.message.from_user.language_code == "vi"
    assert edited.edited_message.text == "/status ABCD"
    assert edited.edited_message.edit_date is not None


async def test_each_update_kind_is_a_snapshot(sb, tg: telegram.Bot):
    lan = sb.add_user("Lan")
    sent = await sb.send_text(lan, "first")
    await sb.edit_text(lan, sent["message_id"], "second")
    message, edited = await tg.get_updates()
    assert (message.message.text, edited.edited_message.text) == ("first", "second")
