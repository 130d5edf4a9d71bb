"""The append-only audit log of officer and admin actions."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from storage.db import Database, now_or


@dataclass(frozen=True)
class AuditEntry:
    id: int
    created_at: int
    actor_id: int | None
    action: str
    tip_id: int | None
    detail: dict[str, Any]


async def append(
    db: Database,
    action: str,
    *,
    actor_id: int | None,
    tip_id: int | None = None,
    detail: dict[str, Any] | None = None,
    now: int | None = None,
) -> int:
    async with db.transaction():
        return await db.insert(
            """INSERT INTO audit_log (created_at, actor_id, action, tip_id, detail)
               VALUES (?, ?, ?, ?, ?)""",
            (now_or(now), actor_id, action, tip_id, json.dumps(detail or {}, ensure_ascii=False)),
        )


async def list_for_tip(db: Database, tip_id: int) -> list[AuditEntry]:
    rows = await db.fetch_all("SELECT * FROM audit_log WHERE tip_id = ? ORDER BY id", (tip_id,))
    return [
        AuditEntry(
            id=row["id"],
            created_at=row["created_at"],
            actor_id=row["actor_id"],
            action=row["action"],
            tip_id=row["tip_id"],
            detail=json.loads(row["detail"]),
        )
        for row in rows
    ]
