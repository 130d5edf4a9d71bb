"""The notification outbox: messages written in the same transaction as their cause, then sent
by a worker that retries with backoff (bot/outbox_worker.py says how long each wait is). A dedupe
key makes enqueueing idempotent."""

from __future__ import annotations

import json
from collections.abc import Collection
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from storage.db import Database, now_or

# An outage of Telegram or of the network must not lose an alert: with the worker's backoff
# capped at an hour, this many attempts keep a message trying for about four days.
MAX_ATTEMPTS = 100


class OutboxKind(StrEnum):
    """What a row asks the sender to render (outbox.kind); each has one deliverer in handlers/."""

    TIP = "tip"  # a tip's card, to a staff chat
    TIP_TEXT = "tip_text"  # the rest of a long description, after the card
    TIP_MEDIA = "tip_media"  # one of the tip's attachments
    TIP_LOCATION = "tip_location"  # the tip's map pin
    REFRESH = "refresh"  # edit every card of a tip after a change
    STAFF_TEXT = "staff_text"  # to staff about a tip: an answer, a note, a transfer
    STAFF_ANSWER_MEDIA = "staff_answer_media"  # a file the tipster sent as an answer
    TIPSTER_TEXT = "tipster_text"  # to the tipster: acknowledgement, status, question, reply
    BULLETIN_NOTICE = "bulletin_notice"  # to an admin, about bulletins


@dataclass(frozen=True)
class OutboxItem:
    id: int
    kind: str  # an OutboxKind, or a kind an older version queued (no deliverer: dropped)
    chat_id: int | None
    to_tipster_of: int | None  # a tip id: the chat is in its sealed way back
    payload: dict[str, Any]
    dedupe_key: str
    attempts: int


async def enqueue(
    db: Database,
    kind: str,
    payload: dict[str, Any],
    *,
    dedupe_key: str,
    chat_id: int | None = None,
    to_tipster_of: int | None = None,
    not_before: int | None = None,
    now: int | None = None,
) -> bool:
    """Queue one message for a chat, or for the tipster of a tip. False if the key was queued."""
    if (chat_id is None) == (to_tipster_of is None):
        raise ValueError("give exactly one of chat_id and to_tipster_of")
    now = now_or(now)
    async with db.transaction():
        cursor = await db.execute(
            """INSERT INTO outbox (kind, chat_id, to_tipster_of, payload, dedupe_key,
                   next_attempt_at, created_at, updated_at)
               VALUES (?, ?, ?, ?, ?, ?, ?, ?)
               ON CONFLICT (dedupe_key) DO NOTHING""",
            (
                kind,
                chat_id,
                to_tipster_of,
                json.dumps(payload, ensure_ascii=False),
                dedupe_key,
                now if not_before is None else not_before,
                now,
                now,
            ),
        )
    return cursor.rowcount > 0


async def release_claims(db: Database, *, now: int | None = None) -> int:
    """Make every claimed row due now; returns how many. For start-up only: a row still
    'sending' then was claimed by a bot process that is gone (killed, or stopped mid-queue), and
    waiting out its lease would hold an urgent tip's alert back for minutes. One bot process
    works on a database (Telegram ends a second poller with 409). The row may go out twice."""
    now = now_or(now)
    async with db.transaction():
        cursor = await db.execute(
            """UPDATE outbox SET status = 'pending', next_attempt_at = ?, updated_at = ?
               WHERE status = 'sending'""",
            (now, now),
        )
    return cursor.rowcount


async def claim_due(
    db: Database, *, limit: int, lease: int = 60, now: int | None = None
) -> list[OutboxItem]:
    """Take up to ``limit`` due messages, oldest first, and mark them 'sending' for ``lease``
    seconds. A claim that lapses (the worker crashed mid-send) is taken again: a message may then
    go out twice, which is better than never for a tip alert."""
    now = now_or(now)
    async with db.transaction():
        rows = await db.fetch_all(
            """SELECT id, kind, chat_id, to_tipster_of, payload, dedupe_key, attempts FROM outbox
               WHERE status IN ('pending', 'sending') AND next_attempt_at <= ?
               ORDER BY next_attempt_at, id LIMIT ?""",
            (now, limit),
        )
        await db.executemany(
            """UPDATE outbox SET status = 'sending', attempts = attempts + 1,
                   next_attempt_at = ?, updated_at = ? WHERE id = ?""",
            [(now + lease, now, row["id"]) for row in rows],
        )
    return [
        OutboxItem(
            id=row["id"],
            kind=row["kind"],
            chat_id=row["chat_id"],
            to_tipster_of=row["to_tipster_of"],
            payload=json.loads(row["payload"]),
            dedupe_key=row["dedupe_key"],
            attempts=row["attempts"] + 1,
        )
        for row in rows
    ]


