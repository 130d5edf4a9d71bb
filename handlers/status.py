"""/status <receipt>: any account can check a tip with its receipt; guesses are throttled.

The receipt message carries a button that opens its tip's status in one tap: the button holds
the receipt, which Telegram already keeps in that chat in the receipt's text; the bot stores it
nowhere (only its slow hash, as always).
"""

from __future__ import annotations

from html import escape
from zoneinfo import ZoneInfo

from telegram import InlineKeyboardButton, Update
from telegram.ext import CallbackQueryHandler, CommandHandler, filters

from bot import categories, submission
from bot.context import TipbotContext
from bot.i18n import N_, Texts
from bot.receipts import normalize_receipt, normalize_tip_code
from bot.refusals import Reason
from bot.tip_facts import Tip, TipStatus
from handlers.callbacks import Menu, MenuEntry, ReceiptStatus, encode, pattern, tapped_as
from handlers.common import answer_callback, chat_of, fit_lines, user_of, user_texts
from handlers.locks import resident_lock
from handlers.menu import main_menu


def status_button(t: Texts, receipt: str) -> InlineKeyboardButton:
    return InlineKeyboardButton(
        t.gettext("🔎 Status of this tip"), callback_data=encode(ReceiptStatus(receipt))
    )


STATUS_NAMES = {
    TipStatus.NEW: N_("received, waiting for the officers"),
    TipStatus.ACKNOWLEDGED: N_("officers have received it"),
    TipStatus.INVESTIGATING: N_("officers are looking into it"),
    TipStatus.RESOLVED: N_("resolved"),
    TipStatus.NOT_ACTIONABLE: N_("closed: the police could not act on it"),
}

THREAD_LABELS = {
    "question": N_("❓ Officers asked"),
    "reply": N_("📣 Officers replied"),
    "answer": N_("💬 You answered"),
}


async def status_cmd(update: Update, context: TipbotContext) -> None:
    await answer_callback(update)
    t = await user_texts(update, context)
    chat_id = chat_of(update).id
    receipt_text = " ".join(context.args or []) if update.message else ""
    if (button := tapped_as(update, ReceiptStatus)) is not None:
        receipt_text = button.receipt
    if not receipt_text.strip():
        shortcut = t.gettext(
            "Or simply tap <b>🔎 Status of this tip</b> under the message with your receipt."
        )
        await context.bot.send_message(chat_id, f"{ask_receipt_text(t)}\n\n{shortcut}")
        return
    if normalize_receipt(receipt_text) is None and (code := normalize_tip_code(receipt_text)):
        # The tip code, not the receipt: a common mix-up, not a guess (nothing counted).
        await context.bot.send_message(chat_id, tip_code_given_text(t, code))
        return
    runtime = context.runtime
    pseudonym = runtime.pseudonym_of(user_of(update).id)
    # One guess at a time per resident: concurrent guesses must not slip past the limit.
    async with resident_lock(f"status:{pseudonym}"):
        result = await submission.status_for_receipt(runtime, pseudonym, receipt_text)
    if isinstance(result, submission.StatusView):
        await context.bot.send_message(chat_id, status_text(t, result, runtime.config.timezone))
        return
    _ = t.gettext
    replies = {
        Reason.THROTTLED: _(
            "Too many wrong receipts. For your safety, please wait an hour before trying again."
        ),
        Reason.MALFORMED: _(
            "That doesn't look like a receipt. A receipt has 20 letters and digits in groups of "
            "four, like <code>/status 7K3Q-9XWD-…</code>."
        ),
        Reason.UNKNOWN: _("No tip has this receipt. Please check it and try again."),
    }
    await context.bot.send_message(chat_id, replies[result.reason], reply_markup=main_menu(t))


def tip_label(tip: Tip, t: Texts, tz: ZoneInfo) -> str:
    """A tip as the resident recognises it: its code, kind and the day it was sent."""
    _ = t.gettext
    category = categories.get(tip.category)
    kind = categories.kind_label(tip.category, tip.kind) or (category.label if category else None)
    what = _(kind) if kind else tip.category
    when = t.date_from_timestamp(tip.created_at, tz)
    return f"<code>{tip.code}</code> ({escape(what)}, {when})"


def tip_code_given_text(t: Texts, code: str) -> str:
    return t.gettext(
        "<code>{code}</code> is your tip's <b>code</b>: officers use it to name the tip. To "
        "check the tip, /status needs its <b>receipt</b> — the longer code of 20 letters and "
        "digits in the same message, like <code>/status 7K3Q-9XWD-M2PA-4RTE-8HJN</code>. Or "
        "just tap <b>🔎 Status of this tip</b> under that message."
    ).format(code=code)


def ask_receipt_text(t: Texts) -> str:
    return t.gettext(
        "Send <code>/status</code> followed by the receipt you got when you sent your tip, "
        "for example <code>/status 7K3Q-9XWD-M2PA-4RTE-8HJN</code>."
    )


def status_text(t: Texts, view: submission.StatusView, tz: ZoneInfo) -> str:
    """The tip, its status and its whole conversation: the officers' questions and public
    replies, and the resident's answers (never the officers' internal notes)."""
    _ = t.gettext
    tip = view.tip
    lines = [
        _("<b>Tip {tip}</b>").format(tip=tip_label(tip, t, tz)),
        _("Status: {status}").format(status=_(STATUS_NAMES.get(tip.status, tip.status))),
        _("Last change: {when}").format(when=t.datetime_from_timestamp(view.last_change, tz)),
    ]
    if view.replies:
        lines += ["", _("<b>The conversation, newest first:</b>")]
        for message in reversed(view.replies):
            when = t.datetime_from_timestamp(message.created_at, tz)
            who = _(THREAD_LABELS.get(message.kind, THREAD_LABELS["reply"]))
            lines.append(f"• <i>{when}</i> — {who}: {escape(message.body)}")
    return fit_lines(lines, _("…and {count} earlier messages."))


HANDLERS = [
    CommandHandler("status", status_cmd, filters=filters.ChatType.PRIVATE),
    CallbackQueryHandler(status_cmd, pattern=pattern(Menu, entry=MenuEntry.STATUS)),
    CallbackQueryHandler(status_cmd, pattern=pattern(ReceiptStatus)),
]
