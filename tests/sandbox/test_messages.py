"""Sending, copying, forwarding, editing and deleting, with Telegram's checks and error texts."""

import pytest
import telegram
from telegram import InlineKeyboardButton, InlineKeyboardMarkup, ReplyParameters
from telegram.error import BadRequest, Forbidden

from sandbox.files import sample_png

KEYBOARD = InlineKeyboardMarkup([[InlineKeyboardButton("Ack", callback_data="ack:1")]])


def lower(error: pytest.ExceptionInfo) -> str:
    return str(error.value).lower()


async def test_sent_message_looks_like_telegrams(sb, tg: telegram.Bot, lan):
    sent = await tg.send_message(lan.id, "Xin chào", reply_markup=KEYBOARD)
    assert sent.message_id == 2  # the user's /start was 1: ids count per chat
    assert sent.from_user.id == tg.id and sent.chat.id == lan.id and sent.date
    stored = sb.last_bot_message(lan.id)
    assert stored["text"] == "Xin chào"
    assert stored["reply_markup"] == {
        "inline_keyboard": [[{"text": "Ack", "callback_data": "ack:1"}]]
    }
    assert [m["message_id"] for m in sb.history(lan.id)] == [1, 2]


async def test_unknown_chat_is_chat_not_found(tg: telegram.Bot):
    with pytest.raises(BadRequest) as error:
        await tg.send_message(999, "x")
    assert lower(error) == "chat not found"


async def test_user_who_never_started_the_bot_is_chat_not_found(sb, tg: telegram.Bot):
    stranger = sb.add_user("Minh")
    with pytest.raises(BadRequest, match=r"(?i)chat not found"):
        await tg.send_message(stranger.id, "x")
    await sb.send_text(stranger, "hi")
    assert (await tg.send_message(stranger.id, "now I may")).text == "now I may"


async def test_user_met_in_a_group_but_never_started_is_403(sb, tg: telegram.Bot):
    officer = sb.add_user("Hùng")
    group = sb.add_group("Công an xã X", members=[officer])
    await sb.send_text(officer, "/start@tipbot_demo_bot", chat=group)
    with pytest.raises(Forbidden, match=r"(?i)bot can't initiate conversation with a user"):
        await tg.send_message(officer.id, "x")


async def test_empty_and_too_long_texts(tg: telegram.Bot, lan):
    for empty in ("", "   \n", "<b> </b>"):
        with pytest.raises(BadRequest) as error:
            await tg.send_message(lan.id, empty, parse_mode="HTML")
        assert lower(error) == "message text is empty"
    await tg.send_message(lan.id, "ạ" * 4096)
    await tg.send_message(lan.id, "<b>" + "x" * 4096 + "</b>", parse_mode="HTML")  # visible text
    with pytest.raises(BadRequest) as error:
        await tg.send_message(lan.id, "x" * 4097)
    assert lower(error) == "message is too long"
    with pytest.raises(BadRequest, match=r"(?i)message is too long"):
        await tg.send_message(lan.id, "😀" * 2049)  # 4098 UTF-16 code units


async def test_caption_limit_counts_the_visible_text(tg: telegram.Bot, lan):
    await tg.send_photo(
        lan.id, sample_png(), caption="<i>" + "c" * 1024 + "</i>", parse_mode="HTML"
    )
    with pytest.raises(BadRequest) as error:
        await tg.send_photo(lan.id, sample_png(), caption="c" * 1025)
    assert lower(error) == "message caption is too long"


async def test_blocked_user_is_403_and_bot_gets_my_chat_member(sb, tg: telegram.Bot, lan):
    await tg.get_updates()
    sb.block(lan)
    with pytest.raises(Forbidden) as error:
        await tg.send_message(lan.id, "bulletin")
    assert lower(error) == "forbidden: bot was blocked by the user"
    updates = await tg.get_updates(offset=-1)
    assert updates[-1].my_chat_member.new_chat_member.status == "kicked"
    sb.unblock(lan)
    await tg.send_message(lan.id, "welcome back")


async def test_group_the_bot_was_removed_from_is_403(sb, tg: telegram.Bot, lan):
    group = sb.add_group("Xóm Đồi", members=[lan])
    await tg.send_message(group.id, "hello group")
    sb.remove_bot(group)
    with pytest.raises(Forbidden) as error:
        await tg.send_message(group.id, "still here?")
    assert lower(error) == "forbidden: bot was kicked from the group chat"


async def test_reply_to_a_missing_message(sb, tg: telegram.Bot, lan):
    with pytest.raises(BadRequest) as error:
        await tg.send_message(lan.id, "x", reply_parameters=ReplyParameters(message_id=77))
    assert lower(error) == "message to be replied not found"
    lenient = ReplyParameters(message_id=77, allow_sending_without_reply=True)
    assert (await tg.send_message(lan.id, "x", reply_parameters=lenient)).reply_to_message is None
    reply = await tg.send_message(lan.id, "re", reply_to_message_id=1)
    assert reply.reply_to_message.text == "/start"


