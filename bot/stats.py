"""Statistics for the steering committee: a period, its numbers, and the text that shows them.

A period is a run of whole local days (the province's time zone): this month by default, last
month, this year, last year, or dates typed by the admin. Tips count in the period they were sent
in; escalations and follow-up questions in the period they happened in. The time to acknowledge a
tip runs from its sending to its (latest) acknowledgement; the target is the reminder deadline
(TIPBOT_URGENT_REMIND_MINUTES for urgent tips, TIPBOT_REMIND_HOURS for the others), and the share
within the target is taken over the tips that could be judged: acknowledged, or past the target.
"""

from __future__ import annotations

import calendar
import math
import re
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from html import escape
from zoneinfo import ZoneInfo

from babel.dates import format_date
from babel.numbers import format_percent

from bot import categories
from bot.communes import CommuneDirectory
from bot.config import Config
from bot.i18n import N_, Texts
from storage import stats
from storage.db import Database
from storage.stats import bucket_of
from storage.tips import TipStatus

TOP_COMMUNES = 10
P90 = 0.9  # the share of tips in "90 % of tips acknowledged within …"

PRESETS = ("this_month", "last_month", "this_year", "last_year")
PRESET_NAMES = {
    "this_month": N_("this month"),
    "last_month": N_("last month"),
    "this_year": N_("this year"),
    "last_year": N_("last year"),
}
STATUS_NAMES = {
    TipStatus.NEW: N_("New"),
    TipStatus.ACKNOWLEDGED: N_("Acknowledged"),
    TipStatus.INVESTIGATING: N_("Investigating"),
    TipStatus.RESOLVED: N_("Resolved"),
    TipStatus.NOT_ACTIONABLE: N_("Not actionable"),
}
DATE_PATTERNS = {"vi": "dd/MM/yyyy", "en": "d MMM yyyy"}


MAX_PERIOD_DAYS = 3653  # ten years


class PeriodError(ValueError):
    """Dates the admin typed that make no period; the message is a msgid for the reply."""


@dataclass(frozen=True)
class Period:
    first: date  # local calendar days, both included
    last: date
    preset: str | None = None  # one of PRESETS, or None for typed dates

    def bounds(self, tz: ZoneInfo) -> tuple[int, int]:
        """[start, end) in unix seconds: local midnight of `first` to the midnight after `last`."""
        start = datetime.combine(self.first, time(), tz)
        end = datetime.combine(self.last + timedelta(days=1), time(), tz)
        return int(start.timestamp()), int(end.timestamp())

    @property
    def key(self) -> str:
        """For callback data: `2026-07-01:2026-07-31` (21 characters)."""
        return f"{self.first.isoformat()}:{self.last.isoformat()}"


def preset(name: str, today: date) -> Period:
    """A common period, ending today at the latest."""
    if name == "this_month":
        return Period(today.replace(day=1), today, name)
    if name == "last_month":
        last = today.replace(day=1) - timedelta(days=1)
        return Period(last.replace(day=1), last, name)
    if name == "this_year":
        return Period(date(today.year, 1, 1), today, name)
    if name == "last_year":
        return Period(date(today.year - 1, 1, 1), date(today.year - 1, 12, 31), name)
    raise ValueError(f"unknown period {name!r}")


_ISO = re.compile(r"(\d{4})-(\d{1,2})-(\d{1,2})")
_VN = re.compile(r"(\d{1,2})/(\d{1,2})/(\d{4})")
_MONTH = re.compile(r"(\d{4})-(\d{1,2})|(\d{1,2})/(\d{4})")
_YEAR = re.compile(r"\d{4}")


def parse_period(words: list[str], today: date) -> Period:
    """What follows /stats or /export: nothing (this month), a preset name, one or two dates
    (2026-01-31 or 31/01/2026), a month (2026-03 or 03/2026) or a year (2026)."""
    if not words:
        return preset("this_month", today)
    if len(words) == 1 and words[0] in PRESETS:
        return preset(words[0], today)
    if len(words) > 2:
        raise PeriodError(N_("Give at most two dates: the first and the last day."))
    if len(words) == 1:
        first, last = _span(words[0])
    else:
        first, last = _span(words[0])[0], _span(words[1])[1]
    if first > last:
        raise PeriodError(N_("The first day comes after the last one."))
    if first > today:
        raise PeriodError(N_("That period has not started yet."))
    last = min(last, today)
    if (last - first).days >= MAX_PERIOD_DAYS:
        # Every week of the period is a bar of the chart: "0001-01-01 9999-12-31" would keep the
        # bot drawing for minutes.
        raise PeriodError(N_("A period can cover at most ten years."))
    return Period(first, last)


