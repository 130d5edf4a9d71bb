"""One update at a time per resident, where order matters (their draft, their /status guesses),
and per message where taps toggle its buttons.

An album of photos arrives as several updates at once; with concurrent update processing they
would race on the draft. Locks live in memory only, keyed by pseudonym, and vanish when unused.
"""

from __future__ import annotations

import asyncio
import weakref

_locks: weakref.WeakValueDictionary[str, asyncio.Lock] = weakref.WeakValueDictionary()


def resident_lock(key: str) -> asyncio.Lock:
    return _lock(f"resident:{key}")


def message_lock(chat_id: int, message_id: int) -> asyncio.Lock:
    """Taps on one message's toggles, one at a time: two taps applied at once would both edit
    the buttons into the same final state, and Telegram refuses the second, unchanged edit."""
    return _lock(f"message:{chat_id}:{message_id}")


def _lock(key: str) -> asyncio.Lock:
    lock = _locks.get(key)
    if lock is None:
        lock = _locks[key] = asyncio.Lock()
    return lock
