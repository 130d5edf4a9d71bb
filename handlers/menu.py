"""/start, /help and the main menu: the first things a resident sees.

Officers and admins get their role's commands on top, in their language; the resident's part
follows, since staff are residents too.
"""

from __future__ import annotations

from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Update
from telegram.ext import CallbackQueryHandler, CommandHandler, filters

from bot.authz import Staff, staff_member
from bot.context import TipbotContext
from bot.i18n import Texts
from handlers.callbacks import Menu, MenuEntry, encode, pattern
from handlers.common import answer_callback, chat_of, message_of, user_of, user_texts

MENU_REPORT = encode(Menu(MenuEntry.REPORT))
MENU_STATUS = encode(Menu(MenuEntry.STATUS))
MENU_HELP = encode(Menu(MenuEntry.HELP))
MENU_LANGUAGE = encode(Menu(MenuEntry.LANGUAGE))
MENU_CHECK = encode(Menu(MenuEntry.CHECK))
MENU_BULLETINS = encode(Menu(MenuEntry.BULLETINS))


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


def officer_help(t: Texts) -> list[str]:
    _ = t.gettext
    return [
        _("<b>Your work as an officer</b>"),
        _(
            "Tips of your communes come here as cards with buttons: acknowledge, ask the "
            "tipster, status, transfer, note. Each answer from a tipster carries the same buttons."
        ),
        _("/queue — open tips of your communes, oldest first"),
        _("/tip <i>code</i> — a tip's card again"),
        _("/mycommunes — your communes and their groups"),
        _("/linkgroup — in your commune's group: its tips go there too (/unlinkgroup stops it)"),
    ]


def admin_help(t: Texts) -> list[str]:
    _ = t.gettext
    return [
        _("<b>Your work as a province admin</b>"),
        _(
            "Tips of communes without an officer, and tips nobody acknowledged in time, come "
            "here as cards with buttons."
        ),
        _("/queue — every open tip · /tip <i>code</i> — a tip's card"),
        _("/invite <i>commune</i> — a one-time link that makes an officer"),
        _("/officers — officers and their communes; revoke"),
        _("/audit <i>code</i> — a tip's history"),
        _("/stats, /export — numbers, chart and CSV of a period"),
        _("/ban <i>code</i> <i>reason</i>, /unban — ban a tip's sender without knowing them"),
        _("/confirmed <i>number or link</i> — withdraw a wrong fraud confirmation"),
        _("/bulletins — the library · /newbulletin — write one"),
        _("/sendnow — pick a bulletin, see it, send · /sendat <i>08:00</i> — the same, later"),
        _("/schedule, /schedules, /broadcasts — regular sends and sends under way"),
    ]


def staff_part(t: Texts, staff: Staff | None) -> str:
    """The role's part of /start and /help, with a heading for the resident's part below."""
    if staff is None:
        return ""
    lines = admin_help(t) if staff.is_admin else officer_help(t)
    return "\n".join([*lines, "", t.gettext("<b>Like every resident, you can also:</b>")])


async def start_cmd(update: Update, context: TipbotContext) -> None:
    t = await user_texts(update, context)
    staff = await staff_member(context.runtime, user_of(update).id)
    welcome = welcome_text(t, context.runtime.province_name)
    await message_of(update).reply_text(
        "\n\n".join(filter(None, [staff_part(t, staff), welcome])), reply_markup=main_menu(t)
    )


async def help_cmd(update: Update, context: TipbotContext) -> None:
    await answer_callback(update)
    t = await user_texts(update, context)
    staff = await staff_member(context.runtime, user_of(update).id)
    await context.bot.send_message(
        chat_of(update).id,
        "\n\n".join(filter(None, [staff_part(t, staff), help_text(t)])),
        reply_markup=main_menu(t),
    )


async def not_understood(update: Update, context: TipbotContext) -> None:
    """A message outside any flow that the bot has no use for."""
    t = await user_texts(update, context)
    text = t.gettext("I didn't understand that. Please tap a button below or send /help.")
    if message_of(update).text:
        # Perhaps an answer to an officer's question that could not be matched to it.
        text += "\n\n" + t.gettext(
            "To answer the officers' question about your tip, reply to that question: swipe "
            "it to the left, or tap it and choose ↩️ <b>Reply</b>, then send your answer."
        )
    await message_of(update).reply_text(text, reply_markup=main_menu(t))


HANDLERS = [
    CommandHandler("start", start_cmd, filters=filters.ChatType.PRIVATE),
    CommandHandler("help", help_cmd, filters=filters.ChatType.PRIVATE),
    CallbackQueryHandler(help_cmd, pattern=pattern(Menu, entry=MenuEntry.HELP)),
]
