"""Where a tip goes: its commune's active officers and the groups one of them vouches for
(storage/officers.py), or the province queue (the admins). The outbox checks again at the moment
of sending (`covers`, `is_staff_chat`), since an officer may be revoked in between.

Routing writes outbox rows only (inside the caller's transaction when there is one); the outbox
worker delivers them. So a tip committed with its routing is never lost, even if the bot dies
before the first message leaves, and a row already sent is never sent again.
"""

from __future__ import annotations

from collections.abc import Collection, Sequence

from bot.runtime import Runtime
from storage import officers, outbox, tips
from storage.outbox import OutboxKind


async def recipients(runtime: Runtime, commune_code: int | None) -> list[int]:
    """Chats that receive a tip of this commune: officers' private chats, then linked groups;
    the province queue when the commune has none."""
    chats = await commune_chats(runtime, commune_code) if commune_code is not None else []
    return chats or await admin_chats(runtime)


async def commune_chats(runtime: Runtime, commune_code: int) -> list[int]:
    """The commune's own chats: its active officers' private chats, then its linked groups."""
    chats = [o.user_id for o in await officers.officers_of(runtime.db, commune_code) if o.active]
    chats += await officers.groups_of(runtime.db, commune_code)
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
            OutboxKind.TIP,
            payload,
            chat_id=chat_id,
            # routed_at changes with a transfer: the new commune's chats get fresh rows.
            dedupe_key=f"tip:{tip.id}:{tip.routed_at}:{chat_id}",
        )
    return chats


async def reroute_open_tips(runtime: Runtime, commune_codes: Collection[int]) -> None:
    """Routes the open tips of these communes again, after their destinations changed: a chat
    that already had a tip keeps its row (same key), a new destination gets the card."""
    if not commune_codes:
        return
    found, _total = await tips.open_tips(runtime.db, commune_codes, limit=100_000)
    for open_tip in found:
        tip = await tips.get(runtime.db, open_tip.id)
        if tip is not None:
            await route(runtime, tip)


async def covers(runtime: Runtime, chat_id: int, tip: tips.Tip) -> bool:
    """At the moment of sending: this chat is one the tip goes to now (an active officer of its
    commune, a group one of them vouches for, or an admin)."""
    return chat_id in await recipients(runtime, tip.commune_code) or chat_id in await admin_chats(
        runtime
    )


async def is_staff_chat(runtime: Runtime, chat_id: int) -> bool:
    """Someone entitled to tips still reads this chat: an active officer or admin, or a group
    an active officer vouches for. A revoked officer's chat is none of these."""
    if chat_id < 0:
        return await officers.has_vouched_link(runtime.db, chat_id)
    officer = await officers.get(runtime.db, chat_id)
    return runtime.is_admin(chat_id) or (officer is not None and officer.active)


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


async def card_sent(runtime: Runtime, tip: tips.Tip, chat_id: int, message_id: int) -> None:
    """A card of the tip is now in this chat: later changes refresh it, follow-ups thread
    under it."""
    await tips.add_notification(runtime.db, tip.id, chat_id, message_id)


async def card_in(runtime: Runtime, chat_id: int, tip: tips.Tip) -> int | None:
    """The tip's card in this chat (the newest, if it got several), so follow-ups thread under
    it; None if the chat never got one."""
    for notification in reversed(await tips.list_notifications(runtime.db, tip.id)):
        if notification.chat_id == chat_id:
            return notification.message_id
    return None


async def follow_card(
    runtime: Runtime, tip: tips.Tip, chat_id: int, card_id: int, rest: Sequence[str]
) -> None:
    """Queues what follows a tip's card as replies to it: the rest of a long description (already
    cut into messages), the files (copies by file id), the location. The place goes first when
    the commune is not known: it is then what the officers need most."""
    if tip.location and tip.commune_code is None:
        await _follow_with_location(runtime, tip, chat_id, card_id)
    for part, chunk in enumerate(rest):
        await outbox.enqueue(
            runtime.db,
            OutboxKind.TIP_TEXT,
            {"tip_id": tip.id, "text": chunk, "reply_to": card_id},
            chat_id=chat_id,
            dedupe_key=f"tip_text:{tip.id}:{tip.routed_at}:{chat_id}:{part}",
        )
    for attachment in tip.attachments:
        await outbox.enqueue(
            runtime.db,
            OutboxKind.TIP_MEDIA,
            {"tip_id": tip.id, "file_id": attachment.file_id, "kind": attachment.kind,
             "reply_to": card_id},
            chat_id=chat_id,
            dedupe_key=f"tip_media:{tip.id}:{tip.routed_at}:{chat_id}:{attachment.file_unique_id}",
        )  # fmt: skip
    if tip.location and tip.commune_code is not None:
        await _follow_with_location(runtime, tip, chat_id, card_id)
    runtime.wake_outbox()


async def _follow_with_location(
    runtime: Runtime, tip: tips.Tip, chat_id: int, card_id: int
) -> None:
    await outbox.enqueue(
        runtime.db,
        OutboxKind.TIP_LOCATION,
        {"tip_id": tip.id, "reply_to": card_id},
        chat_id=chat_id,
        dedupe_key=f"tip_location:{tip.id}:{tip.routed_at}:{chat_id}",
    )
