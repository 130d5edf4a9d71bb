"""Button presses: callback queries, their answers and Telegram's 15-second answer window."""

import pytest
import telegram
from telegram import InlineKeyboardButton, InlineKeyboardMarkup
from telegram.error import BadRequest

from tests.sandbox.conftest import drain

TOO_OLD = "query is too old and response timeout expired or query id is invalid"


def keyboard(*labels: str) -> InlineKeyboardMarkup:
    return InlineKeyboardMarkup(
        [[InlineKeyboardButton(t, callback_data=t.lower()) for t in labels]]
    )


async def test_press_button_sends_a_callback_query(sb, tg: telegram.Bot, lan):
    sent = await tg.send_message(lan.id, "Tip #1", reply_markup=keyboard("Ack", "Close"))
    await drain(tg)
    query_id = await sb.press_button(lan, "Close")
    (update,) = await tg.get_updates()
    query = update.callback_query
    assert (query.id, query.data, query.from_user.id) == (query_id, "close", lan.id)
    assert query.message.message_id == sent.message_id
    assert query.chat_instance


async def test_press_button_uses_the_newest_message_with_that_button(sb, tg: telegram.Bot, lan):
    await tg.send_message(lan.id, "old", reply_markup=keyboard("Ack"))
    newest = await tg.send_message(lan.id, "new", reply_markup=keyboard("Ack"))
    await tg.send_message(lan.id, "no buttons")
    await drain(tg)
    await sb.press_button(lan, "Ack")
    assert (await tg.get_updates())[0].callback_query.message.message_id == newest.message_id
    with pytest.raises(LookupError, match="no inline button 'Missing'"):
        await sb.press_button(lan, "Missing")


async def test_forged_callback_data_reaches_the_bot(sb, tg: telegram.Bot, lan):
    sent = await tg.send_message(lan.id, "Tip", reply_markup=keyboard("Ack"))
    await drain(tg)
    await sb.press_callback(lan, sent.message_id, "admin:close:42")
    assert (await tg.get_updates())[0].callback_query.data == "admin:close:42"


async def test_answer_is_recorded_once(sb, tg: telegram.Bot, lan):
    await tg.send_message(lan.id, "Tip", reply_markup=keyboard("Ack"))
    query_id = await sb.press_button(lan, "Ack")
    version = sb.version
    assert await tg.answer_callback_query(query_id, text="Đã nhận", show_alert=True)
    assert sb.version > version  # a web chat shows the toast
    answer = sb.callback_answers[query_id]
    assert (answer.text, answer.show_alert) == ("Đã nhận", True)
    with pytest.raises(BadRequest) as error:
        await tg.answer_callback_query(query_id)
    assert str(error.value).lower() == TOO_OLD


async def test_answer_after_the_timeout_or_to_an_unknown_id(sb, clock, tg: telegram.Bot, lan):
    await tg.send_message(lan.id, "Tip", reply_markup=keyboard("Ack"))
    late = await sb.press_button(lan, "Ack")
    clock.advance(15.5)
    with pytest.raises(BadRequest, match=r"(?i)query is too old"):
        await tg.answer_callback_query(late)
    with pytest.raises(BadRequest, match=r"(?i)query is too old"):
        await tg.answer_callback_query("12345")
    sb.callback_timeout = 60
    in_time = await sb.press_button(lan, "Ack")
    clock.advance(30)
    assert await tg.answer_callback_query(in_time)


async def test_answer_text_is_at_most_200_characters(sb, tg: telegram.Bot, lan):
    await tg.send_message(lan.id, "Tip", reply_markup=keyboard("Ack"))
    query_id = await sb.press_button(lan, "Ack")
    with pytest.raises(BadRequest, match=r"(?i)message_too_long"):
        await tg.answer_callback_query(query_id, text="x" * 201)
    assert await tg.answer_callback_query(query_id, text="x" * 200)
