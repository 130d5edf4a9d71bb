"""The province's communes: loaded from the vietnam-provinces package into SQLite, searched in
memory.

Residents type a few letters of a name, usually without accents ("da lat"), often a name from
before the July 2025 reform ("Bảo Lâm" was a district, "Phường 1" a ward of Đà Lạt). The search
finds today's commune from any of these.
"""

from __future__ import annotations

import asyncio
import heapq
import re
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass

import vietnam_provinces
from vietnam_provinces import Province, ProvinceCode, Ward
from vietnam_provinces.legacy import District
from vietnam_provinces.legacy.codes import DistrictCode

from storage import communes as store
from storage.communes import Commune, CommuneAlias
from storage.db import Database

# Bump when fold() changes, so that the search names stored by an older version are rebuilt.
FOLD_VERSION = 1
# No unit's name comes near this; a longer text is not a search and is not worth folding.
MAX_QUERY_LENGTH = 200

_NOT_ALPHANUMERIC = re.compile(r"[^a-z0-9]+")
# A unit type said before the name, folded. Stripped only when a name follows it.
_UNIT_PREFIX = re.compile(r"^(?:xa|phuong|thi tran|thi xa|huyen|thanh pho|tp|tx|dac khu) (?=\S)")

# Ranks, best first. A match through a pre-2025 name ranks after every match on today's names.
EXACT, PREFIX, WORD_PREFIX, SUBSTRING = range(4)
LEGACY = 4


def fold(text: str) -> str:
    """Lower case, accents removed (đ -> d), punctuation as spaces, no leading unit type.

    "Phường Lâm Viên - Đà Lạt" -> "lam vien da lat"; "TP. Bảo Lộc" -> "bao loc";
    "Phường B'Lao" -> "blao" (apostrophes vanish: residents type "blao" as often as "b'lao").
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
    # Reading the package's tables takes a few hundred milliseconds: keep it off the event loop.
    communes, aliases = await asyncio.to_thread(read_province, province_code)
    await store.replace_province(db, province_code, version, communes, aliases)
    return True


def read_province(province_code: int) -> tuple[list[Commune], list[CommuneAlias]]:
    """Today's communes of the province, and every old ward and district each was formed from."""
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
            aliases[code, "district", int(district.code)] = CommuneAlias(
                code, "district", int(district.code), district.name, None, fold(district.name)
            )
    return communes, list(aliases.values())


# Searching -------------------------------------------------------------------------------------


@dataclass(frozen=True)
class CommuneMatch:
    code: int
    name: str
    via: str | None = None  # the pre-2025 name that matched, e.g. "Huyện Bảo Lâm"


@dataclass(frozen=True)
class _Entry:
    """One searchable name: today's name of a commune, or one of its old names."""

    code: int
    folded: str
    words: tuple[str, ...]
    compact: str  # without spaces: "dalat" and "baoloc" find "da lat" and "bao loc"
    via: str | None

    @classmethod
    def of(cls, code: int, folded: str, via: str | None) -> _Entry:
        return cls(code, folded, tuple(folded.split()), folded.replace(" ", ""), via)

    def rank(self, query: str, words: list[str], compact: str) -> int | None:
        if words[0] not in self.compact:
            # Every kind of match below contains each query word: this rejects most names cheaply.
            return None
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


class CommuneDirectory:
    """The province's communes in memory, built once at start from the database."""

    def __init__(self, communes: Iterable[Commune], aliases: Iterable[CommuneAlias]) -> None:
        self._communes = {c.code: c for c in communes}
        self._entries = [_Entry.of(c.code, c.search_name, None) for c in self._communes.values()]
        self._legacy = [
            _Entry.of(a.commune_code, a.search_name, _via(a))
            for a in aliases
            if a.commune_code in self._communes
        ]
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

        Exact name > name prefix > the words start words of the name > substring > old name;
        ties alphabetical. Accents, case, punctuation and a leading "xã", "huyện", "TP"... are
        ignored.
        """
        if limit <= 0 or len(query) > MAX_QUERY_LENGTH:
            return []
        folded = fold(query)
        if not folded:
            return []
        words, compact = folded.split(), folded.replace(" ", "")
        best: dict[int, tuple[int, str, str | None]] = {}  # code -> (rank, via sort key, via)
        for entries, offset in ((self._entries, 0), (self._legacy, LEGACY)):
            for entry in entries:
                rank = entry.rank(folded, words, compact)
                if rank is None:
                    continue
                candidate = (offset + rank, entry.folded, entry.via)
                if entry.code not in best or candidate[:2] < best[entry.code][:2]:
                    best[entry.code] = candidate
        top = heapq.nsmallest(
            limit, best.items(), key=lambda item: (item[1][0], self._order[item[0]])
        )
        return [CommuneMatch(code, self._communes[code].name, via) for code, (_, _, via) in top]


def _via(alias: CommuneAlias) -> str:
    # Old ward names repeat across districts ("Phường 1" of Đà Lạt and of Bảo Lộc).
    return f"{alias.name} ({alias.district_name})" if alias.district_name else alias.name
