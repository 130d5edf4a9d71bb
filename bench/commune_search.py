"""Commune search latency on the full province, beside a plain linear `in` scan over the names.

    .venv/bin/python -m bench.commune_search [province_code]

The baseline is the least a search could do (lower-case substring over today's names: no accent
folding, no old names, no ranking); the directory's figure shows what the rest costs.
"""

from __future__ import annotations

import asyncio
import gc
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

from bot.communes import CommuneDirectory, fold, sync_communes
from storage import communes as store
from storage.db import Database

REPEATS = 20


def queries(names: list[str], old_names: list[str]) -> list[str]:
    """What residents type: whole names, unaccented beginnings, old names, near misses."""
    typed = []
    for name in names:
        words = fold(name).split()
        typed += [name, words[0][:3], " ".join(words[:2])[:7]]
    typed += old_names
    typed += ["a", "xa", "phuong 1", "tp da lat", "zzz", "hà nội", "x" * 150]
    return typed


def measure(search: Callable[[str], object], typed: list[str]) -> list[float]:
    timings = []
    gc.collect()
    for _ in range(REPEATS):
        for query in typed:
            start = time.perf_counter_ns()
            search(query)
            timings.append((time.perf_counter_ns() - start) / 1000)
    return timings


def report(label: str, timings: list[float], found: int, total: int) -> None:
    p99 = statistics.quantiles(timings, n=100)[98]
    print(
        f"{label:<26} p50 {statistics.median(timings):7.1f} µs   p99 {p99:7.1f} µs   "
        f"max {max(timings):7.1f} µs   queries with a result {found}/{total}"
    )


async def main(province_code: int = 68) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        db = await Database.open(Path(tmp) / "bench.sqlite3")
        try:
            await sync_communes(db, province_code)
            directory = await CommuneDirectory.load(db, province_code)
            communes = await store.list_communes(db, province_code)
            aliases = await store.list_aliases(db, province_code)
        finally:
            await db.close()

    names = [c.name for c in communes]
    lowered = [name.lower() for name in names]
    old_names = sorted({a.name for a in aliases if a.kind == "district"})
    typed = queries(names, old_names)

    def baseline(query: str) -> list[str]:
        query = query.lower()
        return [name for name in lowered if query in name]

    print(
        f"province {province_code}: {len(names)} communes, {len(aliases)} old names; "
        f"{len(typed)} queries x {REPEATS}"
    )
    for label, search in (
        ("CommuneDirectory.search", directory.search),
        ("baseline: linear `in` scan", baseline),
    ):
        report(label, measure(search, typed), sum(bool(search(q)) for q in typed), len(typed))


if __name__ == "__main__":
    asyncio.run(main(*(int(arg) for arg in sys.argv[1:2])))
