"""The Vietnamese catalog is complete: every string translated, none fuzzy, placeholders intact."""

import re
import string
from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import pytest
from babel.messages.pofile import read_po

from bot.i18n import LOCALES_DIR, language_for, texts

PO = LOCALES_DIR / "vi" / "LC_MESSAGES" / "tipbot.po"
TAG = re.compile(r"</?([a-z-]+)")


def catalog():
    with PO.open("rb") as handle:
        return read_po(handle, locale="vi")


def messages():
    return [m for m in catalog() if m.id]


def placeholders(text: str) -> set[str]:
    return {name for _, name, _, _ in string.Formatter().parse(text) if name is not None}


def test_catalog_has_messages():
    assert len(messages()) > 10


@pytest.mark.parametrize("message", messages(), ids=lambda m: str(m.id)[:40])
def test_vietnamese_string_is_translated_and_consistent(message):
    ids = [message.id] if isinstance(message.id, str) else list(message.id)
    strings = [message.string] if isinstance(message.string, str) else list(message.string)
    assert "fuzzy" not in message.flags, "fuzzy translation"
    assert all(s.strip() for s in strings), "missing translation"
    for translated in strings:
        assert placeholders(translated) == placeholders(ids[0]), "placeholders differ"
        assert sorted(TAG.findall(translated)) == sorted(TAG.findall(ids[0])), "HTML tags differ"


def test_catalog_matches_the_source():
    """Every string the code marks is in the catalog (make messages was run)."""
    from babel.messages.extract import extract_from_dir

    from bot.i18n_tools import KEYWORDS

    keywords = {KEYWORDS[i + 1].split(":")[0]: None for i in range(0, len(KEYWORDS), 2)}
    keywords["ngettext"] = (1, 2)
    known = {m.id if isinstance(m.id, str) else m.id[0] for m in messages()}
    root = LOCALES_DIR.parent
    for folder in ("bot", "handlers"):
        for _, _, message, _, _ in extract_from_dir(
            root / folder, method_map=[("**.py", "python")], keywords=keywords
        ):
            key = message if isinstance(message, str) else message[0]
            assert key in known, f"not in catalog (run make messages): {key!r}"


def test_translations_are_used_at_run_time():
    assert texts("vi").gettext("Main menu") == "Menu chính"
    assert texts("en").gettext("Main menu") == "Main menu"


@pytest.mark.parametrize(
    ("code", "expected"), [("vi", "vi"), ("vi-VN", "vi"), ("en", "en"), ("ru", "en"), (None, "vi")]
)
def test_language_from_telegram(code, expected):
    assert language_for(code) == expected


def test_dates_and_numbers_follow_the_language():
    moment = datetime(2026, 11, 27, 7, 5, tzinfo=UTC)
    tz = ZoneInfo("Asia/Ho_Chi_Minh")
    assert "14:05" in texts("vi").datetime(moment, tz)
    assert "27/11/2026" in texts("vi").datetime(moment, tz)
    assert texts("vi").number(1500000) == "1.500.000"
    assert texts("en").number(1500000) == "1,500,000"
