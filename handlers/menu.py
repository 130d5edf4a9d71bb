"""/start, /help and the main menu: the first things a resident sees."""

from __future__ import annotations

from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Update
from telegram.ext import CallbackQueryHandler, CommandHandler, filters

from bot.context import TipbotContext
from bot.i18n import Texts
from handlers.common import answer_callback, user_texts

MENU_REPORT = "menu:report"
MENU_STATUS = "menu:status"
MENU_HELP = "menu:help"
MENU_LANGUAGE = "menu:language"
MENU_CHECK = "menu:check"
MENU_BULLETINS = "menu:bulletins"


def main_menu(t: Texts) -> InlineKeyboardMarkup:
    _ = t.gettext
    return InlineKeyboardMarkup(
        [
            [InlineKeyboardButton(_("📝 Send a tip"), callback_data=MENU_REPORT)],
            [InlineKeyboardButton(_("🛡 Check a number or link"), callback_data=MENU_CHECK)],
            [InlineKeyboardButton(_("🔎 Check my tip"), callback_data=MENU_STATUS)],
            [InlineKeyboardButton(_("📬 Bulletins"), callback_data=MENU_BULLETINS)],
            [
                InlineKeyboardButton(_("🌐 Language"), callback_data=MENU_LANGUAGE),
                InlineKeyboardButton(_("❓ Help"), callback_data=MENU_HELP),
            ],
        ]
    )


def welcome_text(t: Texts, province_name: str) -> str:
    _ = t.gettext
    return "\n\n".join(
        [
            _("<b>Report to the police — safely and anonymously.</b>"),
            _(
                "Here you can report crime, forest violations and online fraud in {province} to "
                "the police of the commune or ward where it happened. Officers don't see who you "
                "are unless you choose to tell them."
            ).format(province=province_name),
            _("In an emergency, call <b>113</b> right away."),
        ]
    )


def help_text(t: Texts) -> str:
    _ = t.gettext
    return "\n".join(
        [
            _("<b>How to use this bot</b>"),
            "",
            _("/report — send a tip to the police of the commune where it happened"),
            _("/status — check a tip you sent, with its receipt"),
            _("/check — is a phone number, account or link known for fraud?"),
            _("/subscribe — short legal-awareness bulletins from the police"),
            _("/language — choose Vietnamese or English"),
            _("/cancel — stop what you are doing"),
            _("/start — the main menu"),
            "",
            _(
                "Your tips are anonymous: the bot keeps no name, username or phone number with "
                "them (unless you choose to share your number), and officers only see the tip."
            ),
            _("Police: 113 · Fire and rescue: 114 · Ambulance: 115"),
        ]
    )


async def start_cmd(update: Update, context: TipbotContext) -> None:
    t = await user_texts(update, context)
    await update.effective_message.reply_text(
        welcome_text(t, context.runtime.province_name), reply_markup=main_menu(t)
    )


async def help_cmd(update: Update, context: TipbotContext) -> None:
    await answer_callback(update)
    t = await user_texts(update, context)
    await context.bot.send_message(
        update.effective_chat.id, help_text(t), reply_markup=main_menu(t)
    )


async def not_understood(update: Update, context: TipbotContext) -> None:
    """A message outside any flow that the bot has no use for."""
    t = await user_texts(update, context)
    text = t.gettext("I didn't understand that. Please tap a button below or send /help.")
    if update.effective_message.text:
        # Perhaps an answer to an officer's question that could not be matched to it.
        text += "\n\n" + t.gettext(
            "To answer the officers' question about your tip, reply to that question: swipe "
            "it to the left, or tap it and choose ↩️ <b>Reply</b>, then send your answer."
        )
    await update.effective_message.reply_text(text, reply_markup=main_menu(t))


HANDLERS = [
    CommandHandler("start", start_cmd, filters=filters.ChatType.PRIVATE),
    CommandHandler("help", help_cmd, filters=filters.ChatType.PRIVATE),
    CallbackQueryHandler(help_cmd, pattern=f"^{MENU_HELP}$"),
]
