"""The one error handler: log what failed without secrets or user content, apologise to the user."""

from __future__ import annotations

import logging

from telegram import Update

from bot.context import TipbotContext
from bot.telegram_errors import is_expected
from handlers.common import user_texts

log = logging.getLogger(__name__)


async def error_handler(update: object, context: TipbotContext) -> None:
    error = context.error
    # Only the update's kind and the error's type and text are logged: never message contents,
    # which may be a tip, nor user ids, which would tie a person to the time of a tip.
    kind = type(update).__name__ if not isinstance(update, Update) else _update_kind(update)
    if is_expected(error):  # a network blip, a blocked chat, a second tap: not a bug
        log.warning("event=telegram_error update=%s error=%s", kind, type(error).__name__)
    else:
        log.error("event=handler_error update=%s", kind, exc_info=error)
    if not isinstance(update, Update) or update.effective_chat is None:
        return
    if update.effective_chat.type != "private":
        return
    try:
        t = await user_texts(update, context)
        await context.bot.send_message(
            update.effective_chat.id,
            t.gettext(
                "Sorry, something went wrong on our side. Please try again in a moment; "
                "if it keeps happening, send /start."
            ),
        )
    except Exception:  # the apology must never raise out of the error handler
        log.warning("event=apology_failed update=%s", kind)


def _update_kind(update: Update) -> str:
    for name in ("message", "edited_message", "callback_query", "my_chat_member", "channel_post"):
        if getattr(update, name, None) is not None:
            return name
    return "other"
