"""Legal-awareness bulletins in chat.

Residents: /subscribe — also the menu's "Bulletins", the button under a tip's receipt, the
channel's link (/start bulletins) and a bulletin's "Change topics" — shows topic toggles, a
language and Save; /unsubscribe, or "Stop" under any bulletin, ends it in one tap. The chat id is
all a subscription holds: nothing about the person, nothing about their tips.

Admins, in a private chat: /bulletins (the library), /newbulletin, /sendnow, /sendat, /schedule,
/schedules and /broadcasts. Every tap is authorised again (bot/authz.admin) and every action is
audited (bot/bulletins.py).
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from dataclasses import replace

from telegram import InlineKeyboardMarkup, MaybeInaccessibleMessage, MessageEntity, Update
from telegram.error import BadRequest
from telegram.ext import Application, CallbackQueryHandler, CommandHandler, filters

from bot import bulletin_jobs
from bot import bulletins as services
from bot.authz import Role, Staff
from bot.bulletin_library import TOPICS
from bot.bulletins import Composed, ComposeError, Target
from bot.context import TipbotContext
from bot.cron import CronError, cron_rule, parse_cron
from bot.i18n import LANGUAGES, Texts, texts
from bot.language import language_of
from bot.outbox_worker import Deliver, OutboxItem, OutboxKind, Undeliverable, addressed_chat
from bot.quiet_hours import quiet_hours_of
from bot.runtime import Runtime
from bot.telegram_errors import Verdict, classify
from handlers import bulletins_views as views
from handlers.access import staff_only, staff_or_refuse
from handlers.callbacks import (
    AskDeleteSchedule,
    AskStopBroadcast,
    Callback,
    CancelPlannedSend,
    CancelSend,
    DeleteSchedule,
    DiscardDraftBulletin,
    DraftLanguage,
    DraftTopic,
    EditTopics,
    ListBroadcasts,
    ListSchedules,
    Menu,
    MenuEntry,
    OpenTopics,
    PauseSchedule,
    PickTopic,
    PickTopics,
    PreviewBulletin,
    ResumeSchedule,
    SaveDraft,
    SaveTopics,
    SendAt,
    SendNow,
    StopBroadcast,
    StopBulletins,
    ToggleTopic,
    TopicsLanguage,
    decode,
    encode,
    pattern,
    received,
)
from handlers.common import (
    answer_callback,
    chat_of,
    edit_callback_message,
    message_of,
    query_of,
    tapped_message,
    user_texts,
)
from handlers.fallback import dead_button
from handlers.locks import message_lock

log = logging.getLogger(__name__)

# Entities that are not formatting: a message with only these is plain text (or typed HTML).
PLAIN_ENTITIES = {
    MessageEntity.BOT_COMMAND,
    MessageEntity.URL,
    MessageEntity.MENTION,
    MessageEntity.HASHTAG,
    MessageEntity.CASHTAG,
    MessageEntity.EMAIL,
    MessageEntity.PHONE_NUMBER,
}


def when(runtime: Runtime, t: Texts, moment: int) -> str:
    return t.datetime_from_timestamp(moment, runtime.config.timezone)


# Subscribers -----------------------------------------------------------------------------------


async def topic_screen(update: Update, context: TipbotContext, t: Texts):
    runtime = context.runtime
    current = await services.active_subscription(runtime, chat_of(update).id)
    if current is not None:
        mask, language = views.mask_of(current.topics), current.language
    else:
        mask, language = (1 << len(TOPICS)) - 1, t.language  # a newcomer: every topic
    return views.topics_screen(
        t, mask, language, subscribed=current is not None, quiet=quiet_hours_of(runtime.config)
    )


async def subscribe_cmd(update: Update, context: TipbotContext) -> None:
    """The topic screen, as a new message."""
    await answer_callback(update)
    t = await user_texts(update, context)
    text, markup = await topic_screen(update, context, t)
    await context.bot.send_message(chat_of(update).id, text, reply_markup=markup)


async def edit_screen_callback(update: Update, context: TipbotContext) -> None:
    """The topic screen, in place of the message tapped."""
    await answer_callback(update)
    t = await user_texts(update, context)
    text, markup = await topic_screen(update, context, t)
    await edit_callback_message(update, text, reply_markup=markup)


async def toggle_callback(update: Update, context: TipbotContext) -> None:
    tapped = received(update, ToggleTopic)
    await redraw(update, context, tapped.mask ^ (1 << tapped.topic), tapped.language)


async def language_callback(update: Update, context: TipbotContext) -> None:
    tapped = received(update, TopicsLanguage)
    await redraw(update, context, tapped.mask, tapped.language)


async def redraw(update: Update, context: TipbotContext, mask: int, language: str) -> None:
    await answer_callback(update)
    t = await user_texts(update, context)
    current = await services.active_subscription(context.runtime, chat_of(update).id)
    text, markup = views.topics_screen(
        t,
        mask,
        language,
        subscribed=current is not None,
        quiet=quiet_hours_of(context.runtime.config),
    )
    await edit_callback_message(update, text, reply_markup=markup)


async def save_callback(update: Update, context: TipbotContext) -> None:
    tapped = received(update, SaveTopics)
    mask, language = tapped.mask, tapped.language
    t = await user_texts(update, context)
    topics = views.topics_of(mask)
    saved = await services.save_subscription(context.runtime, chat_of(update).id, language, topics)
    await answer_callback(update, t.gettext("Saved."))
    if saved is None:
        await edit_callback_message(
            update, views.unsubscribed_text(t), reply_markup=views.subscribe_button(t)
        )
        return
    await edit_callback_message(
        update, views.saved_text(t, saved.topics, language), reply_markup=views.change_button(t)
    )


async def unsubscribe_cmd(update: Update, context: TipbotContext) -> None:
    t = await user_texts(update, context)
    stopped = await services.unsubscribe(context.runtime, chat_of(update).id)
    text = views.unsubscribed_text(t) if stopped else views.not_subscribed_text(t)
    await message_of(update).reply_text(text, reply_markup=views.subscribe_button(t))


async def stop_callback(update: Update, context: TipbotContext) -> None:
    """The Stop button, under a bulletin or on the topic screen: unsubscribed in one tap."""
    t = await user_texts(update, context)
    await services.unsubscribe(context.runtime, chat_of(update).id)
    await answer_callback(update, t.gettext("Unsubscribed."))
    text, markup = views.unsubscribed_text(t), views.subscribe_button(t)
    if _is_topic_screen(query_of(update).message):
        await edit_callback_message(update, text, reply_markup=markup)
    else:  # a bulletin: it stays as it was
        await context.bot.send_message(chat_of(update).id, text, reply_markup=markup)


def _is_topic_screen(message: MaybeInaccessibleMessage | None) -> bool:
    markup = getattr(message, "reply_markup", None)
    return markup is not None and any(
        isinstance(decode(button.callback_data), SaveTopics)
        for row in markup.inline_keyboard
        for button in row
    )


# Admins: the library and new bulletins ---------------------------------------------------------


@staff_only(Role.ADMIN, "bulletin.list")
async def bulletins_cmd(update: Update, context: TipbotContext, staff: Staff) -> None:
    t, runtime = await user_texts(update, context), context.runtime
    entries = await services.catalogue(runtime)
    for page in views.catalogue_pages(t, entries, lambda moment: when(runtime, t, moment)):
        await message_of(update).reply_text(page)


@staff_only(Role.ADMIN, "bulletin.create")
async def newbulletin_cmd(update: Update, context: TipbotContext, staff: Staff) -> None:
    t, runtime = await user_texts(update, context), context.runtime
    message = message_of(update)
    formatted = any(e.type not in PLAIN_ENTITIES for e in message.entities)
    try:
        composed = services.compose(
            services.message_html(message.text or "", message.text_html, formatted)
        )
    except ComposeError as error:
        await message.reply_text(
            views.compose_usage(t) if error.reason == "empty" else views.compose_error(t, error)
        )
        return
    draft = {"title": composed.title, "body": composed.body, "slug": composed.slug}
    draft |= {"language": composed.language, "topic": None}
    if composed.slug is not None:
        versions = await services.versions_of(runtime, composed.slug)
        if not versions:
            await message.reply_text(
                views.compose_error(t, ComposeError("unknown_slug", composed.slug))
            )
            return
        missing = [language for language in LANGUAGES if language not in versions]
        draft["topic"] = next(iter(versions.values())).topic
        draft["language"] = missing[0] if len(missing) == 1 else composed.language
    preview = views.bulletin_text(
        texts(draft["language"]), draft["topic"], composed.title, composed.body
    )
    try:
        await message.reply_text(preview)
    except BadRequest as error:  # what our check let through, Telegram still refused
        await message.reply_text(views.compose_error(t, ComposeError("html", error.message)))
        return
    await services.keep_draft(runtime, staff.user_id, draft)
    await message.reply_text(
        views.draft_text(t, draft), reply_markup=views.draft_keyboard(t, draft)
    )


async def draft_callback(
    update: Update, context: TipbotContext, t: Texts, staff, tapped: Callback
) -> None:
    runtime, query = context.runtime, query_of(update)
    draft = await services.draft_of(runtime, staff.user_id)
    if draft is None:
        await query.answer(t.gettext("This draft is gone. Send /newbulletin again."))
        await edit_callback_message(update, views.compose_usage(t))
        return
    if isinstance(tapped, DiscardDraftBulletin):
        await services.drop_draft(runtime, staff.user_id)
        await query.answer()
        await edit_callback_message(update, t.gettext("Draft discarded."))
        return
    if isinstance(tapped, SaveDraft):
        await save_draft(update, context, t, staff, draft)
        return
    if isinstance(tapped, DraftLanguage):
        draft["language"] = tapped.language
    elif isinstance(tapped, DraftTopic) and not draft["slug"]:
        draft["topic"] = TOPICS[tapped.topic]
    await services.keep_draft(runtime, staff.user_id, draft)
    await query.answer()
    await edit_callback_message(
        update, views.draft_text(t, draft), reply_markup=views.draft_keyboard(t, draft)
    )


async def save_draft(update: Update, context: TipbotContext, t: Texts, staff, draft) -> None:
    runtime, query = context.runtime, query_of(update)
    composed = Composed(draft["slug"], draft["title"], draft["body"], draft["language"])
    try:
        saved = await services.save_bulletin(
            runtime, staff.user_id, composed, language=draft["language"], topic=draft["topic"]
        )
    except ComposeError as error:
        if error.reason in ("topic", "language"):
            await query.answer(views.compose_error(t, error), show_alert=True)
            return
        await query.answer()
        await edit_callback_message(update, views.compose_error(t, error))
        return
    await services.drop_draft(runtime, staff.user_id)
    await query.answer(t.gettext("Saved."))
    await edit_callback_message(update, views.saved_bulletin_text(t, saved.slug, saved.created))


# Admins: sending now or at a time --------------------------------------------------------------


@staff_only(Role.ADMIN, "broadcast.start")
async def sendnow_cmd(update: Update, context: TipbotContext, staff: Staff) -> None:
    t, runtime = await user_texts(update, context), context.runtime
    reply = message_of(update).reply_text
    argument = " ".join(context.args or []).strip()
    if not argument:  # no name: pick one, topic then bulletin
        await open_picker(update, runtime, t, 0)
        return
    target = await services.resolve_target(runtime, argument)
    if target is None:
        await reply(views.unknown_target(t, argument))
        return
    await preview_and_confirm(context, chat_of(update).id, t, target, None)


async def open_picker(update: Update, runtime: Runtime, t: Texts, send_at: int) -> None:
    """The picker's first step, the topics; ``send_at`` 0 for now."""
    entries = await services.catalogue(runtime)
    if not entries:
        await message_of(update).reply_text(views.nothing_to_send(t))
        return
    moment = when(runtime, t, send_at) if send_at else None
    text, markup = views.picker_topics(t, entries, send_at, moment)
    await message_of(update).reply_text(text, reply_markup=markup)


