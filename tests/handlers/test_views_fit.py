"""Long texts split for Telegram: every piece fits 4096 UTF-16 units once escaped, nothing lost."""

from html import unescape

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bot.i18n import texts
from handlers.bulletins_views import catalogue_text
from handlers.common import fit_lines, utf16_len
from handlers.notifications import chunks
from handlers.officer_views import split_description
from storage.bulletins import CatalogueEntry

HOSTILE = ["<" * 5000, "&" * 3000 + "x", "😀" * 3000, "chữ " * 2000, "a" * 9000]


@pytest.mark.parametrize("text", HOSTILE)
def test_pieces_fit_and_join_back(text):
    head, rest = split_description(text, 3000)
    assert utf16_len(head) <= 3000 + 4
    pieces = chunks(rest)
    assert all(utf16_len(p) <= 4096 for p in pieces)
    joined = unescape(head.removesuffix(" …")) + "".join(
        unescape(p.removesuffix(" …")) for p in pieces
    )
    assert "".join(joined.split()) == "".join(text.split())


@settings(max_examples=50, deadline=None)
@given(st.text(min_size=0, max_size=6000))
def test_any_text_splits_into_fitting_pieces(text):
    head, rest = split_description(text, 2500)
    assert utf16_len(head) <= 2504
    assert all(utf16_len(p) <= 4096 for p in chunks(rest))


def test_fit_lines_keeps_whole_lines_and_says_how_many_are_left():
    lines = [f"<b>{n}</b> " + "x" * 300 for n in range(40)]
    text = fit_lines(lines, "…and {count} more.")
    assert utf16_len(text) <= 4096
    assert text.endswith("more.") and text.count("<b>") == text.count("</b>")


def test_lists_are_cut_by_telegrams_count_where_an_emoji_is_two_units():
    # 14 titles of 200 emoji: about 3,400 code points (under the limit counted that way) but
    # over 6,000 UTF-16 units, which Telegram would refuse.
    entries = [
        CatalogueEntry(f"forest-{n}", "forest", "admin", {"en": "🌲" * 200}, None)
        for n in range(14)
    ]
    text = catalogue_text(texts("en"), entries, str)
    assert len(text) < 4096 < utf16_len("\n".join("🌲" * 200 for _ in entries))
    assert utf16_len(text) <= 4096
    assert text.endswith("…") and text.count("<code>") == text.count("</code>")
