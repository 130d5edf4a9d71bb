"""Statistics of a period: the daily totals kept by triggers (migration 0004), summed.

A period is [start, end) in unix seconds. The whole local days inside it are read from the daily
tables — a year is a few thousand small rows, whatever the number of tips. The hours before the
first whole day and after the last (a period that does not begin or end at the local midnight the
tables use) are counted from the tips themselves with the same expressions, so the result is
exact for any period.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field

from storage.db import Database

DAY = 24 * 3600
NOT_ACKNOWLEDGED = -1

# Time to acknowledge as a histogram bucket: the lower bound, in seconds, of a one-minute step
# below an hour, ten minutes below a day, an hour below a week, a day beyond. The triggers of
# migration 0004 use the same expression; `bucket_of` is the same rule in Python.
_ACK_BUCKET = """CASE
    WHEN {ack} IS NULL THEN -1
    WHEN {ack} - {created} < 0 THEN 0
    WHEN {ack} - {created} < 3600 THEN ({ack} - {created}) / 60 * 60
    WHEN {ack} - {created} < 86400 THEN ({ack} - {created}) / 600 * 600
    WHEN {ack} - {created} < 604800 THEN ({ack} - {created}) / 3600 * 3600
    ELSE ({ack} - {created}) / 86400 * 86400
