"""The province's communes: loaded from the vietnam-provinces package into SQLite, searched in
memory.

Residents type a few letters of a name, usually without accents ("da lat"), often a name from
before the July 2025 reform ("Bảo Lâm" was a district, "Phường 1" a ward of Đà Lạt). The search
finds today's commune from any of these.
"""

from __future__ import annotations

import asyncio
import heapq
import multiprocessing
import re
import unicodedata
from collections import defaultdict
from collections.abc import Iterable
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass

import vietnam_provinces
from rapidfuzz import process
from rapidfuzz.distance import OSA

from storage import communes as store
from storage.communes import Commune, CommuneAlias
from storage.db import Database

# Bump when fold() or what read_province() stores changes, so that older rows are rebuilt.
FOLD_VERSION = 2
# No unit's name comes near this; a longer text is not a search and is not worth folding.
MAX_QUERY_LENGTH = 200

_NOT_ALPHANUMERIC = re.compile(r"[^a-z0-9]+")
# Unit types and the abbreviations envelopes use ("P. Xuân Hương", "TT Liên Nghĩa", "H. Di Linh"),
# folded. Never words of a name in this data: "Đan Phượng" ends in "phuong", so only a unit type
# said before a name is taken for one.
_UNIT_WORDS = (
    "xa", "x", "phuong", "p", "thi tran", "tt", "thi xa", "tx", "huyen", "h", "quan", "q",
    "thanh pho", "tp", "tinh", "dac khu",
)  # fmt: skip
_UNIT_PREFIX = re.compile(rf"^(?:{'|'.join(_UNIT_WORDS)}) (?=\S)")

# Ranks, best first. A match through a pre-2025 name ranks after every match on today's names.
EXACT, PREFIX, WORD_PREFIX, SUBSTRING = range(4)
LEGACY = 4


def fold(text: str) -> str:
    """Lower case, accents removed (đ -> d), punctuation as spaces, no leading unit type.

    "Phường Lâm Viên - Đà Lạt" -> "lam vien da lat"; "TP. Bảo Lộc" -> "bao loc";
    "Phường B'Lao" -> "blao" (apostrophes vanish: residents type "blao" as often as "b'lao");
    "P. Xuân Hương" -> "xuan huong".
    """
    text = unicodedata.normalize("NFD", text.lower()).replace("đ", "d")
    text = "".join(c for c in text if not unicodedata.combining(c))
    text = text.replace("'", "").replace("\u2019", "")
    text = _NOT_ALPHANUMERIC.sub(" ", text).strip()
    return _UNIT_PREFIX.sub("", text)


# Loading ---------------------------------------------------------------------------------------


def source_version() -> str:
    """What the stored communes were built from; a change triggers a reload."""
    return (
        f"vietnam-provinces {vietnam_provinces.__version__} "
        f"data {vietnam_provinces.__data_version__} fold {FOLD_VERSION}"
    )


async def sync_communes(db: Database, province_code: int) -> bool:
    """Load the province's communes and their pre-2025 aliases, unless already loaded from the
    same package data. Runs at every start; returns True if it (re)loaded."""
    version = source_version()
    if await store.source_version(db, province_code) == version:
        return False
    communes, aliases = await _read_apart(province_code)
    await store.replace_province(db, province_code, version, communes, aliases)
    return True


# What a child process read, by province: a process reads the package once (tests open many
# fresh databases).
_read: dict[int, tuple[list[Commune], list[CommuneAlias]]] = {}


async def _read_apart(province_code: int) -> tuple[list[Commune], list[CommuneAlias]]:
    """read_province in a child process. The package's tables of the old (pre-2025) units of
    the whole country take ~9 MB once imported, which a module never gives back: read once at a
    data upgrade, they would weigh on the bot's memory for good. A child also keeps the few
    hundred milliseconds of reading off the event loop."""
    if province_code not in _read:
        spawn = multiprocessing.get_context("spawn")  # a fresh interpreter, not a fork of ours
        with ProcessPoolExecutor(max_workers=1, mp_context=spawn) as child:
            loop = asyncio.get_running_loop()
            _read[province_code] = await loop.run_in_executor(child, read_province, province_code)
    return _read[province_code]


