"""What bulletins look like: the bulletin itself (to a subscriber, in the channel), the topic
screen, and the admins' lists, confirmations and notices.

Callback data: ``bs:`` for subscribers, ``bb:`` for admins. A subscriber's topic screen carries
its whole state in its buttons (``bs:t:<topics bitmask>:<language>:<topic index>``), so a tap
needs nothing stored and works after a restart. Titles and bodies of admins' bulletins are their
own Telegram HTML, checked when saved; every other typed text is escaped.
"""

from __future__ import annotations

from collections.abc import Sequence
from html import escape

from telegram import InlineKeyboardButton, InlineKeyboardMarkup

from bot.bulletin_library import TOPICS
from bot.bulletins import (
    MAX_TEXT,
    MAX_TITLE,
    Broadcast,
    Bulletin,
    CatalogueEntry,
    ComposeError,
    PlannedSend,
    Progress,
    Schedule,
    Target,
)
from bot.cron import CronError
from bot.i18n import N_, Texts
from bot.quiet_hours import QuietHours
from handlers.callbacks import (
    AskDeleteSchedule,
    AskStopBroadcast,
    CancelPlannedSend,
    CancelSend,
    DeleteSchedule,
    DiscardDraftBulletin,
    DraftLanguage,
    DraftTopic,
    EditTopics,
    ListBroadcasts,
    ListSchedules,
    OpenTopics,
    PauseSchedule,
    PickTopic,
    PickTopics,
    PreviewBulletin,
    ResumeSchedule,
    SaveDraft,
    SaveTopics,
    StopBroadcast,
    StopBulletins,
    ToggleTopic,
    TopicsLanguage,
    encode,
)
from handlers.common import fit_lines, utf16_len
from handlers.menu import MENU_BULLETINS, main_menu

OPEN = encode(OpenTopics())  # the topic screen as a new message (a bulletin, the menu, a receipt)
EDIT = encode(EditTopics())  # the topic screen in place of the message tapped
STOP = encode(StopBulletins())  # unsubscribe, one tap
MAX_MESSAGE = 4000  # Telegram's limit is 4096 UTF-16 units

TOPIC_NAMES = {
    "online_fraud": N_("Online scams"),
    "forest": N_("Forest protection"),
    "drugs": N_("Drugs"),
    "traffic": N_("Traffic safety"),
    "fire": N_("Fire safety"),
    "cyber_privacy": N_("Hi-tech crime and personal data"),
    "reporting": N_("Reporting safely"),
}
LANGUAGE_NAMES = {"vi": "🇻🇳 Tiếng Việt", "en": "🇬🇧 English"}  # each in itself


def esc(text: str) -> str:
    return escape(text, quote=False)


def topic_name(t: Texts, topic: str) -> str:
    return t.gettext(TOPIC_NAMES[topic]) if topic in TOPIC_NAMES else esc(topic)


# The bulletin ----------------------------------------------------------------------------------


def bulletin_text(t: Texts, topic: str | None, title: str, body: str) -> str:
    head = f"📬 <i>{topic_name(t, topic)}</i>\n" if topic else ""
    return f"{head}<b>{esc(title)}</b>\n\n{body}"


def subscriber_buttons(t: Texts) -> InlineKeyboardMarkup:
    _ = t.gettext
    return InlineKeyboardMarkup(
        [
            [
                InlineKeyboardButton(_("⚙️ Change topics"), callback_data=OPEN),
                InlineKeyboardButton(_("🔕 Stop bulletins"), callback_data=STOP),
            ]
        ]
    )


def channel_buttons(t: Texts, bot_username: str | None) -> InlineKeyboardMarkup | None:
    if not bot_username:
        return None
    link = f"https://t.me/{bot_username}?start=bulletins"
    return InlineKeyboardMarkup(
        [[InlineKeyboardButton(t.gettext("📬 Get bulletins from the bot"), url=link)]]
    )


