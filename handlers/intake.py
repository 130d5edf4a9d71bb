"""The resident's tip: Telegram updates in, draft changes and prompts out.

The draft is saved after every accepted answer, before the next prompt is sent, so a crash at any
point loses nothing. Updates of one resident are handled one at a time (a lock per pseudonym):
an album of photos arrives as several updates at once and must not race on the draft.
"""

from __future__ import annotations

import asyncio
import contextlib
from html import escape
from typing import cast

from telegram import (
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    Message,
    ReplyKeyboardMarkup,
    ReplyKeyboardRemove,
    Update,
)
from telegram.error import RetryAfter, TelegramError
from telegram.ext import CallbackQueryHandler, CommandHandler, MessageHandler, filters

from bot import bulletins, categories, drafts, submission, tipster
from bot.context import TipbotContext
from bot.i18n import Texts
from bot.intake import (
    CHANNELS,
    FRAUD_DETAILS,
    MAX_ANSWER,
    MAX_ATTACHMENTS,
    MAX_DESCRIPTION,
    WHEN,
    Attachment,
    Draft,
    Step,
    clean_text,
    is_meaningful_text,
    means_dont_know,
)
from bot.refusals import Reason, Refused
from bot.send_budget import retry_after_seconds
from bot.telegram_errors import Verdict, backoff_seconds, classify, is_transient
from handlers.bulletins_views import receipt_keyboard
from handlers.callbacks import (
    Discard,
    DiscardDraft,
    IntakeAnswer,
    Menu,
    MenuEntry,
    encode,
    pattern,
    received,
)
from handlers.common import (
    answer_callback,
    chat_of,
    edit_callback_message,
    message_of,
    query_of,
    remove_buttons,
    tapped_message,
    user_of,
    user_texts,
)
from handlers.intake_views import (
    CHANGE_PLACE,
    SKIP_DETAILS,
    anonymity_note,
    button,
    commune_results,
    emergency_text,
    place_taken_keyboard,
    prompt,
    skip_label,
    stay_anonymous_label,
)
from handlers.locks import resident_lock
from handlers.menu import main_menu, not_understood
from handlers.status import status_button

DRAFT_TTL = 24 * 3600
TEXT_ANSWERS = {
    Step.PHONES: "phones",
    Step.ACCOUNTS: "accounts",
    Step.LINKS: "links",
    Step.LOSS: "loss",
}
RECEIPT_ATTEMPTS = 5
RECEIPT_BACKOFF, RECEIPT_BACKOFF_CAP = 1, 8  # seconds between tries: 1, 2, 4, 8
NO_LOSS = "0"  # "No money was lost", stored as an amount
BUTTON_STEPS = (Step.CATEGORY, Step.KIND, Step.WHEN, Step.CHANNELS, Step.URGENT, Step.REVIEW)
# Text typed where a tap was expected is kept as (the start of) the description.
KEEP_AS_DESCRIPTION = (Step.CATEGORY, Step.KIND, Step.WHEN, Step.CHANNELS, Step.URGENT)


