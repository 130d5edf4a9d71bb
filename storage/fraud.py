"""Fraud indicators confirmed by officers, what residents' /check finds, and its daily counts."""

from __future__ import annotations

from dataclasses import dataclass

from storage.db import Database, now_or

CHECKABLE_KINDS = ("phone", "account", "link", "app")


@dataclass(frozen=True)
class TipIndicator:
    id: int
    kind: str
    value: str
    raw: str
    bank: str | None


@dataclass(frozen=True)
class Confirmation:
    id: int
    tip_code: str
    scam_kind: str | None
    kind: str
    value: str
    display: str
    confirmed_at: int


@dataclass(frozen=True)
class Mentions:
    """How often an indicator appears in tips, whatever officers made of them."""

    tips: int
    last_at: int | None


async def checkable_indicators(db: Database, tip_id: int) -> list[TipIndicator]:
    """A tip's phones, accounts, links and apps (amounts are not something to warn about)."""
    rows = await db.fetch_all(
        """SELECT id, kind, value, raw, bank FROM tip_indicators
           WHERE tip_id = ? AND kind IN ('phone', 'account', 'link', 'app') ORDER BY id""",
        (tip_id,),
    )
    return [TipIndicator(**row) for row in rows]


async def toggle(
    db: Database,
    *,
    tip_id: int,
    tip_code: str,
    scam_kind: str | None,
    indicator: TipIndicator,
    officer_id: int,
    now: int | None = None,
) -> bool:
    """Confirms the indicator for this tip, or withdraws the confirmation; True if confirmed."""
    now = now_or(now)
    async with db.transaction():
        row = await db.fetch_one(
            """SELECT id, withdrawn_at FROM confirmed_indicators
               WHERE tip_code = ? AND kind = ? AND value = ?""",
            (tip_code, indicator.kind, indicator.value),
        )
        if row is None:
            await db.execute(
                """INSERT INTO confirmed_indicators (tip_id, tip_code, scam_kind, kind, value,
                       display, confirmed_by, confirmed_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)""",
                (tip_id, tip_code, scam_kind, indicator.kind, indicator.value, indicator.raw,
                 officer_id, now),
            )  # fmt: skip
            return True
        confirming = row["withdrawn_at"] is not None
        if confirming:
            await db.execute(
                """UPDATE confirmed_indicators SET confirmed_by = ?, confirmed_at = ?,
                       withdrawn_by = NULL, withdrawn_at = NULL WHERE id = ?""",
                (officer_id, now, row["id"]),
            )
        else:
            await db.execute(
                """UPDATE confirmed_indicators SET withdrawn_by = ?, withdrawn_at = ?
                   WHERE id = ?""",
                (officer_id, now, row["id"]),
            )
        return confirming


async def withdraw(
    db: Database, confirmation_id: int, *, officer_id: int, now: int | None = None
) -> Confirmation | None:
    """An admin takes back a wrong confirmation; None if there was no active one."""
    async with db.transaction():
        cursor = await db.execute(
            """UPDATE confirmed_indicators SET withdrawn_by = ?, withdrawn_at = ?
               WHERE id = ? AND withdrawn_at IS NULL""",
            (officer_id, now_or(now), confirmation_id),
        )
        if cursor.rowcount == 0:
            return None
        row = await db.fetch_present(f"{_SELECT} WHERE id = ?", (confirmation_id,))
    return Confirmation(**row)


_SELECT = """SELECT id, tip_code, scam_kind, kind, value, display, confirmed_at
             FROM confirmed_indicators"""


async def confirmed(db: Database, kind: str, value: str) -> list[Confirmation]:
    """Active confirmations of this indicator, newest first."""
    rows = await db.fetch_all(
        f"{_SELECT} WHERE kind = ? AND value = ? AND withdrawn_at IS NULL"
        " ORDER BY confirmed_at DESC",
        (kind, value),
    )
    return [Confirmation(**row) for row in rows]


async def confirmed_for_tip(db: Database, tip_code: str) -> list[Confirmation]:
    rows = await db.fetch_all(
        f"{_SELECT} WHERE tip_code = ? AND withdrawn_at IS NULL ORDER BY id", (tip_code,)
    )
    return [Confirmation(**row) for row in rows]


async def mentions(
    db: Database, kind: str, value: str, *, before_tip: int | None = None
) -> Mentions:
    """Tips naming this indicator (before tip `before_tip`, when given), and the latest's time."""
    row = await db.fetch_present(
        """SELECT count(DISTINCT t.id) AS tips, max(t.created_at) AS last_at
           FROM tip_indicators AS i JOIN tips AS t ON t.id = i.tip_id
           WHERE i.kind = ? AND i.value = ? AND (? IS NULL OR t.id < ?)""",
        (kind, value, before_tip, before_tip),
    )
    return Mentions(tips=row["tips"], last_at=row["last_at"])


async def count_check(db: Database, day: str, outcome: str) -> None:
    async with db.transaction():
        await db.execute(
            """INSERT INTO check_counts (day, outcome, count) VALUES (?, ?, 1)
               ON CONFLICT (day, outcome) DO UPDATE SET count = count + 1""",
            (day, outcome),
        )
