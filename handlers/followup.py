"""The anonymous conversation about a tip, and whatever else someone was asked to type.

An officer who tapped "Ask the tipster", "Add a note", "Write a reply" or "Transfer" has a pending
input; so has a tipster who tapped "Reply" under a question. Their next message is that input.
A tipster's reply to a message about their tip (the question comes with ForceReply, so the app
makes the next message such a reply) is an answer to that tip: the replied message names it.
This runs in a handler group before the features and stops the update only when it used it.
"""

from __future__ import annotations

import re

from telegram import ForceReply, InlineKeyboardButton, InlineKeyboardMarkup, Message, Update
from telegram.ext import ApplicationHandlerStop, CallbackQueryHandler, MessageHandler, filters

from bot import casework, inputs, tip_facts, tipster
from bot.context import TipbotContext
from bot.inputs import PendingInput
from bot.intake import clean_text, is_meaningful_text
from bot.receipts import normalize_tip_code
from bot.refusals import Reason
from bot.runtime import Runtime
from bot.tip_facts import Attachment, Tip
from handlers.access import tip_staff_or_refuse
from handlers.callbacks import TipAction, TipsterReply, pattern, received
from handlers.check import answer_check
from handlers.common import (
    answer_callback,
    chat_of,
    message_of,
    user_of,
    user_texts,
    utf16_len,
)
from handlers.intake import attachment_of, banned_text
from handlers.officer import ACTIONS
from handlers.officer_views import data
from handlers.status import tip_label

GROUP = -1
ANSWER_TTL = 7 * 24 * 3600  # a tipster may answer a question within a week
ANSWER_ROUNDING = 24 * 3600  # the expiry, to a whole day, does not date the tap on Reply
MAX_TEXT = 3000


async def expected_input(runtime: Runtime, update: Update) -> tuple[str, PendingInput] | None:
    """What this message was asked for, if anything (bot/inputs.expected)."""
    message = message_of(update)
    return await inputs.expected(
        runtime,
        user_of(update).id,
        private=chat_of(update).type == "private",
        replied=message.reply_to_message.message_id if message.reply_to_message else None,
    )


async def pending_message(update: Update, context: TipbotContext) -> None:
    runtime = context.runtime
    message = message_of(update)
    if update.effective_user is None or message is None:
        return
    found = await expected_input(runtime, update)
    if found is None:
        tip = await tip_replied_to(context, update)
        if tip is not None:
            await take_answer(update, context, tip, None, message)
            raise ApplicationHandlerStop
        return  # nothing asked for: the features handle it
    key, waiting = found
    t = await user_texts(update, context)
    _ = t.gettext
    if message.text and message.text.split("@")[0].strip() == "/cancel":
        await inputs.done(runtime, key)
        await message.reply_text(_("Cancelled. Nothing was sent."))
        raise ApplicationHandlerStop
    if message.text and message.text.startswith("/"):
        return  # other commands work as usual; the pending input waits
    replied = message.reply_to_message.message_id if message.reply_to_message else None
    if replied is not None and replied != waiting.data.get("prompt"):
        await message.reply_text(
            _(
                "That question box is closed. Please type in the newest one, or tap the "
                "button again."
            )
        )
        raise ApplicationHandlerStop
    if waiting.kind == "check":
        await inputs.done(runtime, key)
        await answer_check(update, context, message.text or message.caption or "")
        raise ApplicationHandlerStop
    tip = await tip_of(runtime, waiting, user_of(update).id)
    if tip is None:
        await inputs.done(runtime, key)
        return
    if waiting.kind == "answer":
        await take_answer(update, context, tip, key, message)
    else:
        await take_officer_text(update, context, tip, key, waiting.kind, message)
    raise ApplicationHandlerStop


TIP_CODE = re.compile(r"\bT-[0-9A-Z]{6}\b")


async def tip_replied_to(context: TipbotContext, update: Update) -> Tip | None:
    """The resident's own tip named by the bot message this message replies to (a question
    sent with ForceReply, or any message about the tip): the reply itself says which tip it is
    about, so nothing pairing the resident with the tip is stored."""
    message = update.effective_message
    replied = message.reply_to_message if message else None
    if (
        replied is None
        or chat_of(update).type != "private"
        or replied.from_user is None
        or replied.from_user.id != context.bot.id
    ):
        return None
    found = TIP_CODE.search(replied.text or replied.caption or "")
    if found is None:
        return None
    return await tipster.own_tip(context.runtime, found[0], user_of(update).id)


async def tip_of(runtime: Runtime, waiting: PendingInput, user_id: int) -> Tip | None:
    """The tip a pending input is about; a resident's is sealed to their pseudonym."""
    if "tip_id" in waiting.data:
        return await tip_facts.tip(runtime, waiting.data["tip_id"])
    return await tipster.answer_tip(runtime, waiting.data.get("tip", ""), user_id)


