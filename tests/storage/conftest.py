import pytest

from storage import communes as store
from storage import officers
from storage.communes import Commune
from tests.storage.helpers import ADMIN, COMMUNES, OFFICER, OTHER_OFFICER, T0


@pytest.fixture
async def staffed(db):
    """Two communes, two officers of the first, and an admin: what foreign keys need."""
    await store.replace_province(
        db,
        68,
        "test",
        [Commune(code, f"Commune {code}", "phường", f"commune {code}", 68) for code in COMMUNES],
        [],
        now=T0,
    )
    await officers.ensure_admins(db, [ADMIN], now=T0)
    for officer in (OFFICER, OTHER_OFFICER):
        await officers.add(db, officer, f"Officer {officer}", now=T0)
        await officers.add_commune(db, officer, COMMUNES[0])
    return db
