"""Broadcasts of a bulletin to a topic's subscribers: one delivery row per recipient.

The rows are written with the broadcast, so a restart resumes from the 'pending' ones. The sender
marks rows 'sending' before the API calls (a few at a time, ``claim_many``) and records the
messages that went out in small batches (``record_sent``). A row still 'sending' when the process
starts was claimed, in flight or sent but not yet recorded at a crash: it goes back to 'pending'
(bot/broadcast.py), so every subscriber gets the bulletin, and only those few can get it twice.

Once a broadcast ends, its totals move into the broadcast row and its delivery rows are deleted
(see 0003_bulletin_sending.sql for why).
"""

from __future__ import annotations

import json
from dataclasses import dataclass

from storage.db import Database, now_or

ERROR_LIMIT = 300  # characters of an error kept on a delivery or channel post


@dataclass(frozen=True)
class Broadcast:
    id: int
    slug: str
    topic: str
    schedule_id: int | None
    run_key: str | None
    created_by: int | None
    status: str  # sending | done | cancelled
    created_at: int
    finished_at: int | None
    # 0003: recipients when it was created, when the first message left, totals once it ended.
    recipients: int | None = None
    started_at: int | None = None
    sent_count: int | None = None
    failed_count: int | None = None
    blocked_count: int | None = None


@dataclass(frozen=True)
class Delivery:
    broadcast_id: int
    subscriber_id: int
    chat_id: int
    language: str
    attempts: int = 0


async def create(
    db: Database,
    slug: str,
    topic: str,
    *,
    created_by: int | None = None,
    schedule_id: int | None = None,
    run_key: str | None = None,
    now: int | None = None,
) -> int | None:
    """Create the broadcast and a pending delivery for every active subscriber of the topic.

    None if ``run_key`` (e.g. "schedule:3:2025-09-01T08:00") was used before: a schedule slot
    that fires again after a restart does not broadcast twice.
    """
    async with db.transaction():
        cursor = await db.execute(
            """INSERT INTO broadcasts (slug, topic, schedule_id, run_key, created_by, created_at)
               VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (run_key) DO NOTHING""",
            (slug, topic, schedule_id, run_key, created_by, now_or(now)),
        )
        if cursor.rowcount == 0:
            return None
        broadcast_id = cursor.lastrowid
        await db.execute(
            """INSERT INTO deliveries (broadcast_id, subscriber_id)
               SELECT ?, s.id FROM subscribers AS s
               JOIN subscriber_topics AS t ON t.subscriber_id = s.id
               WHERE t.topic = ? AND s.active = 1""",
            (broadcast_id, topic),
        )
        await db.execute(
            """UPDATE broadcasts SET recipients =
                   (SELECT count(*) FROM deliveries WHERE broadcast_id = ?) WHERE id = ?""",
            (broadcast_id, broadcast_id),
        )
    return broadcast_id


async def get(db: Database, broadcast_id: int) -> Broadcast | None:
    row = await db.fetch_one("SELECT * FROM broadcasts WHERE id = ?", (broadcast_id,))
    return None if row is None else Broadcast(**row)


async def cancel(db: Database, broadcast_id: int, *, now: int | None = None) -> bool:
    async with db.transaction():
        cursor = await db.execute(
            """UPDATE broadcasts SET status = 'cancelled', finished_at = ?
               WHERE id = ? AND status = 'sending'""",
            (now_or(now), broadcast_id),
        )
        await db.execute(
            """UPDATE deliveries SET status = 'cancelled'
               WHERE broadcast_id = ? AND status = 'pending'""",
            (broadcast_id,),
        )
    return cursor.rowcount > 0


async def progress(db: Database, broadcast_id: int) -> dict[str, int]:
    """Deliveries per status, for the admins' progress view."""
    rows = await db.fetch_all(
        "SELECT status, count(*) FROM deliveries WHERE broadcast_id = ? GROUP BY status",
        (broadcast_id,),
    )
    return {row[0]: row[1] for row in rows}


# Sending (0003) --------------------------------------------------------------------------------


