"""Inline keyboards are checked like Telegram does; reply keyboards are tracked per chat."""

import pytest
import telegram
from telegram import (
    ForceReply,
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    KeyboardButton,
    ReplyKeyboardMarkup,
    ReplyKeyboardRemove,
)
from telegram.error import BadRequest

from tests.sandbox.conftest import RawApi


async def send_markup(raw: RawApi, chat_id: int, markup: dict) -> tuple[int, str]:
    status, body = await raw("sendMessage", chat_id=chat_id, text="x", reply_markup=markup)
    return status, body.get("description", "")


def inline(*buttons: dict) -> dict:
    return {"inline_keyboard": [list(buttons)]}


async def test_callback_data_is_1_to_64_bytes(raw: RawApi, tg: telegram.Bot, lan):
    longest = inline({"text": "A", "callback_data": "x" * 64})
    assert (await send_markup(raw, lan.id, longest))[0] == 200
    for data in ("", "x" * 65, "đ" * 33):  # "đ" is two bytes in UTF-8
        assert await send_markup(raw, lan.id, inline({"text": "A", "callback_data": data})) == (
            400,
            "Bad Request: BUTTON_DATA_INVALID",
        )
    with pytest.raises(BadRequest, match=r"(?i)button_data_invalid"):
        button = InlineKeyboardButton("A", callback_data="y" * 65)
        await tg.send_message(lan.id, "x", reply_markup=InlineKeyboardMarkup([[button]]))


async def test_a_button_needs_exactly_one_action(raw: RawApi, lan):
    assert await send_markup(raw, lan.id, inline({"text": "A"})) == (
        400,
        "Bad Request: can't parse inline keyboard button: Text buttons are unallowed in the "
        "inline keyboard",
    )
    status, description = await send_markup(
        raw, lan.id, inline({"text": "A", "callback_data": "a", "url": "https://t.me"})
    )
    assert status == 400 and "exactly one action" in description


async def test_button_text_must_not_be_empty(raw: RawApi, lan):
    assert await send_markup(raw, lan.id, inline({"text": " ", "callback_data": "a"})) == (
        400,
        "Bad Request: text buttons are unallowed in the inline keyboard",
    )
    status, description = await send_markup(raw, lan.id, inline({"callback_data": "a"}))
    assert status == 400 and 'find field "text"' in description


async def test_button_urls_must_be_http_or_tg(raw: RawApi, lan):
    for url in ("https://t.me/x", "http://example.vn", "tg://resolve?domain=x"):
        assert (await send_markup(raw, lan.id, inline({"text": "A", "url": url})))[0] == 200
    for url in ("javascript:alert(1)", "ftp://x", "https://", "https://a b"):
        status, description = await send_markup(raw, lan.id, inline({"text": "A", "url": url}))
        assert status == 400 and "Wrong HTTP URL" in description


async def test_inline_keyboard_must_be_an_array_of_arrays(raw: RawApi, lan):
    status, description = await send_markup(raw, lan.id, {"inline_keyboard": [{"text": "A"}]})
    assert status == 400 and "Array of Arrays" in description


async def test_reply_keyboard_is_tracked_and_removed(sb, tg: telegram.Bot, lan):
    keyboard = ReplyKeyboardMarkup(
        [[KeyboardButton("📍 Share location", request_location=True)], ["Skip"]],
        resize_keyboard=True,
        is_persistent=True,
        input_field_placeholder="Where?",
    )
    version = sb.version
    sent = await tg.send_message(lan.id, "Where?", reply_markup=keyboard)
    assert sent.reply_markup is None  # Telegram echoes only inline keyboards
    assert sb.version > version
    assert sb.reply_keyboard(lan.id) == {
        "keyboard": [[{"text": "📍 Share location", "request_location": True}], [{"text": "Skip"}]],
        "is_persistent": True,
        "resize_keyboard": True,
        "input_field_placeholder": "Where?",
    }
    await tg.send_message(lan.id, "Question?", reply_markup=ForceReply())
    assert sb.reply_keyboard(lan.id) is not None
    await tg.send_message(lan.id, "Thanks", reply_markup=ReplyKeyboardRemove())
    assert sb.reply_keyboard(lan.id) is None


async def test_one_time_keyboard_hides_after_a_press(sb, tg: telegram.Bot, lan):
    keyboard = ReplyKeyboardMarkup([["Có", "Không"]], one_time_keyboard=True)
    await tg.send_message(lan.id, "Urgent?", reply_markup=keyboard)
    await sb.send_text(lan, "something else")
    assert sb.reply_keyboard(lan.id) is not None  # typing is not pressing
    message = await sb.send_text(lan, "Có")
    assert message["text"] == "Có"
    assert sb.reply_keyboard(lan.id) is None


async def test_request_buttons_share_the_users_contact_and_location(sb, tg: telegram.Bot, lan):
    keyboard = ReplyKeyboardMarkup(
        [
            [
                KeyboardButton("Phone", request_contact=True),
                KeyboardButton("Here", request_location=True),
            ]
        ]
    )
    await tg.send_message(lan.id, "?", reply_markup=keyboard)
    contact = await sb.press_keyboard(lan, "Phone")
    assert contact["contact"]["user_id"] == lan.id
    assert contact["contact"]["phone_number"] == lan.phone_number
    location = await sb.press_keyboard(lan, "Here")
    assert set(location["location"]) == {"latitude", "longitude"}
    with pytest.raises(LookupError):
        await sb.press_keyboard(lan, "Nope")


async def test_reply_keyboard_button_rules(raw: RawApi, lan):
    status, description = await send_markup(raw, lan.id, {"keyboard": []})
    assert (status, description) == (400, "Bad Request: keyboard must be non-empty")
    two_requests = {"text": "A", "request_contact": True, "request_location": True}
    assert (await send_markup(raw, lan.id, {"keyboard": [[two_requests]]}))[0] == 400
    assert (await send_markup(raw, lan.id, {"keyboard": [[{"text": ""}]]}))[0] == 400
    long_placeholder = {"keyboard": [["A"]], "input_field_placeholder": "x" * 65}
    assert (await send_markup(raw, lan.id, long_placeholder))[0] == 400
    assert (await send_markup(raw, lan.id, {"something": True})) == (
        400,
        "Bad Request: can't parse reply keyboard markup JSON object",
    )
