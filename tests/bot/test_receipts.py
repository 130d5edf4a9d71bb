import hashlib
import math
import re
from collections import Counter

import pytest
from hypothesis import given
from hypothesis import strategies as st

from bot.receipts import (
    ALPHABET,
    RECEIPT_BITS,
    hash_receipt,
    new_receipt,
    new_tip_code,
    normalize_receipt,
    normalize_tip_code,
)

SALT = b"installation-salt-0123456789"
RECEIPT = "7K3Q-9XWD-M2PA-5HZ0-1BCE"
RECEIPT_FORMAT = re.compile(r"[0-9A-HJKMNP-TV-Z]{4}(?:-[0-9A-HJKMNP-TV-Z]{4}){4}")


def test_alphabet_is_crockford_base32():
    assert len(ALPHABET) == len(set(ALPHABET)) == 32
    assert not set("ILOU") & set(ALPHABET)


# --- tip codes --------------------------------------------------------------------------------


def test_tip_code_format():
    for _ in range(200):
        code = new_tip_code()
        assert re.fullmatch(r"T-[0-9A-HJKMNP-TV-Z]{6}", code), code


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("T-7K3Q9X", "T-7K3Q9X"),
        ("t-7k3q9x", "T-7K3Q9X"),
        (" t 7k3 q9x ", "T-7K3Q9X"),
        ("#T-7K3Q9X", "T-7K3Q9X"),
        ("7K3Q9X", "T-7K3Q9X"),
        ("T7K3Q9X", "T-7K3Q9X"),
        ("T-OIL123", "T-011123"),
        ("T-TTTTTT", "T-TTTTTT"),
        ("T-7K3Q9", None),
        ("T-7K3Q9XX", None),
        ("T-7K3U9X", None),
        ("", None),
    ],
)
def test_normalize_tip_code(text, expected):
    assert normalize_tip_code(text) == expected


# --- receipts ---------------------------------------------------------------------------------


def test_receipt_format_and_entropy():
    assert RECEIPT_BITS == 100 >= 80
    receipts = [new_receipt() for _ in range(2000)]
    assert all(RECEIPT_FORMAT.fullmatch(r) for r in receipts)
    assert len(set(receipts)) == len(receipts)
    # Every character of the alphabet is used, about evenly (40,000 draws, 1,250 expected each).
    counts = Counter("".join(receipts).replace("-", ""))
    assert set(counts) == set(ALPHABET)
    assert all(1000 < n < 1500 for n in counts.values())
    assert math.log2(len(ALPHABET)) * 20 == RECEIPT_BITS


def test_new_receipt_is_already_normal():
    receipt = new_receipt()
    assert normalize_receipt(receipt) == receipt


@pytest.mark.parametrize(
    "text",
    [
        RECEIPT,
        RECEIPT.lower(),
        RECEIPT.replace("-", ""),
        RECEIPT.replace("-", " "),
        " 7k3q 9xwd m2pa 5hz0 1bce\n",
        "7K3Q–9XWD—M2PA-5HZ0-1BCE",  # dashes a phone keyboard may produce
        "7K3Q-9XWD-M2PA-5HZO-IBCE",  # O for 0, I for 1
        "7K3Q-9XWD-M2PA-5HZo-lBCE",  # o for 0, l for 1
        "７Ｋ３Ｑ-9XWD-M2PA-5HZ0-1BCE",  # full-width
        f"/status {RECEIPT}",
        f"/status@tipbot_demo_bot {RECEIPT.lower()}",
        f"  /STATUS   {RECEIPT.replace('-', '')}  ",
    ],
)
def test_normalize_receipt_accepts_what_people_type(text):
    assert normalize_receipt(text) == RECEIPT


@pytest.mark.parametrize(
    "text",
    [
        "",
        "/status",
        RECEIPT[:-1],  # too short
        RECEIPT + "A",  # too long
        RECEIPT.replace("7", "U"),  # U is not in the alphabet
        RECEIPT.replace("7", "#"),
        RECEIPT.replace("7", "Ä"),
        f"receipt: {RECEIPT}",  # extra words
        f"/statusX {RECEIPT}",
        f"/start {RECEIPT}",
        RECEIPT * 30,
    ],
)
def test_normalize_receipt_rejects(text):
    assert normalize_receipt(text) is None


@given(st.text())
def test_normalize_receipt_never_raises(text):
    result = normalize_receipt(text)
    assert result is None or RECEIPT_FORMAT.fullmatch(result)


# --- hashing ----------------------------------------------------------------------------------


def test_hash_is_deterministic_per_salt_and_spelling_independent():
    digest = hash_receipt(RECEIPT, SALT)
    assert re.fullmatch(r"[0-9a-f]{64}", digest)
    assert hash_receipt(RECEIPT, SALT) == digest
    assert hash_receipt(f"/status {RECEIPT.lower().replace('-', ' ')}", SALT) == digest


def test_hash_differs_across_salts_and_receipts():
    digest = hash_receipt(RECEIPT, SALT)
    assert hash_receipt(RECEIPT, b"another-installation-salt") != digest
    assert hash_receipt(RECEIPT.replace("7", "8"), SALT) != digest


def test_hash_is_scrypt_of_the_compact_receipt():
    expected = hashlib.scrypt(
        RECEIPT.replace("-", "").encode(), salt=SALT, n=2**14, r=8, p=1, dklen=32
    ).hex()
    assert hash_receipt(RECEIPT, SALT) == expected


def test_hash_rejects_bad_input():
    with pytest.raises(ValueError, match="not a receipt"):
        hash_receipt("hello", SALT)
    with pytest.raises(ValueError, match="salt"):
        hash_receipt(RECEIPT, b"short")
    assert RECEIPT not in hash_receipt(RECEIPT, SALT)
