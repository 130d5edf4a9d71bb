import base64
import hashlib
import hmac
import re

import pytest
from hypothesis import given
from hypothesis import strategies as st

from bot.anonymity import (
    KEY_BYTES,
    WayBack,
    WayBackError,
    decode_key,
    encode_key,
    generate_key,
    open_way_back,
    pseudonym,
    seal_way_back,
)

KEY = bytes(range(32))
OTHER_KEY = bytes(range(1, 33))
PSEUDONYM = pseudonym(KEY, 123456789)


# --- pseudonyms -------------------------------------------------------------------------------


def test_pseudonym_is_hmac_sha256_hex():
    assert hmac.new(KEY, b"123456789", hashlib.sha256).hexdigest() == PSEUDONYM
    assert re.fullmatch(r"[0-9a-f]{64}", PSEUDONYM)


def test_pseudonym_is_stable_distinct_and_keyed():
    assert pseudonym(KEY, 123456789) == PSEUDONYM
    assert pseudonym(KEY, 123456790) != PSEUDONYM
    assert pseudonym(OTHER_KEY, 123456789) != PSEUDONYM
    assert "123456789" not in PSEUDONYM


@given(st.integers(min_value=1, max_value=2**52), st.integers(min_value=1, max_value=2**52))
def test_distinct_users_get_distinct_pseudonyms(a, b):
    assert (pseudonym(KEY, a) == pseudonym(KEY, b)) == (a == b)


@pytest.mark.parametrize("bad_key", [b"", b"short", bytes(31), bytes(33), "x" * 32])
def test_pseudonym_rejects_bad_keys(bad_key):
    with pytest.raises(ValueError, match="32 bytes"):
        pseudonym(bad_key, 1)


@pytest.mark.parametrize("bad_id", ["123", 1.0, True, None])
def test_pseudonym_rejects_non_int_ids(bad_id):
    with pytest.raises(TypeError):
        pseudonym(KEY, bad_id)


# --- the way back -----------------------------------------------------------------------------


@pytest.mark.parametrize("chat_id", [123456789, 1, 2**52, -1001234567890, -(2**63), 2**63 - 1])
def test_round_trip(chat_id):
    blob = seal_way_back(KEY, chat_id, PSEUDONYM, tip_code="T-7K3Q9X")
    assert open_way_back(KEY, blob, tip_code="T-7K3Q9X") == WayBack(chat_id, PSEUDONYM)


def test_blob_layout_and_no_plaintext():
    chat_id = 987654321
    blob = seal_way_back(KEY, chat_id, PSEUDONYM, tip_code="T-7K3Q9X")
    assert blob[0] == 1  # version byte first
    assert len(blob) == 1 + 12 + 8 + len(PSEUDONYM) + 16
    for encoding in (
        str(chat_id).encode(),
        chat_id.to_bytes(8, "big"),
        chat_id.to_bytes(8, "little"),
        PSEUDONYM.encode(),
        b"T-7K3Q9X",
    ):
        assert encoding not in blob


def test_blob_length_does_not_depend_on_chat_id():
    short = seal_way_back(KEY, 1, PSEUDONYM, tip_code="T-1")
    long = seal_way_back(KEY, -1001234567890, PSEUDONYM, tip_code="T-1")
    assert len(short) == len(long)


def test_nonces_differ():
    blobs = {seal_way_back(KEY, 42, PSEUDONYM, tip_code="T-1") for _ in range(50)}
    assert len(blobs) == 50
    assert len({blob[1:13] for blob in blobs}) == 50


def test_wrong_key_fails():
    blob = seal_way_back(KEY, 42, PSEUDONYM, tip_code="T-1")
    with pytest.raises(WayBackError, match="wrong key, wrong tip, or tampered"):
        open_way_back(OTHER_KEY, blob, tip_code="T-1")


def test_wrong_tip_code_fails():
    blob = seal_way_back(KEY, 42, PSEUDONYM, tip_code="T-7K3Q9X")
    with pytest.raises(WayBackError):
        open_way_back(KEY, blob, tip_code="T-7K3Q9Y")


@pytest.mark.parametrize("position", [1, 5, 13, 20, -1])
def test_any_flipped_bit_fails(position):
    blob = bytearray(seal_way_back(KEY, 42, PSEUDONYM, tip_code="T-1"))
    blob[position] ^= 0x01
    with pytest.raises(WayBackError):
        open_way_back(KEY, bytes(blob), tip_code="T-1")