async def preview_and_confirm(
    context: TipbotContext,
    chat_id: int,
    t: Texts,
    target: Target,
    send_at: int | None,
    picker: int = 0,
) -> None:
    """What will go out, as a subscriber will see it, then how many it reaches and Send / Cancel.
    A topic planned for later may have nothing to show yet: its bulletin is chosen at sending.
    `picker`: the picker message it came from, whose one send the confirmation is."""
    runtime, bot = context.runtime, context.bot
    slug = await services.slug_for(runtime, target)
    if slug is None and (send_at is None or target.slug is not None):
        await bot.send_message(chat_id, views.nothing_to_send(t))
        return
    title = await services.title_of(runtime, slug, t.language) if slug else None
    if slug is not None:
        versions = await services.versions_of(runtime, slug)
        bulletin = versions.get(t.language) or next(iter(versions.values()))
        text, markup = views.render(
            texts(bulletin.language), bulletin, channel=False, bot_username=None
        )
        await bot.send_message(chat_id, views.preview_heading(t, bulletin.language))
        await bot.send_message(chat_id, text, reply_markup=markup)
    count = await services.audience(runtime, target.topic)
    what = views.what(t, target, title)
    if send_at is None:
        await bot.send_message(
            chat_id,
            views.confirm_now_text(t, what, count, quiet_note(runtime, t)),
            reply_markup=views.confirm_keyboard(t, send_data(SendNow(target.key(), picker))),
        )
        return
    await bot.send_message(
        chat_id,
        views.confirm_at_text(t, what, when(runtime, t, send_at), count),
        reply_markup=views.confirm_keyboard(t, send_data(SendAt(send_at, target.key(), picker))),
    )


