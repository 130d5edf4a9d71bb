"""End to end: PTB's real Application polls the sandbox over HTTP while a sandbox user talks."""

from collections.abc import AsyncIterator

import pytest
from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Update
from telegram.error import BadRequest, NetworkError, RetryAfter
from telegram.ext import (
    Application,
    ApplicationBuilder,
    CallbackQueryHandler,
    CommandHandler,
    ContextTypes,
    MessageHandler,
    filters,
)

from tests.sandbox.conftest import TOKEN, retry_seconds


async def echo(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    await update.message.reply_text(f"echo: {update.message.text}")


async def menu(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    buttons = InlineKeyboardMarkup([[InlineKeyboardButton("Yes", callback_data="answer:yes")]])
    await update.message.reply_text("Continue?", reply_markup=buttons)


async def pressed(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    query = update.callback_query
    await query.answer("Got it")
    await query.edit_message_text(f"You chose {query.data}")


async def probe(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Calls a method the Bot API does not have, then carries on."""
    try:
        await context.bot.do_api_request("sendHologram")
    except BadRequest as error:
        await update.message.reply_text(f"probe: {error}")


@pytest.fixture
async def app(sb) -> AsyncIterator[Application]:
    application = (
        ApplicationBuilder()
        .token(TOKEN)
        .base_url(sb.base_url)
        .base_file_url(sb.base_file_url)
        .build()
    )
    application.add_handler(CommandHandler("menu", menu))
    application.add_handler(CommandHandler("probe", probe))
    application.add_handler(CallbackQueryHandler(pressed))
    application.add_handler(MessageHandler(filters.TEXT & ~filters.COMMAND, echo))
    application.bot_data["errors"] = []

    async def remember(update: object, context: ContextTypes.DEFAULT_TYPE) -> None:
        context.bot_data["errors"].append(context.error)

    application.add_error_handler(remember)
    await application.initialize()
    await application.start()
    await application.updater.start_polling(poll_interval=0, timeout=2)
    try:
        yield application
    finally:
        await application.updater.stop()
        await application.stop()
        await application.shutdown()


async def test_echo(sb, app: Application):
    lan = sb.add_user("Lan", language_code="vi")
    await sb.send_text(lan, "xin chào")
    reply = await sb.wait_for_message(lan.id, timeout=5)
    assert reply["text"] == "echo: xin chào"
    assert [c.method for c in sb.calls[:2]] == ["getMe", "deleteWebhook"]
    assert sb.errors == []


async def test_callback_button_round_trip(sb, app: Application):
    lan = sb.add_user("Lan")
    await sb.send_text(lan, "/menu")
    question = await sb.wait_for_message(lan.id, timeout=5)
    query_id = await sb.press_button(lan, "Yes")
    edited = await sb.wait_for_message(lan.id, timeout=5)
    assert edited["message_id"] == question["message_id"]
    assert edited["text"] == "You chose answer:yes" and "reply_markup" not in edited
    assert sb.callback_answers[query_id].text == "Got it"


async def test_injected_429_reaches_the_handler_as_retry_after(sb, app: Application):
    lan = sb.add_user("Lan")
    sb.fail_next("sendMessage", kind="429", retry_after=3)
    await sb.send_text(lan, "first")
    await sb.send_text(lan, "second")
    reply = await sb.wait_for_message(lan.id, timeout=5)
    assert reply["text"] == "echo: second"
    (error,) = app.bot_data["errors"]
    assert isinstance(error, RetryAfter) and retry_seconds(error) == 3


async def test_dropped_connection_is_a_network_error_and_polling_goes_on(sb, app: Application):
    lan = sb.add_user("Lan")
    sb.fail_next("sendMessage", kind="drop")
    await sb.send_text(lan, "lost")
    await sb.send_text(lan, "kept")
    assert (await sb.wait_for_message(lan.id, timeout=5))["text"] == "echo: kept"
    (error,) = app.bot_data["errors"]
    assert isinstance(error, NetworkError)


async def test_unknown_method_is_400_and_polling_keeps_working(sb, app: Application):
    lan = sb.add_user("Lan")
    await sb.send_text(lan, "/probe")
    reply = await sb.wait_for_message(lan.id, timeout=5)
    assert reply["text"].lower() == "probe: method not found"
    await sb.send_text(lan, "still there?")
    assert (await sb.wait_for_message(lan.id, timeout=5))["text"] == "echo: still there?"
    assert app.updater.running
