"""Tips of a period for the CSV export, in batches: a year of tips never sits in memory at once.

Nothing here can identify a tipster: the way back (and the phone number a tipster may have shared
inside it) is never read, and tips carry no pseudonym.
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any

from storage.db import Database
from storage.tips import Indicator

BATCH = 500


@dataclass(frozen=True)
class ExportedTip:
    id: int
    code: str
    category: str
    kind: str | None
    commune_code: int | None
    urgent: bool
    description: str
    answers: dict[str, Any]
    location: tuple[float, float] | None
    status: str
    created_at: int
    acknowledged_at: int | None
    closed_at: int | None
    escalations: int
    attachments: int
    messages: dict[str, int]  # question | answer | note | reply -> count
    indicators: tuple[Indicator, ...]


async def tips_in_period(
    db: Database, start: int, end: int, *, batch: int = BATCH
) -> AsyncIterator[ExportedTip]:
    """Tips sent in [start, end), oldest first."""
    after: tuple[int, int] = (start - 1, 0)
    while True:
        rows = await db.fetch_all(
            """SELECT id, code, category, kind, commune_code, urgent, description, answers,
                   latitude, longitude, status, created_at, acknowledged_at, closed_at
               FROM tips
               WHERE created_at >= ? AND created_at < ? AND (created_at, id) > (?, ?)
               ORDER BY created_at, id LIMIT ?""",
            (start, end, *after, batch),
        )
        if not rows:
            return
        ids = json.dumps([row["id"] for row in rows])
        attachments = await _counts(
            db,
            """SELECT tip_id, count(*) FROM tip_attachments
               WHERE tip_id IN (SELECT value FROM json_each(?)) GROUP BY 1""",
            ids,
        )
        # `+action`: look the batch's tips up by tip, not every escalation ever by action.
        escalations = await _counts(
            db,
            """SELECT tip_id, count(*) FROM audit_log
               WHERE tip_id IN (SELECT value FROM json_each(?)) AND +action = 'tip.escalate'
               GROUP BY 1""",
            ids,
        )
        messages: dict[int, dict[str, int]] = {}
        for tip_id, kind, count in await db.fetch_all(
            """SELECT tip_id, kind, count(*) FROM tip_messages
               WHERE tip_id IN (SELECT value FROM json_each(?)) GROUP BY 1, 2""",
            (ids,),
        ):
            messages.setdefault(tip_id, {})[kind] = count
        indicators: dict[int, list[Indicator]] = {}
        for row in await db.fetch_all(
            """SELECT tip_id, kind, value, raw, bank FROM tip_indicators
               WHERE tip_id IN (SELECT value FROM json_each(?)) ORDER BY id""",
            (ids,),
        ):
            indicators.setdefault(row["tip_id"], []).append(
                Indicator(row["kind"], row["value"], row["raw"], row["bank"])
            )
        for row in rows:
            tip_id = row["id"]
            yield ExportedTip(
                id=tip_id,
                code=row["code"],
                category=row["category"],
                kind=row["kind"],
                commune_code=row["commune_code"],
                urgent=bool(row["urgent"]),
                description=row["description"],
                answers=json.loads(row["answers"]),
                location=None if row["latitude"] is None else (row["latitude"], row["longitude"]),
                status=row["status"],
                created_at=row["created_at"],
                acknowledged_at=row["acknowledged_at"],
                closed_at=row["closed_at"],
                escalations=escalations.get(tip_id, 0),
                attachments=attachments.get(tip_id, 0),
                messages=messages.get(tip_id, {}),
                indicators=tuple(indicators.get(tip_id, ())),
            )
        last = rows[-1]
        after = (last["created_at"], last["id"])


async def _counts(db: Database, sql: str, ids: str) -> dict[int, int]:
    return {tip_id: count for tip_id, count in await db.fetch_all(sql, (ids,))}
