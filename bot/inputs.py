"""What someone was asked to type next (storage/pending.py): an officer's question, note, reply
or commune after a tap on a tip's button, a resident's number to check. Kept with a lifetime, so
a forgotten prompt does not swallow a message days later; cleared once the text is taken.

A resident's answer to an officer's question is kept by bot/tipster.py: its tip is sealed.
"""

from __future__ import annotations

from bot.runtime import Runtime
from storage import drafts, pending
from storage.pending import PendingInput as PendingInput


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


async def expected(
    runtime: Runtime, user_id: int, *, private: bool, replied: int | None
) -> tuple[str, PendingInput] | None:
    """What this person's message was asked for, if anything, with its key: an officer's pending
    text, or (in a private chat) a resident's answer to a question or number to check. `replied`:
    the message it replies to. A resident in the middle of a tip only answers by replying to the
    question box, so the tip's own answers are never taken for it."""
    pseudonym = runtime.pseudonym_of(user_id)
    staff_key = pending.officer_key(user_id)
    resident_keys = [pending.resident_key(kind, pseudonym) for kind in ("check", "answer")]
    found = await pending.get_many(
        runtime.db, [staff_key, *resident_keys] if private else [staff_key]
    )
    if staff_key in found:
        return staff_key, found[staff_key]
    candidates = [(key, found[key]) for key in resident_keys if key in found]
    for key, waiting in candidates:
        if replied is not None and waiting.data.get("prompt") == replied:
            return key, waiting
    if not candidates or replied is not None:
        return None
    if candidates[0][1].kind == "answer" and await drafts.get(runtime.db, pseudonym):
        return None
    return candidates[0]