async def requeue_in_flight(db: Database) -> int:
    """At start only: rows a crash left 'sending' (deliveries and channel posts) go out again."""
    async with db.transaction():
        cursor = await db.execute(
            """UPDATE deliveries SET status = 'pending' WHERE status = 'sending'
               AND broadcast_id IN (SELECT id FROM broadcasts WHERE status = 'sending')"""
        )
        await db.execute("UPDATE channel_posts SET status = 'pending' WHERE status = 'sending'")
    return cursor.rowcount


async def next_with_work(db: Database, *, now: int) -> Broadcast | None:
    """The oldest broadcast under way with a delivery or channel post due now."""
    row = await db.fetch_one(
        """SELECT * FROM broadcasts AS b WHERE b.status = 'sending' AND (
               EXISTS (SELECT 1 FROM deliveries AS d WHERE d.broadcast_id = b.id
                       AND d.status = 'pending' AND d.next_attempt_at <= :now)
               OR EXISTS (SELECT 1 FROM channel_posts AS c WHERE c.broadcast_id = b.id
                       AND c.status = 'pending' AND c.next_attempt_at <= :now))
           ORDER BY b.id LIMIT 1""",
        {"now": now},
    )
    return None if row is None else Broadcast(**row)


async def next_attempt_at(db: Database) -> int | None:
    """When the earliest delivery or channel post waiting for a retry is due."""
    return await db.fetch_value(
        """SELECT min(t) FROM (
               SELECT min(d.next_attempt_at) AS t FROM deliveries AS d
               JOIN broadcasts AS b ON b.id = d.broadcast_id
               WHERE b.status = 'sending' AND d.status = 'pending'
               UNION ALL
               SELECT min(c.next_attempt_at) FROM channel_posts AS c
               JOIN broadcasts AS b ON b.id = c.broadcast_id
               WHERE b.status = 'sending' AND c.status = 'pending')"""
    )


async def finishable(db: Database) -> list[Broadcast]:
    """Broadcasts under way with nothing left to send or in flight."""
    rows = await db.fetch_all(
        """SELECT * FROM broadcasts AS b WHERE b.status = 'sending'
           AND NOT EXISTS (SELECT 1 FROM deliveries AS d WHERE d.broadcast_id = b.id
                           AND d.status IN ('pending', 'sending'))
           AND NOT EXISTS (SELECT 1 FROM channel_posts AS c WHERE c.broadcast_id = b.id
                           AND c.status IN ('pending', 'sending'))
           ORDER BY b.id"""
    )
    return [Broadcast(**row) for row in rows]


async def due(
    db: Database, broadcast_id: int, *, after: int | None, now: int, limit: int
) -> list[Delivery]:
    """The next ``limit`` deliveries due now, in subscriber order after ``after``: the sender
    streams a broadcast in batches, so memory does not grow with the number of recipients."""
    rows = await db.fetch_all(
        """SELECT d.broadcast_id, d.subscriber_id, s.chat_id, s.language, d.attempts
           FROM deliveries AS d JOIN subscribers AS s ON s.id = d.subscriber_id
           WHERE d.broadcast_id = ? AND d.status = 'pending' AND d.subscriber_id > ?
               AND d.next_attempt_at <= ?
           ORDER BY d.subscriber_id LIMIT ?""",
        (broadcast_id, -(2**63) if after is None else after, now, limit),
    )
    return [Delivery(**row) for row in rows]


async def claim_many(db: Database, broadcast_id: int, subscriber_ids: list[int]) -> set[int]:
    """'pending' -> 'sending' just before the calls, in one statement: the rows claimed (the
    others moved on meanwhile: the subscriber left, the broadcast was cancelled)."""
    async with db.transaction():
        cursor = await db.execute(
            """UPDATE deliveries SET status = 'sending'
               WHERE broadcast_id = ? AND status = 'pending'
                   AND subscriber_id IN (SELECT value FROM json_each(?))
               RETURNING subscriber_id""",
            (broadcast_id, json.dumps(subscriber_ids)),
        )
        rows = await cursor.fetchall()
    return {row[0] for row in rows}


