"""Buttons outside a private chat: only an officer's tip card and the commune choice of
/linkgroup belong in a group. Commands already say which chats they take; a button's callback
data is whatever a modified client sends, on any message the bot wrote in a group (a tip card in
a commune group, say). A resident's or an admin's button pressed there would start a tip whose
receipt and way back lead into the group, subscribe the group, or post statistics to it: such a
press is refused before any feature sees it. A tip card's button is let through, and then
refused unless the group receives that tip now (handlers/access.py tip_staff_or_refuse).
"""

from __future__ import annotations

from telegram import Update
from telegram.ext import ApplicationHandlerStop, CallbackQueryHandler

from bot.context import TipbotContext
from handlers.callbacks import LinkCommune, OnTip, decode
from handlers.common import answer_callback, user_texts

GROUP = -3  # before the flood guard and the pending inputs
GROUP_BUTTONS = (OnTip, LinkCommune)


async def private_buttons_only(update: Update, context: TipbotContext) -> None:
    chat = update.effective_chat
    if chat is None or chat.type == "private":
        return
    t = await user_texts(update, context)
    await answer_callback(
        update, t.gettext("This button works only in a private chat with the bot."), show_alert=True
    )
    raise ApplicationHandlerStop


def not_a_group_button(data: object) -> bool:
    """Anything but a tip card's or /linkgroup's button, malformed or foreign data included."""
    return not isinstance(decode(data), GROUP_BUTTONS)


HANDLERS = [CallbackQueryHandler(private_buttons_only, pattern=not_a_group_button)]
