"""Cron expressions for bulletin schedules: five fields, read the way Unix cron reads them, and
turned into an APScheduler CronTrigger in the province's time zone.

Two traps in APScheduler 3's own ``CronTrigger.from_crontab`` are avoided here: it counts days of
the week from Monday = 0 (cron: Sunday = 0 or 7), and it requires BOTH a day of the month and a
day of the week to match where cron accepts EITHER. Weekday numbers are therefore translated to
names, and an expression that restricts both kinds of day is refused with a clear reason.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from itertools import pairwise
from zoneinfo import ZoneInfo

from apscheduler.triggers.cron import CronTrigger

WEEKDAYS = ("sun", "mon", "tue", "wed", "thu", "fri", "sat")  # cron's numbering: Sunday = 0
MIN_GAP = 3600  # seconds: a schedule may not fire more often than hourly


class CronError(ValueError):
    """An expression that cannot be a schedule. ``reason`` is a key the views translate."""

    def __init__(self, reason: str, detail: str = "") -> None:
        super().__init__(f"{reason}: {detail}" if detail else reason)
        self.reason, self.detail = reason, detail


@dataclass(frozen=True)
class CronRule:
    expression: str  # the five fields, single-spaced, as the admin wrote them
    trigger: CronTrigger

    def next_times(self, after: int, count: int) -> list[int]:
        """The next ``count`` fire times strictly after ``after``."""
        times: list[int] = []
        moment = datetime.fromtimestamp(after, UTC) + timedelta(seconds=1)
        while len(times) < count:
            fire = self.trigger.get_next_fire_time(None, moment)
            if fire is None:
                break
            times.append(int(fire.timestamp()))
            moment = fire + timedelta(seconds=1)
        return times

    def latest_slot(self, *, at: int, since: int) -> int | None:
        """The latest fire time in (``since``, ``at``], or None."""
        latest = None
        moment = datetime.fromtimestamp(since, UTC) + timedelta(seconds=1)
        for _ in range(10_000):  # hourly at most: a window of days has far fewer
            fire = self.trigger.get_next_fire_time(None, moment)
            if fire is None or fire.timestamp() > at:
                break
            latest = int(fire.timestamp())
            moment = fire + timedelta(seconds=1)
        return latest


def parse_cron(expression: str, tz: ZoneInfo, *, now: int | None = None) -> CronRule:
    """A new schedule's rule, or CronError: wrong number of fields, a field APScheduler
    refuses, both kinds of day restricted, a rule that never fires or fires more than hourly."""
    rule = cron_rule(expression, tz)
    start = int(datetime.now(UTC).timestamp()) if now is None else now
    upcoming = rule.next_times(start, 60)
    if not upcoming:
        raise CronError("never")
    if any(b - a < MIN_GAP for a, b in pairwise(upcoming)):
        raise CronError("too_often")
    return rule


def cron_rule(expression: str, tz: ZoneInfo) -> CronRule:
    """The rule of a stored schedule (its syntax only; CronError if it has none)."""
    fields = expression.split()
    if len(fields) != 5:
        raise CronError("fields", str(len(fields)))
    minute, hour, day, month, weekday = fields
    if day != "*" and weekday != "*":
        raise CronError("both_days")
    try:
        trigger = CronTrigger(
            minute=minute,
            hour=hour,
            day=day,
            month=month,
            day_of_week=_weekdays(weekday),
            timezone=tz,
        )
    except ValueError as error:
        raise CronError("field", str(error)) from None
    return CronRule(" ".join(fields), trigger)


def _weekdays(field: str) -> str:
    """Cron's day-of-week field (numbers from Sunday = 0, or names) as APScheduler's names."""
    if field == "*":
        return "*"
    days: set[int] = set()
    for part in field.lower().split(","):
        span, _, step_text = part.partition("/")
        if step_text and not step_text.isdigit():
            raise CronError("field", f"day of week: {part!r}")
        step = int(step_text or 1)
        if step < 1:
            raise CronError("field", f"day of week: {part!r}")
        if span == "*":
            first, last = 0, 6
        else:
            low, dash, high = span.partition("-")
            first = _weekday(low)
            last = _weekday(high) if dash else (6 if step_text else first)
            if last < first:
                raise CronError("field", f"day of week: {part!r}")
        days.update(day % 7 for day in range(first, last + 1, step))
    return ",".join(WEEKDAYS[day] for day in sorted(days))


def _weekday(text: str) -> int:
    text = text.strip()
    if text.isdigit() and 0 <= int(text) <= 7:
        return int(text)
    if text in WEEKDAYS:
        return WEEKDAYS.index(text)
    raise CronError("field", f"day of week: {text!r}")
