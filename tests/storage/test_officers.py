import sqlite3

import pytest

from storage import officers
from tests.storage.helpers import ADMIN, COMMUNES, OFFICER, OTHER_OFFICER, T0

DAY = 86400


async def test_officers_of_a_commune_and_their_communes(staffed):
    db = staffed
    assert [o.user_id for o in await officers.officers_of(db, COMMUNES[0])] == [
        OFFICER,
        OTHER_OFFICER,
    ]
    assert await officers.officers_of(db, COMMUNES[1]) == []
    await officers.add_commune(db, OFFICER, COMMUNES[1])
    await officers.add_commune(db, OFFICER, COMMUNES[1])  # idempotent
    assert await officers.communes_of(db, OFFICER) == list(COMMUNES)
    assert await officers.remove_commune(db, OFFICER, COMMUNES[1])
    assert not await officers.remove_commune(db, OFFICER, COMMUNES[1])
    assert await officers.communes_of(db, OFFICER) == [COMMUNES[0]]


async def test_an_inactive_officer_receives_nothing(staffed):
    await officers.set_active(staffed, OFFICER, False)
    assert [o.user_id for o in await officers.officers_of(staffed, COMMUNES[0])] == [OTHER_OFFICER]
    assert not (await officers.get(staffed, OFFICER)).active
    await officers.add(staffed, OFFICER, None)  # onboarded again: active, name kept
    officer = await officers.get(staffed, OFFICER)
    assert officer.active and officer.name == f"Officer {OFFICER}"


async def test_admins_follow_the_configuration(staffed):
    db = staffed
    assert [(a.user_id, a.is_admin) for a in await officers.admins(db)] == [(ADMIN, True)]
    await officers.ensure_admins(db, [OFFICER, 9002], now=T0)
    assert [a.user_id for a in await officers.admins(db)] == [OFFICER, 9002]
    assert (await officers.get(db, ADMIN)).role == "officer"  # removed from the list
    assert await officers.communes_of(db, OFFICER) == [COMMUNES[0]]  # kept
    await officers.ensure_admins(db, [])
    assert await officers.admins(db) == []
    assert len(await officers.list_all(db)) == 4


async def test_unknown_officer(db):
    assert await officers.get(db, 5) is None


async def test_groups(staffed):
    db = staffed
    group = -1001234567890
    await officers.link_group(db, group, COMMUNES[0], title="CA phường", linked_by=OFFICER, now=T0)
    await officers.link_group(db, group, COMMUNES[1], title="CA phường", linked_by=ADMIN, now=T0)
    await officers.link_group(db, group, COMMUNES[0], title="Renamed", linked_by=OFFICER)
    assert await officers.groups_of(db, COMMUNES[0]) == [group]
    assert await officers.communes_of_group(db, group) == list(COMMUNES)
    assert await officers.unlink_group(db, group, COMMUNES[0]) == 1
    assert await officers.groups_of(db, COMMUNES[0]) == []
    assert await officers.unlink_group(db, group) == 1  # the bot left the group: everything
    assert await officers.communes_of_group(db, group) == []


async def test_invite_makes_an_officer_once(staffed):
    db = staffed
    await officers.create_invite(
        db, "hash-1", COMMUNES[1], created_by=ADMIN, expires_at=T0 + DAY, now=T0
    )
    invite = await officers.redeem_invite(db, "hash-1", 3003, "Trần Văn B", now=T0 + 60)
    assert (invite.commune_code, invite.used_by, invite.used_at) == (COMMUNES[1], 3003, T0 + 60)
    assert await officers.communes_of(db, 3003) == [COMMUNES[1]]
    assert (await officers.get(db, 3003)).name == "Trần Văn B"
    assert await officers.redeem_invite(db, "hash-1", 3004, "Someone", now=T0 + 61) is None
    assert await officers.get(db, 3004) is None


async def test_expired_or_unknown_invites_grant_nothing(staffed):
    db = staffed
    await officers.create_invite(
        db, "hash-2", COMMUNES[1], created_by=ADMIN, expires_at=T0 + DAY, now=T0
    )
    assert await officers.redeem_invite(db, "hash-2", 3003, "Late", now=T0 + DAY) is None
    assert await officers.redeem_invite(db, "forged", 3003, "Forger", now=T0) is None
    assert await officers.get(db, 3003) is None


async def test_an_invite_needs_a_known_creator_and_commune(staffed):
    with pytest.raises(sqlite3.IntegrityError, match="FOREIGN KEY"):
        await officers.create_invite(staffed, "h", 99999, created_by=ADMIN, expires_at=T0)
    with pytest.raises(sqlite3.IntegrityError, match="FOREIGN KEY"):
        await officers.create_invite(staffed, "h", COMMUNES[0], created_by=5, expires_at=T0)


async def test_a_group_upgraded_to_a_supergroup_keeps_its_links(staffed):
    db = staffed
    old, new = -4_000_000_001, -1_000_000_000_002
    await officers.link_group(db, old, COMMUNES[0], title="CA", linked_by=OFFICER, now=T0)
    await officers.link_group(db, old, COMMUNES[1], title="CA", linked_by=ADMIN, now=T0)
    await officers.link_group(db, new, COMMUNES[1], title="CA mới", linked_by=ADMIN, now=T0 + 1)

    assert await officers.move_group(db, old, new) == list(COMMUNES)
    assert await officers.communes_of_group(db, old) == []
    assert await officers.communes_of_group(db, new) == list(COMMUNES)
    assert await officers.group_links(db, COMMUNES[1]) == [(new, "CA mới")]  # its own link won
    assert await officers.move_group(db, old, new) == []  # the second service message
