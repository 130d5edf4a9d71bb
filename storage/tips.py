"""Tips: the tip itself, its indicators, media, thread, status history, notifications and the
sealed way back to the tipster. Nothing here knows who the tipster is."""

from __future__ import annotations

import json
from collections.abc import Collection, Iterable
from dataclasses import dataclass, field
from enum import StrEnum
from sqlite3 import Row
from typing import Any

from storage.db import Database, now_or


class TipStatus(StrEnum):
    """A tip's status, as stored in tips.status (and its CHECK constraint, migration 0001)."""

    NEW = "new"
    ACKNOWLEDGED = "acknowledged"
    INVESTIGATING = "investigating"
    RESOLVED = "resolved"
    NOT_ACTIONABLE = "not_actionable"


CLOSED_STATUSES = frozenset({TipStatus.RESOLVED, TipStatus.NOT_ACTIONABLE})
# The same set as an SQL parameter: `status NOT IN (SELECT value FROM json_each(?))`.
_CLOSED_JSON = json.dumps(sorted(CLOSED_STATUSES))
# What an officer sets by hand (acknowledging and a transfer have their own functions).
SETTABLE_STATUSES = frozenset({TipStatus.INVESTIGATING}) | CLOSED_STATUSES
# "new" written into SQL from the enum, not bound: the partial index tips_unacknowledged
# (WHERE status = 'new') serves only queries whose condition SQLite can see is the same.
_IS_NEW = f"status = '{TipStatus.NEW}'"


@dataclass(frozen=True)
class Indicator:
    kind: str  # phone | account | link | app | amount
    value: str  # normalised, so that repeats match
    raw: str
    bank: str | None = None


@dataclass(frozen=True)
class Attachment:
    kind: str  # photo | video | voice | document | ...
    file_id: str
    file_unique_id: str


@dataclass(frozen=True)
class NewTip:
    """Everything the resident entered, plus what the application derived from it."""

    code: str
    receipt_hash: str
    category: str
    description: str
    way_back: bytes  # sealed by the application; opaque here
    commune_code: int | None = None  # None: "I don't know"
    kind: str | None = None
    urgent: bool = False
    answers: dict[str, Any] = field(default_factory=dict)
    location: tuple[float, float] | None = None  # (latitude, longitude)
    indicators: tuple[Indicator, ...] = ()
    attachments: tuple[Attachment, ...] = ()


@dataclass(frozen=True)
class Tip:
    id: int
    code: str
    category: str
    kind: str | None
    commune_code: int | None
    urgent: bool
    description: str
    answers: dict[str, Any]
    location: tuple[float, float] | None
    status: TipStatus
    created_at: int
    updated_at: int
    routed_at: int
    reminded_at: int | None
    escalated_at: int | None
    acknowledged_at: int | None
    acknowledged_by: int | None
    closed_at: int | None
    indicators: tuple[Indicator, ...]
    attachments: tuple[Attachment, ...]

    @property
    def closed(self) -> bool:
        return self.status in CLOSED_STATUSES


@dataclass(frozen=True)
class TipMessage:
    id: int
    tip_id: int
    kind: str  # question | answer | note | reply
    body: str
    officer_id: int | None
    created_at: int


@dataclass(frozen=True)
class StatusChange:
    status: str
    commune_code: int | None
    officer_id: int | None
    changed_at: int


@dataclass(frozen=True)
class Notification:
    chat_id: int
    message_id: int


# The tip -------------------------------------------------------------------------------------


async def insert(db: Database, tip: NewTip, *, now: int | None = None) -> Tip:
    """Store a complete tip with its indicators, media and way back, all or nothing."""
    now = now_or(now)
    latitude, longitude = tip.location or (None, None)
    async with db.transaction():
        tip_id = await db.insert(
            """INSERT INTO tips (code, receipt_hash, category, kind, commune_code, urgent,
                   description, answers, latitude, longitude, created_at, updated_at, routed_at)
               VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)""",
            (
                tip.code,
                tip.receipt_hash,
                tip.category,
                tip.kind,
                tip.commune_code,
                int(tip.urgent),
                tip.description,
                json.dumps(tip.answers, ensure_ascii=False),
                latitude,
                longitude,
                now,
                now,
                now,
            ),
        )
        await db.executemany(
            "INSERT INTO tip_indicators (tip_id, kind, value, raw, bank) VALUES (?, ?, ?, ?, ?)",
            [(tip_id, i.kind, i.value, i.raw, i.bank) for i in tip.indicators],
        )
        await db.executemany(
            """INSERT INTO tip_attachments (tip_id, position, kind, file_id, file_unique_id)
               VALUES (?, ?, ?, ?, ?)""",
            [
                (tip_id, position, a.kind, a.file_id, a.file_unique_id)
                for position, a in enumerate(tip.attachments)
            ],
        )
        await db.execute(
            "INSERT INTO tip_way_back (tip_id, sealed) VALUES (?, ?)", (tip_id, tip.way_back)
        )
        await _record(db, tip_id, officer_id=None, now=now)
        stored = await get(db, tip_id)
    assert stored is not None
    return stored