def _span(word: str) -> tuple[date, date]:
    """The first and last day a typed date, month or year stands for."""
    try:
        if match := _ISO.fullmatch(word):
            day = date(int(match[1]), int(match[2]), int(match[3]))
            return day, day
        if match := _VN.fullmatch(word):
            day = date(int(match[3]), int(match[2]), int(match[1]))
            return day, day
        if match := _MONTH.fullmatch(word):
            year, month = (match[1], match[2]) if match[1] else (match[4], match[3])
            first = date(int(year), int(month), 1)
            return first, first.replace(day=calendar.monthrange(first.year, first.month)[1])
        if _YEAR.fullmatch(word):
            return date(int(word), 1, 1), date(int(word), 12, 31)
    except ValueError:
        pass  # 2026-02-30 and the like
    raise PeriodError(
        N_("Write dates as 2026-01-31 or 31/01/2026, a month as 2026-01, a year as 2026.")
    )


def today_in(tz: ZoneInfo, now: float) -> date:
    return datetime.fromtimestamp(now, tz).date()


# The numbers ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Week:
    monday: date
    by_category: dict[str, int]
    median_ack: float | None  # seconds
    p90_ack: float | None


@dataclass(frozen=True)
class Report:
    period: Period
    totals: stats.PeriodTotals
    urgent_target: int  # seconds
    normal_target: int
    acknowledged: int
    median_ack: float | None
    p90_ack: float | None
    within_target: int
    judged: int  # acknowledged, or unacknowledged past the target
    unacknowledged: int
    overdue: int
    weeks: list[Week] = field(default_factory=list)

    @property
    def tips(self) -> int:
        return self.totals.tips

    @property
    def urgent(self) -> int:
        return sum(n for (urgent, _), n in self.totals.ack.items() if urgent)

    def categories(self) -> dict[str, int]:
        totals: dict[str, int] = {}
        for (category, _kind), n in self.totals.kinds.items():
            totals[category] = totals.get(category, 0) + n
        return totals


def day_offset(tz: ZoneInfo, year: int) -> int:
    """The UTC offset the daily statistics use: the zone's standard time (the smaller of January's
    and July's offsets), so that daylight saving never shifts a day."""
    offsets = [
        datetime(year, month, 1, 12, tzinfo=tz).utcoffset() or timedelta() for month in (1, 7)
    ]
    return int(min(offsets).total_seconds())


async def compute(db: Database, config: Config, period: Period, now: int) -> Report:
    """Everything /stats and `tipbot stats` show, from the daily tables (fast for any period)."""
    tz = config.timezone
    await stats.use_day_offset(db, day_offset(tz, today_in(tz, now).year))
    start, end = period.bounds(tz)
    totals = await stats.period_totals(db, start, end, week_anchor=_first_monday(period))
    targets = {True: config.urgent_remind_minutes * 60, False: config.remind_hours * 3600}

    histogram: dict[int, int] = {}
    within = 0.0
    for (urgent, bucket), n in totals.ack.items():
        if bucket == stats.NOT_ACKNOWLEDGED:
            continue
        histogram[bucket] = histogram.get(bucket, 0) + n
        within += n * share_below(bucket, targets[urgent])
    overdue = 0
    for urgent, target in targets.items():
        late = await stats.unacknowledged(db, start, min(end, now - target))
        overdue += late.get(urgent, 0)
    acknowledged = sum(histogram.values())
    unacknowledged = totals.tips - acknowledged
    return Report(
        period=period,
        totals=totals,
        urgent_target=targets[True],
        normal_target=targets[False],
        acknowledged=acknowledged,
        median_ack=percentile(histogram, 0.5),
        p90_ack=percentile(histogram, P90),
        within_target=round(within),
        judged=acknowledged + overdue,
        unacknowledged=unacknowledged,
        overdue=overdue,
        weeks=await _weeks(db, period, start, end, totals),
    )


