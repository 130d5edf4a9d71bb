import asyncio
import shutil
from collections import Counter

import pytest
from hypothesis import given
from hypothesis import strategies as st
from vietnam_provinces import ProvinceCode, Ward

import bot.communes
from bot.communes import CommuneDirectory, CommuneMatch, fold, sync_communes
from storage import communes as store
from storage.communes import Commune, CommuneAlias
from storage.db import Database

LAM_DONG = 68
DA_LAT = [
    "Phường Cam Ly - Đà Lạt",
    "Phường Lâm Viên - Đà Lạt",
    "Phường Lang Biang - Đà Lạt",
    "Phường Xuân Hương - Đà Lạt",
    "Phường Xuân Trường - Đà Lạt",
]


@pytest.fixture(scope="module")
def synced_path(tmp_path_factory):
    """A database file with Lâm Đồng loaded once; tests that write get their own copy."""
    path = tmp_path_factory.mktemp("communes") / "tipbot.sqlite3"

    async def load():
        db = await Database.open(path)
        assert await sync_communes(db, LAM_DONG)
        await db.close()

    asyncio.run(load())
    return path


@pytest.fixture
async def db(synced_path, tmp_path):
    copy = tmp_path / "tipbot.sqlite3"
    shutil.copy(synced_path, copy)
    database = await Database.open(copy)
    yield database
    await database.close()


@pytest.fixture(scope="module")
def directory(synced_path):
    async def load():
        db = await Database.open(synced_path)
        try:
            return await CommuneDirectory.load(db, LAM_DONG)
        finally:
            await db.close()

    return asyncio.run(load())


def names(matches):
    return [m.name for m in matches]


# Loading ---------------------------------------------------------------------------------------


async def test_lam_dong_has_124_units_with_official_codes(db):
    communes = await store.list_communes(db, LAM_DONG)
    assert len(communes) == 124
    assert {c.code for c in communes} == {
        int(w.code) for w in Ward.iter_by_province(ProvinceCode(LAM_DONG))
    }
    by_code = {c.code: c for c in communes}
    assert by_code[24781].name == "Phường Xuân Hương - Đà Lạt"
    assert by_code[24781].search_name == "xuan huong da lat"
    assert by_code[23272].name == "Đặc khu Phú Quý"
    assert Counter(c.division_type for c in communes) == {"xã": 103, "phường": 20, "đặc khu": 1}


async def test_old_wards_and_districts_lead_to_todays_communes(db):
    aliases = await store.list_aliases(db, LAM_DONG)
    bao_lam = {a.commune_code for a in aliases if a.name == "Huyện Bảo Lâm"}
    assert len(bao_lam) == 6  # Bảo Lâm 1-5, and Phường 2 Bảo Lộc (from Xã Lộc Tân)
    old_ward_1 = [
        a for a in aliases if a.name == "Phường 1" and a.district_name == "Thành phố Đà Lạt"
    ]
    assert [(a.kind, a.commune_code) for a in old_ward_1] == [("ward", 24781)]


async def test_sync_skips_when_the_same_data_is_loaded(db, monkeypatch):
    def must_not_read(province_code):
        raise AssertionError("the package was read again")

    monkeypatch.setattr(bot.communes, "read_province", must_not_read)
    assert not await sync_communes(db, LAM_DONG)


async def test_sync_reloads_when_the_package_data_changes(db, monkeypatch):
    aliases_before = await store.list_aliases(db, LAM_DONG)
    monkeypatch.setattr(bot.communes, "source_version", lambda: "vietnam-provinces 2027.1.0")
    assert await sync_communes(db, LAM_DONG)
    assert len(await store.list_communes(db, LAM_DONG)) == 124
    assert await store.list_aliases(db, LAM_DONG) == aliases_before
    assert await store.source_version(db, LAM_DONG) == "vietnam-provinces 2027.1.0"


async def test_unknown_province_is_an_error(db):
    with pytest.raises(ValueError, match="not a province code"):
        await sync_communes(db, 99)


# Folding ---------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "folded"),
    [
        ("Phường Lâm Viên - Đà Lạt", "lam vien da lat"),
        ("ĐẮK R'LẤP", "dak rlap"),
        ("Huyện Đắk R’Lấp", "dak rlap"),
        ("TP. Bảo Lộc", "bao loc"),
        ("thị xã La Gi", "la gi"),
        ("Đặc khu Phú Quý", "phu quy"),
        ("  xã   Tà  Hine!! ", "ta hine"),
        ("xã", "xa"),  # a prefix alone is not stripped: nothing would be left
        ("🚨🚨", ""),
    ],
)
def test_fold(text, folded):
    assert fold(text) == folded


# Searching -------------------------------------------------------------------------------------


def test_directory_has_the_province(directory):
    assert len(directory) == 124
    assert directory.name(24781) == "Phường Xuân Hương - Đà Lạt"
    assert directory.get(24781).division_type == "phường"
    assert directory.get(1) is None
    assert directory.name(1) == "1"


@pytest.mark.parametrize(
    "query",
    [
        "Xuân Hương",
        "xuan huong",
        "XUÂN HƯƠNG",
        "phường xuân hương",
        "Phuong Xuan Huong - Da Lat",
        "xuân hương, đà lạt",
        "xuan hu",
    ],
)
def test_accents_case_punctuation_and_prefix_do_not_matter(directory, query):
    assert directory.search(query)[0] == CommuneMatch(24781, "Phường Xuân Hương - Đà Lạt")