def render(t: Texts, bulletin: Bulletin, *, channel: bool, bot_username: str | None):
    """A bulletin as a subscriber (in ``t``'s language) or the channel sees it."""
    text = bulletin_text(t, bulletin.topic, bulletin.title, bulletin.body)
    markup = channel_buttons(t, bot_username) if channel else subscriber_buttons(t)
    return text, markup


# The topic screen ------------------------------------------------------------------------------


def mask_of(topics: Sequence[str]) -> int:
    return sum(1 << i for i, topic in enumerate(TOPICS) if topic in topics)


def topics_of(mask: int) -> list[str]:
    return [topic for i, topic in enumerate(TOPICS) if mask >> i & 1]


def topics_screen(
    t: Texts, mask: int, language: str, *, subscribed: bool, quiet: QuietHours | None
) -> tuple[str, InlineKeyboardMarkup]:
    _ = t.gettext
    lines = [
        _("📬 <b>Legal-awareness bulletins</b>"),
        _(
            "Short, practical advice from the police: scams, forests, drugs, traffic, fire "
            "safety, and how to report safely."
        ),
    ]
    if quiet is not None:
        lines.append(_("Never sent at night ({hours}).").format(hours=quiet.label()))
    lines += [
        "",
        _("Tap the topics you want (✓), then <b>Save</b>."),
        _("Your subscription is not linked to any tip you sent."),
    ]
    rows = []
    for i, topic in enumerate(TOPICS):
        mark = "✓ " if mask >> i & 1 else ""
        rows.append(
            [
                InlineKeyboardButton(
                    mark + topic_name(t, topic),
                    callback_data=encode(ToggleTopic(mask, language, i)),
                )
            ]
        )
    rows.append(
        [
            InlineKeyboardButton(
                ("✓ " if code == language else "") + name,
                callback_data=encode(TopicsLanguage(mask, code)),
            )
            for code, name in LANGUAGE_NAMES.items()
        ]
    )
    rows.append(
        [InlineKeyboardButton(_("💾 Save"), callback_data=encode(SaveTopics(mask, language)))]
    )
    if subscribed:
        rows.append([InlineKeyboardButton(_("🔕 Unsubscribe"), callback_data=STOP)])
    return "\n".join(lines), InlineKeyboardMarkup(rows)


def saved_text(t: Texts, topics: Sequence[str], language: str) -> str:
    _ = t.gettext
    return "\n".join(
        [
            _("✅ <b>Saved.</b> You will get bulletins about: {topics}.").format(
                topics=", ".join(topic_name(t, topic) for topic in topics)
            ),
            _("Language: {language}.").format(language=LANGUAGE_NAMES[language]),
            _("Change them any time with /subscribe; stop with /unsubscribe."),
        ]
    )


def change_button(t: Texts) -> InlineKeyboardMarkup:
    return InlineKeyboardMarkup(
        [[InlineKeyboardButton(t.gettext("⚙️ Change topics"), callback_data=EDIT)]]
    )


def subscribe_button(t: Texts) -> InlineKeyboardMarkup:
    return InlineKeyboardMarkup(
        [[InlineKeyboardButton(t.gettext("📬 Subscribe to bulletins"), callback_data=OPEN)]]
    )


def unsubscribed_text(t: Texts) -> str:
    return t.gettext(
        "🔕 Done: you won't get any more bulletins. You can subscribe again any time with "
        "/subscribe."
    )


def not_subscribed_text(t: Texts) -> str:
    return t.gettext("You are not subscribed to bulletins.")


def receipt_keyboard(
    t: Texts, *, first: list[InlineKeyboardButton] | None = None, subscribed: bool = False
) -> InlineKeyboardMarkup:
    """Under a tip's receipt: `first` (the tip's own status), the offer to subscribe unless the
    resident already is, then the main menu without its own bulletins button (one is enough)."""
    offer = [InlineKeyboardButton(t.gettext("📬 Get safety bulletins"), callback_data=OPEN)]
    rows = [
        row
        for row in main_menu(t).inline_keyboard
        if not any(button.callback_data == MENU_BULLETINS for button in row)
    ]
    return InlineKeyboardMarkup(
        [*([first] if first else []), *([] if subscribed else [offer]), *rows]
    )


