"""What someone was asked to type next (storage/pending.py): an officer's question, note, reply
or commune after a tap on a tip's button, a resident's number to check. Kept with a lifetime, so
a forgotten prompt does not swallow a message days later; cleared once the text is taken.

A resident's answer to an officer's question is kept by bot/tipster.py: its tip is sealed.
"""

from __future__ import annotations

from bot.runtime import Runtime
from storage import pending


async def expect_from_officer(
    runtime: Runtime, user_id: int, kind: str, tip_id: int, *, prompt: int | None, ttl: int
) -> None:
    """The officer's next message is this text about the tip; with `prompt`, only a reply to
    that message (or a plain message) counts, so a reply to an older prompt can't land on the
    wrong tip."""
    data = {"tip_id": tip_id} | ({"prompt": prompt} if prompt is not None else {})
    await pending.put(runtime.db, pending.officer_key(user_id), kind, data, ttl=ttl)


async def expect_from_resident(
    runtime: Runtime, pseudonym: str, kind: str, *, prompt: int | None, ttl: int
) -> None:
    """The resident's next message is this input (a number to check), kept by pseudonym."""
    data = {"prompt": prompt} if prompt is not None else {}
    await pending.put(runtime.db, pending.resident_key(kind, pseudonym), kind, data, ttl=ttl)


async def officer_done(runtime: Runtime, user_id: int) -> None:
    await pending.clear(runtime.db, pending.officer_key(user_id))


async def done(runtime: Runtime, key: str) -> None:
    """The input waiting under `key` was taken, or given up."""
    await pending.clear(runtime.db, key)
