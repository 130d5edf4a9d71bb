"""/language: the resident picks Vietnamese or English; remembered by pseudonym."""

from __future__ import annotations

from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Update
from telegram.ext import CallbackQueryHandler, CommandHandler

from bot.context import TipbotContext
from bot.i18n import LANGUAGES, texts
from bot.language import choose_language
from handlers.callbacks import ChooseLanguage, Menu, MenuEntry, encode, pattern, received
from handlers.common import (
    answer_callback,
    edit_callback_message,
    message_of,
    user_of,
    user_texts,
)
from handlers.menu import main_menu

# Each language is named in itself, so a reader of either finds theirs.
LANGUAGE_NAMES = {"vi": "🇻🇳 Tiếng Việt", "en": "🇬🇧 English"}


def language_keyboard() -> InlineKeyboardMarkup:
    return InlineKeyboardMarkup(
        [
            [InlineKeyboardButton(LANGUAGE_NAMES[lang], callback_data=encode(ChooseLanguage(lang)))]
            for lang in LANGUAGES
        ]
    )


async def language_cmd(update: Update, context: TipbotContext) -> None:
    t = await user_texts(update, context)
    await message_of(update).reply_text(
        t.gettext("Choose your language:"), reply_markup=language_keyboard()
    )


async def language_menu_callback(update: Update, context: TipbotContext) -> None:
    await answer_callback(update)
    await language_cmd(update, context)


async def language_chosen_callback(update: Update, context: TipbotContext) -> None:
    language = received(update, ChooseLanguage).language
    await choose_language(context.runtime, user_of(update).id, language)
    t = texts(language)
    await answer_callback(update, t.gettext("Language saved."))
    await edit_callback_message(
        update,
        t.gettext("✅ Language set: {language}.").format(language=LANGUAGE_NAMES[language]),
        reply_markup=main_menu(t),
    )


HANDLERS = [
    CommandHandler("language", language_cmd),
    CallbackQueryHandler(language_menu_callback, pattern=pattern(Menu, entry=MenuEntry.LANGUAGE)),
    CallbackQueryHandler(language_chosen_callback, pattern=pattern(ChooseLanguage)),
]
