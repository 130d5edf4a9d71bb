"""What the province admins' commands say: statistics, export, bans. Texts and buttons only.

Callback data: `adm:s:<period>` (statistics of a preset or of `first:last` days), `adm:x:<first>:
<last>` (the CSV of those days), `adm:u:<ban id>:<time>` (lift a ban from the list). It only
names what was pressed; who pressed it is checked on the server every time.
"""

from __future__ import annotations

from html import escape

from telegram import InlineKeyboardButton, InlineKeyboardMarkup

from bot import stats
from bot.bans import Ban, Banned, Unbanned
from bot.i18n import Texts
from bot.refusals import Reason, Refused
from handlers.callbacks import ExportPeriod, StatsPeriod, Unban, encode

MAX_LISTED_BANS = 30


def stats_keyboard(t: Texts, period: stats.Period) -> InlineKeyboardMarkup:
    _ = t.gettext
    presets = [
        InlineKeyboardButton(
            ("• " if period.preset == name else "") + _(stats.PRESET_NAMES[name]).capitalize(),
            callback_data=encode(StatsPeriod(name)),
        )
        for name in stats.PRESETS
    ]
    return InlineKeyboardMarkup(
        [
            presets[:2],
            presets[2:],
            [
                InlineKeyboardButton(
                    _("📥 CSV of these days"), callback_data=encode(ExportPeriod(period.key))
                )
            ],
        ]
    )


def stats_usage(t: Texts, problem: str | None = None) -> str:
    _ = t.gettext
    usage = _(
        "Statistics of this month: /stats. Other days: /stats 2026-01-01 2026-03-31 (or "
        "01/01/2026 31/03/2026), a month: /stats 2026-03, a year: /stats 2026. The same for "
        "/export, which sends the tips as a CSV file."
    )
    return usage if problem is None else f"{_(problem)}\n\n{usage}"


def chart_caption(t: Texts, period: stats.Period) -> str:
    return "📈 " + stats.period_text(t, period)


def chart_file_name(period: stats.Period, fmt: str) -> str:
    return f"tipbot-chart-{period.first.isoformat()}-{period.last.isoformat()}.{fmt}"


def chart_document_caption(t: Texts, period: stats.Period, fmt: str) -> str:
    _ = t.gettext
    if fmt == "pdf":
        text = _("The chart as a one-page A4 PDF, for printing")
    else:
        text = _("The chart at full size (A4 at 150 dpi), for the report")
    return f"📄 {text} · {stats.period_text(t, period)}"


def chart_too_slow(t: Texts) -> str:
    return t.gettext("The chart took too long to draw. The numbers above are complete.")


def export_caption(t: Texts, period: stats.Period, tips: int, zipped: bool) -> str:
    _ = t.gettext
    text = _(
        "📥 {tips} tips sent {period}. UTF-8 CSV for Excel; times in the province's time zone. "
        "It holds nothing that identifies a tipster — but it does hold what they wrote: keep it "
        "as carefully as the tips themselves."
    ).format(tips=t.number(tips), period=stats.period_text(t, period))
    if zipped:
        text += "\n" + _("Zipped: it was too big for Telegram as it was.")
    return text


def nothing_to_export(t: Texts, period: stats.Period) -> str:
    return t.gettext("No tips were sent {period}: nothing to export.").format(
        period=stats.period_text(t, period)
    )


def export_too_big(t: Texts) -> str:
    return t.gettext(
        "That export is too big to send in Telegram, even zipped. Choose fewer days, or run "
        "<code>tipbot export</code> on the server."
    )


def working(t: Texts) -> str:
    return t.gettext("One moment, counting…")


# Bans ------------------------------------------------------------------------------------------


def ban_usage(t: Texts) -> str:
    return t.gettext(
        "Write the tip's code and the reason: /ban T-7K3Q9X sends insults instead of tips. The "
        "sender of that tip is banned without anyone, you included, learning who they are. "
        "/unban T-7K3Q9X lifts it; /unban alone lists the bans."
    )


def ban_result(t: Texts, result: Banned | Unbanned | Refused) -> str:
    _ = t.gettext
    if isinstance(result, Banned) and not result.again:
        text = _(
            "🚫 The sender of {code} is banned: new tips from them will be refused politely. "
            "Nobody, you included, has learned who they are. To lift the ban: /unban {code}"
        )
    elif isinstance(result, Banned):
        text = _("The sender of {code} was already banned; the reason is updated.")
    elif isinstance(result, Unbanned):
        text = _("✅ The ban on the sender of {code} is lifted.")
    else:
        text = {
            Reason.NOT_BANNED: _("The sender of {code} is not banned."),
            Reason.UNKNOWN: _("There is no tip with the code {code}."),
            Reason.SENDER_GONE: _(
                "The sender of {code} can no longer be identified: the sealed way back to them "
                "was deleted when the tip's retention period ended. This tip cannot be used to "
                "ban or unban anyone (/unban alone lists the bans)."
            ),
            Reason.SENDER_UNREADABLE: _(
                "The way back to the sender of {code} does not open with this server's key (was "
                "the key changed?), so the sender cannot be identified for a ban."
            ),
        }[result.reason]
    return text.format(code=escape(result.tip_code or "") or "—")


def bans_list(
    t: Texts, bans: list[Ban], names: dict[int, str], tz
) -> tuple[str, InlineKeyboardMarkup | None]:
    _ = t.gettext
    if not bans:
        return _("Nobody is banned."), None
    shown = bans[:MAX_LISTED_BANS]
    lines = [_("<b>Banned senders</b> (newest first). The list never shows who they are.")]
    for number, ban in enumerate(shown, start=1):
        by = escape(names.get(ban.banned_by or 0, "—"))
        lines.append(
            f"{number}. {t.datetime_from_timestamp(ban.created_at, tz)} — "
            f"{escape(ban.reason) or '—'} ({by})"
        )
    if len(bans) > len(shown):
        lines.append(_("…and {count} older bans.").format(count=t.number(len(bans) - len(shown))))
    lines.append(_("Tap a number to lift that ban."))
    buttons = [
        InlineKeyboardButton(f"🔓 {number}", callback_data=encode(Unban(ban.id, ban.created_at)))
        for number, ban in enumerate(shown, start=1)
    ]
    rows = [buttons[i : i + 5] for i in range(0, len(buttons), 5)]
    return "\n".join(lines), InlineKeyboardMarkup(rows)


def unbanned_from_list(t: Texts, done: bool) -> str:
    _ = t.gettext
    return _("✅ Ban lifted.") if done else _("That ban was already lifted.")
