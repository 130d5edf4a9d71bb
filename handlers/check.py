"""/check: a resident asks whether a phone number, bank account or link is known from fraud
reports; admins withdraw a wrong confirmation with /confirmed."""

from __future__ import annotations

from html import escape

from telegram import ForceReply, InlineKeyboardButton, InlineKeyboardMarkup, Update
from telegram.ext import CallbackQueryHandler, CommandHandler, filters

from bot import categories, fraud_check, inputs
from bot.authz import Role, Staff
from bot.context import TipbotContext
from bot.i18n import N_, Texts
from bot.refusals import Refused
from handlers.access import staff_only
from handlers.callbacks import Menu, MenuEntry, WithdrawConfirmation, encode, pattern, received
from handlers.common import (
    answer_callback,
    chat_of,
    message_of,
    query_of,
    user_of,
    user_texts,
)
from handlers.menu import MENU_CHECK, MENU_REPORT

PENDING_TTL = 3600

ADVICE = N_(
    "Never transfer money, share an OTP or install an app because of a call or message, however "
    "official it looks. Police never ask for money by phone. If you have already transferred "
    "money, call your bank at once, then <b>113</b>."
)


async def check_cmd(update: Update, context: TipbotContext) -> None:
    await answer_callback(update)
    text = " ".join(context.args or []) if update.message else ""
    if text.strip():
        await answer_check(update, context, text)
        return
    t = await user_texts(update, context)
    pseudonym = context.runtime.pseudonym_of(user_of(update).id)
    await inputs.expect_from_resident(
        context.runtime, pseudonym, "check", prompt=None, ttl=PENDING_TTL
    )
    prompt = await context.bot.send_message(
        chat_of(update).id,
        t.gettext(
            "Send the phone number, bank account or link you want to check, for example "
            "<code>0912 345 678</code> or <code>example.vn</code>."
        ),
        reply_markup=ForceReply(input_field_placeholder="0912 345 678"),
    )
    await inputs.expect_from_resident(
        context.runtime, pseudonym, "check", prompt=prompt.message_id, ttl=PENDING_TTL
    )


async def answer_check(update: Update, context: TipbotContext, text: str) -> None:
    runtime = context.runtime
    t = await user_texts(update, context)
    pseudonym = runtime.pseudonym_of(user_of(update).id)
    result = await fraud_check.check(runtime, pseudonym, text)
    if isinstance(result, Refused):  # Reason.THROTTLED
        reply = t.gettext("You have checked many times this hour. Please try again later.")
    else:
        reply = check_text(t, result, runtime.config.timezone)
    keyboard = InlineKeyboardMarkup(
        [
            [InlineKeyboardButton(t.gettext("📝 Report a scam"), callback_data=MENU_REPORT)],
            [InlineKeyboardButton(t.gettext("🛡 Check another"), callback_data=MENU_CHECK)],
        ]
    )
    await context.bot.send_message(chat_of(update).id, reply, reply_markup=keyboard)


def check_text(t: Texts, result: fraud_check.CheckResult, tz) -> str:
    _ = t.gettext
    if result.outcome == "invalid":
        return _(
            "That doesn't look like a phone number, bank account or link. Please send just the "
            "number or the link."
        )
    checked = ", ".join(f"<code>{escape(c)}</code>" for c in result.checked)
    if result.outcome == "confirmed" and result.last_confirmed_at is not None:
        kinds = ", ".join(_(categories.confirmed_kind_label(k)) for k in result.scam_kinds)
        lines = [
            _("⚠️ <b>Warning: {checked} was confirmed by the police as used in fraud.</b>").format(
                checked=checked
            ),
            _("Confirmed in {count} reports, most recently on {when}.").format(
                count=t.number(result.confirmations),
                when=t.date_from_timestamp(result.last_confirmed_at, tz),
            ),
        ]
        if kinds:
            lines.append(_("Kind of scam: {kinds}.").format(kinds=kinds))
        lines += ["", _("Do not pay, and do not answer them.")]
    elif result.outcome == "reported":
        lines = [
            _(
                "ℹ️ {checked} has been mentioned in {count} reports from residents, but the police "
                "have not confirmed it. That is not proof of fraud, but please be careful."
            ).format(checked=checked, count=t.number(result.reports))
        ]
    else:
        lines = [
            _(
                "We have no reports about {checked}. That does not mean it is safe: scammers "
                "change numbers and links often."
            ).format(checked=checked)
        ]
    return "\n".join([*lines, "", _(ADVICE)])


@staff_only(Role.ADMIN, "indicator.list")
async def confirmed_cmd(update: Update, context: TipbotContext, staff: Staff) -> None:
    """Admins see the confirmations of a number or link, each with a button to withdraw it."""
    runtime = context.runtime
    t = await user_texts(update, context)
    _ = t.gettext
    found = await fraud_check.confirmations_matching(runtime, " ".join(context.args or []))
    if not found:
        await message_of(update).reply_text(
            _("No confirmed report matches. Send <code>/confirmed</code> with a number or link.")
        )
        return
    rows = [
        [
            InlineKeyboardButton(
                _("Withdraw {code}: {value}").format(code=c.tip_code, value=c.display[:30]),
                callback_data=encode(WithdrawConfirmation(c.id)),
            )
        ]
        for c in found
    ]
    await message_of(update).reply_text(
        _("Confirmed reports ({count}). Withdraw one only if it was confirmed by mistake.").format(
            count=len(found)
        ),
        reply_markup=InlineKeyboardMarkup(rows),
    )


@staff_only(Role.ADMIN, "indicator.withdraw")
async def withdraw_callback(update: Update, context: TipbotContext, staff: Staff) -> None:
    runtime = context.runtime
    t = await user_texts(update, context)
    query = query_of(update)
    confirmation_id = received(update, WithdrawConfirmation).confirmation_id
    if not await fraud_check.withdraw(runtime, staff, confirmation_id):
        await answer_callback(update, t.gettext("Already withdrawn."))
        return
    await answer_callback(update, t.gettext("Withdrawn. /check no longer warns about it."))
    await query.edit_message_reply_markup(None)


HANDLERS = [
    CommandHandler("check", check_cmd, filters=filters.ChatType.PRIVATE),
    CallbackQueryHandler(check_cmd, pattern=pattern(Menu, entry=MenuEntry.CHECK)),
    CommandHandler("confirmed", confirmed_cmd, filters=filters.ChatType.PRIVATE),
    CallbackQueryHandler(withdraw_callback, pattern=pattern(WithdrawConfirmation)),
]