async def test_flags_are_kept_on_the_message(sb, tg: telegram.Bot, lan):
    await tg.send_message(
        lan.id,
        "https://t.me/x",
        protect_content=True,
        disable_notification=True,
        link_preview_options=telegram.LinkPreviewOptions(is_disabled=True),
    )
    message = sb.last_bot_message(lan.id)
    assert message["has_protected_content"] is True
    assert message["link_preview_options"] == {"is_disabled": True}
    chat = sb.chats[lan.id]
    assert chat.messages[message["message_id"]].disable_notification is True


async def test_copy_has_no_origin_and_forward_shows_the_sender(sb, tg: telegram.Bot, lan):
    officer = sb.add_user("Hùng")
    await sb.send_text(officer, "/start")
    tip = await sb.send_photo(lan, caption="xe chở gỗ")
    copied = await tg.copy_message(officer.id, lan.id, tip["message_id"], caption="Tip ABC")
    copy = sb.history(officer.id)[-1]
    assert copy["message_id"] == copied.message_id
    assert copy["caption"] == "Tip ABC" and "forward_origin" not in copy
    assert copy["photo"] == tip["photo"]
    forwarded = await tg.forward_message(officer.id, lan.id, tip["message_id"])
    assert forwarded.forward_origin.sender_user.id == lan.id  # what tipbot must never do
    assert [c.method for c in sb.calls].count("forwardMessage") == 1


async def test_copy_and_forward_of_missing_or_protected_messages(tg: telegram.Bot, lan):
    with pytest.raises(BadRequest, match=r"(?i)message to copy not found"):
        await tg.copy_message(lan.id, lan.id, 99)
    with pytest.raises(BadRequest, match=r"(?i)message to forward not found"):
        await tg.forward_message(lan.id, lan.id, 99)
    protected = await tg.send_message(lan.id, "secret", protect_content=True)
    with pytest.raises(BadRequest, match=r"(?i)protected content"):
        await tg.copy_message(lan.id, lan.id, protected.message_id)


async def test_edit_rules(sb, tg: telegram.Bot, lan):
    sent = await tg.send_message(lan.id, "Status: new", reply_markup=KEYBOARD)
    with pytest.raises(BadRequest, match=r"(?i)message to edit not found"):
        await tg.edit_message_text("x", lan.id, 99)
    with pytest.raises(BadRequest, match=r"(?i)message can't be edited"):
        await tg.edit_message_text("x", lan.id, 1)  # the user's /start
    with pytest.raises(BadRequest) as error:
        await tg.edit_message_text("Status: new", lan.id, sent.message_id, reply_markup=KEYBOARD)
    assert lower(error).startswith("message is not modified: specified new message content")
    edited = await tg.edit_message_text("Status: acknowledged", lan.id, sent.message_id)
    assert edited.edit_date is not None
    assert edited.reply_markup is None  # an edit without reply_markup drops the keyboard
    assert sb.history(lan.id)[-1]["text"] == "Status: acknowledged"


async def test_edit_caption_and_markup(sb, tg: telegram.Bot, lan):
    text = await tg.send_message(lan.id, "text")
    with pytest.raises(BadRequest, match=r"(?i)there is no caption in the message to edit"):
        await tg.edit_message_caption(lan.id, text.message_id, caption="c")
    photo = await tg.send_photo(lan.id, sample_png(), caption="old")
    with pytest.raises(BadRequest, match=r"(?i)there is no text in the message to edit"):
        await tg.edit_message_text("x", lan.id, photo.message_id)
    assert (await tg.edit_message_caption(lan.id, photo.message_id, caption="new")).caption == "new"
    with_keyboard = await tg.edit_message_reply_markup(
        lan.id, photo.message_id, reply_markup=KEYBOARD
    )
    assert with_keyboard.reply_markup == KEYBOARD
    with pytest.raises(BadRequest, match=r"(?i)inline keyboard expected"):
        await tg.edit_message_reply_markup(
            lan.id, photo.message_id, reply_markup=telegram.ReplyKeyboardMarkup([["A"]])
        )
    with pytest.raises(BadRequest, match=r"(?i)message is not modified"):
        await tg.edit_message_reply_markup(lan.id, photo.message_id, reply_markup=KEYBOARD)


