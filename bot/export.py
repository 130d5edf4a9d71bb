"""The CSV export of a period's tips: what the committee analyses in a spreadsheet.

UTF-8 with a byte order mark, so that Excel reads Vietnamese correctly; commas and CRLF as RFC
4180 says; times in the province's time zone. Each tip has its questionnaire answers, commune
(code and name), status and times, the fraud indicators, and how many attachments and messages
it has — and nothing that identifies the tipster: not the way back, not a phone number they chose
to share (it lives only inside the sealed way back), not a pseudonym.

A cell that begins with = + - @ (or a tab or carriage return) gets a leading apostrophe: a
spreadsheet would otherwise run a tipster's text as a formula ("CSV injection").
"""

from __future__ import annotations

import csv
import zipfile
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import TextIO
from zoneinfo import ZoneInfo

from bot import categories
from bot.communes import CommuneDirectory
from bot.i18n import N_, Texts
from bot.intake import CHANNELS, WHEN
from bot.stats import STATUS_NAMES, Period, rounded_ack
from storage.db import Database
from storage.export import ExportedTip, tips_in_period

COLUMNS = (
    N_("Tip code"),
    N_("Sent at"),
    N_("Type"),
    N_("Kind"),
    N_("Urgent"),
    N_("Commune code"),
    N_("Commune"),
    N_("Status"),
    N_("Acknowledged at"),
    N_("Minutes to acknowledge"),
    N_("Closed at"),
    N_("Escalated to the province"),
    N_("When it happened"),
    N_("Contacted by"),
    N_("Phone numbers (as typed)"),
    N_("Bank accounts (as typed)"),
    N_("Links and apps (as typed)"),
    N_("Money lost (as typed)"),
    N_("Indicators (normalised)"),
    N_("Latitude"),
    N_("Longitude"),
    N_("What happened"),
    N_("Attachments"),
    N_("Questions to the tipster"),
    N_("Answers from the tipster"),
    N_("Officers' notes"),
    N_("Public replies"),
)
_FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
# Telegram accepts documents up to 50 MB from bots; a bigger export goes out zipped.
ZIP_ABOVE = 45 * 1024 * 1024


def safe_cell(value: object) -> object:
    if isinstance(value, str) and value.startswith(_FORMULA_STARTS):
        return "'" + value
    return value


def _time(seconds: int | None, tz: ZoneInfo) -> str:
    if seconds is None:
        return ""
    return datetime.fromtimestamp(seconds, tz).strftime("%Y-%m-%d %H:%M")


def _indicator(indicator) -> str:
    bank = f" ({indicator.bank})" if indicator.bank else ""
    return f"{indicator.kind}:{indicator.value}{bank}"


def tip_row(exported: ExportedTip, t: Texts, communes: CommuneDirectory, tz: ZoneInfo) -> list:
    _ = t.gettext
    tip = exported.tip
    answers = tip.answers
    kind = categories.kind_label(tip.category, tip.kind)
    when = answers.get("when")
    minutes = None
    if tip.acknowledged_at is not None:
        minutes = rounded_ack(tip.acknowledged_at - tip.created_at) // 60
    row = [
        tip.code,
        _time(tip.created_at, tz),
        _(categories.name_of(tip.category)),
        _(kind) if kind else (tip.kind or ""),
        _("Yes") if tip.urgent else _("No"),
        tip.commune_code or "",
        communes.name(tip.commune_code) if tip.commune_code else _("not known"),
        _(STATUS_NAMES.get(tip.status, tip.status)),
        _time(tip.acknowledged_at, tz),
        "" if minutes is None else minutes,
        _time(tip.closed_at, tz),
        _("Yes") if exported.escalations else _("No"),
        _(WHEN[when]) if when in WHEN else (when or ""),
        ", ".join(_(CHANNELS.get(c, c)) for c in answers.get("channels", ())),
        answers.get("phones", ""),
        answers.get("accounts", ""),
        answers.get("links", ""),
        answers.get("loss", ""),
        "; ".join(_indicator(i) for i in tip.indicators),
        "" if tip.location is None else tip.location[0],
        "" if tip.location is None else tip.location[1],
        tip.description,
        len(tip.attachments),
        exported.messages.get("question", 0),
        exported.messages.get("answer", 0),
        exported.messages.get("note", 0),
        exported.messages.get("reply", 0),
    ]
    return [safe_cell(value) for value in row]


async def write_csv(
    db: Database,
    out: TextIO,
    period: Period,
    t: Texts,
    communes: CommuneDirectory,
    tz: ZoneInfo,
) -> int:
    """Writes the header and one row per tip sent in the period; returns the number of tips.
    `out` is a text file opened with encoding="utf-8-sig" and newline="" (see `open_csv`)."""
    writer = csv.writer(out)
    writer.writerow([t.gettext(column) for column in COLUMNS])
    start, end = period.bounds(tz)
    count = 0
    async for tip in tips_in_period(db, start, end):
        writer.writerow(tip_row(tip, t, communes, tz))
        count += 1
    return count


def open_csv(path: Path) -> TextIO:
    return path.open("w", encoding="utf-8-sig", newline="")


def file_name(period: Period, suffix: str = ".csv") -> str:
    return f"tipbot-tips-{period.first.isoformat()}-{period.last.isoformat()}{suffix}"


@dataclass(frozen=True)
class ExportFile:
    path: Path  # the CSV, or a zip holding it when the CSV is too big for Telegram
    tips: int


async def export_file(
    db: Database, directory: Path, period: Period, t: Texts, communes: CommuneDirectory, tz
) -> ExportFile:
    """The export as a file in `directory`, zipped if it would be too big to send in a chat."""
    path = directory / file_name(period)
    with open_csv(path) as out:
        count = await write_csv(db, out, period, t, communes, tz)
    if path.stat().st_size > ZIP_ABOVE:
        zipped = path.with_suffix(".zip")
        with zipfile.ZipFile(zipped, "w", compression=zipfile.ZIP_DEFLATED) as archive:
            archive.write(path, arcname=path.name)
        path.unlink()
        path = zipped
    return ExportFile(path, count)
