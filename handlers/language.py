"""/language: the resident picks Vietnamese or English; remembered by pseudonym."""

from __future__ import annotations

from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Update
from telegram.ext import CallbackQueryHandler, CommandHandler

from bot.context import TipbotContext
from bot.i18n import LANGUAGES, texts
from bot.language import choose_language
from handlers.common import (
    answer_callback,
    callback_data,
    edit_callback_message,
    message_of,
    user_of,
    user_texts,
)
from handlers.menu import MENU_LANGUAGE, main_menu

LANGUAGE_PREFIX = "lang:"
# Each language is named in itself, so a reader of either finds theirs.
LANGUAGE_NAMES = {"vi": "🇻🇳 Tiếng Việt", "en": "🇬🇧 English"}


def language_keyboard() -> InlineKeyboardMarkup:
    return InlineKeyboardMarkup(
        [
            [InlineKeyboardButton(LANGUAGE_NAMES[lang], callback_data=LANGUAGE_PREFIX + lang)]
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
    language = callback_data(update).removeprefix(LANGUAGE_PREFIX)
    if language not in LANGUAGES:  # forged or stale data: nothing to change
        await answer_callback(update)
        return
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
    CallbackQueryHandler(language_menu_callback, pattern=f"^{MENU_LANGUAGE}$"),
    CallbackQueryHandler(language_chosen_callback, pattern=f"^{LANGUAGE_PREFIX}"),
]
