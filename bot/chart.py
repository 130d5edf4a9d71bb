"""The statistics chart: one A4-landscape page for the committee's report, as a PNG and a PDF.

Top: tips per week by category (stacked bars). Bottom: time to acknowledge per week (median and
90th percentile, on a log scale from minutes to days) against the two targets. Drawn with
matplotlib's Agg canvas directly (no pyplot: no global state, safe in a worker thread); the labels
are in the admin's language, in DejaVu Sans, which ships with matplotlib and has every Vietnamese
letter.
"""

from __future__ import annotations

import io
import threading
from datetime import datetime
from typing import TYPE_CHECKING

from babel.dates import format_date

from bot import categories
from bot.i18n import Texts
from bot.stats import (
    Report,
    duration_text,
    p90_share_text,
    percent_text,
    period_text,
)

if TYPE_CHECKING:
    from matplotlib.figure import Figure

SIZE = (1754, 1240)  # pixels: A4 landscape at 150 dots per inch
DPI = 150
INK, MUTED, GRID = "#1f2933", "#6b7785", "#e3e7eb"
WEEK_PATTERNS = {"vi": "dd/MM", "en": "d MMM"}
# Log-scale ticks of the acknowledgement panel, in seconds.
DURATION_TICKS = (60, 5 * 60, 15 * 60, 3600, 4 * 3600, 24 * 3600, 3 * 24 * 3600, 7 * 24 * 3600)


def render_chart(report: Report, t: Texts, province: str, generated: datetime) -> bytes:
    """The PNG, exactly SIZE pixels. Safe to call from worker threads (one drawing at a time:
    matplotlib's font cache and text layout are shared)."""
    return render_chart_files(report, t, province, generated, ("png",))["png"]


def render_chart_files(
    report: Report,
    t: Texts,
    province: str,
    generated: datetime,
    formats: tuple[str, ...] = ("png", "pdf"),
) -> dict[str, bytes]:
    """The page drawn once, saved in each format: the PNG at full size and a one-page A4 PDF."""
    with _DRAWING:
        figure = _render(report, t, province, generated)
        files: dict[str, bytes] = {}
        for fmt in formats:
            buffer = io.BytesIO()
            figure.savefig(buffer, format=fmt, dpi=DPI, facecolor="white")
            files[fmt] = buffer.getvalue()
        return files


_DRAWING = threading.Lock()


def _render(report: Report, t: Texts, province: str, generated: datetime) -> Figure:
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    _ = t.gettext
    figure = Figure(figsize=(SIZE[0] / DPI, SIZE[1] / DPI), dpi=DPI, facecolor="white")
    FigureCanvasAgg(figure)
    grid = figure.add_gridspec(2, 1, height_ratios=(3, 2), left=0.07, right=0.97, top=0.765,
                               bottom=0.1, hspace=0.38)  # fmt: skip
    figure.text(0.07, 0.95, _("Tips in {province}").format(province=province), fontsize=20,
                fontweight="bold", color=INK, family="DejaVu Sans")  # fmt: skip
    figure.text(0.07, 0.915, period_text(t, report.period), fontsize=12, color=MUTED,
                family="DejaVu Sans")  # fmt: skip
    figure.text(0.07, 0.885, _key_figures(report, t), fontsize=11.5, color=INK,
                family="DejaVu Sans", va="top", linespacing=1.5)  # fmt: skip
    _tips_panel(figure.add_subplot(grid[0]), report, t)
    _ack_panel(figure.add_subplot(grid[1]), report, t)
    figure.text(0.07, 0.03, _("Time to acknowledge: from the sending of a tip to its "
                              "acknowledgement by an officer. Weeks start on Monday."),
                fontsize=8.5, color=MUTED, family="DejaVu Sans")  # fmt: skip
    figure.text(0.97, 0.03, _("tipbot · made {when}").format(
        when=t.datetime(generated, generated.tzinfo)), fontsize=8.5, color=MUTED, ha="right",
        family="DejaVu Sans")  # fmt: skip
    return figure


def _key_figures(report: Report, t: Texts) -> str:
    """The headline numbers, on one line, or two if one would run off the page."""
    _ = t.gettext
    n = t.number
    figures = [
        _("{tips} tips").format(tips=n(report.tips)),
        _("{urgent} urgent").format(urgent=n(report.urgent)),
        _("acknowledged within the target: {share}").format(
            share=percent_text(t, report.within_target, report.judged)
        ),
        _("median time to acknowledge: {median}").format(
            median=duration_text(t, report.median_ack)
        ),
        _("escalated: {count}").format(count=n(report.totals.escalations)),
    ]
    line = "   ·   ".join(figures)
    if len(line) <= 120:
        return line
    return "   ·   ".join(figures[:3]) + "\n" + "   ·   ".join(figures[3:])