# Admins: refusals and usage --------------------------------------------------------------------


def topic_keys() -> str:
    return ", ".join(f"<code>{topic}</code>" for topic in TOPICS)


def target_usage(t: Texts) -> str:
    return t.gettext(
        "Name a topic (its next bulletin that its subscribers haven't had) or a bulletin. "
        "Topics: {topics}. Bulletins: /bulletins."
    ).format(topics=topic_keys())


def unknown_target(t: Texts, text: str) -> str:
    unknown = t.gettext("“{text}” is neither a topic nor a bulletin.")
    return unknown.format(text=esc(text[:60])) + "\n" + target_usage(t)


def sendat_usage(t: Texts, tz: str) -> str:
    return "\n".join(
        [
            t.gettext(
                "Send /sendat with a time ({tz}), then pick the bulletin — e.g. "
                "<code>/sendat 08:00</code> (today, or tomorrow if 08:00 has passed) or "
                "<code>/sendat 25/12 19:30</code> — or name it: <code>/sendat 08:00 drugs</code>."
            ).format(tz=tz),
            target_usage(t),
        ]
    )


WHEN_ERRORS = {
    "when": N_("Write the time as 08:00, or the date and time as 25/12 08:00."),
    "past": N_("That time has already passed."),
    "far": N_("That is more than a year away."),
}


def when_error(t: Texts, reason: str, tz: str) -> str:
    return t.gettext(WHEN_ERRORS.get(reason, WHEN_ERRORS["when"])) + "\n" + sendat_usage(t, tz)


def schedule_usage(t: Texts, tz: str) -> str:
    _ = t.gettext
    return "\n".join(
        [
            _("🗓 <b>New schedule</b>"),
            _(
                "Send /schedule with a rule of five fields — minute, hour, day of the month, "
                "month, day of the week (0 or 7 = Sunday) — in {tz} time, then what to send:"
            ).format(tz=tz),
            _("<code>/schedule 0 8 * * 1 online_fraud</code> — Mondays at 08:00"),
            _("<code>/schedule 30 18 1 * * never-share-otp</code> — the 1st of each month, 18:30"),
            target_usage(t),
        ]
    )


CRON_ERRORS = {
    "fields": N_("A rule has five fields, then what to send."),
    "both_days": N_(
        "Give a day of the month or a day of the week, not both: cron would send on either, "
        "which is rarely what is meant."
    ),
    "field": N_("That rule is not valid: {detail}"),
    "never": N_("That rule never fires."),
    "too_often": N_(
        "That rule would send more than once an hour. Subscribers want few messages: use fixed "
        "times, e.g. <code>0 8 * * 1</code> (Mondays, 08:00)."
    ),
}


def cron_error(t: Texts, error: CronError, tz: str) -> str:
    text = t.gettext(CRON_ERRORS.get(error.reason, CRON_ERRORS["field"]))
    return text.format(detail=esc(error.detail)) + "\n\n" + schedule_usage(t, tz)


# Admins: writing a bulletin --------------------------------------------------------------------


def compose_usage(t: Texts) -> str:
    _ = t.gettext
    return "\n".join(
        [
            _("📝 <b>Write a bulletin</b>"),
            _("Send /newbulletin, the title on the next line, then the text, in one message:"),
            "<code>/newbulletin\n" + esc(_("Title")) + "\n" + esc(_("Text…")) + "</code>",
            _(
                "Bold, italic, underline and links you set in Telegram are kept. Then choose "
                "its topic and language, and save."
            ),
            _(
                "For the other language of a bulletin, put its name after the command: "
                "<code>/newbulletin fake-officials-calls</code>."
            ),
        ]
    )


COMPOSE_ERRORS = {
    "title_long": N_("The title has {detail} characters; keep it under {limit}."),
    "html": N_(
        "Telegram would refuse this formatting ({detail}). Use only bold, italic, underline and "
        "https links."
    ),
    "too_long": N_(
        "The bulletin has {detail} characters; the limit is {limit}. Short bulletins get read."
    ),
    "unknown_slug": N_("There is no bulletin <code>{detail}</code>. See /bulletins."),
    "library": N_(
        "<code>{detail}</code> is a library bulletin in this language: library texts are "
        "changed in their files."
    ),
    "topic": N_("Choose a topic first."),
    "language": N_("Choose a language first."),
}