def send_data(tapped: SendNow | SendAt) -> str:
    """The Send button's data, with its picker if the 64 bytes allow (a long slug and a late
    message id may not): the picker itself advances only once anyway (pick_callback)."""
    try:
        return encode(tapped)
    except ValueError:
        return encode(replace(tapped, picker=0))


def request_key(update: Update, tapped: SendNow | SendAt) -> str:
    """One send per picker, or per confirmation of a typed name: a second tap, or a second
    confirmation of the same picker, finds the key used."""
    message = tapped_message(update)
    origin = f"picker:{tapped.picker}" if tapped.picker else str(message.message_id)
    return f"{message.chat.id}:{origin}"


async def pick_callback(
    update: Update,
    context: TipbotContext,
    t: Texts,
    staff: Staff,
    tapped: PickTopics | PickTopic | PreviewBulletin,
) -> None:
    """A step of the picker: the topics, a topic's bulletins, or the chosen one's preview."""
    runtime, send_at = context.runtime, tapped.send_at
    if send_at and send_at <= runtime.now():
        await answer_callback(update)
        await edit_callback_message(
            update, views.when_error(t, "past", runtime.config.timezone.key)
        )
        return
    moment = when(runtime, t, send_at) if send_at else None
    entries = await services.catalogue(runtime)
    await answer_callback(update)
    if isinstance(tapped, PickTopics):
        text, markup = views.picker_topics(t, entries, send_at, moment)
        await edit_callback_message(update, text, reply_markup=markup)
        return
    if isinstance(tapped, PickTopic):
        topic = TOPICS[tapped.topic]
        text, markup = views.picker_bulletins(
            t,
            topic,
            [e for e in entries if e.topic == topic],
            await services.slug_for(runtime, Target(topic, None)),
            send_at,
            moment,
        )
        await edit_callback_message(update, text, reply_markup=markup)
        return
    target = await services.resolve_target(runtime, tapped.target)
    if target is None:
        await dead_button(update, context)
        return
    picker = tapped_message(update)
    async with message_lock(picker.chat.id, picker.message_id):
        # Its buttons served. A second tap (a double tap, a tap on another bulletin before the
        # edit arrived) finds it already advanced: one preview, one confirmation per picker.
        if not await advanced(update, views.picker_question(t, moment)):
            return
        await preview_and_confirm(
            context, picker.chat.id, t, target, send_at or None, picker.message_id
        )