@pytest.mark.parametrize("query", ["da lat", "Đà Lạt", "dalat", "Thành phố Đà Lạt", "tp da lat"])
def test_da_lat_finds_its_five_wards(directory, query):
    assert names(directory.search(query)) == DA_LAT


@pytest.mark.parametrize("query", ["bao loc", "Bảo Lộc", "TP. Bảo Lộc"])
def test_bao_loc_finds_its_wards(directory, query):
    assert directory.search(query) == [
        CommuneMatch(24823, "Phường 1 Bảo Lộc"),
        CommuneMatch(24820, "Phường 2 Bảo Lộc"),
        CommuneMatch(24841, "Phường 3 Bảo Lộc"),
        CommuneMatch(24829, "Phường B'Lao", via="Thành phố Bảo Lộc"),  # old city, new name
    ]


def test_old_district_bao_lam(directory):
    matches = directory.search("huyện Bảo Lâm")
    assert names(matches) == [f"Xã Bảo Lâm {n}" for n in range(1, 6)] + ["Phường 2 Bảo Lộc"]
    assert matches[-1].via == "Huyện Bảo Lâm"


def test_old_district_dam_rong(directory):
    assert names(directory.search("Đam Rông")) == [f"Xã Đam Rông {n}" for n in range(1, 5)]


def test_old_district_di_linh(directory):
    matches = directory.search("di linh")
    assert matches[0] == CommuneMatch(25000, "Xã Di Linh")
    assert {m.via for m in matches[1:]} == {"Huyện Di Linh"}
    assert names(matches[1:]) == [
        "Xã Bảo Thuận",
        "Xã Đinh Trang Thượng",
        "Xã Gia Hiệp",
        "Xã Hòa Bắc",
        "Xã Hòa Ninh",
        "Xã Sơn Điền",
    ]


def test_old_district_duc_trong(directory):
    matches = directory.search("Đức Trọng")
    assert matches[0].name == "Xã Đức Trọng"
    assert len(matches) == 7 and all(m.via == "Huyện Đức Trọng" for m in matches[1:])


@pytest.mark.parametrize(
    ("query", "code", "via"),
    [
        ("Lộc Thắng", 25054, "Thị trấn Lộc Thắng (Huyện Bảo Lâm)"),
        ("thi tran lien nghia", 24958, "Thị trấn Liên Nghĩa (Huyện Đức Trọng)"),
        ("Phú Quí", 23272, "Huyện Phú Quí"),
        ("Đạ Tẻh", 25126, None),  # today's name wins over the old district of the same name
    ],
)
def test_old_ward_names_lead_to_todays_commune(directory, query, code, via):
    assert directory.search(query)[0] == CommuneMatch(code, directory.name(code), via)


def test_old_numbered_wards_are_told_apart_by_district(directory):
    via = {m.code: m.via for m in directory.search("phường 1")}
    assert via[24781] == "Phường 1 (Thành phố Đà Lạt)"
    assert via[24823] is None  # "Phường 1 Bảo Lộc" matches by today's name


@pytest.mark.parametrize("query", ["", "   ", "\n\t", "🚨🔥", "!!!", "xã", "x" * 10_000, "a" * 201])
def test_nothing_to_search_gives_nothing(directory, query):
    assert directory.search(query) == []


def test_limit(directory):
    assert len(directory.search("a")) == 8
    assert len(directory.search("a", limit=3)) == 3
    assert directory.search("a", limit=0) == []


@given(st.text(max_size=300))
def test_search_never_raises(directory, query):
    matches = directory.search(query)
    assert len(matches) <= 8
    assert len({m.code for m in matches}) == len(matches)


# Ranking, on a small directory where each rule can be seen --------------------------------------


def small_directory():
    units = ["Xã An", "Xã An Phú", "Xã An Bình", "Xã Đông An", "Xã Bình An", "Xã Tân Lập", "Xã Zê"]
    communes = [Commune(n, name, "xã", fold(name), 1) for n, name in enumerate(units, start=1)]
    aliases = [
        CommuneAlias(7, "district", 100, "Huyện An", None, "an"),
        CommuneAlias(1, "ward", 200, "Xã An", "Huyện Cũ", "an"),  # never beats today's name
    ]
    return CommuneDirectory(communes, aliases)


def test_ranking_exact_prefix_word_substring_then_old_names():
    assert small_directory().search("an") == [
        CommuneMatch(1, "Xã An"),  # exact
        CommuneMatch(3, "Xã An Bình"),  # prefix; ties alphabetical
        CommuneMatch(2, "Xã An Phú"),
        CommuneMatch(5, "Xã Bình An"),  # a word starts with it; "Đ" sorts as "D"
        CommuneMatch(4, "Xã Đông An"),
        CommuneMatch(6, "Xã Tân Lập"),  # substring
        CommuneMatch(7, "Xã Zê", via="Huyện An"),  # old name
    ]


def test_words_must_come_in_order():
    assert small_directory().search("an binh") == [CommuneMatch(3, "Xã An Bình")]
    assert small_directory().search("binh an") == [CommuneMatch(5, "Xã Bình An")]
