"""A resident's unsent tip, kept at every step by pseudonym (storage/drafts.py), so that it
survives a restart or a `kill -9`; bot/submission.py deletes it when the tip is sent."""

from __future__ import annotations

from bot.intake import Draft
from bot.runtime import Runtime
from storage import drafts


async def load(runtime: Runtime, pseudonym: str) -> Draft | None:
    stored = await drafts.get(runtime.db, pseudonym)
    return Draft.from_json(stored.data) if stored else None


async def save(runtime: Runtime, pseudonym: str, draft: Draft, *, ttl: int) -> None:
    await drafts.save(runtime.db, pseudonym, draft.step, draft.to_json(), ttl=ttl)


async def discard(runtime: Runtime, pseudonym: str) -> None:
    await drafts.delete(runtime.db, pseudonym)
