from storage import communes
from storage.communes import Commune, CommuneAlias
from tests.storage.helpers import T0


def unit(code, name, province=68):
    return Commune(code, name, "xã", name.lower(), province)


async def test_replace_province_upserts_communes_and_replaces_aliases(db):
    assert await communes.source_version(db, 68) is None
    await communes.replace_province(
        db,
        68,
        "v1",
        [unit(1, "Xã A"), unit(2, "Xã B")],
        [
            CommuneAlias(1, "district", 10, "Huyện X", None, "x"),
            CommuneAlias(2, "ward", 20, "Xã C", "Huyện X", "c"),
        ],
        now=T0,
    )
    await communes.replace_province(db, 1, "v1", [unit(3, "Phường Z", province=1)], [])
    assert await communes.source_version(db, 68) == "v1"
    await communes.replace_province(
        db,
        68,
        "v2",
        [unit(1, "Xã A mới"), unit(2, "Xã B")],
        [CommuneAlias(2, "ward", 21, "Xã D", "Huyện X", "d")],
        now=T0 + 1,
    )
    assert await communes.source_version(db, 68) == "v2"
    assert [c.name for c in await communes.list_communes(db, 68)] == ["Xã A mới", "Xã B"]
    assert [a.name for a in await communes.list_aliases(db, 68)] == ["Xã D"]
    assert [c.code for c in await communes.list_communes(db, 1)] == [3]