def _first_monday(period: Period) -> int:
    """The Monday on or before the period's first day, in days since the epoch."""
    return (period.first - timedelta(days=period.first.weekday()) - date(1970, 1, 1)).days


async def _weeks(
    db: Database, period: Period, start: int, end: int, totals: stats.PeriodTotals
) -> list[Week]:
    """Monday-to-Sunday weeks covering the period (the first and last may be partial)."""
    monday = _first_monday(period)
    first_monday = date(1970, 1, 1) + timedelta(days=monday)
    categories = await stats.weekly_categories(db, start, end, monday)
    acknowledged: dict[int, dict[int, int]] = {}
    for (week, _urgent, bucket), n in totals.ack_by_week.items():
        if bucket != stats.NOT_ACKNOWLEDGED:
            per_week = acknowledged.setdefault(week, {})
            per_week[bucket] = per_week.get(bucket, 0) + n
    weeks = []
    for index in range((period.last - first_monday).days // 7 + 1):
        histogram = acknowledged.get(index, {})
        weeks.append(
            Week(
                monday=first_monday + timedelta(weeks=index),
                by_category={c: n for (week, c), n in categories.items() if week == index},
                median_ack=percentile(histogram, 0.5),
                p90_ack=percentile(histogram, P90),
            )
        )
    return weeks


def rounded_ack(seconds: int) -> int:
    """The one rounding rule for a time to acknowledge (README, "Statistics and exports"): rounded
    down to its step — whole minutes under an hour, whole 10 minutes under a day, whole hours under
    a week, whole days beyond — the steps in which the daily totals count it (the triggers' SQL is
    the same expression, `storage.stats.ACK_BUCKET`). The CSV's "Minutes to acknowledge" is this,
    and the median and the 90 % of /stats are values of it: the same tips give the same numbers."""
    return bucket_of(seconds)


def percentile(histogram: dict[int, int], q: float) -> float | None:
    """The q-quantile (0 < q < 1) of a histogram {rounded time to acknowledge: tips}, by nearest
    rank: the smallest time within which at least the share q of the tips were acknowledged."""
    total = sum(histogram.values())
    if total == 0:
        return None
    rank = math.ceil(round(q * total, 9))  # 0.9 × 10 is 9, not 9.000000000000002
    seen = 0
    for bucket in sorted(histogram):
        seen += histogram[bucket]
        if seen >= rank:
            return float(bucket)
    return float(max(histogram))  # not reached: the ranks end at `total`


def share_below(bucket: int, target: int) -> float:
    """The part of a bucket at or under the target (all of it when the target is at a bucket
    boundary, as the default targets are)."""
    width = stats.bucket_width(bucket)
    return min(max((target - bucket) / width, 0.0), 1.0)


# The text ------------------------------------------------------------------------------------


def day_text(t: Texts, day: date) -> str:
    return format_date(day, DATE_PATTERNS.get(t.language, DATE_PATTERNS["en"]), locale=t.language)


def period_text(t: Texts, period: Period) -> str:
    """'01/07/2026 – 21/07/2026 (this month)'."""
    _ = t.gettext
    days = day_text(t, period.first)
    if period.last != period.first:
        days += " – " + day_text(t, period.last)
    if period.preset:
        days += f" ({_(PRESET_NAMES[period.preset])})"
    return days


def duration_text(t: Texts, seconds: float | None) -> str:
    _ = t.gettext
    if seconds is None:
        return "—"
    minutes = round(seconds / 60)
    if minutes < 1:
        return _("under 1 min")
    if minutes < 60:
        return _("{minutes} min").format(minutes=t.number(minutes))
    hours, minutes = divmod(minutes, 60)
    if hours < 48:
        if minutes == 0:
            return _("{hours} h").format(hours=t.number(hours))
        return _("{hours} h {minutes} min").format(hours=t.number(hours), minutes=t.number(minutes))
    days, hours = divmod(hours, 24)
    if hours == 0:
        return _("{days} d").format(days=t.number(days))
    return _("{days} d {hours} h").format(days=t.number(days), hours=t.number(hours))


def p90_share_text(t: Texts) -> str:
    """'90 %' as the committee writes it (kept out of msgids: there a % reads as printf)."""
    return f"{t.number(round(P90 * 100))} %"


def percent_text(t: Texts, part: int, whole: int) -> str:
    return format_percent(part / whole, locale=t.language) if whole else "—"


def report_text(
    report: Report, t: Texts, communes: CommuneDirectory, province: str, *, all_communes=False
) -> str:
    """The report as an HTML message (within 4096 characters: the ten communes with most tips,
    unless `all_communes`, for the command line)."""
    _ = t.gettext
    n = t.number
    lines = [
        _("📊 <b>Tips in {province}</b>").format(province=escape(province)),
        period_text(t, report.period),
        "",
    ]
    if report.tips == 0:
        lines.append(_("No tips were sent in this period."))
    else:
        lines.append(
            _("<b>{tips} tips</b>, {urgent} of them urgent").format(
                tips=n(report.tips), urgent=n(report.urgent)
            )
        )
        lines += ["", _("<b>By type</b>")]
        for category, count in sorted(report.categories().items(), key=lambda kv: -kv[1]):
            kinds = sorted(
                ((kind, c) for (cat, kind), c in report.totals.kinds.items() if cat == category),
                key=lambda kv: -kv[1],
            )
            lines.append(f"• {_(categories.name_of(category))}: {n(count)}")
            lines += [
                f"   – {_(label)}: {n(c)}"
                for kind, c in kinds
                if (label := categories.kind_label(category, kind))
            ]
        lines += ["", _("<b>By status</b>")]
        lines.append(
            " · ".join(
                f"{_(name)} {n(report.totals.statuses[status])}"
                for status, name in STATUS_NAMES.items()
                if report.totals.statuses.get(status)
            )
        )
        lines += commune_lines(report, t, communes, all_communes)
    lines += ["", _("<b>Acknowledgement</b>")]
    lines.append(
        _("Time to acknowledge: median {median}; {share} of tips acknowledged within {p90}").format(
            median=duration_text(t, report.median_ack),
            share=p90_share_text(t),
            p90=duration_text(t, report.p90_ack),
        )
    )
    lines.append(
        _("Within the target: {share} ({within} of {judged}); target {urgent} for urgent tips, "
          "{normal} for others").format(
            share=percent_text(t, report.within_target, report.judged),
            within=n(report.within_target),
            judged=n(report.judged),
            urgent=duration_text(t, report.urgent_target),
            normal=duration_text(t, report.normal_target),
        )
    )  # fmt: skip
    lines.append(
        _("Not acknowledged yet: {count}, {overdue} of them past the target").format(
            count=n(report.unacknowledged), overdue=n(report.overdue)
        )
    )
    lines.append(_("Escalated to the province: {count}").format(count=n(report.totals.escalations)))
    lines += ["", _("<b>Follow-up questions</b>")]
    lines.append(
        _("Asked: {asked} · answered by the tipster: {answered} ({share})").format(
            asked=n(report.totals.questions_asked),
            answered=n(report.totals.questions_answered),
            share=percent_text(t, report.totals.questions_answered, report.totals.questions_asked),
        )
    )
    return "\n".join(lines)


def commune_lines(
    report: Report, t: Texts, communes: CommuneDirectory, all_communes: bool
) -> list[str]:
    _ = t.gettext
    n = t.number
    known = sorted(
        ((code, count) for code, count in report.totals.communes.items() if code is not None),
        key=lambda kv: (-kv[1], communes.name(kv[0])),
    )
    shown = known if all_communes else known[:TOP_COMMUNES]
    heading = _("<b>By commune</b>")
    if len(shown) < len(known):
        heading = _("<b>By commune</b> (the {count} with most tips)").format(count=len(shown))
    lines = ["", heading]
    for rank, (code, count) in enumerate(shown, start=1):
        lines.append(f"{rank}. {escape(communes.name(code))}: {n(count)}")
    rest = known[len(shown) :]
    if rest:
        lines.append(
            _("…and {communes} other communes: {tips}").format(
                communes=n(len(rest)), tips=n(sum(count for _code, count in rest))
            )
        )
    if unknown := report.totals.communes.get(None):
        lines.append(_("Commune not known (province queue): {tips}").format(tips=n(unknown)))
    return lines


def plain(html_text: str) -> str:
    """The HTML report for a terminal: tags removed, entities decoded."""
    from html import unescape

    return unescape(re.sub(r"</?b>", "", html_text))