def _week_labels(report: Report, t: Texts) -> list[str]:
    """Each week by its first day in the period (the Monday, except for the first week)."""
    pattern = WEEK_PATTERNS.get(t.language, WEEK_PATTERNS["en"])
    return [
        format_date(max(week.monday, report.period.first), pattern, locale=t.language)
        for week in report.weeks
    ]


def _style(axes) -> None:
    axes.spines[["top", "right"]].set_visible(False)
    axes.spines[["left", "bottom"]].set_color(MUTED)
    axes.tick_params(colors=MUTED, labelcolor=INK, labelsize=9)
    axes.grid(axis="y", color=GRID, linewidth=0.8)
    axes.set_axisbelow(True)


def _thin_ticks(axes, labels: list[str]) -> None:
    """At most about 18 week labels, evenly spaced."""
    step = max(1, -(-len(labels) // 18))
    positions = list(range(0, len(labels), step))
    axes.set_xticks(positions, [labels[i] for i in positions])


def _tips_panel(axes, report: Report, t: Texts) -> None:
    from matplotlib.ticker import MaxNLocator

    _ = t.gettext
    _style(axes)
    axes.set_title(_("Tips per week, by type"), loc="left", fontsize=13, color=INK, pad=10)
    positions = list(range(len(report.weeks)))
    bottoms = [0] * len(report.weeks)
    totals = report.categories()
    for key, category in categories.CATEGORIES.items():
        heights = [week.by_category.get(key, 0) for week in report.weeks]
        label = f"{_(category.name)} ({t.number(totals.get(key, 0))})"
        axes.bar(positions, heights, bottom=bottoms, color=category.colour, width=0.72, label=label)
        bottoms = [b + h for b, h in zip(bottoms, heights, strict=True)]
    if len(positions) <= 20:
        for x, total in zip(positions, bottoms, strict=True):
            if total:
                axes.annotate(t.number(total), (x, total), xytext=(0, 3),
                              textcoords="offset points", ha="center", fontsize=8.5,
                              color=INK)  # fmt: skip
    _thin_ticks(axes, _week_labels(report, t))
    axes.set_ylabel(_("tips"), color=MUTED, fontsize=10)
    axes.set_ylim(0, max([*bottoms, 1]) * 1.25)
    axes.yaxis.set_major_locator(MaxNLocator(integer=True))
    axes.set_xlim(-0.6, len(positions) - 0.4)
    axes.legend(loc="upper right", frameon=False, fontsize=9.5, ncols=4)
    if report.tips == 0:
        axes.text(0.5, 0.5, _("No tips were sent in this period."), transform=axes.transAxes,
                  ha="center", va="center", fontsize=12, color=MUTED)  # fmt: skip


def _ack_panel(axes, report: Report, t: Texts) -> None:
    _ = t.gettext
    _style(axes)
    axes.set_title(_("Time to acknowledge, week by week"), loc="left", fontsize=13, color=INK,
                   pad=10)  # fmt: skip
    positions = list(range(len(report.weeks)))
    axes.set_yscale("log")
    low, high = 60.0, 7 * 24 * 3600.0
    median = [week.median_ack for week in report.weeks]
    p90 = [week.p90_ack for week in report.weeks]
    if any(value is not None for value in median):
        values = [v for v in median + p90 if v is not None]
        low, high = min(low, min(values)), max(high, max(values))
        p90_label = _("{share} of tips acknowledged within").format(share=p90_share_text(t))
        axes.plot(positions, [_nan(v) for v in p90], color="#8e44ad", marker="o", markersize=3.5,
                  linewidth=1.6, label=p90_label)  # fmt: skip
        axes.plot(positions, [_nan(v) for v in median], color="#2471a3", marker="o",
                  markersize=4, linewidth=2.2, label=_("median"))  # fmt: skip
    else:
        axes.text(0.5, 0.5, _("No tip was acknowledged in this period."),
                  transform=axes.transAxes, ha="center", va="center", fontsize=12,
                  color=MUTED)  # fmt: skip
    for target, label in (
        (report.urgent_target, _("target for urgent tips: {time}")),
        (report.normal_target, _("target for other tips: {time}")),
    ):
        axes.axhline(target, color=MUTED, linestyle="--", linewidth=1)
        axes.annotate(label.format(time=duration_text(t, target)), (0, target),
                      xycoords=("axes fraction", "data"), xytext=(4, 3),
                      textcoords="offset points", fontsize=8.5, color=MUTED)  # fmt: skip
    axes.set_ylim(max(low * 0.7, 1), high * 1.4)
    ticks = [tick for tick in DURATION_TICKS if low * 0.7 <= tick <= high * 1.4]
    axes.set_yticks(ticks, [duration_text(t, tick) for tick in ticks])
    axes.minorticks_off()
    axes.set_xlim(-0.6, len(positions) - 0.4)
    _thin_ticks(axes, _week_labels(report, t))
    if axes.get_legend_handles_labels()[0]:
        axes.legend(loc="upper right", frameon=False, fontsize=9.5, ncols=2)


def _nan(value: float | None) -> float:
    return float("nan") if value is None else value