class Turn:
    """One update of one resident: their texts, pseudonym and draft, and how to answer."""

    def __init__(
        self, update: Update, context: TipbotContext, t: Texts, draft: Draft | None
    ) -> None:
        self.update, self.context, self.t, self.draft = update, context, t, draft
        self.runtime = context.runtime
        self.pseudonym = self.runtime.pseudonym_of(user_of(update).id)
        self.chat_id = chat_of(update).id

    @property
    def started(self) -> Draft:
        """The draft, in the steps that run only once the resident has one (their caller checked
        `draft is None` first)."""
        assert self.draft is not None
        return self.draft

    async def save(self) -> None:
        draft = self.started
        draft.last_update = max(draft.last_update, self.update.update_id)
        await drafts.save(self.runtime, self.pseudonym, draft, ttl=DRAFT_TTL)

    def already_applied(self) -> bool:
        """This update was handled before a crash (Telegram delivers it again after a restart)."""
        return self.draft is not None and self.update.update_id <= self.draft.last_update

    async def say(self, text: str, markup=None) -> Message:
        return await self.context.bot.send_message(self.chat_id, text, reply_markup=markup)

    async def ask(
        self, note: str | None = None, *, edit: bool = False, replace_keyboard: bool = False
    ) -> None:
        """Asks the current step's question, with `note` (what was just understood) on top.

        With `edit`, the message whose button was tapped becomes the next question when it can
        (not when the question needs a reply keyboard): one edit instead of two more messages
        keeps the chat short on a small screen and costs fewer calls. `replace_keyboard` takes
        away a reply keyboard (location, contact) with the same message.
        """
        text, markup = prompt(self.started.step, self.started, self.t, self.runtime.communes)
        if note:
            text = f"{note}\n\n{text}"
        query = self.update.callback_query
        if edit and query is not None:
            if not isinstance(markup, ReplyKeyboardMarkup):
                await edit_callback_message(self.update, text, reply_markup=markup)
                return
            # The next question needs its own message: the tapped one keeps only the answer.
            await edit_callback_message(self.update, note or tapped_message(self.update).text_html)
            text = text.removeprefix(f"{note}\n\n") if note else text
        if markup is None and replace_keyboard:
            await self.say(text, ReplyKeyboardRemove())
            return
        await self.say(text, markup)

    async def move_on(self, note: str | None = None, *, replace_keyboard: bool = False) -> None:
        """Saves the answer, then asks the next question (in place after a tap)."""
        self.started.advance()
        await self.save()
        await self.ask(note, edit=True, replace_keyboard=replace_keyboard)

    async def move_on_urgently(self, note: str) -> None:
        """Happening now or someone in danger: the emergency numbers come first, before any
        other question; then the tip goes on (it is saved first)."""
        self.started.advance()
        await self.save()
        if self.update.callback_query is not None:
            await edit_callback_message(self.update, note)
            note = ""
        await self.say(emergency_text(self.t))
        await self.ask(note or None)


async def load_turn(update: Update, context: TipbotContext) -> Turn:
    t = await user_texts(update, context)
    pseudonym = context.runtime.pseudonym_of(user_of(update).id)
    return Turn(update, context, t, await drafts.load(context.runtime, pseudonym))


# --- starting, continuing, cancelling ------------------------------------------------------------


async def report_cmd(update: Update, context: TipbotContext) -> None:
    await answer_callback(update)
    pseudonym = context.runtime.pseudonym_of(user_of(update).id)
    async with resident_lock(pseudonym):
        turn = await load_turn(update, context)
        refusal = await submission.refusal_before_start(turn.runtime, turn.pseudonym)
        if refusal is not None and refusal.reason is Reason.BANNED:
            await turn.say(banned_text(turn.t))
            return
        if turn.draft is not None:
            await turn.say(
                turn.t.gettext("You have a tip you haven't sent yet. Here is where you stopped:")
            )
            await turn.ask()
            return
        turn.draft = Draft()
        await turn.save()
        await turn.ask(anonymity_note(turn.t))


async def cancel_cmd(update: Update, context: TipbotContext) -> None:
    turn = await load_turn(update, context)
    _ = turn.t.gettext
    if turn.draft is None:
        await turn.say(
            _("There is nothing to cancel. What would you like to do?"), main_menu(turn.t)
        )
        return
    await ask_discard(turn)


async def ask_discard(turn: Turn) -> None:
    _ = turn.t.gettext
    await turn.say(
        _("Do you want to discard the tip you started? Everything you entered will be deleted."),
        InlineKeyboardMarkup(
            [
                [
                    InlineKeyboardButton(
                        _("🗑 Yes, discard it"), callback_data=encode(DiscardDraft(Discard.YES))
                    )
                ],
                [
                    InlineKeyboardButton(
                        _("↩️ No, continue"), callback_data=encode(DiscardDraft(Discard.NO))
                    )
                ],
            ]
        ),
    )


async def cancel_callback(update: Update, context: TipbotContext) -> None:
    await answer_callback(update)
    pseudonym = context.runtime.pseudonym_of(user_of(update).id)
    async with resident_lock(pseudonym):
        turn = await load_turn(update, context)
        await remove_buttons(update, context)
        if turn.draft is None:
            await turn.say(turn.t.gettext("There is no unsent tip any more."), main_menu(turn.t))
        elif received(update, DiscardDraft).answer is Discard.YES:
            await drafts.discard(turn.runtime, turn.pseudonym)
            await turn.say(
                turn.t.gettext("Your unsent tip was deleted."),
                ReplyKeyboardRemove(),
            )
            await turn.say(turn.t.gettext("What would you like to do?"), main_menu(turn.t))
        else:
            await turn.ask()


