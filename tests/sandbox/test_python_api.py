"""The in-process API with which tests and the web chat play the users."""

import asyncio

import pytest
import telegram

from sandbox.files import image_size


async def test_users_and_their_dicts(sb):
    lan = sb.add_user("Lan", username="lan_dl", language_code="vi", last_name="Nguyễn")
    minh = sb.add_user("Minh")
    assert lan.id != minh.id and sb.users[lan.id] is lan
    assert lan.to_dict() == {
        "id": lan.id,
        "is_bot": False,
        "first_name": "Lan",
        "last_name": "Nguyễn",
        "username": "lan_dl",
        "language_code": "vi",
    }
    assert minh.to_dict() == {"id": minh.id, "is_bot": False, "first_name": "Minh"}
    assert sb.chats[lan.id].to_dict()["type"] == "private"


async def test_commands_get_a_bot_command_entity(sb):
    lan = sb.add_user("Lan")
    message = await sb.send_text(lan, "/status ABC-123")
    assert message["entities"] == [{"type": "bot_command", "offset": 0, "length": 7}]
    assert "entities" not in await sb.send_text(lan, "just words")


async def test_media_messages_look_like_telegrams(sb):
    lan = sb.add_user("Lan", last_name="Trần")
    photo = await sb.send_photo(lan, caption="xe chở gỗ #rừng")
    assert image_size(sb.file_bytes(photo["photo"][-1]["file_id"])) == (320, 240)
    assert photo["caption_entities"] == [{"type": "hashtag", "offset": 10, "length": 5}]
    document = await sb.send_document(lan, b"%PDF", filename="bien-ban.pdf")
    assert document["document"]["file_name"] == "bien-ban.pdf"
    assert document["document"]["mime_type"] == "application/pdf"
    assert (await sb.send_voice(lan))["voice"]["mime_type"] == "audio/ogg"
    assert (await sb.send_video(lan))["video"]["width"] == 640
    assert (await sb.send_location(lan, 11.94, 108.44))["location"] == {
        "latitude": 11.94,
        "longitude": 108.44,
    }
    contact = (await sb.send_contact(lan))["contact"]
    assert contact == {
        "phone_number": lan.phone_number,
        "first_name": "Lan",
        "last_name": "Trần",
        "user_id": lan.id,
    }
    sticker = (await sb.send_sticker(lan))["sticker"]
    assert sticker["type"] == "regular" and sticker["is_animated"] is False
    with pytest.raises(KeyError):
        sb.file_bytes("never-issued")


async def test_a_long_text_arrives_as_several_messages_like_a_client_splits_it(sb):
    lan = sb.add_user("Lan")
    last = await sb.send_text(lan, "a" * 10_000)
    assert [len(m["text"]) for m in sb.history(lan.id)] == [4096, 4096, 1808]
    assert last["message_id"] == 3


async def test_history_follows_edits_and_deletes(sb, tg: telegram.Bot, lan):
    sent = await tg.send_message(lan.id, "draft")
    await tg.edit_message_text("final", lan.id, sent.message_id)
    gone = await tg.send_message(lan.id, "oops")
    await tg.delete_message(lan.id, gone.message_id)
    history = sb.history(lan.id)
    assert [m["text"] for m in history] == ["/start", "final"]
    assert "edit_date" in history[-1]
    assert sb.last_bot_message(lan.id)["text"] == "final"
    history[-1]["text"] = "changed by the test"
    assert sb.history(lan.id)[-1]["text"] == "final"  # callers get copies


async def test_wait_for_message_sees_only_what_comes_after_the_call(sb, tg: telegram.Bot, lan):
    await tg.send_message(lan.id, "before")
    waiting = asyncio.create_task(sb.wait_for_message(lan.id, timeout=2))
    await asyncio.sleep(0.01)
    await tg.send_message(lan.id, "after")
    assert (await waiting)["text"] == "after"


async def test_wait_for_message_with_since_and_predicate(sb, tg: telegram.Bot, lan):
    since = sb.version
    await tg.send_message(lan.id, "first")
    second = await tg.send_message(lan.id, "second")
    await tg.edit_message_text("second, edited", lan.id, second.message_id)
    found = await sb.wait_for_message(
        lan.id, since=since, predicate=lambda m: "edited" in m["text"]
    )
    assert found["message_id"] == second.message_id
    assert (await sb.wait_for_message(lan.id, since=since))["text"] == "first"


async def test_wait_for_message_timeout_shows_the_history(sb, lan):
    with pytest.raises(TimeoutError) as error:
        await sb.wait_for_message(lan.id, timeout=0.05)
    assert "#1 user: '/start'" in str(error.value)


async def test_version_and_wait_for_change(sb, tg: telegram.Bot, lan):
    version = sb.version
    assert await sb.wait_for_change(version, timeout=0.01) == version
    waiting = asyncio.create_task(sb.wait_for_change(version, timeout=2))
    await asyncio.sleep(0.01)
    await tg.send_message(lan.id, "news")
    assert await waiting == version + 1
    assert await sb.wait_for_change(version, timeout=2) == version + 1  # already newer


async def test_groups_members_and_misuse(sb):
    lan, tu = sb.add_user("Lan"), sb.add_user("Tú")
    group = sb.add_group("Xóm Đồi", members=[lan])
    with pytest.raises(ValueError, match="not a member"):
        await sb.send_text(tu, "hi", chat=group)
    sb.add_member(group, tu)
    assert (await sb.send_text(tu, "hi", chat=group.id))["chat"]["id"] == group.id
    with pytest.raises(ValueError, match="at least one member"):
        sb.add_group("Empty", members=[])
    with pytest.raises(ValueError, match="private chat of someone else"):
        await sb.send_text(tu, "hi", chat=lan.id)
    with pytest.raises(ValueError, match="Telegram clients do not send empty messages"):
        await sb.send_text(lan, "  ")
    sb.block(lan)
    with pytest.raises(ValueError, match="blocked the bot"):
        await sb.send_text(lan, "hi")


async def test_user_edits_need_an_own_text_message(sb, tg: telegram.Bot, lan):
    bot_message = await tg.send_message(lan.id, "bot")
    with pytest.raises(LookupError):
        await sb.edit_text(lan, bot_message.message_id, "hacked")
    photo = await sb.send_photo(lan)
    with pytest.raises(ValueError, match="only text messages"):
        await sb.edit_text(lan, photo["message_id"], "text")


async def test_press_callback_needs_an_existing_message(sb, lan):
    with pytest.raises(LookupError):
        await sb.press_callback(lan, 99, "x")
    assert await sb.press_callback(lan, 1, "on the user's own message")  # forged, but possible


async def test_open_chat_lets_the_bot_write_first(sb, tg):
    user = sb.add_user("Minh")
    with pytest.raises(telegram.error.BadRequest, match="Chat not found"):
        await tg.send_message(user.id, "xin chào")
    sb.open_chat(user)
    await tg.send_message(user.id, "xin chào")
    assert [m["text"] for m in sb.history(user.id)] == ["xin chào"]
