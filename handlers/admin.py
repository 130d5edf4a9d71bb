"""The province admins' desk: /stats (with its chart), /export, /ban and /unban.

Private chats only. Every command and every button is checked against TIPBOT_ADMIN_IDS on the
server (bot/authz.py), and audited: who looked at which period, who exported which days, who
banned the sender of which tip.
"""

from __future__ import annotations

import asyncio
import re
import tempfile
from datetime import datetime
from pathlib import Path

from telegram import Update
from telegram.constants import ChatAction
from telegram.ext import CallbackQueryHandler, CommandHandler, filters

from bot import authz, bans, stats
from bot.authz import Role, Staff
from bot.context import TipbotContext
from bot.export import export_file
from bot.i18n import Texts
from handlers import admin_views as views
from handlers.access import staff_only
from handlers.callbacks import ExportPeriod, StatsPeriod, Unban, pattern, received
from handlers.common import (
    answer_callback,
    chat_of,
    edit_callback_message,
    message_of,
    query_of,
    user_of,
    user_texts,
)

PRIVATE = filters.ChatType.PRIVATE
TELEGRAM_DOCUMENT_LIMIT = 50 * 1024 * 1024
CHART_SECONDS = 60  # the longest an admin waits for the chart (ten years take about 3 s)


def _period_from_data(value: str, today) -> stats.Period | None:
    """A period from callback data: a preset name or `first:last` (data can be forged)."""
    try:
        if value in stats.PRESETS:
            return stats.preset(value, today)
        if re.fullmatch(r"\d{4}-\d{2}-\d{2}:\d{4}-\d{2}-\d{2}", value):
            return stats.parse_period(value.split(":"), today)
    except stats.PeriodError:
        return None
    return None


def _today(context: TipbotContext):
    runtime = context.runtime
    return stats.today_in(runtime.config.timezone, runtime.now())


async def _period_of_command(
    update: Update, context: TipbotContext, t: Texts
) -> stats.Period | None:
    """/stats' and /export's period from the command's words, or None after showing the usage."""
    try:
        return stats.parse_period(context.args or [], _today(context))
    except stats.PeriodError as error:
        await message_of(update).reply_text(views.stats_usage(t, str(error)))
        return None


async def _period_of_button(
    update: Update, context: TipbotContext, t: Texts, value: str
) -> stats.Period | None:
    """The period of a /stats or /export button, or None after saying the button is stale."""
    period = _period_from_data(value, _today(context))
    if period is None:
        await query_of(update).answer(t.gettext("This button no longer works. Send /start."))
    return period


# /stats ----------------------------------------------------------------------------------------


@staff_only(Role.ADMIN, "stats.view")
async def stats_cmd(update: Update, context: TipbotContext, staff: Staff) -> None:
    t = await user_texts(update, context)
    if (period := await _period_of_command(update, context, t)) is not None:
        await _send_stats(update, context, t, period, edit=False)


@staff_only(Role.ADMIN, "stats.view")
async def stats_callback(update: Update, context: TipbotContext, staff: Staff) -> None:
    t = await user_texts(update, context)
    if (
        period := await _period_of_button(update, context, t, received(update, StatsPeriod).period)
    ) is not None:
        await answer_callback(update, views.working(t))
        await _send_stats(update, context, t, period, edit=True)


async def _send_stats(update, context: TipbotContext, t: Texts, period, *, edit: bool) -> None:
    """The numbers (a new message, or the pressed one edited), then the chart as a photo."""
    runtime, chat_id = context.runtime, chat_of(update).id
    await context.bot.send_chat_action(chat_id, ChatAction.TYPING)
    report = await stats.compute(runtime.db, runtime.config, period, runtime.now())
    await authz.record(
        runtime, "stats.view", user_of(update).id, first=str(period.first),
        last=str(period.last),
    )  # fmt: skip
    text = stats.report_text(report, t, runtime.communes, runtime.province_name)
    keyboard = views.stats_keyboard(t, period)
    if edit:
        await edit_callback_message(update, text, reply_markup=keyboard)
    else:
        await message_of(update).reply_text(text, reply_markup=keyboard)
    await context.bot.send_chat_action(chat_id, ChatAction.UPLOAD_PHOTO)
    try:
        files = await _chart(report, t, runtime)
    except TimeoutError:
        await context.bot.send_message(chat_id, views.chart_too_slow(t))
        return
    await context.bot.send_photo(chat_id, files["png"], caption=views.chart_caption(t, period))
    # Telegram shrinks a photo to about 1280 px: the page for the report goes as documents too.
    await context.bot.send_chat_action(chat_id, ChatAction.UPLOAD_DOCUMENT)
    for fmt, data in files.items():
        await context.bot.send_document(
            chat_id, data, filename=views.chart_file_name(period, fmt),
            caption=views.chart_document_caption(t, period, fmt),
        )  # fmt: skip