async def release(db: Database, broadcast_id: int, subscriber_ids: list[int]) -> None:
    """Claimed rows the sender did not send after all (it stopped, quiet hours began): 'pending'
    again, as they were."""
    async with db.transaction():
        await db.execute(
            """UPDATE deliveries SET status = 'pending'
               WHERE broadcast_id = ? AND status = 'sending'
                   AND subscriber_id IN (SELECT value FROM json_each(?))""",
            (broadcast_id, json.dumps(subscriber_ids)),
        )


async def record_sent(db: Database, sent: list[tuple[int, int, int]]) -> None:
    """``record(..., 'sent', message_id=...)`` for many ``(broadcast_id, subscriber_id,
    message_id)`` in one transaction."""
    async with db.transaction():
        await db.executemany(
            """UPDATE deliveries SET status = 'sent', message_id = ?, error = NULL,
                   attempts = attempts + 1
               WHERE broadcast_id = ? AND subscriber_id = ? AND status = 'sending'""",
            [
                (message_id, broadcast_id, subscriber_id)
                for broadcast_id, subscriber_id, message_id in sent
            ],
        )


async def record(
    db: Database,
    broadcast_id: int,
    subscriber_id: int,
    status: str,
    *,
    message_id: int | None = None,
    error: str | None = None,
    retry_at: int | None = None,
    count_attempt: bool = True,
) -> None:
    """The outcome of a call: 'sent', 'failed', 'blocked', or 'pending' again at ``retry_at``.
    Only a row still 'sending' is changed (a cancelled broadcast's rows stay cancelled)."""
    outcome = _outcome(status, message_id, error, retry_at, count_attempt)
    async with db.transaction():
        await db.execute(
            """UPDATE deliveries SET status = ?, message_id = coalesce(?, message_id),
                   error = ?, next_attempt_at = coalesce(?, next_attempt_at),
                   attempts = attempts + ?
               WHERE broadcast_id = ? AND subscriber_id = ? AND status = 'sending'""",
            (*outcome, broadcast_id, subscriber_id),
        )


def _outcome(
    status: str, message_id: int | None, error: str | None, retry_at: int | None, count: bool
) -> tuple[str, int | None, str | None, int | None, int]:
    """The values a call's outcome sets on its delivery or channel post, in the order of both
    UPDATEs (two statements, one per table: merging them would build SQL from strings)."""
    return status, message_id, None if error is None else error[:ERROR_LIMIT], retry_at, int(count)


async def mark_started(db: Database, broadcast_id: int, *, now: int) -> None:
    async with db.transaction():
        await db.execute(
            "UPDATE broadcasts SET started_at = ? WHERE id = ? AND started_at IS NULL",
            (now, broadcast_id),
        )


async def complete(db: Database, broadcast_id: int, *, now: int | None = None) -> bool:
    """Marks the broadcast done if nothing is left to send or in flight, keeps its totals and
    deletes its delivery rows. False if it is not finished (or was already)."""
    async with db.transaction():
        cursor = await db.execute(
            """UPDATE broadcasts SET status = 'done', finished_at = ?
               WHERE id = ? AND status = 'sending'
               AND NOT EXISTS (SELECT 1 FROM deliveries WHERE broadcast_id = ?
                               AND status IN ('pending', 'sending'))
               AND NOT EXISTS (SELECT 1 FROM channel_posts WHERE broadcast_id = ?
                               AND status IN ('pending', 'sending'))""",
            (now_or(now), broadcast_id, broadcast_id, broadcast_id),
        )
        if cursor.rowcount:
            await summarise(db, broadcast_id)
    return cursor.rowcount > 0


async def summarise(db: Database, broadcast_id: int) -> None:
    """Totals into the broadcast row; the delivery rows go (a finished or cancelled broadcast).

    Rows still 'sending' (only a cancelled broadcast has them) count as sent: the sender sends
    what it claimed, and records what went out in batches, so most of them are out already."""
    async with db.transaction():
        await db.execute(
            """UPDATE broadcasts SET
                   sent_count = (SELECT count(*) FROM deliveries
                                 WHERE broadcast_id = :id AND status IN ('sent', 'sending')),
                   failed_count = (SELECT count(*) FROM deliveries
                                   WHERE broadcast_id = :id AND status = 'failed'),
                   blocked_count = (SELECT count(*) FROM deliveries
                                    WHERE broadcast_id = :id AND status = 'blocked')
               WHERE id = :id""",
            {"id": broadcast_id},
        )
        await db.execute("DELETE FROM deliveries WHERE broadcast_id = ?", (broadcast_id,))