async def get(db: Database, tip_id: int) -> Tip | None:
    return await _one(db, "id = ?", (tip_id,))


async def get_by_code(db: Database, code: str) -> Tip | None:
    return await _one(db, "code = ?", (code,))


async def get_by_receipt_hash(db: Database, receipt_hash: str) -> Tip | None:
    return await _one(db, "receipt_hash = ?", (receipt_hash,))


# Status --------------------------------------------------------------------------------------


async def acknowledge(
    db: Database, tip_id: int, *, officer_id: int, now: int | None = None
) -> bool:
    """New -> acknowledged. False if the tip was not new: a second officer's press changes nothing,
    so the tipster hears "received" once."""
    now = now_or(now)
    async with db.transaction():
        cursor = await db.execute(
            """UPDATE tips SET status = ?, acknowledged_at = ?, acknowledged_by = ?, updated_at = ?
               WHERE id = ? AND status = ?""",
            (TipStatus.ACKNOWLEDGED, now, officer_id, now, tip_id, TipStatus.NEW),
        )
        if cursor.rowcount == 0:
            return False
        await _record(db, tip_id, officer_id=officer_id, now=now)
    return True


async def set_status(
    db: Database,
    tip_id: int,
    status: str,
    *,
    officer_id: int,
    keep_way_back_for: int | None = None,
    now: int | None = None,
) -> bool:
    """Move an open tip to investigating, resolved or not_actionable.

    Closing needs ``keep_way_back_for``: the seconds the tipster stays reachable after the close
    (the retention period), after which purge_way_backs deletes the way back.
    False if the tip is already closed or already has that status.
    """
    if status not in SETTABLE_STATUSES:
        raise ValueError(f"cannot set status {status!r}")
    closing = status in CLOSED_STATUSES
    if closing and keep_way_back_for is None:
        raise ValueError("closing a tip needs keep_way_back_for (the retention period)")
    now = now_or(now)
    async with db.transaction():
        cursor = await db.execute(
            """UPDATE tips SET status = ?, updated_at = ?, closed_at = ?
               WHERE id = ? AND status <> ?
                   AND status NOT IN (SELECT value FROM json_each(?))""",
            (status, now, now if closing else None, tip_id, status, _CLOSED_JSON),
        )
        if cursor.rowcount == 0:
            return False
        if closing and keep_way_back_for is not None:  # (checked above: set when closing)
            await db.execute(
                "UPDATE tip_way_back SET delete_after = ? WHERE tip_id = ?",
                (now + keep_way_back_for, tip_id),
            )
        await _record(db, tip_id, officer_id=officer_id, now=now)
    return True


async def transfer(
    db: Database, tip_id: int, commune_code: int, *, officer_id: int, now: int | None = None
) -> bool:
    """Route an open tip to another commune, whose officers must acknowledge it afresh."""
    now = now_or(now)
    async with db.transaction():
        cursor = await db.execute(
            """UPDATE tips SET commune_code = ?, status = ?, routed_at = ?, reminded_at = NULL,
                   escalated_at = NULL, updated_at = ?
               WHERE id = ? AND status NOT IN (SELECT value FROM json_each(?))
                   AND commune_code IS NOT ?""",
            (commune_code, TipStatus.NEW, now, now, tip_id, _CLOSED_JSON, commune_code),
        )
        if cursor.rowcount == 0:
            return False
        await _record(db, tip_id, officer_id=officer_id, now=now)
    return True


async def history(db: Database, tip_id: int) -> list[StatusChange]:
    rows = await db.fetch_all(
        """SELECT status, commune_code, officer_id, changed_at FROM tip_status_history
           WHERE tip_id = ? ORDER BY id""",
        (tip_id,),
    )
    return [StatusChange(**row) for row in rows]


