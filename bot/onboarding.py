"""Onboarding staff: one-time invites, joining, revoking, and linking commune groups.

An admin creates an invite for one commune; its token is the secret part of a t.me deep link
(`?start=inv_<token>`). Only the token's SHA-256 is stored, so a copy of the database cannot be
turned into working links; the token has 192 bits, so a fast hash is enough (nothing to guess).
The first person to open the link within 72 hours becomes an officer of that commune.

Every action is authorised here, on the server, from the database and TIPBOT_ADMIN_IDS — never
from what a button's callback data claims — and every action and refusal is audited.
"""

from __future__ import annotations

import hashlib
import re
import secrets
from collections.abc import Collection
from dataclasses import dataclass

from bot import authz, routing
from bot.authz import Staff
from bot.communes import CommuneDirectory, CommuneMatch, fold
from bot.i18n import language_for
from bot.normalize import plain_name
from bot.refusals import Reason, Refused
from bot.runtime import Runtime
from storage import officers, outbox, residents
from storage.db import now_or
from storage.officers import GroupLink as GroupLink  # the views' plain data
from storage.outbox import OutboxKind

INVITE_TTL = 72 * 3600
INVITE_PREFIX = "inv_"
# 24 bytes -> 32 URL-safe characters; "inv_" + 32 = 36, within the 64 characters of [A-Za-z0-9_-]
# Telegram allows in a start payload.
TOKEN_BYTES = 24
_TOKEN = re.compile(r"[A-Za-z0-9_-]{32}")
MAX_CHOICES = 8  # communes offered as buttons when a name matches several


# Tokens and links ------------------------------------------------------------------------------


def new_token() -> str:
    return secrets.token_urlsafe(TOKEN_BYTES)


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode("ascii")).hexdigest()


def invite_link(bot_username: str, token: str) -> str:
    return f"https://t.me/{bot_username}?start={INVITE_PREFIX}{token}"


def token_from_payload(payload: str) -> str | None:
    """The token of a `/start inv_<token>` payload, or None if it cannot be one."""
    payload = payload.strip()
    if not payload.startswith(INVITE_PREFIX):
        return None
    token = payload[len(INVITE_PREFIX) :]
    return token if _TOKEN.fullmatch(token) else None


# Which commune a typed argument means ----------------------------------------------------------


@dataclass(frozen=True)
class Found:
    code: int


@dataclass(frozen=True)
class Ambiguous:
    matches: tuple[CommuneMatch, ...]


@dataclass(frozen=True)
class NotFound:
    pass


@dataclass(frozen=True)
class NotAllowed:
    """The text names communes, but none the person may use."""

    codes: tuple[int, ...]


CommuneChoice = Found | Ambiguous | NotFound | NotAllowed


def resolve_commune(
    communes: CommuneDirectory, text: str, allowed: Collection[int] | None = None
) -> CommuneChoice:
    """What `/invite Xuân Hương` or `/linkgroup 24781` means.

    A number is an official code. A name goes through the commune search (accents optional, old
    names too); a name typed exactly wins over the others it also matches ("Đam Rông 1"). With
    ``allowed``, only those communes can be chosen: an officer's "da lat" means their one ward
    of Đà Lạt, not the five.
    """
    text = text.strip()
    if not text:
        return NotFound()
    is_code = text.isascii() and text.isdigit() and len(text) <= 9
    if is_code:
        commune = communes.get(int(text))
        matches = [] if commune is None else [CommuneMatch(commune.code, commune.name)]
    else:
        matches = communes.search(text, limit=len(communes))
    if not matches:
        return NotFound()
    exact = [m for m in matches if m.via is None and fold(m.name) == fold(text)]
    if is_code or exact:
        code = (exact or matches)[0].code
        return Found(code) if allowed is None or code in allowed else NotAllowed((code,))
    permitted = [m for m in matches if allowed is None or m.code in allowed]
    if not permitted:
        return NotAllowed(tuple(m.code for m in matches[:MAX_CHOICES]))
    if len(permitted) == 1:
        return Found(permitted[0].code)
    return Ambiguous(tuple(permitted[:MAX_CHOICES]))


def commune_for_staff(communes: CommuneDirectory, staff: Staff, text: str) -> CommuneChoice:
    """The commune an officer means in a group's /linkgroup: one of their own (an admin: any);
    without a name, their only commune, or a choice among theirs."""
    if text.strip():
        return resolve_commune(communes, text, None if staff.is_admin else staff.communes)
    own = sorted(staff.communes, key=communes.name)
    if len(own) == 1:
        return Found(own[0])
    if own:
        return Ambiguous(tuple(CommuneMatch(code, communes.name(code)) for code in own))
    return NotFound()


