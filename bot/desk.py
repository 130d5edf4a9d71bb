"""What an officer's desk reads (handlers/desk.py and the tip buttons of handlers/officer.py): a
tip by its id or code, the open tips an officer covers, and a tip's history from the audit log
with the officers' names."""

from __future__ import annotations

from dataclasses import dataclass

from bot import authz
from bot.authz import Staff
from bot.runtime import Runtime
from storage import audit, tips
from storage.tips import OpenTip, Tip

__all__ = ["HistoryEntry", "OpenTip", "history", "open_tips", "tip_by_code"]


async def tip_by_code(runtime: Runtime, code: str) -> Tip | None:
    """The tip with this code, already normalised (bot/receipts.normalize_tip_code)."""
    return await tips.get_by_code(runtime.db, code)


async def open_tips(runtime: Runtime, staff: Staff, *, limit: int) -> tuple[list[OpenTip], int]:
    """The open tips of the communes `staff` covers (all of them for an admin), oldest first, at
    most `limit`, and how many there are in all."""
    communes = None if staff.is_admin else staff.communes
    return await tips.open_tips(runtime.db, communes, limit=limit)


@dataclass(frozen=True)
class HistoryEntry:
    """One line of a tip's audit trail."""

    created_at: int
    action: str
    actor: str | None  # the officer's name (or id if they have none); None: the bot itself


async def history(runtime: Runtime, tip: Tip) -> list[HistoryEntry]:
    """Everything the audit log holds about the tip, oldest first."""
    entries = await audit.list_for_tip(runtime.db, tip.id)
    names = await authz.staff_names(
        runtime, {e.actor_id for e in entries if e.actor_id is not None}
    )
    return [
        HistoryEntry(
            entry.created_at,
            entry.action,
            names[entry.actor_id] if entry.actor_id is not None else None,
        )
        for entry in entries
    ]
