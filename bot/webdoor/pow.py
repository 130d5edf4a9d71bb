"""A small proof of work before a visitor's actions are taken, as GlobaLeaks asks of its
submitters: a web door has no phone number as an entry fee, so each new batch of work costs the
sender about a second of a cheap phone's time, and a flood costs its sender a computer's worth.

A challenge is stateless (an expiry and a random nonce, signed with a key made at start); the
answer is a counter such that SHA-256("<challenge>:<counter>") begins with BITS zero bits. A
solved challenge is remembered until it expires so that it is taken once.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
import time

BITS = 17  # 2^17 hashes on average: about a second of JavaScript on a cheap phone
LIFETIME = 300  # seconds to solve and redeem a challenge
MAX_REMEMBERED = 100_000


class ProofOfWork:
    def __init__(self, bits: int = BITS) -> None:
        self.bits = bits
        self._key = secrets.token_bytes(32)
        self._used: dict[str, float] = {}

    def challenge(self) -> str:
        expiry = int(time.time()) + LIFETIME
        body = f"{expiry}.{secrets.token_hex(8)}.{self.bits}"
        return f"{body}.{self._sign(body)}"

    def redeem(self, challenge: str, counter: str) -> bool:
        """True once for a valid, unexpired, solved challenge."""
        body, _, mac = challenge.rpartition(".")
        try:
            expiry, _nonce, bits = body.split(".")
            expiry_at, bits_n = int(expiry), int(bits)
        except ValueError:
            return False
        if not hmac.compare_digest(mac, self._sign(body)) or bits_n != self.bits:
            return False
        now = time.time()
        if expiry_at < now or challenge in self._used or not counter.isdigit() or len(counter) > 12:
            return False
        if not solves(challenge, counter, self.bits):
            return False
        if len(self._used) >= MAX_REMEMBERED:
            self._used = {c: t for c, t in self._used.items() if t >= now}
        self._used[challenge] = expiry_at
        return True

    def _sign(self, body: str) -> str:
        return hmac.new(self._key, body.encode(), hashlib.sha256).hexdigest()[:32]


def solves(challenge: str, counter: str, bits: int) -> bool:
    digest = hashlib.sha256(f"{challenge}:{counter}".encode()).digest()
    return int.from_bytes(digest, "big") >> (256 - bits) == 0


def solve(challenge: str) -> str:
    """The answer, as the page computes it (for tests and the benchmark)."""
    bits = int(challenge.split(".")[2])
    counter = 0
    while not solves(challenge, str(counter), bits):
        counter += 1
    return str(counter)