# Invites ----------------------------------------------------------------------------------------


@dataclass(frozen=True)
class NewInvite:
    token: str
    commune_code: int
    expires_at: int

    def link(self, bot_username: str) -> str:
        return invite_link(bot_username, self.token)


async def create_invite(
    runtime: Runtime,
    commune_code: int,
    *,
    created_by: int,
    actor_id: int | None,
    via: str,
    now: int | None = None,
) -> NewInvite:
    """A fresh one-time invite. ``created_by`` is the admin it is recorded under (a foreign key);
    ``actor_id`` who asked for it in the audit log (None from the command line)."""
    if runtime.communes.get(commune_code) is None:
        raise ValueError(f"no commune {commune_code} in province {runtime.config.province}")
    now = now_or(now)
    token = new_token()
    expires_at = now + INVITE_TTL
    await officers.create_invite(
        runtime.db,
        hash_token(token),
        commune_code,
        created_by=created_by,
        expires_at=expires_at,
        now=now,
    )
    await authz.record(runtime, "officer.invite", actor_id, commune=commune_code, via=via)
    return NewInvite(token, commune_code, expires_at)


@dataclass(frozen=True)
class Joined:
    commune_code: int
    invited_by: int


async def redeem(
    runtime: Runtime, payload: str, user_id: int, name: str | None, *, now: int | None = None
) -> Joined | Refused:
    """Use the invite of a `/start inv_<token>` payload: single use, before it expires; refused
    as UNKNOWN, USED, USED_BY_YOU or EXPIRED.

    Someone revoked and invited again serves the new invite's commune only: their old communes
    do not come back with it.
    """
    now = now_or(now)
    token = token_from_payload(payload)
    token_hash = hash_token(token) if token else None
    db = runtime.db
    async with db.transaction():
        before = await officers.get(db, user_id)
        invite = None
        if token_hash is not None:
            invite = await officers.redeem_invite(
                db, token_hash, user_id, plain_name(name), now=now
            )
        if invite is not None and before is not None and not before.active:
            for code in await officers.communes_of(db, user_id):
                if code != invite.commune_code:
                    await officers.remove_commune(db, user_id, code)
    if invite is None:
        reason = await _why_not(runtime, token_hash, user_id, now)
        await authz.record(runtime, "denied.officer.redeem", user_id, reason=reason.value)
        return Refused(reason)
    await authz.record(
        runtime, "officer.join", user_id, commune=invite.commune_code, invited_by=invite.created_by
    )
    return Joined(invite.commune_code, invite.created_by)


async def _why_not(runtime: Runtime, token_hash: str | None, user_id: int, now: int) -> Reason:
    invite = await officers.get_invite(runtime.db, token_hash) if token_hash else None
    if invite is None:
        return Reason.UNKNOWN
    if invite.used_at is not None:
        return Reason.USED_BY_YOU if invite.used_by == user_id else Reason.USED
    return Reason.EXPIRED


# Officers ---------------------------------------------------------------------------------------


@dataclass(frozen=True)
class OfficerEntry:
    officer: officers.Officer
    communes: tuple[int, ...]
    is_admin: bool

    @property
    def revocable(self) -> bool:
        return self.officer.active and not self.is_admin


async def officer_entries(runtime: Runtime) -> list[OfficerEntry]:
    """Everyone on staff, admins first, for the admins' list."""
    entries = []
    for officer in await officers.list_all(runtime.db):
        communes = tuple(await officers.communes_of(runtime.db, officer.user_id))
        entries.append(OfficerEntry(officer, communes, runtime.is_admin(officer.user_id)))
    return entries


async def officer_entry(runtime: Runtime, user_id: int) -> OfficerEntry | None:
    officer = await officers.get(runtime.db, user_id)
    if officer is None:
        return None
    communes = tuple(await officers.communes_of(runtime.db, user_id))
    return OfficerEntry(officer, communes, runtime.is_admin(user_id))


async def remember_staff(
    runtime: Runtime, staff: Staff, name: str | None, telegram_language: str | None
) -> None:
    """What staff messages need outside the staff member's own updates (a tip for an officer,
    a notice for an admin), when Telegram's hints are not at hand: their language — unless they
    chose one with /language — and, for admins, whose rows come from the configuration without
    one, their name. Not an officer's name: `officers.add` could undo a revocation racing it."""
    await remember_language(runtime, staff.user_id, telegram_language)
    name = plain_name(name)
    if staff.is_admin and name and name != staff.name:
        await officers.add(runtime.db, staff.user_id, name)