# --- taps on the prompt buttons ------------------------------------------------------------------


async def step_callback(update: Update, context: TipbotContext) -> None:
    query = query_of(update)
    answer = received(update, IntakeAnswer)
    step_name, value = answer.step, answer.value
    pseudonym = context.runtime.pseudonym_of(user_of(update).id)
    async with resident_lock(pseudonym):
        turn = await load_turn(update, context)
        _ = turn.t.gettext
        sent_before = turn.draft is None or turn.draft.step is not Step.REVIEW
        if (step_name, value) == (Step.REVIEW, "send") and sent_before:  # noqa: SIM102
            if await show_unshown_receipts(turn):
                return
        if turn.draft is None:
            await answer_callback(update, _("This tip was already sent or cancelled."))
            await remove_buttons(turn.update, turn.context)
            return
        draft = turn.started
        if turn.already_applied():
            with contextlib.suppress(TelegramError):  # likely too old to answer by now
                await query.answer()
            return
        overflow = step_name == "overflow" and draft.overflow is not None
        if step_name == CHANGE_PLACE:
            await answer_callback(update)
            await change_place(turn)
            return
        if step_name != draft.step and not overflow:
            await answer_callback(update, _("That button belongs to an earlier question."))
            await turn.ask()
            return
        # The spinner stops while the answer is applied, not one round trip before it.
        answering = asyncio.create_task(answer_callback(update))
        try:
            if overflow:
                await settle_overflow(turn, keep=value == "keep")
            else:
                await apply_choice(turn, Step(step_name), value)
        finally:
            await answering


async def change_place(turn: Turn) -> None:
    """The only commune found was taken; the resident says it is the wrong one."""
    draft = turn.started
    await remove_buttons(turn.update, turn.context)
    if draft.step is Step.REVIEW or draft.description.strip():
        draft.start_edit("place")
    else:
        draft.step, draft.edit_until = Step.COMMUNE, None
    await turn.save()
    await turn.ask()


async def settle_overflow(turn: Turn, *, keep: bool) -> None:
    """The resident decided about text that did not fit: keep the start of it, or drop it."""
    draft, _ = turn.started, turn.t.gettext
    await remove_buttons(turn.update, turn.context)
    if not keep:
        draft.drop_overflow()
        await turn.save()
        await turn.say(_("All right. Please send the shorter text now."))
        return
    draft.keep_overflow_start()
    await turn.save()
    count = turn.t.number(len(draft.description))
    await turn.say(_("Kept. Your description now has {count} characters.").format(count=count))
    if draft.step is Step.DESCRIPTION:
        await turn.move_on()
    else:
        await turn.ask()


async def apply_choice(turn: Turn, step: Step, value: str) -> None:
    draft, query, _ = turn.started, query_of(turn.update), turn.t.gettext
    note = None
    if step is Step.CATEGORY and (category := categories.get(value)):
        draft.choose_category(value)
        note = answered(_(category.label))
    elif step is Step.KIND and (kind := categories.kind_label(draft.category, value)):
        draft.kind = value
        note = answered(_(kind))
    elif step is Step.WHEN and value in WHEN:
        draft.answer_when(value)
        note = answered(_(WHEN[value]))
        if draft.urgent:
            await turn.move_on_urgently(note)
            return
    elif step is Step.CHANNELS and value in CHANNELS:
        draft.toggle_channel(value)
        await turn.save()
        _text, markup = prompt(step, draft, turn.t, turn.runtime.communes)
        await query.edit_message_reply_markup(cast(InlineKeyboardMarkup, markup))  # inline
        return
    elif step is Step.CHANNELS and value == "next":
        chosen = ", ".join(_(CHANNELS[c]) for c in draft.channels)
        note = answered(chosen or _("No channel chosen"))
    elif step in FRAUD_DETAILS and value == SKIP_DETAILS:
        draft.skip_fraud_details()
        await turn.save()
        await turn.ask(answered(_("Scam details skipped")), edit=True)
        return
    elif step in TEXT_ANSWERS and value in ("skip", "none"):
        setattr(draft, TEXT_ANSWERS[step], NO_LOSS if value == "none" else None)
        note = answered(_("No money was lost") if value == "none" else _("Skipped"))
    elif step is Step.COMMUNE and value == "unknown":
        draft.commune_code, draft.commune_unknown = None, True
        note = answered(_("I don't know"))
    elif step is Step.COMMUNE and value.isdigit() and turn.runtime.communes.get(int(value)):
        draft.commune_code, draft.commune_unknown = int(value), False
        note = answered(escape(turn.runtime.communes.name(int(value))))
    elif step is Step.ATTACHMENTS and value == "done":
        count = turn.t.number(len(draft.attachments))
        note = answered(
            _("Attachments: {count}").format(count=count)
            if draft.attachments
            else _("No attachments")
        )
    elif step is Step.DESCRIPTION and value == "done" and draft.description.strip():
        note = answered(_("Description kept"))
    elif step is Step.URGENT and value in ("yes", "no"):
        draft.urgent = value == "yes"
        note = answered(_("Urgent") if draft.urgent else _("Not urgent"))
        if draft.urgent:
            await turn.move_on_urgently(note)
            return
    elif step is Step.REVIEW:
        await review_choice(turn, value)
        return
    else:  # forged or outdated data for this step
        await turn.ask()
        return
    await turn.move_on(note)