async def advanced(update: Update, text: str) -> bool:
    """Edits the tapped message to `text`, without buttons; False if it was that already."""
    try:
        await query_of(update).edit_message_text(text)
    except BadRequest as error:
        if classify(error) is Verdict.UNCHANGED:
            return False
        raise
    return True


def quiet_note(runtime: Runtime, t: Texts) -> str | None:
    quiet, now = quiet_hours_of(runtime.config), runtime.now()
    if quiet is None or not quiet.contains(now):
        return None
    return views.quiet_note(t, quiet, when(runtime, t, quiet.ends_at(now)))


async def confirm_now(
    update: Update, context: TipbotContext, t: Texts, staff, tapped: SendNow
) -> None:
    runtime, query = context.runtime, query_of(update)
    target = await services.resolve_target(runtime, tapped.target)
    slug = await services.slug_for(runtime, target) if target else None
    if target is None or slug is None:
        await query.answer()
        await edit_callback_message(update, views.nothing_to_send(t))
        return
    # The confirmation (its picker) names the broadcast: a second tap does not send twice.
    run_key = f"now:{request_key(update, tapped)}"
    broadcast_id = await services.start_broadcast(
        runtime, slug, target.topic, actor_id=staff.user_id, created_by=staff.user_id,
        run_key=run_key, why="now",
    )  # fmt: skip
    await query.answer()
    if broadcast_id is None:
        return
    bulletin_jobs.wake(context.application)
    started = await services.broadcast(runtime, broadcast_id)
    note = quiet_note(runtime, t)
    text = views.started_text(t, broadcast_id, (started.recipients or 0) if started else 0)
    await edit_callback_message(update, f"{text}\n{note}" if note else text)


