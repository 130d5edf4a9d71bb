"""Where a tip goes: its commune's officers and groups, or the province queue (the admins).

Routing writes outbox rows only (inside the caller's transaction when there is one); the outbox
worker delivers them. So a tip committed with its routing is never lost, even if the bot dies
before the first message leaves, and a row already sent is never sent again.
"""

from __future__ import annotations

from bot.runtime import Runtime
from storage import officers, outbox, tips


async def recipients(runtime: Runtime, commune_code: int | None) -> list[int]:
    """Chats that receive a tip of this commune: officers' private chats, then linked groups."""
    chats: list[int] = []
    if commune_code is not None:
        chats += [
            o.user_id for o in await officers.officers_of(runtime.db, commune_code) if o.active
        ]
        chats += await officers.groups_of(runtime.db, commune_code)
    if not chats:
        chats = await admin_chats(runtime)
    return list(dict.fromkeys(chats))


async def admin_chats(runtime: Runtime) -> list[int]:
    """The province queue: the admins' private chats."""
    return [o.user_id for o in await officers.admins(runtime.db) if o.active]


async def route(runtime: Runtime, tip: tips.Tip, *, banner: str | None = None) -> list[int]:
    """Queues the tip's card for every recipient; its attachments follow once it is sent."""
    chats = await recipients(runtime, tip.commune_code)
    payload = {"tip_id": tip.id} | ({"banner": banner} if banner else {})
    for chat_id in chats:
        await outbox.enqueue(
            runtime.db,
            "tip",
            payload,
            chat_id=chat_id,
            # routed_at changes with a transfer: the new commune's chats get fresh rows.
            dedupe_key=f"tip:{tip.id}:{tip.routed_at}:{chat_id}",
        )
    return chats


async def to_tipster(runtime: Runtime, tip: tips.Tip, kind: str, key: str, **payload) -> bool:
    """Queues a message for the tipster of `tip` (addressed by tip: the chat is sealed)."""
    return await outbox.enqueue(
        runtime.db,
        kind,
        {"tip_id": tip.id, **payload},
        to_tipster_of=tip.id,
        dedupe_key=f"{kind}:{tip.id}:{key}",
    )


async def to_tip_chats(
    runtime: Runtime,
    tip: tips.Tip,
    outbox_kind: str,
    key: str,
    *,
    skip: int | None = None,
    **payload,
) -> None:
    """Queues a message for every staff chat that received this tip (except `skip`). The payload
    may carry its own "kind" (an answer's media kind), hence `outbox_kind`."""
    # Only chats that still cover the tip: after a transfer the old commune hears no more of it.
    covering = set(await recipients(runtime, tip.commune_code)) | set(await admin_chats(runtime))
    notified = {n.chat_id for n in await tips.list_notifications(runtime.db, tip.id)}
    chats = (notified & covering) or set(await recipients(runtime, tip.commune_code))
    for chat_id in sorted(chats - {skip}):
        await outbox.enqueue(
            runtime.db,
            outbox_kind,
            {"tip_id": tip.id, **payload},
            chat_id=chat_id,
            dedupe_key=f"{outbox_kind}:{tip.id}:{key}:{chat_id}",
        )
