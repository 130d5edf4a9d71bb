"""Communes and their pre-2025 aliases, as loaded by bot/communes.py."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from storage.db import Database, now_or


@dataclass(frozen=True)
class Commune:
    code: int
    name: str
    division_type: str
    search_name: str
    province_code: int


@dataclass(frozen=True)
class CommuneAlias:
    commune_code: int
    kind: str  # 'ward' | 'district'
    legacy_code: int
    name: str
    # The old unit it belonged to: a ward's district ("Phường 1" of Đà Lạt or of Bảo Lộc), a
    # district's province (Bình Thuận, Đắk Nông or Lâm Đồng). Stored in column district_name.
    parent_name: str | None
    search_name: str


async def source_version(db: Database, province_code: int) -> str | None:
    """The package data version the province was last loaded from, if any."""
    return await db.fetch_value(
        "SELECT version FROM commune_sources WHERE province_code = ?", (province_code,)
    )


async def replace_province(
    db: Database,
    province_code: int,
    version: str,
    communes: Iterable[Commune],
    aliases: Iterable[CommuneAlias],
    *,
    now: int | None = None,
) -> None:
    """Upsert the province's communes and replace its aliases, in one transaction.

    Communes are updated in place, never deleted: tips and officers keep referring to them.
    """
    async with db.transaction():
        await db.executemany(
            """INSERT INTO communes (code, name, division_type, search_name, province_code)
               VALUES (?, ?, ?, ?, ?)
               ON CONFLICT (code) DO UPDATE SET name = excluded.name,
                   division_type = excluded.division_type, search_name = excluded.search_name,
                   province_code = excluded.province_code""",
            [(c.code, c.name, c.division_type, c.search_name, c.province_code) for c in communes],
        )
        await db.execute(
            """DELETE FROM commune_aliases WHERE commune_code IN
               (SELECT code FROM communes WHERE province_code = ?)""",
            (province_code,),
        )
        await db.executemany(
            """INSERT INTO commune_aliases
                   (commune_code, kind, legacy_code, name, district_name, search_name)
               VALUES (?, ?, ?, ?, ?, ?)""",
            [
                (a.commune_code, a.kind, a.legacy_code, a.name, a.parent_name, a.search_name)
                for a in aliases
            ],
        )
        await db.execute(
            """INSERT INTO commune_sources (province_code, version, synced_at) VALUES (?, ?, ?)
               ON CONFLICT (province_code) DO UPDATE
               SET version = excluded.version, synced_at = excluded.synced_at""",
            (province_code, version, now_or(now)),
        )


async def list_communes(db: Database, province_code: int) -> list[Commune]:
    rows = await db.fetch_all(
        """SELECT code, name, division_type, search_name, province_code FROM communes
           WHERE province_code = ? ORDER BY code""",
        (province_code,),
    )
    return [Commune(**row) for row in rows]


async def list_aliases(db: Database, province_code: int) -> list[CommuneAlias]:
    rows = await db.fetch_all(
        """SELECT a.commune_code, a.kind, a.legacy_code, a.name,
                  a.district_name AS parent_name, a.search_name
           FROM commune_aliases AS a JOIN communes AS c ON c.code = a.commune_code
           WHERE c.province_code = ? ORDER BY a.commune_code, a.kind, a.legacy_code""",
        (province_code,),
    )
    return [CommuneAlias(**row) for row in rows]