@staff_only(Role.ADMIN, "broadcast.plan")
async def sendat_cmd(update: Update, context: TipbotContext, staff: Staff) -> None:
    t, runtime = await user_texts(update, context), context.runtime
    reply, tz = message_of(update).reply_text, runtime.config.timezone
    words = list(context.args or [])
    if not words:
        await reply(views.sendat_usage(t, tz.key))
        return
    try:
        send_at, rest = services.parse_when(words, tz, runtime.now())
    except ValueError as error:
        await reply(views.when_error(t, str(error), tz.key))
        return
    argument = " ".join(rest).strip()
    if not argument:  # a time but no name: pick one, topic then bulletin
        await open_picker(update, runtime, t, send_at)
        return
    target = await services.resolve_target(runtime, argument)
    if target is None:
        await reply(views.unknown_target(t, argument))
        return
    await preview_and_confirm(context, chat_of(update).id, t, target, send_at)


async def confirm_at(
    update: Update, context: TipbotContext, t: Texts, staff, tapped: SendAt
) -> None:
    runtime, query = context.runtime, query_of(update)
    send_at = tapped.send_at
    target = await services.resolve_target(runtime, tapped.target) if send_at else None
    if target is None or send_at <= runtime.now():
        await query.answer()
        await edit_callback_message(
            update, views.when_error(t, "past", runtime.config.timezone.key)
        )
        return
    planned_id = await services.plan_send(
        runtime, staff.user_id, target, send_at,
        request_key=request_key(update, tapped),
    )  # fmt: skip
    await query.answer()
    if planned_id is not None:
        await edit_callback_message(
            update, views.planned_text(t, planned_id, when(runtime, t, send_at))
        )


# Admins: schedules -----------------------------------------------------------------------------


