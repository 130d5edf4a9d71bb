"""Pseudonyms for tipsters, and the sealed way back to them.

The bot knows a tipster only as a pseudonym, ``HMAC-SHA256(pseudonym key, user id)``: stable, so
drafts, rate limits and bans work; one-way and keyed, so a copy of the database cannot be turned
back into Telegram ids (enumerating every possible id needs the key).

To relay officers' questions the bot must still reach the tipster's chat. That chat id is kept
only *sealed*: AES-256-GCM under a key that lives outside the database, bound to one tip. The blob:

    version (1 byte) | nonce (12 random bytes) | ciphertext + 16-byte tag

The plaintext is the chat id (8 bytes, fixed width so the blob's length says nothing about it)
followed by the pseudonym, a NUL and the phone number the tipster shared (empty unless they
agreed to be contacted), then a NUL and the language they wrote the tip in, so every message to
them comes in that language (a language is not identifying; older blobs have no language).
The version byte and the tip code are authenticated as associated data:
a blob copied onto another tip, or altered in any bit, does not open. The version byte lets the
algorithm change later; keys rotate by opening with the old keys too (``open_way_back`` takes
several) and sealing again with the new one.

Use two different keys for pseudonyms and for the way back: the pseudonym key can never change
without orphaning every draft and ban, the way-back key can.
"""

import base64
import binascii
import hashlib
import hmac
import secrets
import struct
from collections.abc import Sequence
from dataclasses import dataclass

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

__all__ = [
    "KEY_BYTES",
    "WayBack",
    "WayBackError",
    "decode_key",
    "encode_key",
    "generate_key",
    "open_for",
    "open_way_back",
    "pseudonym",
    "seal_for",
    "seal_way_back",
]

KEY_BYTES = 32  # AES-256; also the HMAC key length
_VERSION = 1
_NONCE_BYTES = 12  # 96 bits, AES-GCM's native nonce size
_TAG_BYTES = 16
_CHAT_ID = struct.Struct(">q")  # Telegram chat ids fit in a signed 64-bit integer


class WayBackError(Exception):
    """A sealed way back could not be opened: tampered, another tip's, or the wrong key."""


@dataclass(frozen=True, slots=True)
class WayBack:
    chat_id: int
    pseudonym: str
    contact: str | None = None  # the phone number the tipster chose to share, if any
    language: str | None = None  # the language of the tip: every message to the tipster uses it

    def __repr__(self) -> str:  # keep the chat id and phone out of logs and tracebacks
        return f"WayBack(chat_id=<hidden>, pseudonym={self.pseudonym[:8]}…)"


def _check_key(key: bytes) -> None:
    if not isinstance(key, bytes | bytearray) or len(key) != KEY_BYTES:
        raise ValueError(f"key must be {KEY_BYTES} bytes (see generate_key)")


def generate_key() -> bytes:
    """A new random key of ``KEY_BYTES`` bytes, for pseudonyms or the way back."""
    return secrets.token_bytes(KEY_BYTES)


def encode_key(key: bytes) -> str:
    """Key -> URL-safe base64 text, for a key file or an environment variable."""
    _check_key(key)
    return base64.urlsafe_b64encode(key).decode("ascii")


def decode_key(text: str) -> bytes:
    """URL-safe base64 text (padding optional, surrounding whitespace ignored) -> key.

    Raises ValueError, without echoing the text, if it is not a well-formed key.
    """
    compact = "".join(text.split())
    try:
        key = base64.urlsafe_b64decode(compact + "=" * (-len(compact) % 4))
    except (binascii.Error, ValueError):
        raise ValueError("key is not valid URL-safe base64") from None
    if base64.urlsafe_b64encode(key).decode("ascii").rstrip("=") != compact.rstrip("="):
        raise ValueError("key is not valid URL-safe base64")  # stray characters were skipped
    _check_key(key)
    return key


def pseudonym(key: bytes, user_id: int, door: str = "telegram") -> str:
    """The tipster's pseudonym: HMAC-SHA256(key, decimal user id), 64 hex characters. Another
    door than Telegram's (bot/doors.py) is named in the HMAC's input ("web:<id>"), so its
    pseudonyms live in a space of their own."""
    _check_key(key)
    if isinstance(user_id, bool) or not isinstance(user_id, int):
        raise TypeError("user_id must be an int")
    message = str(user_id) if door == "telegram" else f"{door}:{user_id}"
    return hmac.new(key, message.encode("ascii"), hashlib.sha256).hexdigest()


