"""Officers at work on a tip card: acknowledge, ask the tipster, notes, statuses, transfer.

Every button is re-checked on the server (bot/authz.py): the callback data only names the tip.
What an officer types after "Ask", "Add a note", "Reply" or "Transfer" is routed by the pending
input stored for them (handlers/followup.py reads it).
"""

from __future__ import annotations

from html import escape

from telegram import ForceReply, InlineKeyboardButton, InlineKeyboardMarkup, Update
from telegram.error import BadRequest
from telegram.ext import CallbackQueryHandler

from bot import authz, casework, categories, inputs, routing, tip_facts, tipster
from bot.context import TipbotContext
from bot.fraud_check import shown
from bot.i18n import Texts
from bot.telegram_errors import Verdict, classify
from bot.tip_facts import Tip, TipStatus
from handlers.access import tip_staff_or_refuse
from handlers.callbacks import OnTip, TipAction, pattern, received
from handlers.common import (
    answer_callback,
    chat_of,
    edit_buttons,
    query_of,
    remove_buttons,
    tapped_message,
    user_of,
    user_texts,
)
from handlers.locks import message_lock
from handlers.officer_views import (
    STATUS_LABELS,
    card_keyboard,
    data,
    is_reply_offer,
    reply_offer_keyboard,
    status_keyboard,
    tip_card,
    tipster_language,
)

PENDING_TTL = 3600  # an officer who tapped "Ask" has an hour to type the question

# What each action is called in the audit log when it is refused.
ACTIONS = {
    TipAction.ACKNOWLEDGE: "tip.acknowledge",
    TipAction.ASK_TIPSTER: "tip.question",
    TipAction.ADD_NOTE: "tip.note",
    TipAction.STATUS_MENU: "tip.status",
    TipAction.BACK_TO_CARD: "tip.status",
    TipAction.SET_STATUS: "tip.status",
    TipAction.WRITE_REPLY: "tip.reply",
    TipAction.NO_REPLY: "tip.reply",
    TipAction.TRANSFER_MENU: "tip.transfer",
    TipAction.TRANSFER_TO: "tip.transfer",
    TipAction.SHOW: "tip.show",
    TipAction.CONFIRM_INDICATOR: "indicator.confirm",
    TipAction.CONFIRMATIONS_DONE: "indicator.confirm",
}


async def officer_callback(update: Update, context: TipbotContext) -> None:
    tapped = received(update, OnTip)
    t = await user_texts(update, context)
    _ = t.gettext
    action = tapped.action
    tip = await tip_facts.tip(context.runtime, tapped.tip_id)
    if tip is None:
        await answer_callback(update, _("This tip no longer exists."), show_alert=True)
        return
    staff = await tip_staff_or_refuse(update, context, tip, ACTIONS[action])
    if staff is None:
        return
    await HANDLERS_BY_ACTION[action](update, context, t, staff, tip, tapped.value)


async def on_acknowledge(update, context, t: Texts, staff, tip, _value) -> None:
    _ = t.gettext
    if await casework.acknowledge(context.runtime, staff, tip):
        await answer_callback(update, _("Acknowledged. The tipster has been told."))
        return
    fresh = await tip_facts.tip(context.runtime, tip.id)
    name = await acknowledger_name(context, fresh)
    await answer_callback(
        update, _("Already acknowledged by {name}.").format(name=name), show_alert=True
    )


async def acknowledger_name(context: TipbotContext, tip: Tip | None) -> str:
    name = await tip_facts.acknowledger(context.runtime, tip) if tip else None
    return name or "—"


async def ask_for_text(update, context, t: Texts, tip, kind: str, prompt: str) -> None:
    """The officer's next message will be this text (question, note, reply or commune): the
    prompt's message id is kept, so a reply to an older prompt can't land on the wrong tip.
    Stored before the prompt is sent too: a quick typist must not beat it."""
    runtime, user_id = context.runtime, user_of(update).id
    await inputs.expect_from_officer(runtime, user_id, kind, tip.id, prompt=None, ttl=PENDING_TTL)
    await answer_callback(update)
    message = await context.bot.send_message(
        chat_of(update).id,
        prompt + "\n" + t.gettext("Send /cancel to stop."),
        reply_markup=ForceReply(selective=True),
    )
    await inputs.expect_from_officer(
        runtime, user_id, kind, tip.id, prompt=message.message_id, ttl=PENDING_TTL
    )


