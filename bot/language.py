"""Which language to speak to a user: their choice (by pseudonym), else Telegram's hint."""

from __future__ import annotations

from bot.i18n import LANGUAGES, language_for
from bot.runtime import Runtime
from storage import residents


async def language_of(runtime: Runtime, user_id: int, telegram_language_code: str | None) -> str:
    chosen = await residents.get_language(runtime.db, runtime.pseudonym_of(user_id))
    if chosen in LANGUAGES:
        return chosen
    return language_for(telegram_language_code, runtime.config.default_language)


async def choose_language(runtime: Runtime, user_id: int, language: str) -> None:
    if language not in LANGUAGES:
        raise ValueError(f"unsupported language {language!r}")
    await residents.set_language(runtime.db, runtime.pseudonym_of(user_id), language)
