"""Which language to speak to a user: their choice (by pseudonym), else Telegram's hint."""

from __future__ import annotations

from bot.i18n import LANGUAGES, language_for
from bot.runtime import Runtime
from storage import residents

CACHE_SIZE = 50_000  # residents remembered in memory; beyond, the cache starts again


async def language_of(runtime: Runtime, user_id: int, telegram_language_code: str | None) -> str:
    pseudonym = runtime.pseudonym_of(user_id)
    if pseudonym in runtime.languages:
        chosen = runtime.languages[pseudonym]
    else:
        chosen = await residents.get_language(runtime.db, pseudonym)
        if len(runtime.languages) >= CACHE_SIZE:
            runtime.languages.clear()
        runtime.languages[pseudonym] = chosen
    if chosen in LANGUAGES:
        return chosen
    return language_for(telegram_language_code, runtime.config.default_language)


async def choose_language(runtime: Runtime, user_id: int, language: str) -> None:
    if language not in LANGUAGES:
        raise ValueError(f"unsupported language {language!r}")
    pseudonym = runtime.pseudonym_of(user_id)
    await residents.set_language(runtime.db, pseudonym, language)
    runtime.languages[pseudonym] = language
