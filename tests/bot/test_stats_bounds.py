"""A period of /stats or /export covers ten years at most: "0001-01-01 9999-12-31" (typed, or
forged into a button) is refused at once instead of drawing for minutes; the chart is drawn off
the event loop within CHART_SECONDS."""

from __future__ import annotations

import asyncio
from datetime import date, datetime

import pytest

from bot import stats
from bot.chart import render_chart
from bot.config import load_config
from bot.i18n import texts
from handlers import admin
from handlers.callbacks import StatsPeriod, decode
from storage.db import Database

TODAY = date(2026, 7, 21)


@pytest.mark.parametrize(
    "words",
    [["0001-01-01", "9999-12-31"], ["1900-01-01", "2026-01-01"], ["2016-07-20", "2026-07-21"]],
)
def test_periods_longer_than_ten_years_are_refused(words):
    with pytest.raises(stats.PeriodError, match="ten years"):
        stats.parse_period(words, TODAY)


def test_forged_button_data_with_a_huge_period_is_refused():
    forged = decode("adm:s:0001-01-01:9999-12-31")  # what a forged statistics button sends
    assert isinstance(forged, StatsPeriod)  # well formed: only the period's bounds refuse it
    assert admin._period_from_data(forged.period, TODAY) is None


async def test_ten_years_is_the_longest_chart_and_it_is_drawn(tmp_path):
    period = stats.parse_period(["2016-07-22", "2026-07-21"], TODAY)
    db = await Database.open(tmp_path / "tipbot.sqlite3")
    try:
        config = load_config({"TIPBOT_TOKEN": "1:a", "TIPBOT_DATA_DIR": str(tmp_path)})
        report = await stats.compute(db, config, period, 1_784_000_000)
    finally:
        await db.close()
    assert len(report.weeks) == 523  # partial first and last weeks included
    png = await asyncio.to_thread(render_chart, report, texts("en"), "Lâm Đồng", datetime.now())
    assert png.startswith(b"\x89PNG")
