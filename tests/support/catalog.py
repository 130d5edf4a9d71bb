"""What a person reads for an English msgid, from the compiled catalog: tests that match the bot's
words this way follow a wording fix instead of breaking on it."""

from __future__ import annotations

import html
import re

from bot.i18n import Texts, texts

_PLACEHOLDER = re.compile(r"\{[^}]*\}")


def plain(text_html: str) -> str:
    """The text as the chat shows it: tags gone, entities read."""
    return html.unescape(re.sub(r"<[^>]+>", "", text_html))


def said(language: str | Texts, msgid: str, **values: object) -> str:
    """The translation of `msgid` as shown: filled with `values` when given, else its longest
    literal part (the placeholders are filled at run time)."""
    t = texts(language) if isinstance(language, str) else language
    translated = t.gettext(msgid)
    if values:
        return plain(translated.format(**values))
    return max(_PLACEHOLDER.split(plain(translated)), key=len).strip()


def vi(msgid: str, **values: object) -> str:
    """The current Vietnamese of `msgid`, as `said` gives it."""
    return said("vi", msgid, **values)
