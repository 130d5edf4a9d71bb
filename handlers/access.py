"""One way to check a role: a handler declares what it needs, the server checks it every time.

    @staff_only(Role.ADMIN, "stats.view")
    async def stats_cmd(update, context, staff): ...

The check is bot/authz.py's (an active officer, or an admin; for a tip, of its commune). A
refusal is written once to the audit log ("denied.<action>") and told the same way everywhere:
one text per case, as an alert on a button and as a reply to a command, in a private chat as in
a group.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Coroutine
from typing import Any

from telegram import Update

from bot import authz, routing
from bot.authz import Role, Staff
from bot.context import TipbotContext
from bot.i18n import N_
from bot.tip_facts import Tip
from handlers.common import answer_callback, chat_of, user_of, user_texts

REFUSALS = {
    Role.OFFICER: N_("Sorry, this is only for police officers registered in this bot."),
    Role.ADMIN: N_("Sorry, only the province admins can do this."),
}
NOT_THEIR_TIP = N_("Only officers of this tip's commune, or the province admins, can do that.")
NOT_THIS_CHAT = N_(
    "This tip no longer goes to this group. Open it in your private chat with the bot (/tip)."
)

StaffHandler = Callable[[Update, TipbotContext, Staff], Coroutine[Any, Any, None]]
Handler = Callable[[Update, TipbotContext], Coroutine[Any, Any, None]]


async def refuse(update: Update, context: TipbotContext, text: str) -> None:
    """Says no: an alert on the tapped button, or a reply to the message."""
    t = await user_texts(update, context)
    if update.callback_query is not None:
        await answer_callback(update, t.gettext(text), show_alert=True)
    elif update.effective_message is not None:
        await update.effective_message.reply_text(t.gettext(text))


async def staff_or_refuse(
    update: Update, context: TipbotContext, role: Role, action: str
) -> Staff | None:
    """The officer or admin behind the update, or None once refused (told and audited)."""
    chat = update.effective_chat
    where = {"chat": chat.id} if chat is not None and chat.type != "private" else {}
    staff = await authz.require(context.runtime, user_of(update).id, role, action, **where)
    if staff is None:
        await refuse(update, context, REFUSALS[role])
    return staff


async def tip_staff_or_refuse(
    update: Update, context: TipbotContext, tip: Tip, action: str
) -> Staff | None:
    """An officer of the tip's commune or an admin, or None once refused (told and audited).
    In a group, the group itself must be one the tip goes to now: a button's data is whatever a
    client sends, on any bot message in any group, and what it answers (a card, a prompt, an
    offer, a checklist) lands in that group. A private chat is the presser's own."""
    staff = await authz.staff_for_tip(context.runtime, user_of(update).id, tip, action)
    if staff is None:
        await refuse(update, context, NOT_THEIR_TIP)
        return None
    chat = chat_of(update)
    if chat.type != "private" and not await routing.covers(context.runtime, chat.id, tip):
        await authz.record(context.runtime, f"denied.{action}", staff.user_id, tip.id, chat=chat.id)
        await refuse(update, context, NOT_THIS_CHAT)
        return None
    return staff


def staff_only(role: Role, action: str) -> Callable[[StaffHandler], Handler]:
    """The handler runs for `role` only (Role.OFFICER: any active officer or admin), and gets
    the Staff; anyone else is refused, and the refusal audited as "denied.<action>"."""

    def decorate(handler: StaffHandler) -> Handler:
        @functools.wraps(handler)
        async def guarded(update: Update, context: TipbotContext) -> None:
            staff = await staff_or_refuse(update, context, role, action)
            if staff is not None:
                await handler(update, context, staff)

        return guarded

    return decorate