@staff_only(Role.ADMIN, "schedule.create")
async def schedule_cmd(update: Update, context: TipbotContext, staff: Staff) -> None:
    t, runtime = await user_texts(update, context), context.runtime
    reply, tz, now = message_of(update).reply_text, runtime.config.timezone, runtime.now()
    words = list(context.args or [])
    if len(words) != 6:
        await reply(views.schedule_usage(t, tz.key))
        return
    try:
        rule = parse_cron(" ".join(words[:5]), tz, now=now)
    except CronError as error:
        await reply(views.cron_error(t, error, tz.key))
        return
    target = await services.resolve_target(runtime, words[5])
    if target is None:
        await reply(views.unknown_target(t, words[5]))
        return
    schedule_id = await services.create_schedule(runtime, staff.user_id, rule, target)
    bulletin_jobs.register(context.application, await services.schedule(runtime, schedule_id))
    quiet = quiet_hours_of(runtime.config)
    hit = quiet if quiet and any(quiet.contains(m) for m in rule.next_times(now, 30)) else None
    await reply(
        views.schedule_created_text(
            t,
            schedule_id,
            await describe(runtime, t, target),
            rule.expression,
            [when(runtime, t, moment) for moment in rule.next_times(now, 3)],
            tz.key,
            hit,
        ),
        reply_markup=InlineKeyboardMarkup([views.schedule_buttons(t, schedule_id, False)]),
    )


async def describe(runtime: Runtime, t: Texts, target: Target) -> str:
    slug = await services.slug_for(runtime, target)
    title = await services.title_of(runtime, slug, t.language) if slug else None
    return views.what(t, target, title)


async def schedules_view(runtime: Runtime, t: Texts) -> tuple[str, InlineKeyboardMarkup | None]:
    tz, now = runtime.config.timezone, runtime.now()
    schedules = await services.schedules(runtime)
    planned = await services.planned_sends(runtime)
    listed = []
    for schedule in schedules:
        try:
            upcoming = cron_rule(schedule.cron, tz).next_times(now, 1)
        except CronError:
            upcoming = []
        next_time = when(runtime, t, upcoming[0]) if upcoming else "—"
        target = Target(schedule.topic, schedule.slug)
        listed.append((schedule, await describe(runtime, t, target), next_time))
    planned_rows = [
        (p, await describe(runtime, t, Target(p.topic, p.slug)), when(runtime, t, p.send_at))
        for p in planned
    ]
    return (
        views.schedules_text(t, listed, planned_rows, tz.key),
        views.schedules_keyboard(t, schedules, planned),
    )


@staff_only(Role.ADMIN, "schedule.list")
async def schedules_cmd(update: Update, context: TipbotContext, staff: Staff) -> None:
    t = await user_texts(update, context)
    text, markup = await schedules_view(context.runtime, t)
    await message_of(update).reply_text(text, reply_markup=markup)


async def schedule_action(
    update: Update, context: TipbotContext, t: Texts, staff, tapped: Callback
) -> None:
    runtime, query, application = context.runtime, query_of(update), context.application
    done, what, item = True, "", 0  # ListSchedules: back to the list
    match tapped:
        case AskDeleteSchedule(schedule_id=item):
            await query.answer()
            question, buttons = views.delete_schedule_question(t, item)
            await edit_callback_message(update, question, reply_markup=buttons)
            return
        case PauseSchedule(schedule_id=item):
            done, what = await services.pause_schedule(runtime, staff.user_id, item, True), "pause"
            bulletin_jobs.unregister(application, item)
        case ResumeSchedule(schedule_id=item):
            done = await services.pause_schedule(runtime, staff.user_id, item, False)
            what = "resume"
            if done:
                bulletin_jobs.register(application, await services.schedule(runtime, item))
        case DeleteSchedule(schedule_id=item):
            done, what = await services.delete_schedule(runtime, staff.user_id, item), "delete"
            bulletin_jobs.unregister(application, item)
        case CancelPlannedSend(planned_id=item):
            done, what = await services.cancel_planned(runtime, staff.user_id, item), "unplan"
    await query.answer(views.schedule_done(t, what if done else "gone", item) if what else None)
    text, markup = await schedules_view(runtime, t)
    await edit_callback_message(update, text, reply_markup=markup)


# Admins: broadcasts under way ------------------------------------------------------------------


