import asyncio
import shutil
import unicodedata
from collections import Counter, defaultdict

import pytest
from hypothesis import given
from hypothesis import strategies as st
from vietnam_provinces import ProvinceCode, Ward

import bot.communes
from bot.communes import CommuneDirectory, CommuneMatch, fold, sync_communes
from bot.i18n import texts
from handlers.intake_views import commune_results
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
        a for a in aliases if a.name == "Phường 1" and a.parent_name == "Thành phố Đà Lạt"
    ]
    assert [(a.kind, a.commune_code) for a in old_ward_1] == [("ward", 24781)]
    # A district names its old province: Bình Thuận and Đắk Nông joined Lâm Đồng in 2025.
    provinces = {a.parent_name for a in aliases if a.kind == "district"}
    assert provinces == {"Tỉnh Bình Thuận", "Tỉnh Đắk Nông", "Tỉnh Lâm Đồng"}


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
        ("P. Xuân Hương", "xuan huong"),
        ("TT Liên Nghĩa", "lien nghia"),
        ("H. Di Linh", "di linh"),
        ("Tỉnh Đắk Nông", "dak nong"),
        ("Xã Đan Phượng", "dan phuong"),  # a unit type only before the name
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
        CommuneMatch(24829, "Phường B'Lao", via="TP Bảo Lộc"),  # old city, new name
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
        ("Lộc Thắng", 25054, "TT Lộc Thắng, Huyện Bảo Lâm"),
        ("thi tran lien nghia", 24958, "TT Liên Nghĩa, Huyện Đức Trọng"),
        ("Phú Quí", 23272, "Huyện Phú Quí"),
        ("Đạ Tẻh", 25126, None),  # today's name wins over the old district of the same name
    ],
)
def test_old_ward_names_lead_to_todays_commune(directory, query, code, via):
    assert directory.search(query)[0] == CommuneMatch(code, directory.name(code), via)


def test_old_numbered_wards_are_told_apart_by_district(directory):
    via = {m.code: m.via for m in directory.search("phường 1")}
    assert via[24781] == "Phường 1, TP Đà Lạt"  # one pair of brackets in the label
    assert via[24823] is None  # "Phường 1 Bảo Lộc" matches by today's name


# Addresses as envelopes write them, and typos ---------------------------------------------------


@pytest.mark.parametrize(
    ("query", "name", "via"),
    [
        ("Hàm Tiến Phan Thiết", "Phường Mũi Né", "Phường Hàm Tiến, TP Phan Thiết"),
        ("ham tien, tp phan thiet", "Phường Mũi Né", "Phường Hàm Tiến, TP Phan Thiết"),
        ("Phan Thiết Hàm Tiến", "Phường Mũi Né", "Phường Hàm Tiến, TP Phan Thiết"),
        ("ham tien binh thuan", "Phường Mũi Né", "Phường Hàm Tiến, TP Phan Thiết"),
        (
            "Ham Tien Phan Thiec",
            "Phường Mũi Né",
            "Phường Hàm Tiến, TP Phan Thiết",
        ),  # a typo in the place
        ("xa Tan Hoi huyen Duc Trong", "Xã Tân Hội", None),
        ("H. Đức Trọng, X. Tân Hội", "Xã Tân Hội", None),
        ("Phường 1 Bảo Lộc", "Phường 1 Bảo Lộc", None),
        ("Phường 1, Đà Lạt", "Phường Xuân Hương - Đà Lạt", "Phường 1, TP Đà Lạt"),
        ("tp da lat p 1", "Phường Xuân Hương - Đà Lạt", "Phường 1, TP Đà Lạt"),
        ("P. Xuân Hương", "Phường Xuân Hương - Đà Lạt", None),
        ("TT Liên Nghĩa", "Xã Đức Trọng", "TT Liên Nghĩa, Huyện Đức Trọng"),
        ("lien nghia duc trong", "Xã Đức Trọng", "TT Liên Nghĩa, Huyện Đức Trọng"),
        ("Lộc Phát Bảo Lộc", "Phường 1 Bảo Lộc", "Phường Lộc Phát, TP Bảo Lộc"),
    ],
)
def test_old_name_with_its_old_district_or_province(directory, query, name, via):
    match = directory.search(query)[0]
    assert (match.name, match.via) == (name, via)


@pytest.mark.parametrize(
    "query",
    ["Hàm Tiến, Lâm Đồng", "ham tien tinh lam dong", "Hàm Tiến, Đà Lạt", "ham tein lam dong"],
)
def test_a_wrong_place_or_todays_province_still_finds_the_name(directory, query):
    # Hàm Tiến was in Bình Thuận, which is in Lâm Đồng since 2025; Đà Lạt is simply wrong.
    assert directory.search(query)[0].name == "Phường Mũi Né"


def test_the_place_tells_numbered_wards_apart(directory):
    # Bảo Lộc also had a Phường 2, and today has a "Phường 2 Bảo Lộc": neither is in Đà Lạt.
    matches = directory.search("phuong 2 da lat")
    assert matches[0].via == "Phường 2, TP Đà Lạt"
    assert all(m.name.endswith("Đà Lạt") for m in matches)


@pytest.mark.parametrize(
    ("query", "name"),
    [
        ("Xuân Hươg", "Phường Xuân Hương - Đà Lạt"),
        ("xuan huogn", "Phường Xuân Hương - Đà Lạt"),  # swapped: one typo
        ("xuan hwog", "Phường Xuân Hương - Đà Lạt"),  # two
        ("lam vein", "Phường Lâm Viên - Đà Lạt"),
        ("Lam Vein - Da Lat", "Phường Lâm Viên - Đà Lạt"),
        ("bao lam 3x", "Xã Bảo Lâm 3"),
        ("lien ngia", "Xã Đức Trọng"),  # Thị trấn Liên Nghĩa
        ("ham tein phan thiet", "Phường Mũi Né"),
    ],
)
def test_one_or_two_wrong_letters_are_forgiven(directory, query, name):
    assert directory.search(query)[0].name == name