def compose_error(t: Texts, error: ComposeError) -> str:
    if error.reason not in COMPOSE_ERRORS:
        return compose_usage(t)
    limit = MAX_TITLE if error.reason == "title_long" else MAX_TEXT
    return t.gettext(COMPOSE_ERRORS[error.reason]).format(
        detail=esc(error.detail), limit=t.number(limit)
    )


def draft_text(t: Texts, draft: dict) -> str:
    _ = t.gettext
    language = LANGUAGE_NAMES.get(draft.get("language") or "", "—")
    if draft.get("slug"):
        head = _("📝 <b>Another language of</b> <code>{slug}</code>").format(slug=draft["slug"])
        lines = [head, _("Language: {language}").format(language=language)]
    else:
        topic = draft.get("topic")
        lines = [
            _("📝 <b>New bulletin</b>: “{title}”").format(title=esc(draft["title"])),
            _("Language: {language}").format(language=language),
            _("Topic: {topic}").format(topic=topic_name(t, topic) if topic else "—"),
        ]
    lines.append(_("The message above is how subscribers will see it. Save it to use it."))
    return "\n".join(lines)


def draft_keyboard(t: Texts, draft: dict) -> InlineKeyboardMarkup:
    _ = t.gettext
    rows = [
        [
            InlineKeyboardButton(
                ("✓ " if draft.get("language") == code else "") + name,
                callback_data=encode(DraftLanguage(code)),
            )
            for code, name in LANGUAGE_NAMES.items()
        ]
    ]
    if not draft.get("slug"):
        for i in range(0, len(TOPICS), 2):
            rows.append(
                [
                    InlineKeyboardButton(
                        ("✓ " if draft.get("topic") == topic else "") + topic_name(t, topic),
                        callback_data=encode(DraftTopic(TOPICS.index(topic))),
                    )
                    for topic in TOPICS[i : i + 2]
                ]
            )
    rows.append(
        [
            InlineKeyboardButton(_("💾 Save"), callback_data=encode(SaveDraft())),
            InlineKeyboardButton(_("✖ Discard"), callback_data=encode(DiscardDraftBulletin())),
        ]
    )
    return InlineKeyboardMarkup(rows)


def saved_bulletin_text(t: Texts, slug: str, created: bool) -> str:
    _ = t.gettext
    head = (
        _("✅ Bulletin <code>{slug}</code> saved.")
        if created
        else _("✅ <code>{slug}</code> updated.")
    ).format(slug=slug)
    return "\n".join(
        [
            head,
            _("Send it with <code>/sendnow {slug}</code>, or schedule it with /schedule.").format(
                slug=slug
            ),
        ]
    )


# Admins: the library ---------------------------------------------------------------------------


def catalogue_pages(t: Texts, entries: Sequence[CatalogueEntry], when) -> list[str]:
    """The library by topic, as as many messages as it needs: a topic's block is never split
    across two messages (the library outgrew one message of Telegram's 4096 characters)."""
    _ = t.gettext
    header = [
        _("📚 <b>Bulletins</b> ({count})").format(count=t.number(len(entries))),
        _(
            "Send one with /sendnow, plan one with /sendat, schedule with /schedule, write your "
            "own with /newbulletin."
        ),
    ]
    blocks = []
    for topic in TOPICS:
        of_topic = [e for e in entries if e.topic == topic]
        if not of_topic:
            continue
        block = [f"<b>{topic_name(t, topic)}</b> · <code>{topic}</code>"]
        for entry in of_topic:
            title = entry.titles.get(t.language) or next(iter(entry.titles.values()))
            languages = ", ".join(sorted(entry.titles))
            sent = (
                _("last sent {time}").format(time=when(entry.last_sent_at))
                if entry.last_sent_at
                else _("never sent")
            )
            mine = " ✍️" if entry.source == "admin" else ""
            block.append(f"• <code>{entry.slug}</code>{mine} — {esc(title)} ({languages}) · {sent}")
        blocks.append(block)
    return pack_pages(header, blocks)