async def remember_language(runtime: Runtime, user_id: int, telegram_language: str | None) -> None:
    pseudonym = runtime.pseudonym_of(user_id)
    if await residents.get_language(runtime.db, pseudonym) is None:
        language = language_for(telegram_language, runtime.config.default_language)
        await residents.set_language(runtime.db, pseudonym, language)
        runtime.languages[pseudonym] = language


def revocation_refused(entry: OfficerEntry | None) -> Refused | None:
    """Why this person cannot be revoked, if they cannot: UNKNOWN (no officer), IS_ADMIN (admins
    come from TIPBOT_ADMIN_IDS, not from a button) or ALREADY. Asked before the confirmation is
    shown, and again at the revocation."""
    if entry is None:
        return Refused(Reason.UNKNOWN)
    if entry.is_admin or entry.officer.is_admin:
        return Refused(Reason.IS_ADMIN)
    if not entry.officer.active:
        return Refused(Reason.ALREADY)
    return None


@dataclass(frozen=True)
class Revoked:
    ended: tuple[GroupLink, ...]  # the group links that ended with the officer


async def revoke(runtime: Runtime, admin_id: int, officer_id: int) -> Revoked | Refused:
    """An admin withdraws an officer: from now on authz refuses them everything, and every group
    link that no active officer of its commune vouches for any more ends with it (each audited),
    so no tip reaches a chat the officer may still read. Refused as NOT_ADMIN (the person asking
    is none) or as revocation_refused says."""
    if await authz.admin(runtime, admin_id, "officer.revoke") is None:
        return Refused(Reason.NOT_ADMIN)
    entry = await officer_entry(runtime, officer_id)
    if refused := revocation_refused(entry):
        return refused
    assert entry is not None  # (a missing one was refused just above)
    async with runtime.db.transaction():
        await officers.set_active(runtime.db, officer_id, False)
        await authz.record(runtime, "officer.revoke", admin_id, officer=officer_id)
        # His own links only: one that went unvouched earlier for another reason is not his.
        ended = tuple(await officers.unvouched_links(runtime.db, linked_by=officer_id))
        for link in ended:
            await officers.unlink_group(runtime.db, link.chat_id, link.commune_code)
            await authz.record(
                runtime, "group.unlink", admin_id,
                commune=link.commune_code, chat=link.chat_id, why="revoked", officer=officer_id,
            )  # fmt: skip
        # Open tips whose only destinations just went now reach whoever covers them (the
        # admins' queue if nobody else): routing skips chats that already have them.
        await routing.reroute_open_tips(runtime, entry.communes)
    runtime.wake_outbox()
    return Revoked(ended)


# Commune groups ---------------------------------------------------------------------------------

LINKABLE_CHATS = ("group", "supergroup")


async def link_group(
    runtime: Runtime,
    user_id: int,
    chat_id: int,
    title: str | None,
    commune_code: int,
    chat_type: str,
    *,
    public: bool = False,
) -> bool:
    """Link a group to a commune: the sender must be an active officer of it, or an admin, and
    the chat a group (a private chat or a channel is no "commune group", whatever a button says),
    and not a public one (a supergroup with an @username: anyone can join it and read the tips)."""
    staff = await authz.staff_member(runtime, user_id)
    if chat_type not in LINKABLE_CHATS or staff is None or not staff.covers(commune_code):
        await authz.record(
            runtime, "denied.group.link", user_id, commune=commune_code, chat=chat_id,
            chat_type=chat_type,
        )  # fmt: skip
        return False
    if public:
        await authz.record(
            runtime, "denied.group.link", user_id, commune=commune_code, chat=chat_id,
            why="public",
        )  # fmt: skip
        return False
    await officers.link_group(
        runtime.db, chat_id, commune_code, title=plain_name(title), linked_by=user_id
    )
    await authz.record(runtime, "group.link", user_id, commune=commune_code, chat=chat_id)
    return True


@dataclass(frozen=True)
class Unlinked:
    done: tuple[int, ...]  # communes this group no longer serves
    kept: tuple[int, ...]  # linked communes the person may not unlink


