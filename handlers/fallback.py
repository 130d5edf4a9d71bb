"""What the bot says when no feature took an update: unknown commands and dead buttons.
Registered last, so every feature's handlers are tried first."""

from __future__ import annotations

from telegram import Update
from telegram.ext import CallbackQueryHandler, MessageHandler, filters

from bot.context import TipbotContext
from handlers.common import answer_callback, user_texts
from handlers.intake import load_turn
from handlers.menu import main_menu


async def unknown_cmd(update: Update, context: TipbotContext) -> None:
    turn = await load_turn(update, context)
    if turn.draft is not None:
        # In the middle of a tip: keep it, and ask the current question again.
        await turn.say(
            turn.t.gettext(
                "I don't know that command. Your tip is not sent yet and is kept — let's "
                "continue, or send /cancel to discard it."
            )
        )
        await turn.ask()
        return
    await turn.say(
        turn.t.gettext(
            "I don't know that command. Please choose from the menu below or send /help."
        ),
        main_menu(turn.t),
    )


async def dead_button(update: Update, context: TipbotContext) -> None:
    """A button whose data nothing understands (very old, or forged): stop the spinner, say so."""
    t = await user_texts(update, context)
    await answer_callback(update, t.gettext("This button no longer works. Send /start."))


HANDLERS = [
    MessageHandler(filters.ChatType.PRIVATE & filters.COMMAND, unknown_cmd),
    CallbackQueryHandler(dead_button),
]