def read_province(province_code: int) -> tuple[list[Commune], list[CommuneAlias]]:
    """Today's communes of the province, and every old ward and district each was formed from.

    A ward alias keeps its old district's name, a district alias its old province's name: the
    province is what residents of Bình Thuận and Đắk Nông still write. Run in a child process
    (see _read_apart): the imports are here so that the bot itself never loads those tables.
    """
    from vietnam_provinces import Province, ProvinceCode, Ward
    from vietnam_provinces.legacy import District
    from vietnam_provinces.legacy import Province as LegacyProvince
    from vietnam_provinces.legacy.codes import DistrictCode

    try:
        province = Province.from_code(ProvinceCode(province_code))
    except ValueError as error:
        raise ValueError(f"{province_code} is not a province code") from error
    communes: list[Commune] = []
    aliases: dict[tuple[int, str, int], CommuneAlias] = {}
    for ward in Ward.iter_by_province(province.code):
        code = int(ward.code)
        communes.append(
            Commune(code, ward.name, ward.division_type.value, fold(ward.name), province_code)
        )
        for old in ward.get_legacy_sources():
            district = District.from_code(DistrictCode(old.district_code))
            aliases[code, "ward", int(old.code)] = CommuneAlias(
                code, "ward", int(old.code), old.name, district.name, fold(old.name)
            )
            # Several old wards of one district lead here; the dict keeps the district once.
            old_province = LegacyProvince.from_code(district.province_code)
            aliases[code, "district", int(district.code)] = CommuneAlias(
                code,
                "district",
                int(district.code),
                district.name,
                old_province.name,
                fold(district.name),
            )
    return communes, list(aliases.values())


# Searching -------------------------------------------------------------------------------------


@dataclass(frozen=True)
class CommuneMatch:
    code: int
    name: str
    via: str | None = None  # the pre-2025 name that matched, e.g. "Phường 1, TP Đà Lạt"


# Ranks, best first. A match through a pre-2025 name ranks after every match on today's names of
# the same kind; a match forgiving typos after every match without.
EXACT, PREFIX, WORD_PREFIX, SUBSTRING = range(4)
LEGACY = 4
FORGIVEN = 8  # plus the number of letters forgiven
# What a name is, for ranking equal matches: the most precise one first.
TODAY, OLD_WARD, OLD_DISTRICT, OLD_PROVINCE = range(4)
# Queries are split into a name and a place at most this many words in.
MAX_SPLIT_WORDS = 10


@dataclass(frozen=True)
class _Name:
    """One searchable name: today's name of a commune, or an old ward, district or province it
    was formed from, with the old districts and provinces the name lies in."""

    code: int
    folded: str
    words: tuple[str, ...]
    compact: str  # without spaces: "dalat" and "baoloc" find "da lat" and "bao loc"
    typed: tuple[str, ...]  # how a resident writes it in full: typos are counted against these
    places: frozenset[str]  # folded old districts and provinces: "bao loc", "lam dong"
    kind: int
    via: str | None

    @classmethod
    def of(
        cls, code: int, name: str, kind: int, places: Iterable[str], via: str | None = None
    ) -> _Name:
        folded = fold(name)
        # "Phường Lâm Viên - Đà Lạt" is written "Lâm Viên" as often as in full.
        typed = dict.fromkeys((folded, fold(name.split(" - ")[0])))
        return cls(
            code,
            folded,
            tuple(folded.split()),
            folded.replace(" ", ""),
            tuple(typed),
            frozenset(places),
            kind,
            via,
        )

    def rank(self, query: str, words: list[str], compact: str) -> int | None:
        """The match's rank, or None; called for names containing a query word."""
        if self.folded == query:
            return EXACT
        if self.folded.startswith(query):
            return PREFIX
        # Each query word, in order, starts a word of the name: "xuan hu", "lam da" (Lâm Viên - Đà
        # Lạt). `any` advances the shared iterator, so later query words look further right.
        name_words = iter(self.words)
        if all(any(w.startswith(q) for w in name_words) for q in words):
            return WORD_PREFIX
        if compact in self.compact:
            return SUBSTRING
        return None


