"""The chart: a PNG of the expected size, every Vietnamese letter drawn (matplotlib warns about a
glyph its font lacks, and these tests turn warnings into errors), empty periods and a long year."""

from __future__ import annotations

import re
import struct
import warnings
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from bot import stats
from bot.chart import SIZE, render_chart, render_chart_files
from bot.i18n import texts
from storage.stats import PeriodTotals

VN = ZoneInfo("Asia/Ho_Chi_Minh")


def report(first: date, last: date, *, tips_per_week: int) -> stats.Report:
    weeks = []
    monday = first - timedelta(days=first.weekday())
    while monday <= last:
        n = len(weeks)
        by_category = (
            {"crime": tips_per_week, "forest": n % 3, "fraud": 2 * n % 7, "other": 1}
            if tips_per_week
            else {}
        )
        median = 900.0 + 300 * (n % 5) if tips_per_week else None
        weeks.append(
            stats.Week(monday, by_category, median, None if median is None else 9 * median)
        )
        monday += timedelta(weeks=1)
    total = sum(sum(w.by_category.values()) for w in weeks)
    totals = PeriodTotals(
        kinds={("crime", "drugs"): total} if total else {},
        communes={24781: total} if total else {},
        statuses={"resolved": total} if total else {},
        ack={(False, 900): total} if total else {},
        questions_asked=3,
        questions_answered=2,
        escalations=4,
    )
    return stats.Report(
        stats.Period(first, last, "this_year"), totals, 900, 86400, total, 900.0 if total else None,
        8100.0 if total else None, total, total, 0, 0, weeks,
    )  # fmt: skip


def pdf_pages(data: bytes) -> list[list[int]]:
    """The media box of each page of a PDF, in whole points (matplotlib writes its objects
    uncompressed)."""
    assert data.startswith(b"%PDF-") and data.rstrip().endswith(b"%%EOF")
    boxes = re.findall(rb"/Type\s*/Page\b(?!s).*?/MediaBox\s*\[([^\]]*)\]", data, re.S)
    return [[round(float(number)) for number in box.split()] for box in boxes]


def png_size(data: bytes) -> tuple[int, int]:
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    return struct.unpack(">II", data[16:24])


@pytest.mark.parametrize("language", ["vi", "en"])
@pytest.mark.parametrize(
    ("first", "last", "per_week"),
    [
        (date(2026, 1, 1), date(2026, 12, 31), 12),  # a year: 53 weeks, thinned labels
        (date(2026, 7, 1), date(2026, 7, 21), 40),  # a month so far
        (date(2026, 7, 1), date(2026, 7, 31), 0),  # nothing at all
        (date(2026, 7, 5), date(2026, 7, 5), 1),  # a single day
    ],
)
def test_chart_is_a_png_of_the_page_size(language, first, last, per_week):
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # "Glyph … missing from font" would fail here
        data = render_chart(
            report(first, last, tips_per_week=per_week),
            texts(language),
            "Lâm Đồng",
            datetime(2026, 7, 21, 9, 30, tzinfo=VN),
        )
    assert png_size(data) == SIZE == (1754, 1240)
    assert 20_000 < len(data) < 1_000_000  # a real picture, small enough for Telegram


def test_the_font_has_every_vietnamese_letter():
    """DejaVu Sans ships with matplotlib; every letter of Vietnamese must be in it."""
    from matplotlib import font_manager
    from matplotlib.ft2font import FT2Font

    font = FT2Font(font_manager.findfont("DejaVu Sans", fallback_to_default=False))
    letters = "aàáảãạăằắẳẵặâầấẩẫậeèéẻẽẹêềếểễệiìíỉĩịoòóỏõọôồốổỗộơờớởỡợuùúủũụưừứửữựyỳýỷỹỵđ"
    missing = [c for c in letters + letters.upper() if font.get_char_index(ord(c)) == 0]
    assert missing == []


def test_the_page_also_as_a_one_page_a4_pdf():
    """The same page drawn once, saved twice: the PNG at full size and an A4-landscape PDF."""
    page = report(date(2026, 7, 1), date(2026, 7, 21), tips_per_week=5)
    made = datetime(2026, 7, 21, 9, tzinfo=VN)
    files = render_chart_files(page, texts("vi"), "Lâm Đồng", made)
    assert set(files) == {"png", "pdf"}
    assert png_size(files["png"]) == SIZE
    assert pdf_pages(files["pdf"]) == [[0, 0, 842, 595]]  # one page, A4 landscape in points