async def broadcasts_view(runtime: Runtime, t: Texts) -> tuple[str, InlineKeyboardMarkup]:
    lines, under_way = [], []
    for shown in await services.recent_broadcasts(runtime, t.language):
        broadcast, progress = shown.broadcast, shown.progress
        if shown.seconds_left is not None:  # sending
            waits = when(runtime, t, shown.quiet_until) if shown.quiet_until is not None else None
            state = views.sending_state(t, progress, views.duration(t, shown.seconds_left), waits)
            under_way.append(broadcast.id)
        else:
            finished = broadcast.finished_at or runtime.now()
            state = views.ended_state(t, broadcast, when(runtime, t, finished))
        lines.append(views.broadcast_line(t, broadcast, shown.title, progress, state))
    return views.broadcasts_text(t, lines), views.broadcasts_keyboard(t, under_way)


@staff_only(Role.ADMIN, "broadcast.list")
async def broadcasts_cmd(update: Update, context: TipbotContext, staff: Staff) -> None:
    t = await user_texts(update, context)
    text, markup = await broadcasts_view(context.runtime, t)
    await message_of(update).reply_text(text, reply_markup=markup)


async def broadcast_action(
    update: Update, context: TipbotContext, t: Texts, staff, tapped: Callback
) -> None:
    runtime, query = context.runtime, query_of(update)
    item = tapped.broadcast_id if isinstance(tapped, AskStopBroadcast | StopBroadcast) else 0
    if isinstance(tapped, AskStopBroadcast):
        await query.answer()
        text, markup = views.stop_broadcast_question(t, item)
        await edit_callback_message(update, text, reply_markup=markup)
        return
    if isinstance(tapped, StopBroadcast):
        stopped = await services.cancel_broadcast(runtime, staff.user_id, item)
        await query.answer(views.broadcast_stopped(t, item, stopped))
    else:
        await query.answer()
    text, markup = await broadcasts_view(runtime, t)
    await edit_callback_message(update, text, reply_markup=markup)


# Admins: one callback for every button ---------------------------------------------------------

# Each button, its handler, and its action in the audit log (a refusal is "denied.<action>").
ADMIN_ACTIONS: dict[type[Callback], tuple[Callable[..., Awaitable[None]], str]] = {
    DraftLanguage: (draft_callback, "bulletin.create"),
    DraftTopic: (draft_callback, "bulletin.create"),
    SaveDraft: (draft_callback, "bulletin.create"),
    DiscardDraftBulletin: (draft_callback, "bulletin.create"),
    PickTopics: (pick_callback, "broadcast.pick"),
    PickTopic: (pick_callback, "broadcast.pick"),
    PreviewBulletin: (pick_callback, "broadcast.pick"),
    SendNow: (confirm_now, "broadcast.start"),
    SendAt: (confirm_at, "broadcast.plan"),
    PauseSchedule: (schedule_action, "schedule.pause"),
    ResumeSchedule: (schedule_action, "schedule.resume"),
    AskDeleteSchedule: (schedule_action, "schedule.delete"),
    DeleteSchedule: (schedule_action, "schedule.delete"),
    ListSchedules: (schedule_action, "schedule.list"),
    CancelPlannedSend: (schedule_action, "broadcast.unplan"),
    ListBroadcasts: (broadcast_action, "broadcast.list"),
    AskStopBroadcast: (broadcast_action, "broadcast.cancel"),
    StopBroadcast: (broadcast_action, "broadcast.cancel"),
}


async def cancel_send_callback(update: Update, context: TipbotContext) -> None:
    t = await user_texts(update, context)
    await answer_callback(update)
    await edit_callback_message(update, views.cancelled_text(t))


async def admin_callback(update: Update, context: TipbotContext) -> None:
    t = await user_texts(update, context)
    tapped = received(update, Callback)
    handler, action = ADMIN_ACTIONS[type(tapped)]
    staff = await staff_or_refuse(update, context, Role.ADMIN, action)
    if staff is not None:
        await handler(update, context, t, staff, tapped)


