"""The callback codec: every declared button survives the wire, within Telegram's 64 bytes, and
anything else — forged, foreign, truncated, too long — decodes to None without raising."""

from __future__ import annotations

import re
from dataclasses import fields
from enum import StrEnum
from typing import Annotated, Any, get_args, get_origin, get_type_hints

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bot.bulletin_library import TOPICS
from handlers import callbacks
from handlers.callbacks import Below, Callback, OneOf, Word, decode, encode

KINDS = callbacks.declared()


def field_values(hint: Any) -> st.SearchStrategy:
    constraint = None
    if get_origin(hint) is Annotated:
        hint, constraint = get_args(hint)[0], get_args(hint)[1]
    if hint is int:
        limit = constraint.limit if isinstance(constraint, Below) else 10**callbacks.INT_DIGITS
        return st.integers(0, limit - 1)
    if isinstance(hint, type) and issubclass(hint, StrEnum):
        return st.sampled_from(list(hint))
    if isinstance(constraint, OneOf):
        return st.sampled_from(sorted(constraint.words))
    assert isinstance(constraint, Word)
    return st.from_regex(re.compile(constraint.pattern, re.ASCII), fullmatch=True)


def instances(kind: type[Callback]) -> st.SearchStrategy:
    hints = get_type_hints(kind, include_extras=True)
    return st.builds(kind, **{f.name: field_values(hints[f.name]) for f in fields(kind)})


def extremes(kind: type[Callback]) -> Callback:
    """The longest data a kind can carry: every field at its widest."""
    hints = get_type_hints(kind, include_extras=True)
    values = {}
    for f in fields(kind):
        hint, constraint = hints[f.name], None
        if get_origin(hint) is Annotated:
            hint, constraint = get_args(hint)[0], get_args(hint)[1]
        if hint is int:
            values[f.name] = (
                constraint.limit - 1
                if isinstance(constraint, Below)
                else 10**callbacks.INT_DIGITS - 1
            )
        elif isinstance(hint, type) and issubclass(hint, StrEnum):
            values[f.name] = max(hint, key=len)
        elif isinstance(constraint, OneOf):
            values[f.name] = max(constraint.words, key=len)
    return kind(**values) if len(values) == len(fields(kind)) else None


@pytest.mark.parametrize("kind", KINDS, ids=lambda kind: kind.__name__)
@settings(max_examples=60, deadline=None)
@given(data=st.data())
def test_every_declared_callback_round_trips_within_64_bytes(kind, data):
    callback = data.draw(instances(kind))
    wire = encode(callback)
    assert decode(wire) == callback
    assert len(wire.encode()) <= 64


@pytest.mark.parametrize("kind", KINDS, ids=lambda kind: kind.__name__)
def test_the_widest_values_still_fit(kind):
    widest = extremes(kind)
    if widest is not None:  # kinds with a free-text field are covered by the property above
        assert len(encode(widest).encode()) <= 64


def test_every_kind_has_its_own_prefix_and_a_readable_name():
    wires = [kind.WIRE for kind in KINDS]
    assert len(set(wires)) == len(wires)
    assert all(len(kind.__name__) > 3 for kind in KINDS)


def check_decoded(data: object) -> None:
    decoded = decode(data)
    assert decoded is None or isinstance(decoded, Callback)
    if decoded is not None:  # only canonical data decodes: what encode would have written
        assert encode(decoded) == data


@settings(max_examples=1500, deadline=None)
@given(st.text())
def test_arbitrary_text_decodes_to_none_or_a_valid_callback(data):
    check_decoded(data)


@settings(max_examples=500, deadline=None)
@given(st.binary(max_size=80))
def test_arbitrary_bytes_decode_to_none_or_a_valid_callback(data):
    assert decode(data) is None  # callback data is text
    check_decoded(data.decode("utf-8", "replace"))
    check_decoded(data.decode("latin-1"))


@settings(max_examples=1500, deadline=None)
@given(
    wire=st.sampled_from([kind.WIRE for kind in KINDS]),
    rest=st.lists(st.text(alphabet="0123456789az_:-é ", max_size=12), max_size=4),
)
def test_data_that_looks_declared_decodes_to_none_or_a_valid_callback(wire, rest):
    check_decoded(":".join([wire, *rest]))


@pytest.mark.parametrize(
    "data",
    [
        "",
        ":::",
        "x" * 64,
        "ñ" * 32,
        "vote:up:42",  # another bot's
        "menu:nope",  # unknown enum value
        "o:ack:1 OR 1=1",  # not digits
        "o:ack:05",  # not canonical
        "o:ack:-5",
        "o:ack",  # a field missing
        "o:ack:5:resolved:x",  # one too many
        "o:frobnicate:5",
        f"bs:t:{1 << len(TOPICS)}:vi:0",  # the mask names a topic that does not exist
        f"bs:t:1:vi:{len(TOPICS)}",
        "bs:t:1:fr:0",  # a language the bot does not speak
        "bs:open:",
        "onb:rvy:" + "9" * 17,  # too long for an id
        "r:K7Q2M;",
        "t:kind:" + "a" * 60,
        "lang:vi\n",
    ],
)
def test_malformed_or_foreign_data_decodes_to_none(data):
    assert decode(data) is None


def test_buttons_already_in_the_chats_still_decode():
    """The wire strings of the buttons sent before the codec existed."""
    assert decode("o:ack:42") == callbacks.OnTip(callbacks.TipAction.ACKNOWLEDGE, 42)
    assert decode("o:set:42:resolved") == callbacks.OnTip(
        callbacks.TipAction.SET_STATUS, 42, "resolved"
    )
    assert decode("t:review:edit:contact") == callbacks.IntakeAnswer("review", "edit:contact")
    assert decode("t:cancel:yes") == callbacks.DiscardDraft(callbacks.Discard.YES)
    assert decode("bb:sdy:7") == callbacks.DeleteSchedule(7)
    assert decode("bs:t:5:vi:1") == callbacks.ToggleTopic(5, "vi", 1)
    assert decode("adm:s:2026-07-01:2026-07-31") == callbacks.StatsPeriod("2026-07-01:2026-07-31")
    assert decode("adm:u:3:1750000000") == callbacks.Unban(3, 1_750_000_000)
    assert decode("r:T-7K3Q9X") == callbacks.TipsterReply("T-7K3Q9X")
    assert decode("menu:report") == callbacks.Menu(callbacks.MenuEntry.REPORT)


def test_encode_refuses_what_would_not_come_back():
    with pytest.raises(ValueError, match="wire"):
        encode(callbacks.OnTip(callbacks.TipAction.SET_STATUS, 1, "not a word"))
    with pytest.raises(ValueError, match="wire"):
        encode(callbacks.IntakeAnswer("cancel", "yes"))  # that is the discard question's data
