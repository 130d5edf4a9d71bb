import sqlite3

import pytest

from storage import audit
from tests.storage.helpers import ADMIN, T0


async def test_append_and_list_for_a_tip(db):
    await audit.append(db, "tip.acknowledge", actor_id=ADMIN, tip_id=5, now=T0)
    await audit.append(db, "officer.invite", actor_id=ADMIN, detail={"commune": 24781}, now=T0)
    await audit.append(db, "tip.status", actor_id=ADMIN, tip_id=5, detail={"to": "resolved"})
    entries = await audit.list_for_tip(db, 5)
    assert [e.action for e in entries] == ["tip.acknowledge", "tip.status"]
    assert entries[0].created_at == T0 and entries[0].actor_id == ADMIN
    assert entries[1].detail == {"to": "resolved"}


@pytest.mark.parametrize(
    "statement", ["UPDATE audit_log SET action = 'forged'", "DELETE FROM audit_log"]
)
async def test_the_log_is_append_only(db, statement):
    await audit.append(db, "tip.acknowledge", actor_id=ADMIN, tip_id=1, now=T0)
    with pytest.raises(sqlite3.IntegrityError, match="append-only"):
        async with db.transaction():
            await db.execute(statement)
    assert [e.action for e in await audit.list_for_tip(db, 1)] == ["tip.acknowledge"]
