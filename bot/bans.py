"""Banning the sender of a tip without anyone learning who they are.

The admin names a tip; the bot opens the tip's sealed way back, takes the pseudonym inside and
bans that — the Telegram id in the same envelope is never looked at, stored or shown. The intake
then refuses that resident politely (bot/submission.py). Once retention has deleted a tip's way
back, nothing links the tip to its sender any more, so the sender can no longer be banned (or
unbanned) through that tip; the list of bans (/unban without a code) still lifts any ban.

Both actions go to the audit log with the tip and the reason, never the pseudonym.
"""

from __future__ import annotations

from dataclasses import dataclass

from bot.anonymity import WayBackError, open_way_back
from bot.authz import Staff, record
from bot.normalize import plain_name
from bot.receipts import normalize_tip_code
from bot.refusals import Reason, Refused
from bot.runtime import Runtime
from storage import bans, tips
from storage.bans import Ban as Ban  # the views' plain data

MAX_REASON = 300


@dataclass(frozen=True)
class Banned:
    tip_code: str
    again: bool  # already banned: the new reason replaced the old


@dataclass(frozen=True)
class Unbanned:
    tip_code: str


async def _sender(runtime: Runtime, text: str) -> tuple[tips.Tip, str] | Refused:
    """The tip and its sender's pseudonym, or why not: UNKNOWN (no such tip), SENDER_GONE
    (retention deleted its way back), SENDER_UNREADABLE (the way back does not open with our
    key)."""
    code = normalize_tip_code(text)
    tip = await tips.get_by_code(runtime.db, code) if code else None
    if tip is None:
        return Refused(Reason.UNKNOWN, code)
    sealed = await tips.get_way_back(runtime.db, tip.id)
    if sealed is None:
        return Refused(Reason.SENDER_GONE, tip.code)
    try:
        pseudonym = open_way_back(runtime.keys.way_back, sealed, tip_code=tip.code).pseudonym
    except WayBackError:
        return Refused(Reason.SENDER_UNREADABLE, tip.code)
    return tip, pseudonym


async def ban_sender(runtime: Runtime, admin: Staff, text: str, reason: str) -> Banned | Refused:
    """Ban whoever sent the tip with this code (as typed). The caller checked `admin`."""
    found = await _sender(runtime, text)
    if isinstance(found, Refused):
        return found
    tip, pseudonym = found
    reason = (plain_name(reason) or "")[:MAX_REASON]  # shown to admins: no bidi overrides
    async with runtime.db.transaction():
        already = await bans.is_banned(runtime.db, pseudonym)
        await bans.ban(runtime.db, pseudonym, reason, banned_by=admin.user_id)
        await record(runtime, "resident.ban", admin.user_id, tip.id, reason=reason)
    return Banned(tip.code, again=already)


async def unban_sender(runtime: Runtime, admin: Staff, text: str) -> Unbanned | Refused:
    """Lift the ban on whoever sent this tip: refused as NOT_BANNED if nobody banned them, or as
    _sender says."""
    found = await _sender(runtime, text)
    if isinstance(found, Refused):
        return found
    tip, pseudonym = found
    async with runtime.db.transaction():
        if not await bans.unban(runtime.db, pseudonym):
            return Refused(Reason.NOT_BANNED, tip.code)
        await record(runtime, "resident.unban", admin.user_id, tip.id)
    return Unbanned(tip.code)


async def current(runtime: Runtime) -> list[Ban]:
    """Every ban in force, newest first, for the admins' list (/unban without a code)."""
    return await bans.list_bans(runtime.db)


async def unban_listed(runtime: Runtime, admin: Staff, ban_id: int, created_at: int) -> bool:
    """Lift a ban chosen from the list (works after retention too: no tip is needed)."""
    async with runtime.db.transaction():
        if not await bans.unban_by_id(runtime.db, ban_id, created_at):
            return False
        await record(runtime, "resident.unban", admin.user_id, None, ban=ban_id)
    return True
