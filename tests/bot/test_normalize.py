"""One normaliser for /check and intake: invisible characters pasted into a confirmed phone number
or link never hide it, and both paths read the same text the same way."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from bot import intake
from bot.indicators import normalize_query, parse_indicators
from bot.normalize import normalize_text
from bot.receipts import normalize_receipt, normalize_tip_code

INVISIBLE = [
    "\u200b",  # zero-width space
    "\u200c",  # zero-width non-joiner
    "\u200d",  # zero-width joiner
    "\u2060",  # word joiner
    "\ufeff",  # byte order mark
    "\u00ad",  # soft hyphen
    "\u202e",  # right-to-left override
    "\u2066",  # left-to-right isolate
    "\ufe0f",  # variation selector 16
    "\ufe0e",  # variation selector 15
    "\U000e0100",  # variation selector 17
    "\u034f",  # combining grapheme joiner
]
CONFIRMED = [
    ("phone", "0912345678", "+84912345678"),
    ("link", "example-scam.vn", "example-scam.vn"),
]


@st.composite
def sprinkled(draw, text: str) -> str:
    """`text` with invisible characters inserted at any places."""
    chars = list(text)
    for _ in range(draw(st.integers(1, 6))):
        at = draw(st.integers(0, len(chars)))
        chars.insert(at, draw(st.sampled_from(INVISIBLE)))
    return "".join(chars)


def found(kind: str, text: str) -> set[str]:
    return {i.value for i in normalize_query(text) if i.kind == kind}


@settings(max_examples=300, deadline=None)
@given(st.data())
def test_invisible_characters_never_hide_a_confirmed_indicator(data):
    for kind, typed, value in CONFIRMED:
        text = data.draw(sprinkled(typed))
        assert value in found(kind, text), repr(text)
        # The tip's answer (intake) reads the same text as the same indicator.
        stored = {i.value for i in parse_indicators(kind, intake.clean_text(text))}
        assert value in stored, repr(text)


def test_the_issues_examples_and_full_width_punctuation():
    assert found("link", "exam\u200bple-scam.vn") == {"example-scam.vn"}
    assert found("phone", "0912\ufe0f345678") == {"+84912345678"}
    assert found("phone", "０９１２．３４５．６７８") == {"+84912345678"}
    assert found("link", "example－scam．vn") == {"example-scam.vn"}


def test_invisible_characters_are_removed_not_made_spaces():
    assert normalize_text("a\u200bb\u00adc\ufe0fd") == "abcd"
    assert normalize_text("dòng 1\ndòng 2") == "dòng 1\ndòng 2"  # lines stay
    assert intake.clean_text("  Ｈà\u200bNội\u202e ") == "HàNội"


def test_receipts_and_tip_codes_pasted_with_invisible_characters():
    assert normalize_tip_code("T-7K3\u200bQ9X") == "T-7K3Q9X"
    assert normalize_receipt("ABCD\u200b-EFGH-JKMN-PQRS-TVWX\ufeff") == "ABCD-EFGH-JKMN-PQRS-TVWX"
