"""The one way the bot cleans what a person typed before it reads or stores it: /check, the tip's
answers and descriptions, officers' texts, receipts and tip codes all go through `normalize_text`,
so a number or link pasted with invisible characters is the same number or link everywhere.

NFKC folds what some keyboards type (full-width digits and punctuation: "０９１２", "．"). Then
invisible characters are removed — not turned into spaces, which would cut
"exam\u200bple-scam.vn" into two words: format characters (zero-width space and joiner, soft
hyphen, byte order mark, bidirectional controls), variation selectors, the combining grapheme
joiner and the Hangul fillers that render as nothing.
"""

from __future__ import annotations

import unicodedata

_INVISIBLE_MARKS = frozenset("\u034f\u115f\u1160\u3164\uffa0")  # CGJ, Hangul fillers


def is_invisible(char: str) -> bool:
    code = ord(char)
    return (
        unicodedata.category(char) == "Cf"
        or 0xFE00 <= code <= 0xFE0F  # variation selectors
        or 0xE0100 <= code <= 0xE01EF  # variation selectors supplement
        or char in _INVISIBLE_MARKS
    )


def normalize_text(text: str) -> str:
    """NFKC, with invisible characters removed (see the module's doc). Line breaks and other
    whitespace are kept; callers that want one line collapse them."""
    return unicodedata.normalize("NFKC", "".join(c for c in text if not is_invisible(c)))


def plain_name(text: str | None) -> str | None:
    """A name someone chose (an officer's Telegram name, a group's title, a ban's reason) as it may
    be shown to staff: without bidirectional controls, which could reorder what an admin reads
    ("Minh\u202egnp.exe"), nor other invisible or control characters."""
    if text is None:
        return None
    cleaned = normalize_text(text)
    return "".join(" " if unicodedata.category(c) == "Cc" else c for c in cleaned).strip()
