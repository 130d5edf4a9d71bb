"""One update at a time per resident, where order matters (their draft, their /status guesses).

An album of photos arrives as several updates at once; with concurrent update processing they
would race on the draft. Locks live in memory only, keyed by pseudonym, and vanish when unused.
"""

from __future__ import annotations

import asyncio
import weakref

_locks: weakref.WeakValueDictionary[str, asyncio.Lock] = weakref.WeakValueDictionary()


def resident_lock(key: str) -> asyncio.Lock:
    lock = _locks.get(key)
    if lock is None:
        lock = _locks[key] = asyncio.Lock()
    return lock