END"""
ACK_BUCKET = _ACK_BUCKET.format(ack="acknowledged_at", created="created_at")
_STEPS = ((3600, 60), (86400, 600), (604800, 3600))


def bucket_of(seconds: int | None) -> int:
    if seconds is None:
        return NOT_ACKNOWLEDGED
    seconds = max(seconds, 0)
    for limit, step in _STEPS:
        if seconds < limit:
            return seconds // step * step
    return seconds // DAY * DAY


def bucket_width(bucket: int) -> int:
    """The width of the bucket that starts at `bucket` seconds."""
    for limit, step in _STEPS:
        if bucket < limit:
            return step
    return DAY


@dataclass(frozen=True)
class PeriodTotals:
    kinds: dict[tuple[str, str], int]  # (category, kind or "") -> tips
    communes: dict[int | None, int]  # None: not known, the province queue
    statuses: dict[str, int]
    ack: dict[tuple[bool, int], int]  # (urgent, bucket) -> tips; bucket -1: not acknowledged
    questions_asked: int
    questions_answered: int
    escalations: int
    # The same histogram week by week: (week, urgent, bucket) -> tips, week 0 starting on the
    # local day given as `week_anchor`.
    ack_by_week: dict[tuple[int, bool, int], int] = field(default_factory=dict)

    @property
    def tips(self) -> int:
        return sum(self.kinds.values())


@dataclass(frozen=True)
class _Split:
    """Whole days [first_day, end_day) from the daily tables; `edges` from the tips."""

    first_day: int
    end_day: int
    edges: tuple[tuple[int, int], ...]


def _split(start: int, end: int, offset: int) -> _Split:
    first_day = -(-(start + offset) // DAY)  # the first day that begins at or after `start`
    end_day = (end + offset) // DAY  # days before this one end at or before `end`
    if first_day >= end_day:
        return _Split(0, 0, ((start, end),) if start < end else ())
    edges = [
        (start, first_day * DAY - offset),
        (end_day * DAY - offset, end),
    ]
    return _Split(first_day, end_day, tuple((a, b) for a, b in edges if a < b))


async def day_offset(db: Database) -> int:
    return await db.fetch_value("SELECT day_offset FROM stats_settings")


async def use_day_offset(db: Database, offset: int) -> bool:
    """Make the daily tables count local days of this UTC offset (seconds east); rebuilds them
    when it changes (another TIPBOT_TIMEZONE). True if they were rebuilt."""
    if await day_offset(db) == offset:
        return False
    async with db.transaction():
        await db.execute("UPDATE stats_settings SET day_offset = ?", (offset,))
        await rebuild(db)
    return True


async def rebuild(db: Database) -> None:
    """Recount the daily tables from the tips and messages (what the triggers keep up to date)."""
    async with db.transaction():
        for statement in _CLEAR_DAILY:
            await db.execute(statement)
        for statement in _REBUILD:
            await db.execute(statement)


_CLEAR_DAILY = (
    "DELETE FROM stats_kinds",
    "DELETE FROM stats_communes",
    "DELETE FROM stats_statuses",
    "DELETE FROM stats_ack",
    "DELETE FROM stats_questions",
)
_DAY_OF = "(created_at + (SELECT day_offset FROM stats_settings)) / 86400"
_REBUILD = (
    f"""INSERT INTO stats_kinds (day, category, kind, tips)
        SELECT {_DAY_OF}, category, coalesce(kind, ''), count(*) FROM tips GROUP BY 1, 2, 3""",  # noqa: S608 - constants only
    f"""INSERT INTO stats_communes (day, commune_code, tips)
        SELECT {_DAY_OF}, coalesce(commune_code, 0), count(*) FROM tips GROUP BY 1, 2""",  # noqa: S608 - constants only
    f"""INSERT INTO stats_statuses (day, status, tips)
        SELECT {_DAY_OF}, status, count(*) FROM tips GROUP BY 1, 2""",  # noqa: S608 - constants only
    f"""INSERT INTO stats_ack (day, urgent, bucket, tips)
        SELECT {_DAY_OF}, urgent, {ACK_BUCKET}, count(*) FROM tips GROUP BY 1, 2, 3""",  # noqa: S608 - constants only
    f"""INSERT INTO stats_questions (day, asked, answered)
        SELECT {_DAY_OF.replace("created_at", "q.created_at")}, count(*),
            sum(EXISTS (SELECT 1 FROM tip_messages AS a
                        WHERE a.tip_id = q.tip_id AND a.kind = 'answer' AND a.id > q.id))
        FROM tip_messages AS q WHERE q.kind = 'question' GROUP BY 1""",  # noqa: S608 - constants only
)


# One dimension of the period: (SQL over the daily table, SQL over the tips for the edges).
_KINDS = (
    """SELECT category, kind, sum(tips) FROM stats_kinds WHERE day >= ? AND day < ?
       GROUP BY category, kind""",
    """SELECT category, coalesce(kind, ''), count(*) FROM tips
       WHERE created_at >= ? AND created_at < ? GROUP BY 1, 2""",
)
_COMMUNES = (
    """SELECT commune_code, sum(tips) FROM stats_communes WHERE day >= ? AND day < ?
       GROUP BY commune_code""",
    """SELECT coalesce(commune_code, 0), count(*) FROM tips
       WHERE created_at >= ? AND created_at < ? GROUP BY 1""",
)
_STATUSES = (
    "SELECT status, sum(tips) FROM stats_statuses WHERE day >= ? AND day < ? GROUP BY status",
    """SELECT status, count(*) FROM tips WHERE created_at >= ? AND created_at < ?
       GROUP BY status""",
)
# Time to acknowledge by week (weeks counted from local day :anchor), urgency and bucket: one scan
# of the largest daily table gives both the period's histogram and the chart's weekly one.
_ACK = (
    """SELECT (day - :anchor) / 7, urgent, bucket, sum(tips) FROM stats_ack
       WHERE day >= :low AND day < :high GROUP BY 1, 2, 3""",
    f"""SELECT ({_DAY_OF} - :anchor) / 7, urgent, {ACK_BUCKET}, count(*) FROM tips
        WHERE created_at >= :low AND created_at < :high GROUP BY 1, 2, 3""",  # noqa: S608 - constants only
)
_UNACKNOWLEDGED = (
    """SELECT urgent, sum(tips) FROM stats_ack WHERE day >= ? AND day < ? AND bucket = -1
       GROUP BY urgent""",
    """SELECT urgent, count(*) FROM tips
       WHERE created_at >= ? AND created_at < ? AND acknowledged_at IS NULL GROUP BY urgent""",
)
_QUESTIONS = (
    "SELECT sum(asked), sum(answered) FROM stats_questions WHERE day >= ? AND day < ?",
    """SELECT count(*), sum(EXISTS (SELECT 1 FROM tip_messages AS a
                                    WHERE a.tip_id = q.tip_id AND a.kind = 'answer'
                                        AND a.id > q.id))
       FROM tip_messages AS q
       WHERE q.kind = 'question' AND q.created_at >= ? AND q.created_at < ?""",
)


def _ranges(queries: tuple[str, str], split: _Split) -> list[tuple[str, int, int]]:
    """Each query with its range: the daily table for whole days, the tips for the edges."""
    ranges = []
    if split.first_day < split.end_day:
        ranges.append((queries[0], split.first_day, split.end_day))
    return ranges + [(queries[1], low, high) for low, high in split.edges]


async def _sum(db: Database, queries: tuple[str, str], split: _Split) -> Counter:
    """{key: count} over the whole days and the edges; the key is the row without its last
    column (a tuple when that is several columns)."""
    totals: Counter = Counter()
    for sql, low, high in _ranges(queries, split):
        for row in await db.fetch_all(sql, (low, high)):
            *key, count = tuple(row)
            totals[tuple(key) if len(key) > 1 else key[0]] += count or 0
    return +totals  # without the zeros that decrements leave in the daily tables


async def period_totals(
    db: Database, start: int, end: int, *, week_anchor: int | None = None
) -> PeriodTotals:
    """The totals of tips sent in [start, end), and of questions and escalations then.
    `week_anchor`: the local day (days since the epoch) that week 0 of `ack_by_week` starts on;
    by default the period's first day."""
    offset = await day_offset(db)
    split = _split(start, end, offset)
    anchor = (start + offset) // DAY if week_anchor is None else week_anchor
    asked = answered = 0
    for sql, low, high in _ranges(_QUESTIONS, split):
        row = await db.fetch_present(sql, (low, high))
        asked += row[0] or 0
        answered += row[1] or 0
    escalations = await db.fetch_value(
        """SELECT count(*) FROM audit_log
           WHERE action = 'tip.escalate' AND created_at >= ? AND created_at < ?""",
        (start, end),
    )
    by_week: Counter = Counter()
    for sql, low, high in _ranges(_ACK, split):
        for week, urgent, bucket, count in await db.fetch_all(
            sql, {"anchor": anchor, "low": low, "high": high}
        ):
            by_week[(week, bool(urgent), bucket)] += count or 0
    by_week = +by_week
    ack: Counter = Counter()
    for (_week, urgent, bucket), count in by_week.items():
        ack[(urgent, bucket)] += count
    return PeriodTotals(
        kinds=dict(await _sum(db, _KINDS, split)),
        communes={code or None: n for code, n in (await _sum(db, _COMMUNES, split)).items()},
        statuses=dict(await _sum(db, _STATUSES, split)),
        ack=dict(ack),
        questions_asked=asked,
        questions_answered=answered,
        escalations=escalations,
        ack_by_week=dict(by_week),
    )


