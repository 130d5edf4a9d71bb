"""Tip codes and receipts.

Both use Crockford's base32 alphabet — digits and capitals without I, L, O and U — so a code can
be read aloud over the phone or copied from a screenshot without mixing 0/O or 1/I/L; when those
letters are typed anyway they are read as the digits they look like.

Tip code (``T-7K3Q9X``): the *public* name of a tip, seen by officers and the tipster and spoken
between them. 6 characters = 30 bits, enough to be unique among a province's tips (the storage
layer checks uniqueness; on a collision the caller draws again) and short enough to say. It
proves nothing and gives access to nothing.

Receipt (``7K3Q-9XWD-…``, 20 characters in groups of 4): the tipster's *secret*, the only way to
see a tip's status and replies from any account. 20 characters from ``secrets`` = 100 bits.

Storage keeps only ``hash_receipt(receipt, salt)``: scrypt (n=2**14, r=8, p=1, 32 bytes) with
one salt for the whole installation, not one per receipt. That is deliberate: ``/status`` must
find the tip from the receipt alone, so the hash has to be deterministic and indexable — a
per-row salt would mean running scrypt against every tip on every lookup. What a per-row salt
would protect against (precomputed tables, one guess testing every row at once) needs the
receipt to be guessable; at 100 bits it is not, even for someone holding the database and the
salt: 2**100 guesses, each costing a scrypt. The installation salt (kept with the keys, outside
the database) additionally makes the hashes of two installations incomparable; online guessing
through ``/status`` is rate limited by the caller.
"""

import hashlib
import re
import secrets

from bot.normalize import normalize_text

__all__ = [
    "ALPHABET",
    "RECEIPT_BITS",
    "RECEIPT_CHARS",
    "TIP_CODE_CHARS",
    "TIP_CODE_PREFIX",
    "hash_receipt",
    "new_receipt",
    "new_tip_code",
    "normalize_receipt",
    "normalize_tip_code",
]

ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"  # Crockford base32: 5 bits per character
TIP_CODE_PREFIX = "T-"
TIP_CODE_CHARS = 6  # 30 bits
RECEIPT_CHARS = 20  # 100 bits
RECEIPT_BITS = RECEIPT_CHARS * 5
_GROUP = 4

_CONFUSABLES = str.maketrans({"O": "0", "I": "1", "L": "1"})
# What people and phones put inside a code: spaces (also no-break and zero-width), hyphens and
# dashes of every kind, dots, underscores.
_SEPARATORS = re.compile(r"[\s\-_.\u2010-\u2015\u2212\u200b-\u200d\u2060\ufeff]+")
_TIP_CODE_PREFIX = re.compile(r"T[\s\-_.\u2010-\u2015]+", re.IGNORECASE)  # "T-", "t ", "T–"
_STATUS_COMMAND = re.compile(r"^\s*/status(?:@\w+)?(?=\s|$)", re.IGNORECASE)
_MAX_INPUT = 500  # a pasted message, not a novel; bounds the work done on hostile input
_SCRYPT_N, _SCRYPT_R, _SCRYPT_P, _HASH_BYTES = 2**14, 8, 1, 32  # about 16 MiB and 50 ms a hash
_MIN_SALT_BYTES = 16


def _random_chars(count: int) -> str:
    return "".join(secrets.choice(ALPHABET) for _ in range(count))


def _compact(text: str) -> str:
    """Uppercase, separators removed, confusable letters read as digits."""
    text = normalize_text(text)  # full-width characters from some keyboards, invisible ones
    return _SEPARATORS.sub("", text).upper().translate(_CONFUSABLES)


def new_tip_code() -> str:
    """A new public tip code, e.g. ``T-7K3Q9X``."""
    return TIP_CODE_PREFIX + _random_chars(TIP_CODE_CHARS)


def normalize_tip_code(text: str) -> str | None:
    """A tip code as typed (``t 7k3q9x``, ``7K3-Q9X``, ``#T-7K3Q9X``) -> ``T-7K3Q9X``, or None."""
    if len(text) > _MAX_INPUT:
        return None
    text = text.strip().lstrip("#")
    prefix = _TIP_CODE_PREFIX.match(text)
    compact = _compact(text[prefix.end() :] if prefix else text)
    if not prefix and len(compact) == TIP_CODE_CHARS + 1 and compact.startswith("T"):
        compact = compact[1:]  # "T7K3Q9X"
    if len(compact) != TIP_CODE_CHARS or not all(c in ALPHABET for c in compact):
        return None
    return TIP_CODE_PREFIX + compact


def _group(compact: str) -> str:
    return "-".join(compact[i : i + _GROUP] for i in range(0, len(compact), _GROUP))


def new_receipt() -> str:
    """A new receipt, 100 random bits: ``XXXX-XXXX-XXXX-XXXX-XXXX``."""
    return _group(_random_chars(RECEIPT_CHARS))


def normalize_receipt(text: str) -> str | None:
    """A receipt as typed or pasted -> its canonical grouped form, or None if it is not one.

    Case, spaces and hyphens do not matter, O reads as 0 and I/L as 1, and a leading ``/status``
    (or ``/status@botname``) is ignored. Anything else — a wrong length, U or another character
    outside the alphabet, extra words — gives None: guessing what was meant is not worth
    matching the wrong tip.
    """
    if len(text) > _MAX_INPUT:
        return None
    text = _STATUS_COMMAND.sub("", text, count=1)
    compact = _compact(text)
    if len(compact) != RECEIPT_CHARS or not all(c in ALPHABET for c in compact):
        return None
    return _group(compact)


def hash_receipt(receipt: str, salt: bytes) -> str:
    """The stored form of a receipt: scrypt with the installation's salt, as 64 hex characters.

    The receipt is normalised first, so any spelling ``normalize_receipt`` accepts gives the same
    hash. Deterministic for a given salt (see the module docstring for why). Raises ValueError for
    a text that is not a receipt or a salt shorter than 16 bytes.
    """
    if len(salt) < _MIN_SALT_BYTES:
        raise ValueError(f"salt must be at least {_MIN_SALT_BYTES} bytes")
    canonical = normalize_receipt(receipt)
    if canonical is None:
        raise ValueError("not a receipt")
    secret = canonical.replace("-", "").encode("ascii")
    digest = hashlib.scrypt(
        secret, salt=bytes(salt), n=_SCRYPT_N, r=_SCRYPT_R, p=_SCRYPT_P, dklen=_HASH_BYTES
    )
    return digest.hex()