class _NameList:
    """Names searched together (the province's, or those of one old district), with what each
    pass scans prepared once: the compact forms for the cheap first filter, the typed forms for
    rapidfuzz."""

    def __init__(self, names: list[_Name]) -> None:
        self.names = names
        self.compacts = [name.compact for name in names]
        self.typed = [text for name in names for text in name.typed]
        self.typed_owner = [name for name in names for _ in name.typed]

    def containing(self, word: str) -> list[_Name]:
        """The names whose letters contain ``word``: every strict match does. A comprehension over
        plain strings, because most names fail it and a method call per name costs more."""
        return [
            name for name, compact in zip(self.names, self.compacts, strict=True) if word in compact
        ]


@dataclass(frozen=True)
class _Reading:
    """One way to read a query: a name, and the old district or province it was said to be in."""

    name: str
    place: str | None


def typos_forgiven(text: str) -> int:
    """Wrong, missing, extra or swapped letters forgiven in a name of this length: none in "ea",
    one in "lam vein", two from eight letters ("xuan huog")."""
    letters = len(text) - text.count(" ")
    return 0 if letters < 3 else 1 if letters < 8 else 2


class CommuneDirectory:
    """The province's communes in memory, with their search indexes built once at start."""

    def __init__(self, communes: Iterable[Commune], aliases: Iterable[CommuneAlias]) -> None:
        self._communes = {c.code: c for c in communes}
        aliases = [a for a in aliases if a.commune_code in self._communes]
        # A district alias names its old province; a ward alias its old district.
        province_of = {a.name: a.parent_name for a in aliases if a.kind == "district"}
        places: dict[int, set[str]] = defaultdict(set)  # commune -> its old districts, provinces
        for alias in aliases:
            if alias.kind == "district":
                places[alias.commune_code].add(fold(alias.name))
                if alias.parent_name:
                    places[alias.commune_code].add(fold(alias.parent_name))
        self._today = [
            _Name.of(c.code, c.name, TODAY, places[c.code]) for c in self._communes.values()
        ]
        self._legacy: list[_Name] = []
        provinces: set[tuple[int, str]] = set()
        for alias in aliases:
            parent = alias.parent_name
            if alias.kind == "ward":
                province = province_of.get(parent or "")
                ward_places = [fold(p) for p in (parent, province) if p]
                via = _short(alias.name) + (f", {_short(parent)}" if parent else "")
                self._legacy.append(
                    _Name.of(alias.commune_code, alias.name, OLD_WARD, ward_places, via)
                )
            else:
                district_places = [fold(parent)] if parent else []
                self._legacy.append(
                    _Name.of(
                        alias.commune_code,
                        alias.name,
                        OLD_DISTRICT,
                        district_places,
                        _short(alias.name),
                    )
                )
                if parent:
                    provinces.add((alias.commune_code, parent))
        self._legacy += [
            _Name.of(code, province, OLD_PROVINCE, (), province)
            for code, province in sorted(provinces)
        ]
        self._everything = _NameList(self._today + self._legacy)
        in_place: dict[str, list[_Name]] = defaultdict(list)
        for entry in self._everything.names:
            for place in entry.places:
                in_place[place].append(entry)
        self._in_place = {place: _NameList(names) for place, names in in_place.items()}
        self._places = sorted(self._in_place)
        # Ties are broken alphabetically on the folded name, so "Đ" sorts with "D".
        self._order = {c.code: (c.search_name, c.code) for c in self._communes.values()}

    @classmethod
    async def load(cls, db: Database, province_code: int) -> CommuneDirectory:
        return cls(
            await store.list_communes(db, province_code),
            await store.list_aliases(db, province_code),
        )

    def __len__(self) -> int:
        return len(self._communes)

    def get(self, code: int) -> Commune | None:
        return self._communes.get(code)

    def name(self, code: int) -> str:
        """The commune's official name; the bare code for one not in this province (e.g. a tip
        stored before TIPBOT_PROVINCE changed), so that rendering never fails."""
        commune = self._communes.get(code)
        return str(code) if commune is None else commune.name

    def search(self, query: str, limit: int = 8) -> list[CommuneMatch]:
        """Communes whose name, or an old name, matches ``query``, best first.

        The query is a name (today's, or an old ward's, district's or province's), alone or with
        the old district or province it was in, either side: "Hàm Tiến Phan Thiết", "xa Tan Hoi
        huyen Duc Trong", "Đà Lạt, Phường 1". Exact name > name prefix > the words start words
        of the name > substring > old name; ties alphabetical. Accents, case, punctuation and unit
        types ("xã", "P.", "huyện", "TP"...) are ignored. Only when nothing matches better than a
        substring is the name tried without its place, and then typos forgiven (rapidfuzz's edit
        distance, swapped letters counting one): "lam vein".
        """
        if limit <= 0 or len(query) > MAX_QUERY_LENGTH:
            return []
        folded = fold(query)
        if not folded:
            return []
        readings = [_Reading(folded, None), *self._name_and_place(folded.split())]
        best: dict[int, tuple[int, int, str, str | None]] = {}  # code -> (rank, kind, via key, via)

        def offer(entry: _Name, rank: int) -> None:
            candidate = (rank, entry.kind, entry.folded, entry.via)
            if entry.code not in best or candidate[:3] < best[entry.code][:3]:
                best[entry.code] = candidate

        def strictly(readings: list[_Reading]) -> bool:
            """Offers the strict matches; True if one is more than a substring of a name."""
            well_matched = False
            for reading in readings:
                words, compact = reading.name.split(), reading.name.replace(" ", "")
                # Every strict match contains each query word: the longest rules out the most.
                for entry in self._candidates(reading).containing(max(words, key=len)):
                    rank = entry.rank(reading.name, words, compact)
                    if rank is not None:
                        well_matched |= rank < SUBSTRING
                        offer(entry, rank + (LEGACY if entry.kind != TODAY else 0))
            return well_matched

        well_matched = strictly(readings)
        if not well_matched:
            # The place may be wrong, or be today's province ("Hàm Tiến, Lâm Đồng" was in Bình
            # Thuận): the name alone, then.
            alone = list(dict.fromkeys(_Reading(r.name, None) for r in readings if r.place))
            well_matched = strictly(alone)
            readings += alone
        if not well_matched:
            for reading in readings:
                for entry, typos in self._forgiving(reading):
                    offer(entry, FORGIVEN + typos)
        top = heapq.nsmallest(
            limit, best.items(), key=lambda item: (item[1][:2], self._order[item[0]])
        )
        return [CommuneMatch(code, self._communes[code].name, match[3]) for code, match in top]

    def _name_and_place(self, words: list[str]) -> list[_Reading]:
        """The query's readings as a name and a known old district or province, in either order:
        "tan hoi | duc trong", "phan thiet | ham tien". A place may have a typo."""
        readings = []
        for split in range(1, min(len(words), MAX_SPLIT_WORDS)):
            before, after = fold(" ".join(words[:split])), fold(" ".join(words[split:]))
            for name, place in ((before, after), (after, before)):
                known = self._place(place)
                if known is not None:
                    readings.append(_Reading(name, known))
        return readings

    def _place(self, text: str) -> str | None:
        if text in self._in_place:
            return text
        typos = typos_forgiven(text)
        if typos == 0:
            return None
        found = process.extractOne(text, self._places, scorer=OSA.distance, score_cutoff=typos)
        return None if found is None else found[0]

    def _candidates(self, reading: _Reading) -> _NameList:
        return self._everything if reading.place is None else self._in_place[reading.place]

    def _forgiving(self, reading: _Reading) -> list[tuple[_Name, int]]:
        """Names within a few typos of the reading's name, with the typos counted."""
        typos = typos_forgiven(reading.name)
        if typos == 0:
            return []
        names = self._candidates(reading)
        found = process.extract(
            reading.name, names.typed, scorer=OSA.distance, score_cutoff=typos, limit=None
        )
        return [(names.typed_owner[index], int(distance)) for _, distance, index in found]


# Envelopes write "TP Đà Lạt", "TT Liên Nghĩa": shorter buttons, same names.
_SHORT_UNITS = (("Thành phố ", "TP "), ("Thị xã ", "TX "), ("Thị trấn ", "TT "))


def _short(name: str) -> str:
    for unit, short in _SHORT_UNITS:
        if name.startswith(unit):
            return short + name.removeprefix(unit)
    return name
