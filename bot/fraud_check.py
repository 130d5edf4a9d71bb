"""/check: is this phone number, bank account or link known from fraud reports?

A query is normalised exactly as fraud tips are (bot/indicators.py), then looked up among the
indicators officers confirmed when they resolved fraud tips, and among all tips. The answer says
only how many, when last, and which kind of scam — nothing else about the tips, and nothing
about who reported them. Queries are rate limited per pseudonym and counted per day by outcome,
without their text.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime

from bot.authz import Staff, record
from bot.indicators import display_link, format_phone, normalize_query
from bot.refusals import Reason, Refused
from bot.runtime import Runtime
from storage import fraud, ratelimits, tips

CHECK_BUCKET = "check"
CHECKS_PER_HOUR = 20
HOUR = 3600


@dataclass(frozen=True)
class CheckResult:
    outcome: str  # confirmed | reported | unknown | invalid
    checked: tuple[str, ...] = ()  # what was looked up, as shown to the resident
    confirmations: int = 0
    last_confirmed_at: int | None = None
    scam_kinds: tuple[str, ...] = field(default=())
    reports: int = 0


def shown(kind: str, value: str, bank: str | None = None) -> str:
    if kind == "phone" and value.startswith("+"):
        return format_phone(value)
    if kind == "link":
        return display_link(value)
    if kind == "account" and bank:
        return f"{value} ({bank})"
    return value


async def check(runtime: Runtime, pseudonym: str, text: str) -> CheckResult | Refused:
    """The answer for a resident's query, or THROTTLED when they asked too often this hour. (Text
    that holds nothing to look up is an answer too, "invalid": counted among the checks.)"""
    if not await ratelimits.hit(
        runtime.db, pseudonym, CHECK_BUCKET, limit=CHECKS_PER_HOUR, window=HOUR
    ):
        return Refused(Reason.THROTTLED)
    candidates = [i for i in normalize_query(text[:500]) if i.kind in fraud.CHECKABLE_KINDS]
    if not candidates:
        result = CheckResult("invalid")
    else:
        result = await look_up(runtime, candidates)
    day = datetime.fromtimestamp(runtime.now(), UTC).astimezone(runtime.config.timezone)
    await fraud.count_check(runtime.db, day.date().isoformat(), result.outcome)
    return result


async def confirmations_matching(runtime: Runtime, text: str) -> list[fraud.Confirmation]:
    """For an admin's /confirmed: the active confirmations of every phone, account or link the
    text names, each with its id to withdraw it by."""
    found: list[fraud.Confirmation] = []
    for indicator in normalize_query(text):
        found += await fraud.confirmed(runtime.db, indicator.kind, indicator.value)
    return found


async def withdraw(runtime: Runtime, staff: Staff, confirmation_id: int) -> bool:
    """An admin takes back a wrong confirmation, audited against its tip in the same
    transaction; False if it was already withdrawn."""
    async with runtime.db.transaction():
        withdrawn = await fraud.withdraw(runtime.db, confirmation_id, officer_id=staff.user_id)
        if withdrawn is None:
            return False
        tip = await tips.get_by_code(runtime.db, withdrawn.tip_code)
        await record(
            runtime, "indicator.withdraw", staff.user_id, tip.id if tip else None,
            tip_code=withdrawn.tip_code, kind=withdrawn.kind,
        )  # fmt: skip
    return True


async def look_up(runtime: Runtime, candidates) -> CheckResult:
    confirmations: list[fraud.Confirmation] = []
    reports = 0
    for indicator in candidates:
        confirmations += await fraud.confirmed(runtime.db, indicator.kind, indicator.value)
        reports += (await fraud.mentions(runtime.db, indicator.kind, indicator.value)).tips
    # Each thing once, as the resident typed it: "0912345678" is searched as a phone and as an
    # account, but it is one number to them.
    checked = tuple(
        dict.fromkeys(
            (i.display or "").strip() or shown(i.kind, i.value, i.bank) for i in candidates
        )
    )
    if confirmations:
        tips = {c.tip_code for c in confirmations}
        kinds = tuple(dict.fromkeys(c.scam_kind for c in confirmations if c.scam_kind))
        return CheckResult(
            "confirmed",
            checked,
            confirmations=len(tips),
            last_confirmed_at=max(c.confirmed_at for c in confirmations),
            scam_kinds=kinds,
            reports=reports,
        )
    return CheckResult("reported" if reports else "unknown", checked, reports=reports)
