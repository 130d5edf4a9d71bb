"""An officer's desk: /queue (my open tips), /tip <code> (a card again), /audit <code> (admins)."""

from __future__ import annotations

from html import escape

from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Update
from telegram.ext import CommandHandler, filters

from bot import categories, desk
from bot.authz import Role, Staff
from bot.context import TipbotContext
from bot.desk import OpenTip
from bot.i18n import N_, Texts
from bot.receipts import normalize_tip_code
from bot.tip_facts import Tip, TipStatus
from handlers.access import staff_only, tip_staff_or_refuse
from handlers.callbacks import TipAction
from handlers.common import chat_of, fit_lines, message_of, user_texts
from handlers.officer import show_card
from handlers.officer_views import data

QUEUE_LIMIT = 20
ACTION_LABELS = {
    "tip.acknowledge": N_("acknowledged"),
    "tip.question": N_("asked the tipster"),
    "tip.answer_relayed": N_("answer from the tipster relayed"),
    "tip.note": N_("added a note"),
    "tip.status": N_("changed the status"),
    "tip.reply": N_("replied to the tipster"),
    "tip.transfer": N_("transferred"),
    "tip.remind": N_("reminder sent"),
    "tip.escalate": N_("escalated to the province"),
    "tip.show": N_("opened the card"),
}


def overdue(runtime, tip: OpenTip) -> bool:
    """Past the reminder deadline and still not acknowledged."""
    config = runtime.config
    limit = config.urgent_remind_minutes * 60 if tip.urgent else config.remind_hours * 3600
    return tip.status == TipStatus.NEW and runtime.now() - tip.routed_at > limit


@staff_only(Role.OFFICER, "tip.queue")
async def queue_cmd(update: Update, context: TipbotContext, staff: Staff) -> None:
    runtime = context.runtime
    t = await user_texts(update, context)
    _ = t.gettext
    open_tips, total = await desk.open_tips(runtime, staff, limit=QUEUE_LIMIT)
    if not open_tips:
        await message_of(update).reply_text(_("No open tips. 👍"))
        return
    lines = [_("<b>Open tips, oldest first</b> ({total})").format(total=t.number(total))]
    rows = []
    for tip in open_tips:
        lines.append(queue_line(runtime, t, tip))
        rows.append([InlineKeyboardButton(tip.code, callback_data=data(TipAction.SHOW, tip.id))])
    if total > len(open_tips):
        lines.append(_("…and {count} more.").format(count=t.number(total - len(open_tips))))
    await message_of(update).reply_text("\n".join(lines), reply_markup=InlineKeyboardMarkup(rows))


def queue_line(runtime, t: Texts, tip: OpenTip) -> str:
    _ = t.gettext
    marks = ("🚨" if tip.urgent else "") + ("⏰" if overdue(runtime, tip) else "")
    commune = runtime.communes.name(tip.commune_code) if tip.commune_code else _("province queue")
    age = t.datetime_from_timestamp(tip.routed_at, runtime.config.timezone)
    category = _(categories.label_of(tip.category))
    return f"{marks}<code>{tip.code}</code> · {category} · {escape(commune)} · {age}"


async def tip_from_args(update: Update, context: TipbotContext, t: Texts) -> Tip | None:
    code = normalize_tip_code(" ".join(context.args or []))
    tip = await desk.tip_by_code(context.runtime, code) if code else None
    if tip is None:
        await message_of(update).reply_text(
            t.gettext("Send the command with a tip code, for example <code>/tip T-7K3Q9X</code>.")
            if code is None
            else t.gettext("No tip has the code {code}.").format(code=escape(code))
        )
    return tip


async def tip_cmd(update: Update, context: TipbotContext) -> None:
    t = await user_texts(update, context)
    tip = await tip_from_args(update, context, t)
    if tip is None:
        return
    if await tip_staff_or_refuse(update, context, tip, "tip.show") is None:
        return
    await show_card(context, chat_of(update).id, t, tip)


@staff_only(Role.ADMIN, "tip.audit")
async def audit_cmd(update: Update, context: TipbotContext, staff: Staff) -> None:
    runtime = context.runtime
    t = await user_texts(update, context)
    _ = t.gettext
    tip = await tip_from_args(update, context, t)
    if tip is None:
        return
    entries = await desk.history(runtime, tip)
    lines = [_("<b>History of {code}</b>").format(code=tip.code)]
    for entry in entries:
        who = entry.actor if entry.actor is not None else _("the bot")
        when = t.datetime_from_timestamp(entry.created_at, runtime.config.timezone)
        if entry.action in ACTION_LABELS:
            what = _(ACTION_LABELS[entry.action])
        elif entry.action.startswith("denied."):
            what = _("refused: {action}").format(
                action=escape(entry.action.removeprefix("denied."))
            )
        else:
            what = escape(entry.action)
        lines.append(f"{when} · {escape(who)} · {what}")
    if len(entries) == 0:
        lines.append(_("Nothing recorded yet."))
    await message_of(update).reply_text(fit_lines(lines, _("…and {count} more.")))


# Private chats only: a card typed up in a group would show the tip (and any shared phone
# number) to everyone there.
HANDLERS = [
    CommandHandler("queue", queue_cmd, filters=filters.ChatType.PRIVATE),
    CommandHandler("tip", tip_cmd, filters=filters.ChatType.PRIVATE),
    CommandHandler("audit", audit_cmd, filters=filters.ChatType.PRIVATE),
]