def answered(answer: str) -> str:
    """The line on top of the next question that shows what the tap chose."""
    return f"✓ <b>{answer}</b>"


async def review_choice(turn: Turn, value: str) -> None:
    draft, _ = turn.started, turn.t.gettext
    if value.startswith("edit:"):
        try:
            draft.start_edit(value.removeprefix("edit:"))
        except ValueError:
            await turn.ask()
            return
        await turn.save()
        await turn.ask(edit=True)
    elif value == "cancel":
        await remove_buttons(turn.update, turn.context)
        await ask_discard(turn)
    elif value == "nocontact":
        draft.contact_sealed = None
        await remove_buttons(turn.update, turn.context)
        await turn.save()
        await turn.ask()
    elif value == "send":
        await send_tip(turn)
    else:
        await turn.ask()


async def send_tip(turn: Turn) -> None:
    _ = turn.t.gettext
    draft = turn.started
    if draft.overflow is not None:
        await ask_about_overflow(turn)  # long text still waiting for the resident's decision
        return
    if gaps := draft.missing():
        draft.step = gaps[0]
        await turn.save()
        await turn.say(_("One answer is still missing."))
        await turn.ask()
        return
    sent = await submission.submit(
        turn.runtime, turn.pseudonym, turn.chat_id, draft, language=turn.t.language
    )
    if isinstance(sent, Refused):  # (incomplete was handled above)
        await turn.say(
            banned_text(turn.t)
            if sent.reason is Reason.BANNED
            else _(
                "You have sent the most tips allowed for one day. Your tip is kept here: "
                "please send it tomorrow. In an emergency, call 113."
            )
        )
        return
    # Committed: the receipt is now the resident's only way back to the tip, so it goes first and
    # is retried through a bad connection; taking the buttons off the review can fail harmlessly.
    # The offer to subscribe comes with it; the subscription is not linked to the tip.
    await deliver_receipt(turn, receipt_text(turn.t, sent), await receipt_markup(turn, sent))
    await submission.receipt_shown(turn.runtime, turn.pseudonym, sent.code)
    with contextlib.suppress(TelegramError):
        await remove_buttons(turn.update, turn.context)


async def receipt_markup(turn: Turn, sent: submission.Submitted) -> InlineKeyboardMarkup:
    """The tip's status in one tap; the offer of bulletins unless the resident has them."""
    subscribed = await bulletins.active_subscription(turn.runtime, turn.chat_id) is not None
    return receipt_keyboard(
        turn.t, first=[status_button(turn.t, sent.receipt)], subscribed=subscribed
    )


async def show_unshown_receipts(turn: Turn) -> bool:
    """A tap on Send of a tip already sent: the receipts a crash kept from the resident are shown
    now (the tip was stored; only its receipt had not arrived). False if there were none."""
    unshown = await submission.unshown_receipts(turn.runtime, turn.pseudonym)
    if not unshown:
        return False
    await answer_callback(turn.update)
    for sent in unshown:
        await deliver_receipt(turn, receipt_text(turn.t, sent), await receipt_markup(turn, sent))
        await submission.receipt_shown(turn.runtime, turn.pseudonym, sent.code)
    with contextlib.suppress(TelegramError):
        await remove_buttons(turn.update, turn.context)
    return True