async def _record(db: Database, tip_id: int, *, officer_id: int | None, now: int) -> None:
    """Append the tip's status and commune as they are now to its history."""
    await db.execute(
        """INSERT INTO tip_status_history (tip_id, status, commune_code, officer_id, changed_at)
           SELECT id, status, commune_code, ?, ? FROM tips WHERE id = ?""",
        (officer_id, now, tip_id),
    )


# Reminders and escalation ----------------------------------------------------------------------


async def due_reminders(db: Database, *, urgent_before: int, normal_before: int) -> list[Tip]:
    """Unacknowledged tips routed before the cutoff for their urgency, not yet reminded."""
    return await _overdue(db, "reminded_at", urgent_before, normal_before)


async def due_escalations(db: Database, *, urgent_before: int, normal_before: int) -> list[Tip]:
    """Unacknowledged tips routed before the cutoff for their urgency, not yet escalated."""
    return await _overdue(db, "escalated_at", urgent_before, normal_before)


async def mark_reminded(db: Database, tip_id: int, *, now: int | None = None) -> bool:
    """False if the tip was acknowledged (or reminded) meanwhile: then no reminder is due."""
    return await _mark_overdue(db, "reminded_at", tip_id, now)


async def mark_escalated(db: Database, tip_id: int, *, now: int | None = None) -> bool:
    """False if the tip was acknowledged (or escalated) meanwhile."""
    return await _mark_overdue(db, "escalated_at", tip_id, now)


async def _mark_overdue(db: Database, column: str, tip_id: int, now: int | None) -> bool:
    # `column` is one of this module's two literals, never outside input.
    async with db.transaction():
        cursor = await db.execute(
            f"""UPDATE tips SET {column} = ?
                WHERE id = ? AND {_IS_NEW} AND {column} IS NULL""",  # noqa: S608
            (now_or(now), tip_id),
        )
    return cursor.rowcount > 0


_OVERDUE = (
    _IS_NEW
    + """ AND {done} IS NULL
    AND routed_at < CASE WHEN urgent = 1 THEN ? ELSE ? END ORDER BY routed_at"""
)


async def _overdue(
    db: Database, done_column: str, urgent_before: int, normal_before: int
) -> list[Tip]:
    return await _load(db, _OVERDUE.format(done=done_column), (urgent_before, normal_before))


# Thread, notifications, way back -------------------------------------------------------------


async def add_message(
    db: Database,
    tip_id: int,
    kind: str,
    body: str,
    *,
    officer_id: int | None = None,
    attachment: Attachment | None = None,
    now: int | None = None,
) -> int:
    """Add to the tip's thread; ``officer_id`` for every kind except the tipster's 'answer',
    which may carry a file."""
    async with db.transaction():
        message_id = await db.insert(
            """INSERT INTO tip_messages (tip_id, kind, body, officer_id, created_at)
               VALUES (?, ?, ?, ?, ?)""",
            (tip_id, kind, body, officer_id, now_or(now)),
        )
        if attachment is not None:
            await db.execute(
                """INSERT INTO tip_message_files (message_id, kind, file_id, file_unique_id)
                   VALUES (?, ?, ?, ?)""",
                (message_id, attachment.kind, attachment.file_id, attachment.file_unique_id),
            )
    return message_id


async def message_file(db: Database, message_id: int) -> Attachment | None:
    """The file that came with a message of the thread, if any."""
    row = await db.fetch_one(
        "SELECT kind, file_id, file_unique_id FROM tip_message_files WHERE message_id = ?",
        (message_id,),
    )
    return None if row is None else Attachment(**row)


async def list_messages(
    db: Database, tip_id: int, *, kinds: Collection[str] | None = None
) -> list[TipMessage]:
    """The thread in order; ``kinds=("reply",)`` gives what /status may show."""
    rows = await db.fetch_all("SELECT * FROM tip_messages WHERE tip_id = ? ORDER BY id", (tip_id,))
    messages = [TipMessage(**row) for row in rows]
    return messages if kinds is None else [m for m in messages if m.kind in kinds]


async def add_notification(db: Database, tip_id: int, chat_id: int, message_id: int) -> None:
    async with db.transaction():
        await db.execute(
            """INSERT OR IGNORE INTO tip_notifications (tip_id, chat_id, message_id)
               VALUES (?, ?, ?)""",
            (tip_id, chat_id, message_id),
        )