def pack_pages(header: list[str], blocks: list[list[str]]) -> list[str]:
    """The header, then the blocks, as few messages as Telegram's limit allows: a block starts a
    new message rather than being split, unless it is too long for one message by itself."""
    pages: list[list[str]] = []
    page = header
    for block in blocks:
        if fits([*page, "", *block]):
            page = [*page, "", *block]
        elif fits(block):
            pages.append(page)
            page = block
        else:  # longer than a message by itself: it goes on line by line
            for line in ["", *block]:
                if not fits([*page, line]):
                    pages.append(page)
                    page = []
                if page or line:
                    page.append(line)
    pages.append(page)
    return [fit_lines(lines, "…") for lines in pages if lines]


def fits(lines: list[str]) -> bool:
    return utf16_len("\n".join(lines)) <= MAX_MESSAGE


# Admins: sending -------------------------------------------------------------------------------


def what(t: Texts, target: Target, title: str | None) -> str:
    """A bulletin as “Title” (Topic); a topic as "the next bulletin of Topic (now: “Title”)"."""
    _ = t.gettext
    if target.slug is not None:
        return _("“{title}” ({topic})").format(
            title=esc(title or target.slug), topic=topic_name(t, target.topic)
        )
    if title is None:
        return _("the next bulletin of {topic} (none yet)").format(
            topic=topic_name(t, target.topic)
        )
    return _("the next bulletin of {topic} (now: “{title}”)").format(
        topic=topic_name(t, target.topic), title=esc(title)
    )


# The picker of /sendnow and /sendat without a name: topic -> bulletin -> preview -> Send. Its
# buttons carry the moment to send (0: now) and the choice (handlers/callbacks.py).


def preview_data(send_at: int, target: str) -> str | None:
    """The button data of a bulletin (or a topic's next one); None for a name too long or too
    odd for a button (it can still be typed)."""
    try:
        return encode(PreviewBulletin(send_at, target))
    except ValueError:
        return None


def picker_question(t: Texts, when: str | None) -> str:
    _ = t.gettext
    if when is None:
        return _("📤 Which bulletin do you want to send now? Pick a topic:")
    return _("🗓 Which bulletin do you want to send at {time}? Pick a topic:").format(time=when)


def cancel_button(t: Texts) -> InlineKeyboardButton:
    return InlineKeyboardButton(t.gettext("✖ Cancel"), callback_data=encode(CancelSend()))


def picker_topics(
    t: Texts, entries: Sequence[CatalogueEntry], send_at: int, when: str | None
) -> tuple[str, InlineKeyboardMarkup]:
    """The topics that have bulletins, each with how many."""
    rows = []
    for index, topic in enumerate(TOPICS):
        count = sum(1 for e in entries if e.topic == topic)
        if count:
            label = f"{topic_name(t, topic)} ({t.number(count)})"
            rows.append(
                [InlineKeyboardButton(label, callback_data=encode(PickTopic(send_at, index)))]
            )
    rows.append([cancel_button(t)])
    return picker_question(t, when), InlineKeyboardMarkup(rows)


def entry_title(t: Texts, entry: CatalogueEntry) -> str:
    """The title in the admin's language, else in the bulletin's other language."""
    return entry.titles.get(t.language) or next(iter(entry.titles.values()))