def test_unknown_version_and_truncation_fail_clearly():
    blob = seal_way_back(KEY, 42, PSEUDONYM, tip_code="T-1")
    with pytest.raises(WayBackError, match="unknown version 2"):
        open_way_back(KEY, b"\x02" + blob[1:], tip_code="T-1")
    with pytest.raises(WayBackError, match="truncated"):
        open_way_back(KEY, blob[:20], tip_code="T-1")
    with pytest.raises(WayBackError):
        open_way_back(KEY, b"", tip_code="T-1")


def test_key_rotation_opens_with_any_listed_key():
    old_blob = seal_way_back(OTHER_KEY, 42, PSEUDONYM, tip_code="T-1")
    new_key = generate_key()
    assert open_way_back([new_key, OTHER_KEY], old_blob, tip_code="T-1").chat_id == 42
    with pytest.raises(WayBackError):
        open_way_back([new_key], old_blob, tip_code="T-1")


def test_seal_rejects_bad_input():
    with pytest.raises(ValueError):
        seal_way_back(b"short", 42, PSEUDONYM, tip_code="T-1")
    with pytest.raises(ValueError, match="tip_code"):
        seal_way_back(KEY, 42, PSEUDONYM, tip_code="")
    with pytest.raises(ValueError, match="chat_id"):
        seal_way_back(KEY, 2**63, PSEUDONYM, tip_code="T-1")


def test_way_back_repr_hides_the_chat_id():
    assert "987654321" not in repr(WayBack(987654321, PSEUDONYM))


# --- keys -------------------------------------------------------------------------------------


def test_generate_key():
    keys = {generate_key() for _ in range(20)}
    assert len(keys) == 20
    assert all(len(k) == KEY_BYTES for k in keys)


def test_key_text_round_trip():
    key = generate_key()
    text = encode_key(key)
    assert text.isascii()
    assert base64.urlsafe_b64decode(text) == key
    assert decode_key(text) == key
    assert decode_key(f"  {text.rstrip('=')}\n") == key  # padding optional, whitespace ignored


@pytest.mark.parametrize(
    "text",
    [
        "",
        "not base64!!",
        base64.urlsafe_b64encode(bytes(16)).decode(),  # too short
        base64.urlsafe_b64encode(bytes(33)).decode(),  # too long
        base64.b64encode(b"\xfb" * 32).decode(),  # standard, not URL-safe, alphabet
        base64.urlsafe_b64encode(bytes(32)).decode()[:-3] + "*" + "A=",
    ],
)
def test_decode_key_rejects_malformed_text_without_echoing_it(text):
    with pytest.raises(ValueError) as error:
        decode_key(text)
    if text:
        assert text not in str(error.value)


def test_way_back_carries_a_shared_contact_only_when_given():
    key = generate_key()
    plain = open_way_back(key, seal_way_back(key, 42, "p" * 64, tip_code="T-1"), tip_code="T-1")
    assert plain.contact is None
    blob = seal_way_back(key, 42, "p" * 64, tip_code="T-1", contact="+84912345678")
    opened = open_way_back(key, blob, tip_code="T-1")
    assert (opened.chat_id, opened.contact) == (42, "+84912345678")
    assert b"84912345678" not in blob
    assert "84912345678" not in repr(opened)


def test_text_sealed_to_its_resident_and_purpose():
    from bot.anonymity import open_for, seal_for

    key = generate_key()
    sealed = seal_for(key, "+84912345678", pseudonym="a" * 64, purpose="contact")
    assert "84912345678" not in sealed
    assert open_for(key, sealed, pseudonym="a" * 64, purpose="contact") == "+84912345678"
    with pytest.raises(WayBackError):
        open_for(key, sealed, pseudonym="b" * 64, purpose="contact")
    with pytest.raises(WayBackError):
        open_for(key, sealed, pseudonym="a" * 64, purpose="answer")


@pytest.mark.parametrize("contact", [None, "0912345678"])
def test_the_way_back_keeps_the_language_of_the_tip(contact):
    blob = seal_way_back(KEY, 42, "p" * 64, tip_code="T-ABC123", contact=contact, language="en")
    opened = open_way_back(KEY, blob, tip_code="T-ABC123")
    assert (opened.contact, opened.language) == (contact, "en")
    older = open_way_back(
        KEY, seal_way_back(KEY, 42, "p" * 64, tip_code="T-ABC123"), tip_code="T-ABC123"
    )
    assert (older.pseudonym, older.contact, older.language) == ("p" * 64, None, None)
