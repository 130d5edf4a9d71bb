"""Who may do what: every officer and admin action is checked here, on the server.

A button proves nothing: its callback data can be forged and its message can be old. So each
action names a tip, and the person pressing is checked against the tip's commune now — an active
officer of that commune, or an admin. Every action and every refusal goes to the audit log.
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from bot.runtime import Runtime
from storage import audit, officers, tips


class Role(StrEnum):
    OFFICER = "officer"  # an active officer of any commune, or an admin
    ADMIN = "admin"  # a province admin (TIPBOT_ADMIN_IDS)


@dataclass(frozen=True)
class Staff:
    user_id: int
    name: str | None
    is_admin: bool
    communes: frozenset[int]

    def covers(self, commune_code: int | None) -> bool:
        """Tips without a commune belong to the province queue: admins only."""
        return self.is_admin or (commune_code is not None and commune_code in self.communes)


async def staff_member(runtime: Runtime, user_id: int) -> Staff | None:
    """The active officer or admin behind a Telegram user, or None."""
    is_admin = runtime.is_admin(user_id)
    officer = await officers.get(runtime.db, user_id)
    if not is_admin and (officer is None or not officer.active):
        return None
    communes = (
        frozenset(await officers.communes_of(runtime.db, user_id)) if officer else frozenset()
    )
    return Staff(user_id, officer.name if officer else None, is_admin, communes)


async def staff_names(runtime: Runtime, user_ids: Collection[int]) -> dict[int, str]:
    """The name of each of these officers or admins, as lists of actions show it: their id
    when they have no name (or no row any more)."""
    names = {}
    for user_id in user_ids:
        officer = await officers.get(runtime.db, user_id)
        names[user_id] = (officer.name if officer else None) or str(user_id)
    return names


async def staff_for_tip(runtime: Runtime, user_id: int, tip: tips.Tip, action: str) -> Staff | None:
    """The staff member if they may act on this tip; otherwise None, and the refusal audited."""
    staff = await staff_member(runtime, user_id)
    if staff is not None and staff.covers(tip.commune_code):
        return staff
    await record(runtime, f"denied.{action}", user_id, tip.id)
    return None


async def require(
    runtime: Runtime, user_id: int, role: Role, action: str, **detail: Any
) -> Staff | None:
    """The staff member if they have `role`; otherwise None, and the refusal audited."""
    staff = await staff_member(runtime, user_id)
    if staff is not None and (role is Role.OFFICER or staff.is_admin):
        return staff
    await record(runtime, f"denied.{action}", user_id, **detail)
    return None


async def admin(runtime: Runtime, user_id: int, action: str) -> Staff | None:
    return await require(runtime, user_id, Role.ADMIN, action)


async def record(
    runtime: Runtime, action: str, actor_id: int | None, tip_id: int | None = None, **detail: Any
) -> None:
    """One append-only audit row: who, what, which tip, when (and a few details).

    The log names staff only. Someone who is not an officer or admin (a resident pressing a
    forged button, say) is recorded as an outsider without their id: a Telegram id beside a
    time could be matched with the time of a tip.
    """
    if actor_id is not None and await officers.get(runtime.db, actor_id) is None:
        actor_id, detail = None, {**detail, "actor": "outsider"}
    await audit.append(runtime.db, action, actor_id=actor_id, tip_id=tip_id, detail=detail)