async def test_delete_rules(sb, tg: telegram.Bot, lan):
    sent = await tg.send_message(lan.id, "oops")
    assert await tg.delete_message(lan.id, sent.message_id)
    assert [m["message_id"] for m in sb.history(lan.id)] == [1]
    with pytest.raises(BadRequest, match=r"(?i)message to delete not found"):
        await tg.delete_message(lan.id, sent.message_id)
    group = sb.add_group("Xóm Đồi", members=[lan])
    said = await sb.send_text(lan, "/report", chat=group)
    with pytest.raises(BadRequest, match=r"(?i)message can't be deleted"):
        await tg.delete_message(group.id, said["message_id"])  # not an admin there
    assert await tg.delete_message(lan.id, 1)  # in a private chat the user's messages too


async def test_photo_sizes_and_typed_file_ids(sb, tg: telegram.Bot, lan):
    photo = await tg.send_photo(lan.id, sample_png(1000, 500))
    assert [(s.width, s.height) for s in photo.photo] == [
        (90, 45), (320, 160), (800, 400), (1000, 500),
    ]  # fmt: skip
    again = await tg.send_photo(lan.id, photo.photo[-1].file_id)
    assert again.photo == photo.photo
    voice = await sb.send_voice(lan)
    with pytest.raises(BadRequest) as error:
        await tg.send_photo(lan.id, voice["voice"]["file_id"])
    assert lower(error) == "can't use file of type voicenote as photo"
    with pytest.raises(BadRequest) as error:
        await tg.send_document(lan.id, "BQACAgIAAxkBAAnever-issued")
    assert lower(error) == "wrong file identifier/http url specified"
    with pytest.raises(BadRequest, match=r"(?i)wrong file identifier"):
        await tg.send_photo(lan.id, "https://example.com/cat.jpg")
    with pytest.raises(BadRequest, match=r"(?i)image_process_failed"):
        await tg.send_photo(lan.id, b"not an image", filename="x.jpg")


async def test_voice_video_audio_and_location(sb, tg: telegram.Bot, lan):
    await tg.send_voice(lan.id, b"OggS voice", duration=4)
    voice = sb.last_bot_message(lan.id)["voice"]  # PTB warns on reading int durations
    assert voice["duration"] == 4 and voice["mime_type"] == "audio/ogg"
    video = await tg.send_video(lan.id, b"\x00\x00\x00\x18ftypmp42", width=320, height=240)
    assert (video.video.width, video.video.height) == (320, 240)
    audio = await tg.send_audio(lan.id, b"ID3 audio", filename="song.mp3")
    assert audio.audio.file_name == "song.mp3"
    user_video = await sb.send_video(lan)
    resent = await tg.send_video(lan.id, user_video["video"]["file_id"])
    assert resent.video.file_unique_id == user_video["video"]["file_unique_id"]
    location = await tg.send_location(lan.id, 11.94, 108.44)
    assert location.location.latitude == pytest.approx(11.94)
    with pytest.raises(BadRequest, match=r"(?i)wrong latitude"):
        await tg.send_location(lan.id, 91, 0)


async def test_media_group_with_attached_uploads(sb, tg: telegram.Bot, lan):
    sent = await sb.send_photo(lan)
    album = await tg.send_media_group(
        lan.id,
        [
            telegram.InputMediaPhoto(sample_png(), caption="<b>one</b>", parse_mode="HTML"),
            telegram.InputMediaPhoto(sent["photo"][-1]["file_id"]),
        ],
    )
    assert len(album) == 2 and album[0].media_group_id == album[1].media_group_id
    assert album[0].caption == "one" and album[0].caption_entities[0].type == "bold"
    media = sb.calls[-1].params["media"]
    assert media[0]["media"].startswith("attach://")
    with pytest.raises(BadRequest, match=r"(?i)2-10"):
        await tg.send_media_group(lan.id, [telegram.InputMediaPhoto(sample_png())])
    with pytest.raises(BadRequest, match=r"(?i)document can't be mixed"):
        await tg.send_media_group(
            lan.id,
            [telegram.InputMediaPhoto(sample_png()), telegram.InputMediaDocument(b"doc")],
        )


async def test_chat_action_chat_and_members(sb, tg: telegram.Bot, lan):
    assert await tg.send_chat_action(lan.id, "typing")
    with pytest.raises(BadRequest, match=r"(?i)wrong parameter action"):
        await tg.send_chat_action(lan.id, "dancing")
    chat = await tg.get_chat(lan.id)
    assert (chat.type, chat.first_name, chat.username) == ("private", "Lan", "lan_dl")
    outsider = sb.add_user("Tú")
    group = sb.add_group("Công an xã X", members=[lan], bot_status="administrator")
    me = await tg.get_chat_member(group.id, tg.id)
    assert me.status == "administrator" and me.can_delete_messages
    assert (await tg.get_chat_member(group.id, lan.id)).status == "creator"
    assert (await tg.get_chat_member(group.id, outsider.id)).status == "left"
    assert (await tg.get_chat(group.id)).title == "Công an xã X"