async def unlink_group(
    runtime: Runtime, user_id: int, chat_id: int, commune_codes: Collection[int]
) -> Unlinked:
    """Unlink the group from those of ``commune_codes`` the person covers; audit the rest."""
    staff = await authz.staff_member(runtime, user_id)
    done, kept = [], []
    for code in commune_codes:
        if staff is None or not staff.covers(code):
            kept.append(code)
            await authz.record(runtime, "denied.group.unlink", user_id, commune=code, chat=chat_id)
            continue
        await officers.unlink_group(runtime.db, chat_id, code)
        await authz.record(runtime, "group.unlink", user_id, commune=code, chat=chat_id)
        done.append(code)
    return Unlinked(tuple(done), tuple(kept))


async def groups_of_communes(
    runtime: Runtime, commune_codes: Collection[int]
) -> dict[int, list[tuple[int, str | None]]]:
    """Each commune's linked groups as (chat id, title), for an officer's own list."""
    return {code: await officers.group_links(runtime.db, code) for code in commune_codes}


async def communes_of_group(runtime: Runtime, chat_id: int) -> list[int]:
    return await officers.communes_of_group(runtime.db, chat_id)


async def staff_ids(runtime: Runtime) -> list[int]:
    """Active officers and the configured admins: whose chats get a staff command menu."""
    active = {o.user_id for o in await officers.list_all(runtime.db) if o.active}
    return sorted(active | set(runtime.config.admin_ids))


async def bot_left_group(runtime: Runtime, chat_id: int) -> int:
    """The bot was removed from a group: its commune links go, so tips stop being queued for a
    chat Telegram would refuse. Audited as the bot's own act."""
    return len(await _unlink_everywhere(runtime, chat_id, why="removed"))


async def group_went_public(runtime: Runtime, chat_id: int) -> list[int]:
    """A linked group that has become public (it got an @username, so anyone can join and read
    it) or is no group any more: its links go, as if it had never been linked, and the open tips
    of its communes go to whoever covers them now (the admins if nobody). Audited as the bot's
    own act; returns the communes it served."""
    communes = await _unlink_everywhere(runtime, chat_id, why="public")
    await routing.reroute_open_tips(runtime, communes)
    return communes


# Outbox kinds that name a message of the chat they go to (an edit of a card, a reply under it).
# A supergroup does not take over its group's messages as the bot's: the old card cannot be
# edited or replied to there (the old group is read-only). So these are given up when a group
# moves, and each open tip gets a fresh card in the supergroup instead (its buttons work, later
# changes refresh it, follow-ups thread under it). The old cards stay recorded where they were.
TIED_TO_A_MESSAGE = (
    OutboxKind.REFRESH,
    OutboxKind.TIP_TEXT,
    OutboxKind.TIP_MEDIA,
    OutboxKind.TIP_LOCATION,
)


async def group_moved(runtime: Runtime, old_chat_id: int, new_chat_id: int) -> list[int]:
    """Telegram upgraded a group to a supergroup, which has a new id; the old group is
    read-only for good. Its commune links follow it (and whoever vouched for them still does),
    what was queued for it goes to the new id, and the open tips of its communes get a fresh card
    there. The new supergroup then meets the checks of any linked group before each message (a
    group upgraded because it was made public ends unlinked: see handlers/notifications.py).

    Either service message may come first, or only one, or a send may meet the old id before
    either: the second call finds nothing left to move. Audited as the bot's own act; returns
    the communes moved."""
    if old_chat_id >= 0 or new_chat_id >= 0 or old_chat_id == new_chat_id:
        return []  # only groups are upgraded; anything else is no upgrade
    db = runtime.db
    async with db.transaction():
        communes = await officers.move_group(db, old_chat_id, new_chat_id)
        await outbox.readdress(db, old_chat_id, new_chat_id, drop_kinds=TIED_TO_A_MESSAGE)
        for code in communes:
            await authz.record(
                runtime, "group.migrate", None, commune=code, chat=old_chat_id, to=new_chat_id
            )
        await routing.reroute_open_tips(runtime, communes)
    runtime.wake_outbox()
    return communes


async def _unlink_everywhere(runtime: Runtime, chat_id: int, *, why: str) -> list[int]:
    communes = await officers.communes_of_group(runtime.db, chat_id)
    for code in communes:
        await officers.unlink_group(runtime.db, chat_id, code)
        await authz.record(runtime, "group.unlink", None, commune=code, chat=chat_id, why=why)
    return communes


def is_private_group(chat_type: str, username: str | None) -> bool:
    """A chat tips may go to: a group or supergroup nobody can join by its name."""
    return chat_type in LINKABLE_CHATS and not username