def picker_bulletins(
    t: Texts,
    topic: str,
    entries: Sequence[CatalogueEntry],
    next_slug: str | None,
    send_at: int,
    when: str | None,
) -> tuple[str, InlineKeyboardMarkup]:
    """One topic's bulletins by title, the one its subscribers have not had yet first."""
    _ = t.gettext
    rows = []
    by_slug = {e.slug: e for e in entries}
    next_data = preview_data(send_at, topic)
    if next_slug in by_slug and next_data is not None:
        label = _("⏭ Next not yet sent: {title}").format(title=entry_title(t, by_slug[next_slug]))
        rows.append([InlineKeyboardButton(label, callback_data=next_data)])
    for entry in entries:
        data = preview_data(send_at, entry.slug)
        if data is not None:  # a slug too long for a button: the admin types its name
            rows.append([InlineKeyboardButton(entry_title(t, entry), callback_data=data)])
    rows.append(
        [
            InlineKeyboardButton(_("⬅️ Topics"), callback_data=encode(PickTopics(send_at))),
            cancel_button(t),
        ]
    )
    text = "\n".join(
        [
            picker_question(t, when),
            _("<b>{topic}</b>: which bulletin?").format(topic=topic_name(t, topic)),
        ]
    )
    return text, InlineKeyboardMarkup(rows)


def preview_heading(t: Texts, language: str) -> str:
    return t.gettext("👁 Preview — exactly as subscribers who read {language} will see it:").format(
        language=LANGUAGE_NAMES.get(language, language)
    )


def quiet_note(t: Texts, quiet: QuietHours, starts: str) -> str:
    return t.gettext("It is quiet hours ({hours}): sending starts at {time}.").format(
        hours=quiet.label(), time=starts
    )


def confirm_now_text(t: Texts, description: str, count: int, note: str | None) -> str:
    _ = t.gettext
    lines = [
        _("📤 Send {what} to {count} subscribers now?").format(
            what=description, count=t.number(count)
        )
    ]
    return "\n".join([*lines, note] if note else lines)


def confirm_at_text(t: Texts, description: str, when: str, count: int) -> str:
    return t.gettext("🗓 Send {what} at {time}? It has {count} subscribers now.").format(
        what=description, time=when, count=t.number(count)
    )


def confirm_keyboard(t: Texts, data: str) -> InlineKeyboardMarkup:
    _ = t.gettext
    return InlineKeyboardMarkup(
        [
            [
                InlineKeyboardButton(_("📤 Send"), callback_data=data),
                InlineKeyboardButton(_("✖ Cancel"), callback_data=encode(CancelSend())),
            ]
        ]
    )


def started_text(t: Texts, broadcast_id: int, count: int) -> str:
    return t.gettext(
        "📤 Broadcast #{id} started, to {count} subscribers. Follow it with /broadcasts."
    ).format(id=broadcast_id, count=t.number(count))


def planned_text(t: Texts, planned_id: int, when: str) -> str:
    return t.gettext("🗓 Planned as #{id}, for {time}. See /schedules.").format(
        id=planned_id, time=when
    )


def nothing_to_send(t: Texts) -> str:
    return t.gettext("There is no bulletin to send for that topic yet. Write one: /newbulletin.")


def cancelled_text(t: Texts) -> str:
    return t.gettext("Cancelled. Nothing was sent.")


# Admins: schedules -----------------------------------------------------------------------------


def schedule_created_text(
    t: Texts, schedule_id: int, description: str, expression: str, upcoming: Sequence[str],
    tz: str, quiet_hit: QuietHours | None,
) -> str:  # fmt: skip
    _ = t.gettext
    lines = [
        _("🗓 Schedule #{id} created: {what}, <code>{cron}</code> ({tz}).").format(
            id=schedule_id, what=description, cron=esc(expression), tz=tz
        ),
        _("Next: {times}.").format(times="; ".join(upcoming)),
    ]
    if quiet_hit is not None:
        lines.append(
            _("Some of these fall in quiet hours ({hours}): they wait until those end.").format(
                hours=quiet_hit.label()
            )
        )
    return "\n".join(lines)


def schedule_buttons(t: Texts, schedule_id: int, paused: bool) -> list[InlineKeyboardButton]:
    _ = t.gettext
    flip: type[PauseSchedule | ResumeSchedule]
    if paused:
        label, flip = _("▶️ Resume #{id}"), ResumeSchedule
    else:
        label, flip = _("⏸ Pause #{id}"), PauseSchedule
    toggle = InlineKeyboardButton(
        label.format(id=schedule_id), callback_data=encode(flip(schedule_id))
    )
    delete = InlineKeyboardButton(
        _("🗑 Delete #{id}").format(id=schedule_id),
        callback_data=encode(AskDeleteSchedule(schedule_id)),
    )
    return [toggle, delete]