async def deliver_receipt(turn: Turn, text: str, markup) -> None:
    """Sends the receipt, retrying through 429s and network errors: a tip committed without its
    receipt reaching the resident would leave them no way back to it."""
    for attempt in range(RECEIPT_ATTEMPTS):
        try:
            await turn.say(text, markup)
            return
        except TelegramError as error:
            if classify(error) is Verdict.WAIT:
                await asyncio.sleep(min(retry_after_seconds(cast(RetryAfter, error)), 30))
            elif is_transient(error):  # timeouts and dropped connections
                if attempt == RECEIPT_ATTEMPTS - 1:
                    raise
                await asyncio.sleep(
                    backoff_seconds(attempt + 1, base=RECEIPT_BACKOFF, cap=RECEIPT_BACKOFF_CAP)
                )
            else:  # refused as it is, or the chat is gone: sending it again won't help
                raise


def receipt_text(t: Texts, sent: submission.Submitted) -> str:
    _ = t.gettext
    return "\n\n".join(
        [
            _("✅ <b>Your tip has been sent.</b> Its code is <code>{code}</code>.").format(
                code=sent.code
            ),
            _(
                "This is your receipt. Keep it somewhere safe and don't share it — with it you "
                "can check your tip and read the officers' replies later, from any account:"
            ),
            f"<code>/status {sent.receipt}</code>",
            _("We will tell you here when officers have received your tip."),
        ]
    )


def banned_text(t: Texts) -> str:
    return t.gettext(
        "Sorry, this bot can no longer accept tips from you. If you need the police, "
        "call 113 or go to your commune police station."
    )


# --- messages while a tip is in progress ----------------------------------------------------


async def intake_message(update: Update, context: TipbotContext) -> None:
    """Any message in a private chat while the resident has a draft."""
    pseudonym = context.runtime.pseudonym_of(user_of(update).id)
    async with resident_lock(pseudonym):
        turn = await load_turn(update, context)
        if turn.draft is None:
            await not_understood(update, context)
            return
        if turn.already_applied():
            return
        await handle_message(turn, message_of(update))


async def edited_message(update: Update, context: TipbotContext) -> None:
    """A resident edited a message already sent. The tip keeps what first came (answering every
    edit would echo typo fixes), but during a tip a correction that silently did not count could
    mislead the officers, so the resident hears how to change it. When idle: silence."""
    pseudonym = context.runtime.pseudonym_of(user_of(update).id)
    async with resident_lock(pseudonym):
        turn = await load_turn(update, context)
        if turn.draft is None:
            return
        _ = turn.t.gettext
        await turn.say(
            _(
                "Edits to a message you already sent do not change your tip. To correct "
                "something, send it again, or use the ✏️ buttons when you review the tip."
            )
        )


async def handle_message(turn: Turn, message: Message) -> None:
    draft, _ = turn.started, turn.t.gettext
    step = draft.step
    attachment = attachment_of(message)

    if step is Step.LOCATION and message.location is not None:
        draft.latitude, draft.longitude = message.location.latitude, message.location.longitude
        draft.location_skipped = False
        await turn.move_on(_("📍 Location received."), replace_keyboard=True)
        return
    if step is Step.LOCATION and message.text and message.text.strip() == skip_label(turn.t):
        draft.latitude = draft.longitude = None
        draft.location_skipped = True
        await turn.move_on(_("Skipped."), replace_keyboard=True)
        return

    if step is Step.CONTACT:
        await take_contact(turn, message)
        return

    if attachment is not None:
        await take_attachment(turn, attachment, message.caption)
        return

    text = clean_text(message.text or "")
    if text == skip_label(turn.t) and step is not Step.LOCATION:
        text = ""  # a double tap on the location keyboard's Skip, not a description
    meaningful = bool(text) and is_meaningful_text(text)
    if step is Step.COMMUNE and text:
        await search_commune(turn, text)
    elif step in TEXT_ANSWERS and text:
        await take_answer(turn, step, text)
    elif step in (Step.DESCRIPTION, Step.ATTACHMENTS, Step.REVIEW) and text:
        await take_description(turn, text)
    elif step is Step.LOCATION and meaningful:
        await take_place_detail(turn, text)
    elif step in KEEP_AS_DESCRIPTION and meaningful:
        await keep_typed_words(turn, text)
    else:
        await explain_expected(turn, message)


