"""Officers and admins, the communes they serve, their groups, and onboarding invites.

Staff are identified by Telegram user id on purpose: every action they take is authorised
against these rows and written to the audit log.
"""

from __future__ import annotations

import json
from collections.abc import Collection
from dataclasses import dataclass

from storage.db import Database, now_or


@dataclass(frozen=True)
class Officer:
    user_id: int
    name: str | None
    role: str  # officer | admin
    active: bool
    created_at: int

    @property
    def is_admin(self) -> bool:
        return self.role == "admin"


@dataclass(frozen=True)
class Invite:
    token_hash: str
    commune_code: int
    created_by: int
    created_at: int
    expires_at: int
    used_at: int | None
    used_by: int | None


def _officer(row) -> Officer:
    return Officer(
        user_id=row["user_id"],
        name=row["name"],
        role=row["role"],
        active=bool(row["active"]),
        created_at=row["created_at"],
    )


# Officers ------------------------------------------------------------------------------------


async def get(db: Database, user_id: int) -> Officer | None:
    row = await db.fetch_one("SELECT * FROM officers WHERE user_id = ?", (user_id,))
    return None if row is None else _officer(row)


async def add(db: Database, user_id: int, name: str | None, *, now: int | None = None) -> None:
    """Create the officer, or reactivate them and refresh the name; the role is left alone."""
    async with db.transaction():
        await db.execute(
            """INSERT INTO officers (user_id, name, created_at) VALUES (?, ?, ?)
               ON CONFLICT (user_id) DO UPDATE
               SET name = coalesce(excluded.name, name), active = 1""",
            (user_id, name, now_or(now)),
        )


async def ensure_admins(db: Database, user_ids: Collection[int], *, now: int | None = None) -> None:
    """Make exactly ``user_ids`` (TIPBOT_ADMIN_IDS) the admins: the configuration is the source of
    truth, so an id removed from it loses the role at the next start."""
    now = now_or(now)
    async with db.transaction():
        await db.execute(
            """UPDATE officers SET role = 'officer'
               WHERE role = 'admin' AND user_id NOT IN (SELECT value FROM json_each(?))""",
            (json.dumps(list(user_ids)),),
        )
        await db.executemany(
            """INSERT INTO officers (user_id, role, created_at) VALUES (?, 'admin', ?)
               ON CONFLICT (user_id) DO UPDATE SET role = 'admin', active = 1""",
            [(user_id, now) for user_id in user_ids],
        )


async def set_active(db: Database, user_id: int, active: bool) -> None:
    async with db.transaction():
        await db.execute("UPDATE officers SET active = ? WHERE user_id = ?", (int(active), user_id))


async def list_all(db: Database) -> list[Officer]:
    rows = await db.fetch_all("SELECT * FROM officers ORDER BY role, name, user_id")
    return [_officer(row) for row in rows]


async def admins(db: Database) -> list[Officer]:
    """Active admins: they receive the province queue and escalations."""
    rows = await db.fetch_all(
        "SELECT * FROM officers WHERE role = 'admin' AND active = 1 ORDER BY user_id"
    )
    return [_officer(row) for row in rows]


# Jurisdiction ----------------------------------------------------------------------------------


async def add_commune(db: Database, user_id: int, commune_code: int) -> None:
    async with db.transaction():
        await db.execute(
            "INSERT OR IGNORE INTO officer_communes (officer_id, commune_code) VALUES (?, ?)",
            (user_id, commune_code),
        )


async def remove_commune(db: Database, user_id: int, commune_code: int) -> bool:
    async with db.transaction():
        cursor = await db.execute(
            "DELETE FROM officer_communes WHERE officer_id = ? AND commune_code = ?",
            (user_id, commune_code),
        )
    return cursor.rowcount > 0


async def communes_of(db: Database, user_id: int) -> list[int]:
    rows = await db.fetch_all(
        "SELECT commune_code FROM officer_communes WHERE officer_id = ? ORDER BY commune_code",
        (user_id,),
    )
    return [row[0] for row in rows]


async def officers_of(db: Database, commune_code: int) -> list[Officer]:
    """The active officers who receive the commune's tips."""
    rows = await db.fetch_all(
        """SELECT o.* FROM officers AS o JOIN officer_communes AS oc ON oc.officer_id = o.user_id
           WHERE oc.commune_code = ? AND o.active = 1 ORDER BY o.user_id""",
        (commune_code,),
    )
    return [_officer(row) for row in rows]


# Groups --------------------------------------------------------------------------------------


async def link_group(
    db: Database,
    chat_id: int,
    commune_code: int,
    *,
    title: str | None,
    linked_by: int,
    now: int | None = None,
) -> None:
    async with db.transaction():
        await db.execute(
            """INSERT INTO commune_groups (chat_id, commune_code, title, linked_by, linked_at)
               VALUES (?, ?, ?, ?, ?)
               ON CONFLICT (chat_id, commune_code) DO UPDATE SET title = excluded.title,
                   linked_by = excluded.linked_by, linked_at = excluded.linked_at""",
            (chat_id, commune_code, title, linked_by, now_or(now)),
        )


async def unlink_group(db: Database, chat_id: int, commune_code: int | None = None) -> int:
    """Unlink the group from one commune, or from all (the bot was removed from it)."""
    async with db.transaction():
        cursor = await db.execute(
            "DELETE FROM commune_groups WHERE chat_id = ? AND (? IS NULL OR commune_code = ?)",
            (chat_id, commune_code, commune_code),
        )
    return cursor.rowcount


