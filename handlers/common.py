"""Small helpers every handler module shares."""

from __future__ import annotations

from telegram import Update
from telegram.error import BadRequest

from bot.context import TipbotContext
from bot.i18n import Texts, texts
from bot.language import language_of


async def user_texts(update: Update, context: TipbotContext) -> Texts:
    """The texts in the language of the user behind this update."""
    user = update.effective_user
    if user is None:
        return texts(context.runtime.config.default_language)
    return texts(await language_of(context.runtime, user.id, user.language_code))


async def answer_callback(update: Update, text: str | None = None) -> None:
    """Every callback query is answered once, so the client stops its spinner."""
    if update.callback_query is not None:
        await update.callback_query.answer(text)


async def edit_callback_message(update: Update, text: str, **kwargs) -> None:
    """Edits the message a button belongs to; a repeated tap that changes nothing is no error."""
    try:
        await update.callback_query.edit_message_text(text, **kwargs)
    except BadRequest as error:
        if "message is not modified" not in error.message.lower():
            raise


async def remove_buttons(update: Update) -> None:
    """Takes the buttons off the message a tap came from (once: a second edit would be refused
    by Telegram as "message is not modified")."""
    message = update.callback_query.message
    if message is not None and getattr(message, "reply_markup", None):
        await update.callback_query.edit_message_reply_markup(None)
