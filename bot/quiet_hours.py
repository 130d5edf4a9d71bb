"""Quiet hours: the part of every night (by default 21:00–07:00, province time) when no bulletin
is sent. A send that would start in them waits until they end; a long one pauses at their start.

Times are unix seconds in and out; the wall clock is the province's (``TIPBOT_TIMEZONE``).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo


def parse_quiet_hours(text: str) -> tuple[int, int] | None:
    """'21-7', '21:00-07:00' or '21:30-6' to (start, end) in minutes after midnight; 'off' to
    None. ValueError with the reason otherwise."""
    text = text.strip().lower().replace("–", "-")
    if text in ("off", "none", "no", "0"):
        return None
    start_text, sep, end_text = text.partition("-")
    if not sep:
        raise ValueError("expected two times like 21-7 or 21:00-07:00, or off")
    start, end = _minutes(start_text), _minutes(end_text)
    if start == end:
        raise ValueError("the start and the end are the same time")
    return start, end


def _minutes(text: str) -> int:
    hours, _, minutes = text.strip().partition(":")
    if not hours.isdigit() or (minutes and not minutes.isdigit()):
        raise ValueError(f"{text.strip()!r} is not a time like 21 or 21:30")
    value = int(hours) * 60 + int(minutes or 0)
    if int(hours) > 23 or int(minutes or 0) > 59:
        raise ValueError(f"{text.strip()!r} is not a time of day")
    return value


@dataclass(frozen=True)
class QuietHours:
    start: int  # minutes after local midnight
    end: int
    tz: ZoneInfo

    def label(self) -> str:
        return f"{_clock(self.start)}–{_clock(self.end)}"

    def contains(self, moment: int) -> bool:
        local = datetime.fromtimestamp(moment, self.tz)
        minute = local.hour * 60 + local.minute
        if self.start < self.end:
            return self.start <= minute < self.end
        return minute >= self.start or minute < self.end

    def ends_at(self, moment: int) -> int:
        """When the quiet hours around ``moment`` end; ``moment`` itself if they don't hold."""
        if not self.contains(moment):
            return moment
        local = datetime.fromtimestamp(moment, self.tz)
        minute = local.hour * 60 + local.minute
        day = local.date()
        if self.start > self.end and minute >= self.start:
            day += timedelta(days=1)  # the evening part: they end tomorrow morning
        return self._at(day, self.end)

    def next_start(self, moment: int) -> int:
        """The next time (after ``moment``) the quiet hours begin."""
        local = datetime.fromtimestamp(moment, self.tz)
        start = self._at(local.date(), self.start)
        return start if start > moment else self._at(local.date() + timedelta(days=1), self.start)

    def finish_time(self, moment: int, work_seconds: float) -> int:
        """When ``work_seconds`` of sending that begins at ``moment`` ends, pausing through
        quiet hours."""
        remaining = max(0.0, work_seconds)
        for _ in range(400):  # more than a year of nights; a bound, not an expected count
            moment = self.ends_at(moment)
            pause = self.next_start(moment)
            if moment + remaining <= pause:
                return int(moment + remaining)
            remaining -= pause - moment
            moment = pause
        return int(moment + remaining)

    def _at(self, day, minutes: int) -> int:
        wall = datetime(day.year, day.month, day.day, minutes // 60, minutes % 60, tzinfo=self.tz)
        return int(wall.timestamp())


def _clock(minutes: int) -> str:
    return f"{minutes // 60:02d}:{minutes % 60:02d}"


def quiet_hours_of(config) -> QuietHours | None:
    """The configured quiet hours, or None when TIPBOT_QUIET_HOURS=off."""
    if config.quiet_hours is None:
        return None
    start, end = config.quiet_hours
    return QuietHours(start, end, config.timezone)