async def take_place_detail(turn: Turn, text: str) -> None:
    """An address or landmark typed where a location was asked: kept as the place's detail."""
    draft, _ = turn.started, turn.t.gettext
    detail = text[:MAX_ANSWER]
    draft.place_detail = f"{draft.place_detail}\n{detail}" if draft.place_detail else detail
    await turn.move_on(
        _("📍 Kept as a detail of the place: {detail}").format(detail=escape(detail)),
        replace_keyboard=True,
    )


async def keep_typed_words(turn: Turn, text: str) -> None:
    """Words typed where a tap was expected: nothing a resident writes is thrown away. They
    start the description (the resident is told), then the same question comes again."""
    draft, _ = turn.started, turn.t.gettext
    if not draft.add_description(text):
        await turn.save()
        await ask_about_overflow(turn)
        return
    await turn.save()
    await turn.ask(
        _(
            "✍️ I kept what you wrote: it is the start of your description (you can add more "
            "later). Now please tap one of the buttons below."
        )
    )


async def take_contact(turn: Turn, message: Message) -> None:
    """Only the resident's own contact counts: a forwarded card would expose someone else."""
    draft, _ = turn.started, turn.t.gettext
    contact = message.contact
    if contact is not None and contact.user_id == user_of(turn.update).id:
        draft.contact_sealed = tipster.seal_contact(
            turn.runtime, turn.pseudonym, contact.phone_number
        )
        await turn.say(_("📞 Your phone number will be sent with this tip."), ReplyKeyboardRemove())
    elif contact is not None:
        await turn.say(_("Please share your own number with the button below."))
        await turn.ask()
        return
    elif message.text and message.text.strip() == stay_anonymous_label(turn.t):
        draft.contact_sealed = None
        await turn.say(_("You stay anonymous."), ReplyKeyboardRemove())
    else:
        await turn.say(_("Please tap one of the buttons below."))
        await turn.ask()
        return
    await turn.move_on()


def attachment_of(message: Message) -> Attachment | None:
    if message.photo:
        largest = message.photo[-1]
        return Attachment("photo", largest.file_id, largest.file_unique_id)
    for kind in ("video", "voice", "audio", "document"):
        media = getattr(message, kind)
        if media is not None:
            return Attachment(kind, media.file_id, media.file_unique_id)
    return None


async def ask_about_overflow(turn: Turn) -> None:
    """Text that would pass the limit is kept aside; the resident decides what happens to it."""
    draft, _ = turn.started, turn.t.gettext
    await turn.say(
        _(
            "That would make your description {count} characters long; the limit is "
            "{limit}. Keep as much as fits, or send a shorter version instead. Nothing you "
            "wrote is lost until you choose."
        ).format(
            count=turn.t.number(draft.description_length_with_overflow()),
            limit=turn.t.number(MAX_DESCRIPTION),
        ),
        InlineKeyboardMarkup(
            [
                [button(_("✂️ Keep what fits"), "overflow", "keep")],
                [button(_("✍️ I'll send a shorter text"), "overflow", "drop")],
            ]
        ),
    )


async def take_attachment(turn: Turn, attachment: Attachment, caption: str | None) -> None:
    draft, _ = turn.started, turn.t.gettext
    if not draft.add_attachment(attachment):
        await turn.say(
            _("You have already added {limit} files, the most a tip can hold.").format(
                limit=MAX_ATTACHMENTS
            )
        )
        return
    caption = clean_text(caption or "")
    kept_caption = bool(caption) and is_meaningful_text(caption) and draft.add_description(caption)
    await turn.save()
    if draft.overflow is not None:
        await ask_about_overflow(turn)  # the caption did not fit: nothing is dropped silently
    note = _("📎 Received ({count}/{limit}).").format(
        count=len(draft.attachments), limit=MAX_ATTACHMENTS
    )
    if kept_caption:
        note += " " + _("Its caption was added to your description.")
    if draft.step is Step.DESCRIPTION and draft.description:
        await turn.say(note)
        await turn.move_on()
    elif draft.step is Step.ATTACHMENTS:
        await turn.say(note, prompt(Step.ATTACHMENTS, draft, turn.t, turn.runtime.communes)[1])
    elif draft.step is Step.REVIEW:
        await turn.say(note + " " + _("It will be sent with your tip."))
    else:
        # A file sent before its question: kept with the tip, then the current question again.
        await turn.say(note + " " + _("It will be sent with your tip."))
        await turn.ask()


