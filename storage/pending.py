"""What a person's next message means, after a button asked them to type something."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from storage.db import Database, now_or


def officer_key(user_id: int) -> str:
    return f"officer:{user_id}"


def resident_key(kind: str, pseudonym: str) -> str:
    """A resident's pending input, by pseudonym; one per kind ("answer", "check")."""
    return f"{kind}:{pseudonym}"


@dataclass(frozen=True)
class PendingInput:
    key: str
    kind: str
    data: dict[str, Any]


async def get(db: Database, key: str, *, now: int | None = None) -> PendingInput | None:
    row = await db.fetch_one(
        "SELECT key, kind, data FROM pending_inputs WHERE key = ? AND expires_at > ?",
        (key, now_or(now)),
    )
    return None if row is None else PendingInput(row["key"], row["kind"], json.loads(row["data"]))


async def put(
    db: Database,
    key: str,
    kind: str,
    data: dict[str, Any],
    *,
    ttl: int,
    now: int | None = None,
    round_up_to: int = 1,
) -> None:
    """Replaces whatever this person was asked before: the latest button wins. The expiry is
    rounded up to a multiple of `round_up_to` seconds: a row written with a tip must not say
    when it was written (its expiry minus the ttl would be the tip's own second)."""
    now = now_or(now)
    expires_at = -(-(now + ttl) // round_up_to) * round_up_to
    await db.write(
        """INSERT INTO pending_inputs (key, kind, data, expires_at) VALUES (?, ?, ?, ?)
           ON CONFLICT (key) DO UPDATE SET kind = excluded.kind, data = excluded.data,
               expires_at = excluded.expires_at""",
        (key, kind, json.dumps(data, ensure_ascii=False), expires_at),
    )


async def clear(db: Database, key: str) -> None:
    await db.write("DELETE FROM pending_inputs WHERE key = ?", (key,))


async def get_many(
    db: Database, keys: list[str], *, now: int | None = None
) -> dict[str, PendingInput]:
    """The live pending inputs among `keys`, in one query (checked on every message)."""
    marks = ",".join("?" * len(keys))
    rows = await db.fetch_all(
        f"SELECT key, kind, data FROM pending_inputs WHERE key IN ({marks}) AND expires_at > ?",  # noqa: S608
        (*keys, now_or(now)),
    )
    return {
        row["key"]: PendingInput(row["key"], row["kind"], json.loads(row["data"])) for row in rows
    }


async def purge_expired(db: Database, *, now: int | None = None) -> int:
    async with db.transaction():
        cursor = await db.execute(
            "DELETE FROM pending_inputs WHERE expires_at <= ?", (now_or(now),)
        )
    return cursor.rowcount