async def _chart(report, t: Texts, runtime) -> dict[str, bytes]:
    """The PNG and the PDF, drawn in a worker thread: the bot keeps answering everyone meanwhile;
    the admin waits CHART_SECONDS at most (TimeoutError)."""
    from bot.chart import render_chart_files

    generated = datetime.fromtimestamp(runtime.now(), runtime.config.timezone)
    drawing = asyncio.to_thread(render_chart_files, report, t, runtime.province_name, generated)
    return await asyncio.wait_for(drawing, CHART_SECONDS)


# /export ---------------------------------------------------------------------------------------


@staff_only(Role.ADMIN, "tips.export")
async def export_cmd(update: Update, context: TipbotContext, staff: Staff) -> None:
    t = await user_texts(update, context)
    if (period := await _period_of_command(update, context, t)) is not None:
        await _send_export(update, context, t, period)


@staff_only(Role.ADMIN, "tips.export")
async def export_callback(update: Update, context: TipbotContext, staff: Staff) -> None:
    t = await user_texts(update, context)
    if (
        period := await _period_of_button(update, context, t, received(update, ExportPeriod).period)
    ) is not None:
        await answer_callback(update)
        await _send_export(update, context, t, period)


async def _send_export(update, context: TipbotContext, t: Texts, period) -> None:
    runtime, chat_id = context.runtime, chat_of(update).id
    await context.bot.send_chat_action(chat_id, ChatAction.UPLOAD_DOCUMENT)
    with tempfile.TemporaryDirectory(prefix="tipbot-export-") as directory:
        made = await export_file(
            runtime.db, Path(directory), period, t, runtime.communes, runtime.config.timezone
        )
        await authz.record(
            runtime, "tips.export", user_of(update).id, first=str(period.first),
            last=str(period.last), tips=made.tips,
        )  # fmt: skip
        if made.tips == 0:
            await context.bot.send_message(chat_id, views.nothing_to_export(t, period))
            return
        if made.path.stat().st_size > TELEGRAM_DOCUMENT_LIMIT:
            await context.bot.send_message(chat_id, views.export_too_big(t))
            return
        with made.path.open("rb") as document:
            await context.bot.send_document(
                chat_id,
                document,
                filename=made.path.name,
                caption=views.export_caption(t, period, made.tips, made.path.suffix == ".zip"),
                read_timeout=120,
                write_timeout=120,
            )


# /ban and /unban -------------------------------------------------------------------------------


@staff_only(Role.ADMIN, "resident.ban")
async def ban_cmd(update: Update, context: TipbotContext, staff: Staff) -> None:
    t = await user_texts(update, context)
    words = context.args or []
    if len(words) < 2:
        await message_of(update).reply_text(views.ban_usage(t))
        return
    result = await bans.ban_sender(context.runtime, staff, words[0], " ".join(words[1:]))
    await message_of(update).reply_text(views.ban_result(t, result))


@staff_only(Role.ADMIN, "resident.unban")
async def unban_cmd(update: Update, context: TipbotContext, staff: Staff) -> None:
    t = await user_texts(update, context)
    if context.args:
        result = await bans.unban_sender(context.runtime, staff, " ".join(context.args))
        await message_of(update).reply_text(views.ban_result(t, result))
        return
    text, keyboard = await _bans_list(context, t)
    await message_of(update).reply_text(text, reply_markup=keyboard)


@staff_only(Role.ADMIN, "resident.unban")
async def unban_callback(update: Update, context: TipbotContext, staff: Staff) -> None:
    t = await user_texts(update, context)
    listed = received(update, Unban)
    done = await bans.unban_listed(context.runtime, staff, listed.ban_id, listed.created_at)
    await answer_callback(update, views.unbanned_from_list(t, done))
    text, keyboard = await _bans_list(context, t)
    await edit_callback_message(update, text, reply_markup=keyboard)


async def _bans_list(context: TipbotContext, t: Texts):
    runtime = context.runtime
    listed = await bans.current(runtime)
    names = await authz.staff_names(
        runtime, {ban.banned_by for ban in listed if ban.banned_by is not None}
    )
    return views.bans_list(t, listed, names, runtime.config.timezone)


HANDLERS = [
    CommandHandler("stats", stats_cmd, filters=PRIVATE),
    CommandHandler("export", export_cmd, filters=PRIVATE),
    CommandHandler("ban", ban_cmd, filters=PRIVATE),
    CommandHandler("unban", unban_cmd, filters=PRIVATE),
    CallbackQueryHandler(stats_callback, pattern=pattern(StatsPeriod)),
    CallbackQueryHandler(export_callback, pattern=pattern(ExportPeriod)),
    CallbackQueryHandler(unban_callback, pattern=pattern(Unban)),
]