async def take_answer(turn: Turn, step: Step, text: str) -> None:
    _ = turn.t.gettext
    if not is_meaningful_text(text):
        await turn.say(_("Please type it in letters or numbers, or tap <b>Skip</b>."))
        await turn.ask()
        return
    if len(text) > MAX_ANSWER:
        await turn.say(
            _(
                "That is longer than this question needs ({limit} characters at most). "
                "Please send just the numbers or names; you can tell the whole story a little "
                "later."
            ).format(limit=MAX_ANSWER)
        )
        return
    if means_dont_know(text):  # typed instead of tapping Skip
        setattr(turn.started, TEXT_ANSWERS[step], None)
        await turn.move_on(_("Skipped."))
        return
    setattr(turn.started, TEXT_ANSWERS[step], text)
    await turn.move_on(_("Noted: {answer}").format(answer=escape(text)))


async def take_description(turn: Turn, text: str) -> None:
    draft, _ = turn.started, turn.t.gettext
    if not is_meaningful_text(text):
        await turn.say(_("Please describe what happened in words."))
        return
    already_waiting = draft.overflow is not None
    if not draft.add_description(text):
        await turn.save()
        if not already_waiting:  # the rest of one long message Telegram split: asked once
            await ask_about_overflow(turn)
        return
    if draft.step is Step.DESCRIPTION:
        await turn.move_on()
    elif draft.step is Step.REVIEW:
        await turn.save()
        await turn.ask(_("Added to your description."))
    else:
        await turn.save()
        await turn.say(
            _("Added to your description."),
            prompt(Step.ATTACHMENTS, draft, turn.t, turn.runtime.communes)[1],
        )


async def search_commune(turn: Turn, text: str) -> None:
    draft = turn.started
    draft.commune_query = text[:100]
    matches = turn.runtime.communes.search(text) if is_meaningful_text(text) else []
    if len(matches) == 1:
        # The only match is taken (one tap fewer); a button under it changes it.
        draft.commune_code, draft.commune_unknown = matches[0].code, False
        draft.advance()
        await turn.save()
        await turn.say(*place_taken_keyboard(matches[0], turn.t))
        await turn.ask()
        return
    await turn.save()
    reply, markup = commune_results(matches, text[:100], turn.t)
    await turn.say(reply, markup)


async def explain_expected(turn: Turn, message: Message) -> None:
    """A message of the wrong kind for this step: say what is expected, then ask again."""
    _ = turn.t.gettext
    step = turn.started.step
    if step in BUTTON_STEPS:
        hint = _("Please tap one of the buttons below.")
    elif step is Step.LOCATION:
        hint = _("Please send your location with the button below, or tap <b>Skip</b>.")
    elif step is Step.COMMUNE:
        hint = _("Please type part of the name of the commune or ward.")
    elif step in (Step.DESCRIPTION, Step.ATTACHMENTS):
        hint = _("Please send text, a photo, a video, a voice message or a document.")
    else:
        hint = _("Please type your answer, or tap <b>Skip</b>.")
    await turn.say(hint)
    await turn.ask()


PRIVATE = filters.ChatType.PRIVATE
HANDLERS = [
    CommandHandler("report", report_cmd, filters=PRIVATE),
    CallbackQueryHandler(report_cmd, pattern=pattern(Menu, entry=MenuEntry.REPORT)),
    CommandHandler("cancel", cancel_cmd, filters=PRIVATE),
    CallbackQueryHandler(cancel_callback, pattern=pattern(DiscardDraft)),
    CallbackQueryHandler(step_callback, pattern=pattern(IntakeAnswer)),
    MessageHandler(PRIVATE & filters.UpdateType.MESSAGE & ~filters.COMMAND, intake_message),
    # A live location's updates arrive as edits too: those need no answer.
    MessageHandler(
        PRIVATE & filters.UpdateType.EDITED_MESSAGE & ~filters.LOCATION & ~filters.VENUE,
        edited_message,
    ),
]