# Notices to admins, through the outbox ---------------------------------------------------------


class Notices:
    """Renders and sends the outbox's "bulletin_notice" rows (bot/bulletins.notify_admin)."""

    def __init__(self, application: Application, runtime: Runtime) -> None:
        self.bot, self.runtime = application.bot, runtime

    def deliverers(self) -> dict[str, Deliver]:
        return {OutboxKind.BULLETIN_NOTICE: self.notice}

    async def notice(self, item: OutboxItem) -> int:
        runtime, payload = self.runtime, item.payload
        t = texts(await language_of(runtime, addressed_chat(item), None))
        template = payload.get("template")
        if template == "summary" or template == "refused":
            broadcast = await services.broadcast(runtime, payload["broadcast_id"])
            if broadcast is None:
                raise Undeliverable("the broadcast was deleted")
            if template == "refused":
                text = views.refused_notice(t, broadcast.id)
            else:
                took = (broadcast.finished_at or 0) - (broadcast.started_at or broadcast.created_at)
                title = await services.title_of(runtime, broadcast.slug, t.language)
                text = views.summary_notice(t, broadcast, title, views.duration(t, took))
        elif template == "schedule_empty":
            text = views.schedule_empty_notice(t, payload["schedule_id"], payload["topic"])
        elif template == "planned_missed":
            moment = when(runtime, t, payload["send_at"])
            text = views.planned_missed_notice(t, payload["planned_id"], payload["topic"], moment)
        else:
            raise Undeliverable(f"unknown bulletin notice {template!r}")
        message = await self.bot.send_message(item.chat_id, text)
        return message.message_id


def install(application: Application) -> None:
    """Gives the broadcast engine (bot/broadcast.py) the views of a bulletin."""

    def render(bulletin, language: str, *, channel: bool):
        username = None
        if channel:
            try:
                username = application.bot.username
            except RuntimeError:  # not initialised: the channel post goes without its link
                username = None
        return views.render(texts(language), bulletin, channel=channel, bot_username=username)

    application.bot_data[bulletin_jobs.RENDERER] = render


PRIVATE = filters.ChatType.PRIVATE
BULLETINS_PAYLOAD = filters.Regex(r"^/start(?:@\w+)?\s+bulletins\b")
HANDLERS = [
    CommandHandler("start", subscribe_cmd, filters=PRIVATE & BULLETINS_PAYLOAD),
    CommandHandler("subscribe", subscribe_cmd, filters=PRIVATE),
    CommandHandler("unsubscribe", unsubscribe_cmd, filters=PRIVATE),
    CallbackQueryHandler(subscribe_cmd, pattern=pattern(OpenTopics)),
    CallbackQueryHandler(subscribe_cmd, pattern=pattern(Menu, entry=MenuEntry.BULLETINS)),
    CallbackQueryHandler(edit_screen_callback, pattern=pattern(EditTopics)),
    CallbackQueryHandler(toggle_callback, pattern=pattern(ToggleTopic)),
    CallbackQueryHandler(language_callback, pattern=pattern(TopicsLanguage)),
    CallbackQueryHandler(save_callback, pattern=pattern(SaveTopics)),
    CallbackQueryHandler(stop_callback, pattern=pattern(StopBulletins)),
    CommandHandler("bulletins", bulletins_cmd, filters=PRIVATE),
    CommandHandler("newbulletin", newbulletin_cmd, filters=PRIVATE),
    CommandHandler("sendnow", sendnow_cmd, filters=PRIVATE),
    CommandHandler("sendat", sendat_cmd, filters=PRIVATE),
    CommandHandler("schedule", schedule_cmd, filters=PRIVATE),
    CommandHandler("schedules", schedules_cmd, filters=PRIVATE),
    CommandHandler("broadcasts", broadcasts_cmd, filters=PRIVATE),
    CallbackQueryHandler(cancel_send_callback, pattern=pattern(CancelSend)),
    CallbackQueryHandler(admin_callback, pattern=pattern(*ADMIN_ACTIONS)),
]