def _associated_data(version: int, tip_code: str) -> bytes:
    return bytes([version]) + tip_code.encode("utf-8")


def seal_way_back(
    key: bytes,
    chat_id: int,
    pseudonym: str,
    *,
    tip_code: str,
    contact: str | None = None,
    language: str | None = None,
) -> bytes:
    """Encrypt the way back to a tipster, bound to ``tip_code`` (pass it exactly as stored)."""
    _check_key(key)
    if not tip_code:
        raise ValueError("tip_code is required: it binds the blob to its tip")
    if not -(2**63) <= chat_id < 2**63:
        raise ValueError("chat_id out of range")
    nonce = secrets.token_bytes(_NONCE_BYTES)
    plaintext = _CHAT_ID.pack(chat_id) + pseudonym.encode("utf-8")
    if contact or language:
        plaintext += b"\x00" + (contact or "").encode("utf-8")
    if language:
        plaintext += b"\x00" + language.encode("utf-8")
    ciphertext = AESGCM(key).encrypt(nonce, plaintext, _associated_data(_VERSION, tip_code))
    return bytes([_VERSION]) + nonce + ciphertext


def open_way_back(key: bytes | Sequence[bytes], blob: bytes, *, tip_code: str) -> WayBack:
    """Decrypt a blob from ``seal_way_back``. ``key`` may be a list of keys, newest first, while
    keys rotate. Raises ``WayBackError`` if no key opens it for this tip."""
    keys = [key] if isinstance(key, bytes | bytearray) else list(key)
    for k in keys:
        _check_key(k)
    if len(blob) < 1 + _NONCE_BYTES + _TAG_BYTES + _CHAT_ID.size:
        raise WayBackError("sealed way back is truncated")
    if blob[0] != _VERSION:
        raise WayBackError(f"sealed way back has unknown version {blob[0]}")
    nonce, ciphertext = blob[1 : 1 + _NONCE_BYTES], blob[1 + _NONCE_BYTES :]
    associated = _associated_data(blob[0], tip_code)
    for k in keys:
        try:
            plaintext = AESGCM(k).decrypt(nonce, ciphertext, associated)
        except InvalidTag:
            continue
        (chat_id,) = _CHAT_ID.unpack_from(plaintext)
        try:
            rest = plaintext[_CHAT_ID.size :].decode("utf-8")
        except UnicodeDecodeError:  # authentic but not ours: a bug, not an attack
            raise WayBackError("sealed way back holds malformed data") from None
        pseudonym_text, _, after = rest.partition("\x00")
        contact, _, language = after.partition("\x00")
        return WayBack(chat_id, pseudonym_text, contact or None, language or None)
    raise WayBackError("sealed way back does not open: wrong key, wrong tip, or tampered")


def seal_for(key: bytes, text: str, *, pseudonym: str, purpose: str) -> str:
    """A short text kept next to a resident's pseudonym (a phone number they chose to share in
    a draft, the tip a pending answer belongs to), sealed so that a copy of the database does
    not pair the two. Base64 text, for JSON; bound to the pseudonym and the purpose."""
    _check_key(key)
    nonce = secrets.token_bytes(_NONCE_BYTES)
    associated = f"{purpose}:{pseudonym}".encode()
    sealed = AESGCM(key).encrypt(nonce, text.encode("utf-8"), associated)
    return base64.urlsafe_b64encode(bytes([_VERSION]) + nonce + sealed).decode("ascii")


def open_for(key: bytes, sealed: str, *, pseudonym: str, purpose: str) -> str:
    try:
        blob = base64.urlsafe_b64decode(sealed.encode("ascii"))
        nonce, ciphertext = blob[1 : 1 + _NONCE_BYTES], blob[1 + _NONCE_BYTES :]
        associated = f"{purpose}:{pseudonym}".encode()
        return AESGCM(key).decrypt(nonce, ciphertext, associated).decode("utf-8")
    except (ValueError, InvalidTag, UnicodeDecodeError, binascii.Error):
        raise WayBackError("sealed text does not open") from None