async def take_officer_text(update, context, tip, key: str, kind: str, message: Message) -> None:
    runtime = context.runtime
    t = await user_texts(update, context)
    _ = t.gettext
    text = clean_text(message.text or "")
    if not text or not is_meaningful_text(text):
        await message.reply_text(_("Please type it as text, or send /cancel."))
        return
    if utf16_len(text) > MAX_TEXT:  # as Telegram counts: an emoji is two
        await message.reply_text(
            _("Please keep it to {limit} characters at most.").format(limit=t.number(MAX_TEXT))
        )
        return
    action = {
        "question": TipAction.ASK_TIPSTER,
        "note": TipAction.ADD_NOTE,
        "reply": TipAction.WRITE_REPLY,
        "transfer": TipAction.TRANSFER_MENU,
    }[kind]
    staff = await tip_staff_or_refuse(update, context, tip, ACTIONS[action])
    if staff is None:
        await inputs.done(runtime, key)
        return
    chat_id = chat_of(update).id
    if kind == "transfer":
        await offer_communes(update, context, tip, text)
        return
    if kind == "question":
        await casework.ask(runtime, staff, tip, text, chat_id)
        done = _("Your question was sent to the tipster of {code}.")
    elif kind == "note":
        await casework.note(runtime, staff, tip, text, chat_id)
        done = _("Note added to {code}.")
    else:
        await casework.reply(runtime, staff, tip, text, chat_id)
        done = _("Your reply was sent to the tipster of {code}.")
    await inputs.done(runtime, key)
    await message.reply_text(done.format(code=tip.code))


async def offer_communes(update, context, tip, text: str) -> None:
    t = await user_texts(update, context)
    _ = t.gettext
    matches = [m for m in context.runtime.communes.search(text) if m.code != tip.commune_code]
    if not matches:
        await message_of(update).reply_text(
            _("No commune or ward matches that. Try another name, or send /cancel.")
        )
        return
    rows = [
        [
            InlineKeyboardButton(
                m.name, callback_data=data(TipAction.TRANSFER_TO, tip.id, str(m.code))
            )
        ]
        for m in matches
    ]
    await message_of(update).reply_text(
        _("Transfer {code} to:").format(code=tip.code), reply_markup=InlineKeyboardMarkup(rows)
    )


def answer_refused_text(t, reason: Reason) -> str:
    """What a resident is told when an answer cannot go to the officers, and what to do."""
    _ = t.gettext
    if reason is Reason.BANNED:
        return banned_text(t)
    if reason is Reason.TOO_MANY:
        return _(
            "You have sent many answers in a short time. Please wait a little, then send the "
            "rest in one message."
        )
    return _(  # Reason.ENDED
        "This conversation has ended, so officers will not receive answers here any more. If you "
        "have something new to tell them, please send a new tip with /report."
    )


async def take_answer(update, context, tip, key: str | None, message: Message) -> None:
    runtime = context.runtime
    t = await user_texts(update, context)
    _ = t.gettext
    pseudonym = runtime.pseudonym_of(user_of(update).id)
    if refused := await casework.answer_refusal(runtime, tip, pseudonym):
        if refused.reason is not Reason.TOO_MANY and key is not None:
            await inputs.done(runtime, key)
        await message.reply_text(answer_refused_text(t, refused.reason))
        return
    attachment = attachment_of(message)
    text = clean_text(message.text or message.caption or "")
    if attachment is None and not is_meaningful_text(text):
        await message.reply_text(
            _("Please write your answer, or send a photo, video, voice message or document.")
        )
        return
    if utf16_len(text) > MAX_TEXT:  # as Telegram counts: an emoji is two
        await message.reply_text(
            _("Please keep it to {limit} characters at most.").format(limit=t.number(MAX_TEXT))
        )
        return
    body = text or "📎"  # a file without words: the file itself follows
    stored = (
        Attachment(attachment.kind, attachment.file_id, attachment.file_unique_id)
        if attachment
        else None
    )
    await casework.relay_answer(runtime, tip, body, stored)
    if key is not None:
        await inputs.done(runtime, key)
    await message.reply_text(
        _(
            "Thank you. Your answer was passed to the officers of {code}; they still don't know "
            "who you are."
        ).format(code=tip_label(tip, t, runtime.config.timezone))  # which tip, by kind and date
    )


async def reply_button(update: Update, context: TipbotContext) -> None:
    """The tipster taps "Reply" under an officer's question."""
    runtime = context.runtime
    t = await user_texts(update, context)
    _ = t.gettext
    code = normalize_tip_code(received(update, TipsterReply).tip_code)
    tip = await tipster.own_tip(runtime, code, user_of(update).id) if code else None
    pseudonym = runtime.pseudonym_of(user_of(update).id)
    if tip is None:
        await answer_callback(update, _("This conversation has ended."), show_alert=True)
        return
    if refused := await casework.answer_refusal(runtime, tip, pseudonym):
        await answer_callback(update)
        await context.bot.send_message(chat_of(update).id, answer_refused_text(t, refused.reason))
        return
    # Which tip the answer is for, sealed: the database never pairs a pseudonym with a tip.
    # Stored before the prompt is sent too: a quick typist must not beat it.
    await tipster.expect_answer(
        runtime, tip, pseudonym, prompt=None, ttl=ANSWER_TTL, round_up_to=ANSWER_ROUNDING
    )
    await answer_callback(update)
    prompt = await context.bot.send_message(
        chat_of(update).id,
        _(
            "Write your answer for the officers of {code} — text, or a photo, video, voice message "
            "or document. Send /cancel to stop."
        ).format(code=tip.code),
        reply_markup=ForceReply(),
    )
    await tipster.expect_answer(
        runtime,
        tip,
        pseudonym,
        prompt=prompt.message_id,
        ttl=ANSWER_TTL,
        round_up_to=ANSWER_ROUNDING,
    )


HANDLERS = [
    MessageHandler(filters.UpdateType.MESSAGE & ~filters.StatusUpdate.ALL, pending_message),
]
REPLY_HANDLERS = [CallbackQueryHandler(reply_button, pattern=pattern(TipsterReply))]
