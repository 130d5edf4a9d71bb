"""Translations and locale-aware formatting.

Source strings are English and go through gettext; Vietnamese is the first language of the
product and its catalog must be complete (tests/bot/test_i18n.py fails otherwise). Placeholders
are named, `{code}`, and filled with `str.format` after translation so translators can move them.

Usage in a handler:  `_ = texts(lang).gettext` then `_("Send a tip")`.
Strings defined at import time are marked with `N_()` and translated where they are shown.
"""

from __future__ import annotations

import gettext
from dataclasses import dataclass
from datetime import UTC, datetime, tzinfo
from functools import cache
from pathlib import Path
from zoneinfo import ZoneInfo

from babel.dates import format_datetime as babel_format_datetime
from babel.numbers import format_decimal

DOMAIN = "tipbot"
# A built wheel carries the compiled catalogs and the bulletin library inside the package
# (setup.py); a checkout has them in locales/ beside bot/.
_PACKAGED_LOCALES = Path(__file__).resolve().parent / "locales"
LOCALES_DIR = (
    _PACKAGED_LOCALES if _PACKAGED_LOCALES.is_dir() else _PACKAGED_LOCALES.parent.parent / "locales"
)
LANGUAGES = ("vi", "en")
# Full years and 24-hour clocks: these times go into reports and must not be misread.
DATETIME_PATTERNS = {"vi": "HH:mm dd/MM/yyyy", "en": "d MMM yyyy, HH:mm"}
DATE_PATTERNS = {"vi": "dd/MM/yyyy", "en": "d MMM yyyy"}


def N_(message: str) -> str:
    """Marks a string for extraction without translating it yet."""
    return message


def language_for(telegram_language_code: str | None, default: str = "vi") -> str:
    """Telegram's `language_code` to one of ours: Vietnamese speakers get vi, others en."""
    if not telegram_language_code:
        return default
    return "vi" if telegram_language_code.lower().startswith("vi") else "en"


@dataclass(frozen=True)
class Texts:
    """Everything a reply needs to speak one language: gettext and babel formatting."""

    language: str
    translations: gettext.NullTranslations

    def gettext(self, message: str) -> str:
        return self.translations.gettext(message)

    def ngettext(self, singular: str, plural: str, n: int) -> str:
        return self.translations.ngettext(singular, plural, n)

    def number(self, value: int | float) -> str:
        return format_decimal(value, locale=self.language)

    def datetime(self, moment: datetime, tz: tzinfo | None) -> str:
        """A moment in the province's time zone: '14:05 27/11/2026' (vi), '27 Nov 2026, 14:05'."""
        pattern = DATETIME_PATTERNS.get(self.language, DATETIME_PATTERNS["en"])
        return babel_format_datetime(moment, format=pattern, tzinfo=tz, locale=self.language)

    def datetime_from_timestamp(self, seconds: int, tz: ZoneInfo) -> str:
        return self.datetime(datetime.fromtimestamp(seconds, UTC), tz)

    def date_from_timestamp(self, seconds: int, tz: ZoneInfo) -> str:
        """A day in the province's time zone: '12/11/2026' in vi, '12 Nov 2026' in en."""
        pattern = DATE_PATTERNS.get(self.language, DATE_PATTERNS["en"])
        moment = datetime.fromtimestamp(seconds, UTC)
        return babel_format_datetime(moment, format=pattern, tzinfo=tz, locale=self.language)


@cache
def texts(language: str) -> Texts:
    if language not in LANGUAGES:
        language = LANGUAGES[0]
    # fallback=True: English reads the msgids themselves when no catalog is compiled.
    translations = gettext.translation(
        DOMAIN, localedir=LOCALES_DIR, languages=[language], fallback=language == "en"
    )
    return Texts(language, translations)