async def unacknowledged(db: Database, start: int, end: int) -> dict[bool, int]:
    """Tips created in [start, end) that nobody has acknowledged, by urgency."""
    if start >= end:
        return {}
    split = _split(start, end, await day_offset(db))
    return {bool(urgent): n for urgent, n in (await _sum(db, _UNACKNOWLEDGED, split)).items()}


# Week by week, for the chart ----------------------------------------------------------------


async def weekly_categories(
    db: Database, start: int, end: int, monday: int
) -> dict[tuple[int, str], int]:
    """{(week, category): tips}; week 0 is the one starting on local day `monday` (days since
    the epoch, on or before the period's first day)."""
    queries = (
        """SELECT (day - :monday) / 7, category, sum(tips) FROM stats_kinds
           WHERE day >= :low AND day < :high GROUP BY 1, 2""",
        f"""SELECT ({_DAY_OF} - :monday) / 7, category, count(*) FROM tips
            WHERE created_at >= :low AND created_at < :high GROUP BY 1, 2""",  # noqa: S608 - constants only
    )
    return dict(await _weekly(db, queries, start, end, monday))


async def _weekly(
    db: Database, queries: tuple[str, str], start: int, end: int, monday: int
) -> Counter:
    split = _split(start, end, await day_offset(db))
    totals: Counter = Counter()
    for sql, low, high in _ranges(queries, split):
        for week, key, count in await db.fetch_all(
            sql, {"monday": monday, "low": low, "high": high}
        ):
            totals[(week, key)] += count or 0
    return +totals