async def on_ask(update, context, t: Texts, staff, tip, _value) -> None:
    if tip.closed:
        await answer_callback(update, t.gettext("This tip is closed."), show_alert=True)
        return
    prompt = t.gettext(
        "Write your question for the tipster of {code}. They will see only the tip code, "
        "and you will not learn who they are."
    ).format(code=tip.code)
    if language := tipster_language(t, await tipster.language(context.runtime, tip)):
        prompt += "\n" + t.gettext("🗣 The tipster uses {language}: write in it.").format(
            language=language
        )
    await ask_for_text(update, context, t, tip, "question", prompt)


async def on_note(update, context, t: Texts, staff, tip, _value) -> None:
    await ask_for_text(
        update, context, t, tip, "note",
        t.gettext("Write a note on {code} for the officers (the tipster won't see it).").format(
            code=tip.code
        ),
    )  # fmt: skip


async def on_status(update, context, t: Texts, staff, tip, _value) -> None:
    await answer_callback(update)
    await edit_buttons(update, status_keyboard(t, tip))


async def on_back(update, context, t: Texts, staff, tip, _value) -> None:
    await answer_callback(update)
    await edit_buttons(update, card_keyboard(t, tip))


async def on_set_status(update, context, t: Texts, staff, tip, value: str) -> None:
    _ = t.gettext
    if value not in casework.SETTABLE_STATUSES:
        await answer_callback(update)
        return
    status = TipStatus(value)
    if not await casework.set_status(context.runtime, staff, tip, status):
        await answer_callback(update, _("The tip already has that status, or is closed."))
        return
    await answer_callback(update, _("Status changed. The tipster has been told."))
    # The tapped message leaves its status menu for the tip's new actions (cards are refreshed
    # anyway; a message about the tip, such as an answer, is not).
    fresh = await tip_facts.tip(context.runtime, tip.id)
    await edit_buttons(update, card_keyboard(t, fresh or tip))
    # One step after the other: a resolved fraud tip first asks which indicators were the
    # scammer's; the offer of a reply comes when that checklist is done.
    category = categories.get(tip.category)
    fraud_resolved = (
        status == TipStatus.RESOLVED and category is not None and category.confirms_indicators
    )
    if fraud_resolved and await offer_confirmations(context, chat_of(update).id, t, tip):
        return
    await offer_reply(context, chat_of(update).id, t, tip, status)


async def offer_reply(
    context: TipbotContext, chat_id: int, t: Texts, tip: Tip, status: TipStatus
) -> None:
    _ = t.gettext
    await context.bot.send_message(
        chat_id,
        _(
            "{code} is now: {status}. Add a reply for the tipster? They will see it, and so will "
            "/status."
        ).format(code=tip.code, status=_(STATUS_LABELS[status])),
        reply_markup=reply_offer_keyboard(t, tip),
    )


async def on_reply(update, context, t: Texts, staff, tip, _value) -> None:
    if is_reply_offer(query_of(update).message):
        await remove_buttons(update, context)  # it has served; a card keeps its buttons
    await ask_for_text(
        update, context, t, tip, "reply",
        t.gettext("Write your reply to the tipster of {code}.").format(code=tip.code),
    )  # fmt: skip


async def on_no_reply(update, context, t: Texts, staff, tip, _value) -> None:
    await answer_callback(update)
    await remove_buttons(update, context)


async def on_transfer(update, context, t: Texts, staff, tip, _value) -> None:
    if tip.closed:
        await answer_callback(update, t.gettext("This tip is closed."), show_alert=True)
        return
    await ask_for_text(
        update, context, t, tip, "transfer",
        t.gettext("Type the name of the commune or ward to transfer {code} to.").format(
            code=tip.code
        ),
    )  # fmt: skip


async def on_transfer_to(update, context, t: Texts, staff, tip, value: str) -> None:
    _ = t.gettext
    runtime = context.runtime
    if not value.isdigit() or runtime.communes.get(int(value)) is None:
        await answer_callback(update)
        return
    commune = int(value)
    await inputs.officer_done(runtime, user_of(update).id)
    if not await casework.transfer(runtime, staff, tip, commune):
        await answer_callback(
            update,
            _("It can't be transferred there (closed, or already in that commune)."),
            show_alert=True,
        )
        return
    await answer_callback(update)
    await query_of(update).edit_message_text(
        _("🔁 {code} was transferred to {commune}.").format(
            code=tip.code, commune=escape(runtime.communes.name(commune))
        )
    )


async def show_card(context: TipbotContext, chat_id: int, t: Texts, tip: Tip) -> None:
    """The tip's card again, with its buttons, in this chat (kept up to date like the others)."""
    message = await context.bot.send_message(
        chat_id,
        tip_card(await tip_facts.card_facts(context.runtime, tip), t),
        reply_markup=card_keyboard(t, tip),
        protect_content=True,
    )
    await routing.card_sent(context.runtime, tip, chat_id, message.message_id)