def test_a_typo_never_outranks_a_name_typed_right(directory):
    # "xuan huong" is two letters from "xuan truong": not offered beside the exact name.
    assert names(directory.search("xuan truong")) == ["Phường Xuân Trường - Đà Lạt"]
    assert names(directory.search("Xuân Hương")) == ["Phường Xuân Hương - Đà Lạt"]


@pytest.mark.parametrize(
    ("query", "province"), [("Dak Nong", "Tỉnh Đắk Nông"), ("Bình Thuận", "Tỉnh Bình Thuận")]
)
def test_old_province_offers_its_communes(directory, query, province):
    matches = directory.search(query)
    assert len(matches) == 8
    from_province = [m for m in matches if m.via == province]
    assert len(from_province) >= 7
    assert names(from_province) == sorted(names(from_province), key=fold)


def test_old_province_ranks_after_a_name_it_shares(directory):
    # Phan Thiết has a ward named after the old province.
    assert directory.search("binh thuan")[0] == CommuneMatch(22960, "Phường Bình Thuận")


def test_search_is_deterministic(directory):
    for query in ("binh thuan", "lam vein", "phuong 1", "tan"):
        assert directory.search(query) == directory.search(query)


@pytest.mark.parametrize(
    ("language", "label"),
    [
        ("vi", "Phường Xuân Hương - Đà Lạt (trước đây: Phường 1, TP Đà Lạt)"),
        ("en", "Phường Xuân Hương - Đà Lạt (formerly: Phường 1, TP Đà Lạt)"),
    ],
)
def test_choices_name_the_old_ward_without_nested_brackets(directory, language, label):
    _text, markup = commune_results(directory.search("Phường 1, Đà Lạt"), "", texts(language))
    buttons = [row[0].text for row in markup.inline_keyboard]
    assert buttons[0] == label
    assert buttons[-1] in ("Tôi không rõ", "I don't know")  # "I don't know" stays


def test_a_single_match_is_still_a_choice(directory):
    _text, markup = commune_results(directory.search("xuan truong"), "", texts("vi"))
    assert [row[0].text for row in markup.inline_keyboard] == [
        "Phường Xuân Trường - Đà Lạt",
        "Tôi không rõ",
    ]


# Measured on every pre-2025 ward of the province ------------------------------------------------


def unaccented(text):
    text = unicodedata.normalize("NFD", text).replace("đ", "d").replace("Đ", "D")
    return "".join(c for c in text if not unicodedata.combining(c))


def bare(name):
    """Without its unit type, as residents mostly type it: "Phường Hàm Tiến" -> "Hàm Tiến"."""
    for unit in ("Thành phố ", "Thị xã ", "Thị trấn ", "Huyện ", "Phường ", "Xã ", "Tỉnh "):
        if name.startswith(unit):
            return name.removeprefix(unit)
    return name


@pytest.fixture(scope="module")
def old_wards(synced_path):
    """(old ward, its old district, its old province) -> every commune it became part of."""

    async def load():
        db = await Database.open(synced_path)
        try:
            return await store.list_aliases(db, LAM_DONG)
        finally:
            await db.close()

    aliases = asyncio.run(load())
    province_of = {a.name: a.parent_name for a in aliases if a.kind == "district"}
    wards = defaultdict(set)
    for alias in aliases:
        if alias.kind == "ward":
            key = (alias.name, alias.parent_name, province_of[alias.parent_name])
            wards[key].add(alias.commune_code)
    assert len(wards) > 300  # Lâm Đồng, Đắk Nông and Bình Thuận
    return wards


def offered_rate(directory, typed):
    """The share of (query, communes) pairs for which every commune is offered."""
    offered = [codes <= {m.code for m in directory.search(query)} for query, codes in typed]
    return sum(offered) / len(offered)


@pytest.mark.parametrize(
    ("style", "typed"),
    [
        ("Xa Tan Hoi Huyen Duc Trong", lambda ward, district, _: f"{ward} {district}"),
        ("tan hoi duc trong", lambda ward, district, _: f"{bare(ward)} {bare(district)}".lower()),
        ("Huyen Duc Trong, Xa Tan Hoi", lambda ward, district, _: f"{district}, {ward}"),
        ("Tan Hoi, Lam Dong", lambda ward, _, province: f"{bare(ward)}, {bare(province)}"),
    ],
)
def test_every_old_ward_is_found_with_its_old_district(directory, old_wards, style, typed):
    rate = offered_rate(
        directory, [(unaccented(typed(*ward)), codes) for ward, codes in old_wards.items()]
    )
    print(f"old ward + its old district or province, typed like “{style}”: {rate:.1%} offered")
    assert rate >= 0.95


def one_wrong_letter(name):
    """Every way to get one letter of the name wrong: replaced by another, or left out."""
    for i, letter in enumerate(name):
        if letter.isalpha():
            yield name[:i] + ("e" if letter == "a" else "a") + name[i + 1 :]
            yield name[:i] + name[i + 1 :]


def test_every_old_ward_is_found_with_one_wrong_letter(directory, old_wards):
    typed = [
        (typo, codes)
        for (ward, _, _), codes in old_wards.items()
        for typo in one_wrong_letter(unaccented(bare(ward)).lower())
    ]
    rate = offered_rate(directory, typed)
    print(f"old ward with one wrong letter: {rate:.1%} of {len(typed)} typos offered")
    assert rate >= 0.90


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
