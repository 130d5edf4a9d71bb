"""Long texts split for Telegram: every piece fits 4096 UTF-16 units once escaped, nothing lost."""

from html import unescape

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bot.bulletin_library import TOPICS
from bot.i18n import texts
from handlers.bulletins_views import catalogue_pages
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


def test_the_bulletin_library_lists_every_bulletin_in_messages_that_fit():
    """The library outgrew one message: every bulletin is listed, each page fits, and a topic's
    bulletins stay together on one page."""
    entries = [
        CatalogueEntry(f"{topic}-{n}", topic, "library", {"vi": "Tiêu đề " * 12}, None)
        for topic in TOPICS
        for n in range(6)
    ]
    pages = catalogue_pages(texts("vi"), entries, str)
    assert len(pages) > 1
    assert all(utf16_len(page) <= 4096 and not page.endswith("…") for page in pages)
    for entry in entries:
        assert sum(f"<code>{entry.slug}</code>" in page for page in pages) == 1
    for topic in TOPICS:
        assert sum(f"<code>{topic}</code>" in page for page in pages) == 1
        (home,) = [page for page in pages if f"<code>{topic}</code>" in page]
        assert all(f"<code>{topic}-{n}</code>" in home for n in range(6))


def test_lists_are_cut_by_telegrams_count_where_an_emoji_is_two_units():
    # 14 titles of 200 emoji: about 3,400 code points (under the limit counted that way) but
    # over 6,000 UTF-16 units, which Telegram would refuse: one topic too long for a message
    # goes on over two, line by line.
    entries = [
        CatalogueEntry(f"forest-{n}", "forest", "admin", {"en": "🌲" * 200}, None)
        for n in range(14)
    ]
    pages = catalogue_pages(texts("en"), entries, str)
    assert sum(len(page) for page in pages) < 4096 < sum(utf16_len(page) for page in pages)
    assert len(pages) == 2 and all(utf16_len(page) <= 4096 for page in pages)
    assert all(sum(f"<code>{e.slug}</code>" in page for page in pages) == 1 for e in entries)
    assert all(page.count("<code>") == page.count("</code>") for page in pages)
