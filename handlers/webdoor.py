"""The handlers of the web door's Application (bot/webdoor/): the resident's side only.

The same modules as on Telegram, so there is one copy of the conversation; but no officer, desk,
admin or onboarding handler is registered, so none of their commands or buttons exists at this
door (they meet the fallback's "unknown"). Bulletins cannot be pushed to a browser: the page has
them as a library, and the bot says so where it would offer a subscription.
"""

from __future__ import annotations

from telegram import Update
from telegram.ext import Application, CallbackQueryHandler, CommandHandler, filters

from bot.context import TipbotContext
from handlers import (
    check,
    errors,
    fallback,
    flood,
    followup,
    intake,
    language,
    menu,
    status,
)
from handlers.callbacks import Menu, MenuEntry, OpenTopics, pattern
from handlers.common import answer_callback, chat_of, user_texts
from handlers.menu import main_menu

RESIDENT_FEATURES = (menu, language, status, check, intake, fallback)


async def bulletins_here(update: Update, context: TipbotContext) -> None:
    await answer_callback(update)
    t = await user_texts(update, context)
    await context.bot.send_message(
        chat_of(update).id,
        t.gettext(
            "Bulletins can't be sent to you here: nobody can reach this page. Read them any time "
            "under <b>Bulletins</b> at the top of the page."
        ),
        reply_markup=main_menu(t),
    )


BULLETIN_HANDLERS = [
    CommandHandler(["subscribe", "unsubscribe"], bulletins_here, filters=filters.ChatType.PRIVATE),
    CallbackQueryHandler(bulletins_here, pattern=pattern(OpenTopics)),
    CallbackQueryHandler(bulletins_here, pattern=pattern(Menu, entry=MenuEntry.BULLETINS)),
]


def add_handlers(application: Application) -> None:
    application.add_handlers(flood.HANDLERS, group=flood.GUARD_GROUP)
    application.add_handlers(followup.HANDLERS, group=followup.GROUP)
    application.add_handlers(followup.REPLY_HANDLERS)
    application.add_handlers(BULLETIN_HANDLERS)
    for module in RESIDENT_FEATURES:
        application.add_handlers(module.HANDLERS)
    application.add_error_handler(errors.error_handler)