async def list_notifications(db: Database, tip_id: int) -> list[Notification]:
    rows = await db.fetch_all(
        "SELECT chat_id, message_id FROM tip_notifications WHERE tip_id = ? ORDER BY rowid",
        (tip_id,),
    )
    return [Notification(**row) for row in rows]


async def get_way_back(db: Database, tip_id: int) -> bytes | None:
    """The sealed way back to the tipster, or None once retention has deleted it."""
    return await db.fetch_value("SELECT sealed FROM tip_way_back WHERE tip_id = ?", (tip_id,))


async def purge_way_backs(db: Database, *, now: int | None = None) -> int:
    """Delete the ways back whose retention has ended; the tips themselves stay."""
    async with db.transaction():
        cursor = await db.execute(
            "DELETE FROM tip_way_back WHERE delete_after <= ?", (now_or(now),)
        )
    return cursor.rowcount


# Loading -----------------------------------------------------------------------------------


async def _one(db: Database, where: str, params: tuple[Any, ...]) -> Tip | None:
    tips = await _load(db, where, params)
    return tips[0] if tips else None


async def _load(db: Database, where: str, params: tuple[Any, ...]) -> list[Tip]:
    # `where` is always one of this module's literals, never outside input.
    rows = await db.fetch_all(f"SELECT * FROM tips WHERE {where}", params)  # noqa: S608
    tips = []
    for row in rows:
        indicators = await db.fetch_all(
            "SELECT kind, value, raw, bank FROM tip_indicators WHERE tip_id = ? ORDER BY id",
            (row["id"],),
        )
        attachments = await db.fetch_all(
            """SELECT kind, file_id, file_unique_id FROM tip_attachments
               WHERE tip_id = ? ORDER BY position""",
            (row["id"],),
        )
        tips.append(tip_from_row(row, indicators, attachments))
    return tips


def tip_from_row(row: Row, indicators: Iterable[Row], attachments: Iterable[Row]) -> Tip:
    """A row of `tips` with the rows of its indicators (kind, value, raw, bank) and attachments
    (kind, file_id, file_unique_id)."""
    return Tip(
        id=row["id"],
        code=row["code"],
        category=row["category"],
        kind=row["kind"],
        commune_code=row["commune_code"],
        urgent=bool(row["urgent"]),
        description=row["description"],
        answers=json.loads(row["answers"]),
        location=None if row["latitude"] is None else (row["latitude"], row["longitude"]),
        status=TipStatus(row["status"]),
        created_at=row["created_at"],
        updated_at=row["updated_at"],
        routed_at=row["routed_at"],
        reminded_at=row["reminded_at"],
        escalated_at=row["escalated_at"],
        acknowledged_at=row["acknowledged_at"],
        acknowledged_by=row["acknowledged_by"],
        closed_at=row["closed_at"],
        indicators=tuple(Indicator(i["kind"], i["value"], i["raw"], i["bank"]) for i in indicators),
        attachments=tuple(
            Attachment(a["kind"], a["file_id"], a["file_unique_id"]) for a in attachments
        ),
    )


# Work lists ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class OpenTip:
    """A line of an officer's /queue: enough to list it, not the whole tip."""

    id: int
    code: str
    category: str
    kind: str | None
    commune_code: int | None
    urgent: bool
    status: TipStatus
    routed_at: int


async def open_tips(
    db: Database, commune_codes: Collection[int] | None, *, limit: int
) -> tuple[list[OpenTip], int]:
    """Open tips of these communes (None: all, for admins), oldest first, and how many in all."""
    where = "status NOT IN (SELECT value FROM json_each(?))"
    params: list[Any] = [_CLOSED_JSON]
    if commune_codes is not None:
        where += " AND commune_code IN (SELECT value FROM json_each(?))"
        params.append(json.dumps(sorted(commune_codes)))
    total = await db.fetch_value(f"SELECT count(*) FROM tips WHERE {where}", params)  # noqa: S608
    rows = await db.fetch_all(
        f"""SELECT id, code, category, kind, commune_code, urgent, status, routed_at
            FROM tips WHERE {where} ORDER BY routed_at, id LIMIT ?""",  # noqa: S608
        [*params, limit],
    )
    return [
        OpenTip(**{**dict(row), "urgent": bool(row["urgent"]), "status": TipStatus(row["status"])})
        for row in rows
    ], total
