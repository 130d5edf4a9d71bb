"""/status <receipt>: any account can check a tip with its receipt; guesses are throttled."""

from __future__ import annotations

from html import escape

from telegram import Update
from telegram.ext import CallbackQueryHandler, CommandHandler, filters

from bot import submission
from bot.context import TipbotContext
from bot.i18n import N_, Texts
from handlers.common import answer_callback, fit_lines, user_texts
from handlers.locks import resident_lock
from handlers.menu import MENU_STATUS, main_menu

STATUS_NAMES = {
    "new": N_("received, waiting for the officers"),
    "acknowledged": N_("officers have received it"),
    "investigating": N_("officers are looking into it"),
    "resolved": N_("resolved"),
    "not_actionable": N_("closed: the police could not act on it"),
}

THREAD_LABELS = {
    "question": N_("❓ Officers asked"),
    "reply": N_("📣 Officers replied"),
    "answer": N_("💬 You answered"),
}


async def status_cmd(update: Update, context: TipbotContext) -> None:
    await answer_callback(update)
    t = await user_texts(update, context)
    chat_id = update.effective_chat.id
    receipt_text = " ".join(context.args or []) if update.message else ""
    if not receipt_text.strip():
        await context.bot.send_message(chat_id, ask_receipt_text(t))
        return
    runtime = context.runtime
    pseudonym = runtime.pseudonym_of(update.effective_user.id)
    # One guess at a time per resident: concurrent guesses must not slip past the limit.
    async with resident_lock(f"status:{pseudonym}"):
        result = await submission.status_for_receipt(runtime, pseudonym, receipt_text)
    if isinstance(result, submission.StatusView):
        await context.bot.send_message(chat_id, status_text(t, result, runtime.config.timezone))
        return
    _ = t.gettext
    replies = {
        "throttled": _(
            "Too many wrong receipts. For your safety, please wait an hour before trying again."
        ),
        "malformed": _(
            "That doesn't look like a receipt. A receipt has 20 letters and digits in groups of "
            "four, like <code>/status 7K3Q-9XWD-…</code>."
        ),
        "unknown": _("No tip has this receipt. Please check it and try again."),
    }
    await context.bot.send_message(chat_id, replies[result], reply_markup=main_menu(t))


def ask_receipt_text(t: Texts) -> str:
    return t.gettext(
        "Send <code>/status</code> followed by the receipt you got when you sent your tip, "
        "for example <code>/status 7K3Q-9XWD-M2PA-4RTE-8HJN</code>."
    )


def status_text(t: Texts, view: submission.StatusView, tz) -> str:
    _ = t.gettext
    tip = view.tip
    lines = [
        _("<b>Tip {code}</b>").format(code=tip.code),
        _("Status: {status}").format(status=_(STATUS_NAMES.get(tip.status, tip.status))),
        _("Last change: {when}").format(when=t.datetime_from_timestamp(view.last_change, tz)),
    ]
    if view.replies:
        lines += ["", _("<b>Messages about this tip, newest first:</b>")]
        for reply in reversed(view.replies):
            when = t.datetime_from_timestamp(reply.created_at, tz)
            who = _(THREAD_LABELS.get(reply.kind, THREAD_LABELS["reply"]))
            lines.append(f"• <i>{when}</i> {who}: {escape(reply.body)}")
    return fit_lines(lines, _("…and {count} earlier replies."))


HANDLERS = [
    CommandHandler("status", status_cmd, filters=filters.ChatType.PRIVATE),
    CallbackQueryHandler(status_cmd, pattern=f"^{MENU_STATUS}$"),
]
