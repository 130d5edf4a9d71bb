"""A visitor without an account: a random 128-bit secret that their browser keeps.

The page makes the secret (crypto.getRandomValues), keeps it in localStorage and sends it in a
header with each request, never in a URL (URLs end up in logs and histories). The bot sees a user
id derived from it with a keyed hash, in the web door's own id range (bot/doors.py), so a web id
never meets a Telegram id, and the id says nothing about the secret to someone without the key.
"""

from __future__ import annotations

import hashlib
import hmac
import re

from bot.doors import WEB_ID_BASE, WEB_ID_BITS

HEADER = "X-Tipbot-Key"
_SECRET = re.compile(r"[0-9a-f]{32}")


def visitor_id(pseudonym_key: bytes, secret: str | None) -> int | None:
    """The web user id of a secret (32 lowercase hex digits), or None if it is not one."""
    if secret is None or not _SECRET.fullmatch(secret):
        return None
    digest = hmac.new(pseudonym_key, b"web door visitor:" + secret.encode(), hashlib.sha256)
    return WEB_ID_BASE + (int.from_bytes(digest.digest()[:8], "big") & ((1 << WEB_ID_BITS) - 1))
