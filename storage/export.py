"""Tips of a period for the CSV export, in batches: a year of tips never sits in memory at once.

Nothing here can identify a tipster: the way back (and the phone number a tipster may have shared
inside it) is never read, and tips carry no pseudonym.
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from dataclasses import dataclass
from sqlite3 import Row

from storage.db import Database
from storage.tips import Tip, tip_from_row

BATCH = 500


@dataclass(frozen=True)
class ExportedTip:
    """A tip and what the export counts beside it."""

    tip: Tip
    escalations: int
    messages: dict[str, int]  # question | answer | note | reply -> count


async def tips_in_period(
    db: Database, start: int, end: int, *, batch: int = BATCH
) -> AsyncIterator[ExportedTip]:
    """Tips sent in [start, end), oldest first."""
    after: tuple[int, int] = (start - 1, 0)
    while True:
        rows = await db.fetch_all(
            """SELECT * FROM tips
               WHERE created_at >= ? AND created_at < ? AND (created_at, id) > (?, ?)
               ORDER BY created_at, id LIMIT ?""",
            (start, end, *after, batch),
        )
        if not rows:
            return
        ids = json.dumps([row["id"] for row in rows])
        attachments: dict[int, list[Row]] = {}
        for row in await db.fetch_all(
            """SELECT tip_id, kind, file_id, file_unique_id FROM tip_attachments
               WHERE tip_id IN (SELECT value FROM json_each(?)) ORDER BY tip_id, position""",
            (ids,),
        ):
            attachments.setdefault(row["tip_id"], []).append(row)
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
        indicators: dict[int, list[Row]] = {}
        for row in await db.fetch_all(
            """SELECT tip_id, kind, value, raw, bank FROM tip_indicators
               WHERE tip_id IN (SELECT value FROM json_each(?)) ORDER BY id""",
            (ids,),
        ):
            indicators.setdefault(row["tip_id"], []).append(row)
        for row in rows:
            tip_id = row["id"]
            tip = tip_from_row(row, indicators.get(tip_id, ()), attachments.get(tip_id, ()))
            yield ExportedTip(tip, escalations.get(tip_id, 0), messages.get(tip_id, {}))
        last = rows[-1]
        after = (last["created_at"], last["id"])


async def _counts(db: Database, sql: str, ids: str) -> dict[int, int]:
    return {tip_id: count for tip_id, count in await db.fetch_all(sql, (ids,))}