async def mark_sent(
    db: Database, item_id: int, *, message_id: int | None, now: int | None = None
) -> None:
    async with db.transaction():
        await db.execute(
            """UPDATE outbox SET status = 'sent', sent_message_id = ?, last_error = NULL,
                   updated_at = ? WHERE id = ?""",
            (message_id, now_or(now), item_id),
        )


async def mark_failed(
    db: Database,
    item_id: int,
    error: str,
    *,
    retry_in: int = 0,
    permanent: bool = False,
    now: int | None = None,
) -> str:
    """Record a failed attempt; returns the new status.

    'pending' again in ``retry_in`` seconds (the worker's backoff, or Telegram's
    ``retry_after``), or 'failed' for good when ``permanent`` (e.g. the bot was blocked) or
    after MAX_ATTEMPTS.
    """
    now = now_or(now)
    async with db.transaction():
        attempts = await db.fetch_value("SELECT attempts FROM outbox WHERE id = ?", (item_id,))
        if attempts is None:
            raise KeyError(item_id)
        give_up = permanent or attempts >= MAX_ATTEMPTS
        status = "failed" if give_up else "pending"
        await db.execute(
            """UPDATE outbox SET status = ?, last_error = ?, next_attempt_at = ?, updated_at = ?
               WHERE id = ?""",
            (status, error[:500], now + retry_in, now, item_id),
        )
    return status


async def readdress(
    db: Database,
    old_chat_id: int,
    new_chat_id: int,
    *,
    drop_kinds: Collection[str],
    now: int | None = None,
) -> int:
    """The chat got a new id (a group upgraded to a supergroup): its unsent rows go to the new
    id as new rows, keyed for the new chat (a key ending in the old id ends in the new one, so
    routing again to the new chat finds them queued), due now. Rows of ``drop_kinds`` (those
    that name a message of the old chat: an edit, a reply to it) are given up instead. The old
    rows end as failed, not rewritten: a worker still holding one finds it done. Returns how
    many rows the new id got."""
    now = now_or(now)
    old, new = str(old_chat_id), str(new_chat_id)
    kinds = json.dumps(list(drop_kinds))
    async with db.transaction():
        moved = await db.execute(
            """INSERT INTO outbox (kind, chat_id, payload, dedupe_key, next_attempt_at,
                   created_at, updated_at)
               SELECT kind, ?, payload,
                   CASE WHEN dedupe_key LIKE '%:' || ? THEN
                       substr(dedupe_key, 1, length(dedupe_key) - length(?)) || ?
                   ELSE dedupe_key || ':moved:' || ? END,
                   ?, created_at, ?
               FROM outbox WHERE chat_id = ? AND status IN ('pending', 'sending')
                   AND kind NOT IN (SELECT value FROM json_each(?))
               ORDER BY id  -- the chat's order is kept
               ON CONFLICT (dedupe_key) DO NOTHING""",
            (new_chat_id, old, old, new, new, now, now, old_chat_id, kinds),
        )
        await db.execute(
            """UPDATE outbox SET status = 'failed', last_error = ?, updated_at = ?
               WHERE chat_id = ? AND status IN ('pending', 'sending')""",
            (f"the group moved to {new_chat_id}", now, old_chat_id),
        )
    return moved.rowcount


async def purge_finished(db: Database, *, before: int) -> int:
    """Rows sent or given up before `before`: their work is done, keeping them only keeps traces
    (which chats heard about which tip, and when)."""
    async with db.transaction():
        cursor = await db.execute(
            "DELETE FROM outbox WHERE status IN ('sent', 'failed') AND updated_at < ?", (before,)
        )
    return cursor.rowcount