async def on_show(update, context, t: Texts, staff, tip, _value) -> None:
    await answer_callback(update)
    await authz.record(context.runtime, "tip.show", staff.user_id, tip.id, chat=chat_of(update).id)
    await show_card(context, chat_of(update).id, t, tip)


async def offer_confirmations(context: TipbotContext, chat_id: int, t: Texts, tip) -> bool:
    """After a fraud tip is resolved: which of its phones, accounts and links were really the
    scammer's? Confirmed ones become warnings for everyone's /check. False if it has none."""
    indicators = await casework.checkable_indicators(context.runtime, tip)
    if not indicators:
        return False
    await context.bot.send_message(
        chat_id,
        t.gettext("<b>Tip {code}</b>").format(code=tip.code)  # which tip, without scrolling
        + "\n"
        + t.gettext(
            "Which of these did the scammer really use? Tap to confirm them: residents who "
            "/check them will be warned. Only what you confirm is kept for that, with this tip's "
            "code and date — nothing about the tipster."
        ),
        reply_markup=await confirmations_keyboard(context, t, tip, indicators),
    )
    return True


async def confirmations_keyboard(context, t: Texts, tip, indicators) -> InlineKeyboardMarkup:
    confirmed = {(c.kind, c.value) for c in await casework.confirmations(context.runtime, tip)}
    rows = [
        [
            InlineKeyboardButton(
                ("✅ " if (i.kind, i.value) in confirmed else "☐ ")
                + shown(i.kind, i.value, i.bank),
                callback_data=data(TipAction.CONFIRM_INDICATOR, tip.id, str(i.id)),
            )
        ]
        for i in indicators
    ]
    rows.append(
        [
            InlineKeyboardButton(
                t.gettext("Done"), callback_data=data(TipAction.CONFIRMATIONS_DONE, tip.id)
            )
        ]
    )
    return InlineKeyboardMarkup(rows)


async def on_confirm(update, context, t: Texts, staff, tip, value: str) -> None:
    indicators = await casework.checkable_indicators(context.runtime, tip)
    chosen = next((i for i in indicators if str(i.id) == value), None)
    if chosen is None or tip.status != TipStatus.RESOLVED:
        await answer_callback(
            update,
            t.gettext("Only indicators of a resolved fraud tip can be confirmed."),
            show_alert=True,
        )
        return
    message = tapped_message(update)
    async with message_lock(message.chat.id, message.message_id):
        now_confirmed = await casework.toggle_confirmation(context.runtime, staff, tip, chosen)
        await answer_callback(
            update,
            t.gettext("Confirmed.") if now_confirmed else t.gettext("Confirmation taken back."),
        )
        await edit_buttons(update, await confirmations_keyboard(context, t, tip, indicators))


async def on_confirm_done(update, context, t: Texts, staff, tip, _value) -> None:
    """The checklist is done: now, and only now, the offer of a reply for the tipster."""
    count = len(await casework.confirmations(context.runtime, tip))
    await answer_callback(update)
    message = tapped_message(update)
    async with message_lock(message.chat.id, message.message_id):
        try:
            await query_of(update).edit_message_text(
                t.gettext("{count} confirmed for {code}. Thank you.").format(
                    count=count, code=tip.code
                )
            )
        except BadRequest as error:  # a second tap of "Done": the offer was made already
            if classify(error) is Verdict.UNCHANGED:
                return
            raise
    if tip.closed:
        await offer_reply(context, chat_of(update).id, t, tip, tip.status)


HANDLERS_BY_ACTION = {
    TipAction.ACKNOWLEDGE: on_acknowledge,
    TipAction.ASK_TIPSTER: on_ask,
    TipAction.ADD_NOTE: on_note,
    TipAction.STATUS_MENU: on_status,
    TipAction.BACK_TO_CARD: on_back,
    TipAction.SET_STATUS: on_set_status,
    TipAction.WRITE_REPLY: on_reply,
    TipAction.NO_REPLY: on_no_reply,
    TipAction.TRANSFER_MENU: on_transfer,
    TipAction.TRANSFER_TO: on_transfer_to,
    TipAction.SHOW: on_show,
    TipAction.CONFIRM_INDICATOR: on_confirm,
    TipAction.CONFIRMATIONS_DONE: on_confirm_done,
}

HANDLERS = [CallbackQueryHandler(officer_callback, pattern=pattern(OnTip))]