async def move_group(db: Database, old_chat_id: int, new_chat_id: int) -> list[int]:
    """The group became a supergroup with a new id: its links (title, who vouches, when) follow
    it. Returns the communes moved; none when they have moved already (both of Telegram's
    service messages, or a send that met the old id, may ask)."""
    async with db.transaction():
        rows = await db.fetch_all(
            "SELECT commune_code FROM commune_groups WHERE chat_id = ? ORDER BY commune_code",
            (old_chat_id,),
        )
        # A link the new id already has (linked again there meanwhile) wins over the old one.
        await db.execute(
            "UPDATE OR IGNORE commune_groups SET chat_id = ? WHERE chat_id = ?",
            (new_chat_id, old_chat_id),
        )
        await db.execute("DELETE FROM commune_groups WHERE chat_id = ?", (old_chat_id,))
    return [row[0] for row in rows]


# A link counts only while someone vouches for it: the officer who made it (or last renewed it
# with /linkgroup) is still active and still serves that commune, or is an admin. Otherwise the
# group may hold nobody entitled to the commune's tips any more.
_VOUCHED = """
    EXISTS (SELECT 1 FROM officers AS o WHERE o.user_id = g.linked_by AND o.active = 1
            AND (o.role = 'admin' OR EXISTS (SELECT 1 FROM officer_communes AS oc
                 WHERE oc.officer_id = o.user_id AND oc.commune_code = g.commune_code)))"""


async def groups_of(db: Database, commune_code: int) -> list[int]:
    """The commune's linked groups that an active officer of it (or an admin) vouches for."""
    rows = await db.fetch_all(
        f"""SELECT chat_id FROM commune_groups AS g
            WHERE commune_code = ? AND {_VOUCHED} ORDER BY chat_id""",  # noqa: S608
        (commune_code,),
    )
    return [row[0] for row in rows]


@dataclass(frozen=True)
class GroupLink:
    chat_id: int
    commune_code: int
    title: str | None


async def unvouched_links(db: Database, linked_by: int | None = None) -> list[GroupLink]:
    """Links nobody vouches for any more (their officer was revoked or moved); only those
    `linked_by` that officer if given."""
    rows = await db.fetch_all(
        f"""SELECT chat_id, commune_code, title FROM commune_groups AS g
            WHERE NOT {_VOUCHED} AND (? IS NULL OR linked_by = ?)
            ORDER BY commune_code, chat_id""",  # noqa: S608
        (linked_by, linked_by),
    )
    return [GroupLink(row[0], row[1], row[2]) for row in rows]


async def has_vouched_link(db: Database, chat_id: int) -> bool:
    """The group still serves some commune for someone entitled to its tips."""
    row = await db.fetch_one(
        f"SELECT 1 FROM commune_groups AS g WHERE chat_id = ? AND {_VOUCHED}",  # noqa: S608
        (chat_id,),
    )
    return row is not None


async def communes_of_group(db: Database, chat_id: int) -> list[int]:
    rows = await db.fetch_all(
        "SELECT commune_code FROM commune_groups WHERE chat_id = ? ORDER BY commune_code",
        (chat_id,),
    )
    return [row[0] for row in rows]


# Invites -------------------------------------------------------------------------------------


async def create_invite(
    db: Database,
    token_hash: str,
    commune_code: int,
    *,
    created_by: int,
    expires_at: int,
    now: int | None = None,
) -> None:
    async with db.transaction():
        await db.execute(
            """INSERT INTO invites (token_hash, commune_code, created_by, created_at, expires_at)
               VALUES (?, ?, ?, ?, ?)""",
            (token_hash, commune_code, created_by, now_or(now), expires_at),
        )


async def redeem_invite(
    db: Database, token_hash: str, user_id: int, name: str | None, *, now: int | None = None
) -> Invite | None:
    """Use an unused, unexpired invite: the user becomes an officer of its commune.

    None if the invite is unknown, used or expired. The write transaction holds SQLite's write
    lock from its first statement, so two people pressing the link at once cannot both use it.
    """
    now = now_or(now)
    async with db.transaction():
        row = await db.fetch_one(
            "SELECT * FROM invites WHERE token_hash = ? AND used_at IS NULL AND expires_at > ?",
            (token_hash, now),
        )
        if row is None:
            return None
        await add(db, user_id, name, now=now)
        await db.execute(
            "UPDATE invites SET used_at = ?, used_by = ? WHERE token_hash = ?",
            (now, user_id, token_hash),
        )
        await add_commune(db, user_id, row["commune_code"])
    return Invite(**{**dict(row), "used_at": now, "used_by": user_id})


async def get_invite(db: Database, token_hash: str) -> Invite | None:
    """The invite as stored, used or not: tells an expired link from a used or unknown one."""
    row = await db.fetch_one("SELECT * FROM invites WHERE token_hash = ?", (token_hash,))
    return None if row is None else Invite(**dict(row))


async def group_links(db: Database, commune_code: int) -> list[tuple[int, str | None]]:
    """The commune's groups that receive its tips (vouched for, see groups_of) as (chat id,
    title when linked), for the officers' own lists."""
    rows = await db.fetch_all(
        f"""SELECT chat_id, title FROM commune_groups AS g WHERE commune_code = ? AND {_VOUCHED}
            ORDER BY title, chat_id""",  # noqa: S608
        (commune_code,),
    )
    return [(row[0], row[1]) for row in rows]
