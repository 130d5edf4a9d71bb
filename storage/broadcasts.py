"""Broadcasts of a bulletin to a topic's subscribers: one delivery row per recipient.

The rows are written with the broadcast, so a restart resumes from the 'pending' ones. The sender
marks a row 'sending' before the API call: a row left 'sending' by a crash is not sent again
(at most once; a bulletin missed is better than a bulletin twice).
"""

from __future__ import annotations

from dataclasses import dataclass

from storage.db import Database, now_or


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


@dataclass(frozen=True)
class Delivery:
    broadcast_id: int
    subscriber_id: int
    chat_id: int
    language: str


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
    return broadcast_id


async def get(db: Database, broadcast_id: int) -> Broadcast | None:
    row = await db.fetch_one("SELECT * FROM broadcasts WHERE id = ?", (broadcast_id,))
    return None if row is None else Broadcast(**row)


async def list_sending(db: Database) -> list[Broadcast]:
    """Broadcasts still under way: the sender resumes these at start."""
    rows = await db.fetch_all("SELECT * FROM broadcasts WHERE status = 'sending' ORDER BY id")
    return [Broadcast(**row) for row in rows]


async def next_pending(db: Database, broadcast_id: int, *, limit: int) -> list[Delivery]:
    rows = await db.fetch_all(
        """SELECT d.broadcast_id, d.subscriber_id, s.chat_id, s.language
           FROM deliveries AS d JOIN subscribers AS s ON s.id = d.subscriber_id
           WHERE d.broadcast_id = ? AND d.status = 'pending'
           ORDER BY d.subscriber_id LIMIT ?""",
        (broadcast_id, limit),
    )
    return [Delivery(**row) for row in rows]


async def mark(
    db: Database,
    broadcast_id: int,
    subscriber_id: int,
    status: str,
    *,
    message_id: int | None = None,
) -> None:
    """Move a delivery to 'sending', then to 'sent', 'failed' or 'blocked'."""
    async with db.transaction():
        await db.execute(
            """UPDATE deliveries SET status = ?, message_id = coalesce(?, message_id)
               WHERE broadcast_id = ? AND subscriber_id = ?""",
            (status, message_id, broadcast_id, subscriber_id),
        )


async def finish_if_done(db: Database, broadcast_id: int, *, now: int | None = None) -> bool:
    """Mark the broadcast done once no delivery is pending."""
    async with db.transaction():
        cursor = await db.execute(
            """UPDATE broadcasts SET status = 'done', finished_at = ?
               WHERE id = ? AND status = 'sending' AND NOT EXISTS
                   (SELECT 1 FROM deliveries WHERE broadcast_id = ? AND status = 'pending')""",
            (now_or(now), broadcast_id, broadcast_id),
        )
    return cursor.rowcount > 0


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