@dataclass(frozen=True)
class Progress:
    sent: int
    failed: int
    blocked: int
    cancelled: int
    remaining: int  # pending or in flight

    @classmethod
    def of(cls, broadcast: Broadcast, counts: dict[str, int]) -> Progress:
        if broadcast.status != "sending" and broadcast.sent_count is not None:
            return cls(
                broadcast.sent_count, broadcast.failed_count or 0, broadcast.blocked_count or 0,
                0, 0,
            )  # fmt: skip
        return cls(
            counts.get("sent", 0),
            counts.get("failed", 0),
            counts.get("blocked", 0),
            counts.get("cancelled", 0),
            counts.get("pending", 0) + counts.get("sending", 0),
        )


async def progress_of(db: Database, broadcast: Broadcast) -> Progress:
    counts = await progress(db, broadcast.id) if broadcast.status == "sending" else {}
    return Progress.of(broadcast, counts)


async def list_recent(db: Database, *, finished: int = 5) -> list[Broadcast]:
    """Every broadcast under way (oldest first: the order they are sent in), then the latest
    ``finished`` ones."""
    under_way = await db.fetch_all("SELECT * FROM broadcasts WHERE status = 'sending' ORDER BY id")
    ended = await db.fetch_all(
        "SELECT * FROM broadcasts WHERE status <> 'sending' ORDER BY id DESC LIMIT ?", (finished,)
    )
    return [Broadcast(**row) for row in [*under_way, *ended]]


# The channel (0003) ----------------------------------------------------------------------------


@dataclass(frozen=True)
class ChannelPost:
    slug: str
    channel: str
    broadcast_id: int | None
    status: str  # pending | sending | sent | failed
    attempts: int
    next_attempt_at: int
    message_id: int | None
    error: str | None


async def want_channel_post(db: Database, slug: str, channel: str, broadcast_id: int) -> bool:
    """The channel gets this bulletin with this broadcast, unless it already has it (a post that
    failed for good is tried again). False if it has it."""
    async with db.transaction():
        cursor = await db.execute(
            """INSERT INTO channel_posts (slug, channel, broadcast_id) VALUES (?, ?, ?)
               ON CONFLICT (slug, channel) DO UPDATE SET broadcast_id = excluded.broadcast_id,
                   status = 'pending', attempts = 0, next_attempt_at = 0, error = NULL
               WHERE channel_posts.status = 'failed'""",
            (slug, channel, broadcast_id),
        )
    return cursor.rowcount > 0


async def channel_post_of(db: Database, broadcast_id: int) -> ChannelPost | None:
    row = await db.fetch_one("SELECT * FROM channel_posts WHERE broadcast_id = ?", (broadcast_id,))
    return None if row is None else ChannelPost(**row)


async def claim_channel_post(db: Database, slug: str, channel: str, *, now: int) -> bool:
    async with db.transaction():
        cursor = await db.execute(
            """UPDATE channel_posts SET status = 'sending' WHERE slug = ? AND channel = ?
               AND status = 'pending' AND next_attempt_at <= ?""",
            (slug, channel, now),
        )
    return cursor.rowcount > 0


async def record_channel_post(
    db: Database,
    slug: str,
    channel: str,
    status: str,
    *,
    message_id: int | None = None,
    error: str | None = None,
    retry_at: int | None = None,
    count_attempt: bool = True,
) -> None:
    """``record`` for the channel's post of a bulletin."""
    outcome = _outcome(status, message_id, error, retry_at, count_attempt)
    async with db.transaction():
        await db.execute(
            """UPDATE channel_posts SET status = ?, message_id = coalesce(?, message_id),
                   error = ?, next_attempt_at = coalesce(?, next_attempt_at),
                   attempts = attempts + ?
               WHERE slug = ? AND channel = ? AND status = 'sending'""",
            (*outcome, slug, channel),
        )