def schedules_text(
    t: Texts,
    schedules: Sequence[tuple[Schedule, str, str | None]],
    planned: Sequence[tuple[PlannedSend, str, str]],
    tz: str,
) -> str:
    """``schedules``: (schedule, what it sends, its next time or None); ``planned``: (planned
    send, what, when)."""
    _ = t.gettext
    lines = [_("🗓 <b>Schedules</b> (times in {tz})").format(tz=tz)]
    if not schedules:
        lines.append(_("None yet: create one with /schedule."))
    for schedule, description, upcoming in schedules:
        state = _("⏸ paused") if schedule.paused else _("▶️ next {time}").format(time=upcoming)
        lines.append(
            f"#{schedule.id} · <code>{esc(schedule.cron)}</code> · {description} · {state}"
        )
    lines += ["", _("<b>Planned sends</b>")]
    if not planned:
        lines.append(_("None: plan one with /sendat."))
    for send, description, when in planned:
        lines.append(f"#{send.id} · {when} · {description}")
    return fit_lines(lines, "…")


def schedules_keyboard(
    t: Texts, schedules: Sequence[Schedule], planned: Sequence[PlannedSend]
) -> InlineKeyboardMarkup | None:
    _ = t.gettext
    rows = [schedule_buttons(t, s.id, s.paused) for s in schedules[:30]]
    rows += [
        [
            InlineKeyboardButton(
                _("✖ Cancel send #{id}").format(id=p.id),
                callback_data=encode(CancelPlannedSend(p.id)),
            )
        ]
        for p in planned[:20]
    ]
    return InlineKeyboardMarkup(rows) if rows else None


def delete_schedule_question(t: Texts, schedule_id: int) -> tuple[str, InlineKeyboardMarkup]:
    _ = t.gettext
    return (
        _("Delete schedule #{id}? Broadcasts it started are kept.").format(id=schedule_id),
        InlineKeyboardMarkup(
            [
                [
                    InlineKeyboardButton(
                        _("🗑 Yes, delete"), callback_data=encode(DeleteSchedule(schedule_id))
                    ),
                    InlineKeyboardButton(_("↩️ No"), callback_data=encode(ListSchedules())),
                ]
            ]
        ),
    )


SCHEDULE_DONE = {
    "pause": N_("⏸ Schedule #{id} paused."),
    "resume": N_("▶️ Schedule #{id} resumed."),
    "delete": N_("🗑 Schedule #{id} deleted."),
    "unplan": N_("✖ Planned send #{id} cancelled."),
    "gone": N_("#{id} no longer exists or has already changed."),
}


def schedule_done(t: Texts, what: str, item_id: int) -> str:
    return t.gettext(SCHEDULE_DONE[what]).format(id=item_id)


# Admins: broadcasts under way ------------------------------------------------------------------


def duration(t: Texts, seconds: float) -> str:
    _ = t.gettext
    seconds = max(0, round(seconds))
    hours, rest = divmod(seconds, 3600)
    minutes, secs = divmod(rest, 60)
    if hours:
        return _("{hours} h {minutes} min").format(hours=hours, minutes=minutes)
    if minutes:
        return _("{minutes} min {seconds} s").format(minutes=minutes, seconds=secs)
    return _("{seconds} s").format(seconds=secs)


def counts(t: Texts, progress: Progress) -> str:
    _ = t.gettext
    parts = [
        _("✅ sent {n}").format(n=t.number(progress.sent)),
        _("⚠️ failed {n}").format(n=t.number(progress.failed)),
        _("🔕 blocked {n}").format(n=t.number(progress.blocked)),
    ]
    return " · ".join(parts)


def broadcast_line(
    t: Texts, broadcast: Broadcast, title: str, progress: Progress, state: str
) -> str:
    head = f"<b>#{broadcast.id}</b> · {topic_name(t, broadcast.topic)} · “{esc(title)}”"
    return f"{head}\n{state}\n{counts(t, progress)}"


def sending_state(t: Texts, progress: Progress, left: str, waits_until: str | None) -> str:
    _ = t.gettext
    state = _("▶️ sending: {remaining} left, about {time} more").format(
        remaining=t.number(progress.remaining), time=left
    )
    if waits_until:
        state += "\n" + _("⏸ waiting for quiet hours to end ({time})").format(time=waits_until)
    return state


def ended_state(t: Texts, broadcast: Broadcast, when: str) -> str:
    _ = t.gettext
    if broadcast.status == "cancelled":
        return _("✖ stopped {time}").format(time=when)
    return _("✔️ done {time}").format(time=when)


def broadcasts_text(t: Texts, lines: Sequence[str]) -> str:
    _ = t.gettext
    if not lines:
        return _("📤 No broadcasts yet. Start one with /sendnow or /schedule.")
    return fit_lines([_("📤 <b>Broadcasts</b>"), *("\n" + line for line in lines)], "…")


def broadcasts_keyboard(t: Texts, under_way: Sequence[int]) -> InlineKeyboardMarkup:
    _ = t.gettext
    rows = [[InlineKeyboardButton(_("🔄 Refresh"), callback_data=encode(ListBroadcasts()))]]
    rows += [
        [
            InlineKeyboardButton(
                _("✖ Stop #{id}").format(id=b), callback_data=encode(AskStopBroadcast(b))
            )
        ]
        for b in under_way[:20]
    ]
    return InlineKeyboardMarkup(rows)


def stop_broadcast_question(t: Texts, broadcast_id: int) -> tuple[str, InlineKeyboardMarkup]:
    _ = t.gettext
    return (
        _("Stop broadcast #{id}? Subscribers who have not got it yet won't get it.").format(
            id=broadcast_id
        ),
        InlineKeyboardMarkup(
            [
                [
                    InlineKeyboardButton(
                        _("✖ Yes, stop it"), callback_data=encode(StopBroadcast(broadcast_id))
                    ),
                    InlineKeyboardButton(_("↩️ No"), callback_data=encode(ListBroadcasts())),
                ]
            ]
        ),
    )


def broadcast_stopped(t: Texts, broadcast_id: int, stopped: bool) -> str:
    _ = t.gettext
    if stopped:
        return _("✖ Broadcast #{id} stopped.").format(id=broadcast_id)
    return _("Broadcast #{id} had already ended.").format(id=broadcast_id)


# Admins: notices (through the outbox) ----------------------------------------------------------


def summary_notice(t: Texts, broadcast: Broadcast, title: str, took: str) -> str:
    _ = t.gettext
    progress = Progress.of(broadcast, {})
    return "\n".join(
        [
            _("📬 <b>Broadcast #{id} finished</b>: “{title}” ({topic}).").format(
                id=broadcast.id, title=esc(title), topic=topic_name(t, broadcast.topic)
            ),
            _(
                "✅ Delivered: {sent} · 🔕 Blocked the bot, now unsubscribed: {blocked} · "
                "⚠️ Failed: {failed}"
            ).format(
                sent=t.number(progress.sent),
                blocked=t.number(progress.blocked),
                failed=t.number(progress.failed),
            ),
            _("Took {time}.").format(time=took),
        ]
    )


def schedule_empty_notice(t: Texts, schedule_id: int, topic: str) -> str:
    return t.gettext(
        "🗓 Schedule #{id} had nothing to send: {topic} has no bulletins. Write one with "
        "/newbulletin."
    ).format(id=schedule_id, topic=topic_name(t, topic))


def planned_missed_notice(t: Texts, planned_id: int, topic: str, when: str) -> str:
    return t.gettext(
        "🗓 Planned send #{id} ({topic}, {time}) did not go out: the bot was offline for too "
        "long, or there was nothing to send."
    ).format(id=planned_id, topic=topic_name(t, topic), time=when)


def refused_notice(t: Texts, broadcast_id: int) -> str:
    return t.gettext(
        "⚠️ Broadcast #{id} was stopped: Telegram refused the bulletin itself. Check its text."
    ).format(id=broadcast_id)
