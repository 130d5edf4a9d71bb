"""Bulletins as services: the library in the database, subscriptions, admins' own bulletins,
what a send targets, one-off sends (now or at a time) and schedules.

Admin actions are authorised by the caller (bot/authz.admin) and audited here, in the same
transaction as the change. A subscriber is a chat and its topics, nothing more: nothing here
reads or writes a pseudonym or a tip next to a subscription, and nothing logs a chat id.
"""

from __future__ import annotations

import logging
import re
import unicodedata
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

from bot.authz import record
from bot.bulletin_library import (
    DEFAULT_PATH,
    TOPICS,
    BulletinFormatError,
    load_library,
    telegram_html_problem,
    visible_text,
)
from bot.cron import CronRule
from bot.i18n import LANGUAGES
from bot.quiet_hours import quiet_hours_of
from bot.runtime import Runtime
from storage import broadcasts, bulletins, outbox, pending, subscribers
from storage.broadcasts import Broadcast as Broadcast
from storage.broadcasts import Progress as Progress
from storage.bulletins import Bulletin as Bulletin
from storage.bulletins import CatalogueEntry as CatalogueEntry
from storage.bulletins import PlannedSend as PlannedSend
from storage.bulletins import Schedule as Schedule
from storage.outbox import OutboxKind
from storage.subscribers import Subscriber

log = logging.getLogger(__name__)

MAX_TITLE = 120
# Visible characters of title and body together: Telegram's 4096 less room for the frame the
# views put around a bulletin (topic line, footer).
MAX_TEXT = 3800
CATCH_UP = 6 * 3600  # a slot or planned send missed by at most this much (bot down) still goes
EARLY = 5  # seconds: a cron job woken a moment early still finds its slot
SLUG_LENGTH = 40
_SLUG = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")
_COMMAND = re.compile(r"^\s*/[A-Za-z0-9_]+(?:@\w+)?")
_LOOSE_AMPERSAND = re.compile(r"&(?!(?:lt|gt|amp|quot);|#[0-9]+;|#x[0-9a-fA-F]+;)")
_TYPED_TAG = re.compile(r"</?(?:b|i|u|a)(?:\s[^<>]*)?>", re.IGNORECASE)
_VIETNAMESE = re.compile(
    "[ăâđêôơưạảấầẩẫậắằẳẵặẹẻẽếềểễệỉịọỏốồổỗộớờởỡợụủứừửữựỳỵỷỹàáãèéìíòóõùúýĩũ]", re.IGNORECASE
)


# The library -----------------------------------------------------------------------------------


async def load_library_into_db(runtime: Runtime, path: Path = DEFAULT_PATH) -> None:
    """At every start: the library files into the database (idempotent; a changed file updates
    its row). A malformed file is logged and the library left as it was: the bot still runs."""
    try:
        library = load_library(path)
    except (BulletinFormatError, FileNotFoundError) as error:
        log.error("event=bulletin_library_invalid error=%s", error)
        return
    result = await bulletins.sync_library(
        runtime.db,
        [bulletins.LibraryText(b.slug, b.language, b.topic, b.title, b.body_html) for b in library],
        now=runtime.now(),
    )
    log.info(
        "event=bulletin_library_synced files=%d added=%d updated=%d removed=%d",
        len(library),
        result.added,
        result.updated,
        result.removed,
    )


async def catalogue(runtime: Runtime) -> list[CatalogueEntry]:
    """Every bulletin once (the library's and the admins'), with its titles and when it was last
    broadcast."""
    return await bulletins.catalogue(runtime.db)


async def versions_of(runtime: Runtime, slug: str) -> dict[str, Bulletin]:
    """A bulletin's texts by language; empty for a slug that names none."""
    return await bulletins.languages_of(runtime.db, slug)


# Subscriptions ---------------------------------------------------------------------------------


async def save_subscription(
    runtime: Runtime, chat_id: int, language: str, topics: list[str]
) -> Subscriber | None:
    """The chat's topics become exactly ``topics``; none at all means unsubscribed (None)."""
    chosen = [topic for topic in TOPICS if topic in topics]
    if language not in LANGUAGES:
        raise ValueError(f"unsupported language {language!r}")
    if not chosen:
        await subscribers.unsubscribe(runtime.db, chat_id)
        return None
    return await subscribers.subscribe(runtime.db, chat_id, language, chosen)


async def unsubscribe(runtime: Runtime, chat_id: int) -> bool:
    """/unsubscribe or the Stop button: no more bulletins. True if the chat was subscribed."""
    return await subscribers.unsubscribe(runtime.db, chat_id)


async def bot_blocked(runtime: Runtime, chat_id: int) -> bool:
    """The person blocked the bot: no more bulletins, and broadcasts under way skip them. True
    if they were subscribed. Unblocking later does not subscribe them again."""
    stopped = await subscribers.unsubscribe(runtime.db, chat_id)
    if stopped:
        log.info("event=subscriber_blocked_bot")
    return stopped


async def active_subscription(runtime: Runtime, chat_id: int) -> Subscriber | None:
    found = await subscribers.get(runtime.db, chat_id)
    return found if found is not None and found.active else None


async def audience(runtime: Runtime, topic: str) -> int:
    """How many chats a send of this topic reaches now: its active subscribers."""
    return await subscribers.count_active(runtime.db, topic)


# What a send targets ---------------------------------------------------------------------------


@dataclass(frozen=True)
class Target:
    topic: str  # whose subscribers receive it
    slug: str | None  # None: the topic's next bulletin its subscribers have not had

    def key(self) -> str:
        return self.slug or self.topic


async def resolve_target(runtime: Runtime, text: str) -> Target | None:
    """A topic key ("online_fraud") or a bulletin's slug."""
    text = text.strip().lower()
    if text in TOPICS:
        return Target(text, None)
    found = await bulletins.languages_of(runtime.db, text) if _SLUG.match(text) else {}
    if not found:
        return None
    return Target(next(iter(found.values())).topic, text)


async def slug_for(runtime: Runtime, target: Target) -> str | None:
    """The bulletin a send of ``target`` would send now."""
    if target.slug is not None:
        return target.slug if await bulletins.languages_of(runtime.db, target.slug) else None
    return await bulletins.next_for_audience(runtime.db, target.topic)


async def title_of(runtime: Runtime, slug: str, language: str) -> str:
    versions = await bulletins.languages_of(runtime.db, slug)
    chosen = versions.get(language) or next(iter(versions.values()), None)
    return chosen.title if chosen else slug


# Starting broadcasts ---------------------------------------------------------------------------


async def start_broadcast(
    runtime: Runtime,
    slug: str,
    topic: str,
    *,
    actor_id: int | None,
    created_by: int | None,
    run_key: str | None,
    schedule_id: int | None = None,
    why: str,
) -> int | None:
    """The broadcast and one delivery row per active subscriber of the topic, the channel post
    and the audit row, in one transaction. None if ``run_key`` was used before."""
    db = runtime.db
    async with db.transaction():
        broadcast_id = await broadcasts.create(
            db,
            slug,
            topic,
            created_by=created_by,
            schedule_id=schedule_id,
            run_key=run_key,
            now=runtime.now(),
        )
        if broadcast_id is None:
            return None
        if runtime.config.channel_id is not None:
            await broadcasts.want_channel_post(
                db, slug, str(runtime.config.channel_id), broadcast_id
            )
        await record(
            runtime, "broadcast.start", actor_id, broadcast=broadcast_id, slug=slug, topic=topic,
            via=why,
        )  # fmt: skip
    log.info("event=broadcast_created broadcast=%d via=%s", broadcast_id, why)
    return broadcast_id


@dataclass(frozen=True)
class BroadcastState:
    """A recent broadcast as admins see it in /broadcasts."""

    broadcast: Broadcast
    progress: Progress
    title: str  # in the language asked for
    seconds_left: int | None  # while sending: until the last message is expected to leave
    quiet_until: int | None  # while sending in quiet hours: when they end and sending resumes


async def recent_broadcasts(runtime: Runtime, language: str) -> list[BroadcastState]:
    """The recent broadcasts, with how long those under way will take: they are sent in order,
    so each waits for the backlog of those before it, at the configured rate, and quiet hours
    pause them."""
    now, quiet = runtime.now(), quiet_hours_of(runtime.config)
    states, backlog = [], 0
    for broadcast in await broadcasts.list_recent(runtime.db):
        progress = await broadcasts.progress_of(runtime.db, broadcast)
        title = await title_of(runtime, broadcast.slug, language)
        seconds_left = quiet_until = None
        if broadcast.status == "sending":
            backlog += progress.remaining  # sent in order: older broadcasts go first
            work = backlog / runtime.config.broadcast_rate
            finish = quiet.finish_time(now, work) if quiet else int(now + work)
            seconds_left = finish - now
            if quiet and quiet.contains(now):
                quiet_until = quiet.ends_at(now)
        states.append(BroadcastState(broadcast, progress, title, seconds_left, quiet_until))
    return states


async def broadcast(runtime: Runtime, broadcast_id: int) -> Broadcast | None:
    return await broadcasts.get(runtime.db, broadcast_id)


async def cancel_broadcast(runtime: Runtime, admin_id: int | None, broadcast_id: int) -> bool:
    """Stops a broadcast; `admin_id` None when the engine stops it itself."""
    async with runtime.db.transaction():
        if not await broadcasts.cancel(runtime.db, broadcast_id, now=runtime.now()):
            return False
        await broadcasts.summarise(runtime.db, broadcast_id)
        await record(runtime, "broadcast.cancel", admin_id, broadcast=broadcast_id)
    return True


async def notify_admin(runtime: Runtime, admin_id: int | None, key: str, **payload) -> None:
    """A notice about bulletins for one admin, through the outbox (so it survives a crash); the
    caller wakes the outbox after its transaction."""
    if admin_id is None:
        return
    await outbox.enqueue(
        runtime.db,
        OutboxKind.BULLETIN_NOTICE,
        payload,
        chat_id=admin_id,
        dedupe_key=f"bulletin_notice:{key}",
        now=runtime.now(),
    )


# Planned one-off sends -------------------------------------------------------------------------


async def plan_send(
    runtime: Runtime, admin_id: int, target: Target, send_at: int, *, request_key: str
) -> int | None:
    async with runtime.db.transaction():
        planned_id = await bulletins.plan_send(
            runtime.db,
            target.topic,
            target.slug,
            send_at,
            request_key=request_key,
            created_by=admin_id,
            now=runtime.now(),
        )
        if planned_id is not None:
            await record(
                runtime, "broadcast.plan", admin_id, planned=planned_id, topic=target.topic,
                slug=target.slug, send_at=send_at,
            )  # fmt: skip
    return planned_id


async def planned_sends(runtime: Runtime) -> list[PlannedSend]:
    """The sends still waiting for their time, soonest first."""
    return await bulletins.list_planned(runtime.db)


async def cancel_planned(runtime: Runtime, admin_id: int, planned_id: int) -> bool:
    async with runtime.db.transaction():
        done = await bulletins.settle_planned(runtime.db, planned_id, "cancelled")
        if done:
            await record(runtime, "broadcast.unplan", admin_id, planned=planned_id)
    return done


async def start_due_planned(runtime: Runtime) -> list[int]:
    """Planned sends whose time has come start now (once: the run key is the plan's id). One
    missed by more than CATCH_UP, or with nothing left to send, is dropped and its admin told."""
    started = []
    now = runtime.now()
    for planned in await bulletins.due_planned(runtime.db, now=now):
        target = Target(planned.topic, planned.slug)
        slug = await slug_for(runtime, target) if now - planned.send_at <= CATCH_UP else None
        if slug is None:
            async with runtime.db.transaction():
                if await bulletins.settle_planned(runtime.db, planned.id, "missed"):
                    await notify_admin(
                        runtime, planned.created_by, f"missed:{planned.id}",
                        template="planned_missed", planned_id=planned.id, topic=planned.topic,
                        send_at=planned.send_at,
                    )  # fmt: skip
            continue
        async with runtime.db.transaction():
            broadcast_id = await start_broadcast(
                runtime, slug, planned.topic, actor_id=None, created_by=planned.created_by,
                run_key=f"planned:{planned.id}", why="planned",
            )  # fmt: skip
            await bulletins.settle_planned(
                runtime.db, planned.id, "started", broadcast_id=broadcast_id
            )
        if broadcast_id is not None:
            started.append(broadcast_id)
    runtime.wake_outbox()
    return started


# Schedules -------------------------------------------------------------------------------------


async def schedules(runtime: Runtime) -> list[Schedule]:
    return await bulletins.list_schedules(runtime.db)


async def schedule(runtime: Runtime, schedule_id: int) -> Schedule | None:
    return await bulletins.get_schedule(runtime.db, schedule_id)


async def create_schedule(runtime: Runtime, admin_id: int, rule: CronRule, target: Target) -> int:
    async with runtime.db.transaction():
        schedule_id = await bulletins.add_schedule(
            runtime.db,
            rule.expression,
            target.topic,
            slug=target.slug,
            created_by=admin_id,
            now=runtime.now(),
        )
        await record(
            runtime, "schedule.create", admin_id, schedule=schedule_id, cron=rule.expression,
            topic=target.topic, slug=target.slug,
        )  # fmt: skip
    return schedule_id


async def pause_schedule(runtime: Runtime, admin_id: int, schedule_id: int, paused: bool) -> bool:
    async with runtime.db.transaction():
        done = await bulletins.pause_schedule(runtime.db, schedule_id, paused, now=runtime.now())
        if done:
            action = "schedule.pause" if paused else "schedule.resume"
            await record(runtime, action, admin_id, schedule=schedule_id)
    return done


async def delete_schedule(runtime: Runtime, admin_id: int, schedule_id: int) -> bool:
    async with runtime.db.transaction():
        done = await bulletins.delete_schedule(runtime.db, schedule_id)
        if done:
            await record(runtime, "schedule.delete", admin_id, schedule=schedule_id)
    return done


async def fire_schedule(runtime: Runtime, schedule_id: int, rule: CronRule) -> int | None:
    """The schedule's latest slot, if it has not been dealt with: its broadcast starts (once,
    even across restarts: the run key names the slot). Called by the cron job at the slot, and
    at start for a slot missed while the bot was down (up to CATCH_UP ago)."""
    db = runtime.db
    schedule = await bulletins.get_schedule(db, schedule_id)
    if schedule is None or schedule.paused:
        return None
    now = runtime.now()
    since = max(schedule.created_at, schedule.last_slot_at or 0, now - CATCH_UP)
    slot = rule.latest_slot(at=now + EARLY, since=since)
    if slot is None:
        return None
    slug = await slug_for(runtime, Target(schedule.topic, schedule.slug))
    async with db.transaction():
        await bulletins.set_last_slot(db, schedule_id, slot)
        if slug is None:
            await notify_admin(
                runtime, schedule.created_by, f"empty:{schedule_id}:{slot}",
                template="schedule_empty", schedule_id=schedule_id, topic=schedule.topic,
            )  # fmt: skip
        else:
            broadcast_id = await start_broadcast(
                runtime, slug, schedule.topic, actor_id=None, created_by=schedule.created_by,
                schedule_id=schedule_id, run_key=f"schedule:{schedule_id}:{slot}", why="schedule",
            )  # fmt: skip
    runtime.wake_outbox()
    return None if slug is None else broadcast_id


# Admins' own bulletins -------------------------------------------------------------------------


class ComposeError(ValueError):
    """What is wrong with a bulletin an admin wrote. ``reason`` is a key the views translate."""

    def __init__(self, reason: str, detail: str = "") -> None:
        super().__init__(f"{reason}: {detail}" if detail else reason)
        self.reason, self.detail = reason, detail


@dataclass(frozen=True)
class Composed:
    slug: str | None  # named after the command: another language of that bulletin
    title: str  # plain text
    body: str  # Telegram HTML
    language: str  # a guess from the text; the admin can change it


def message_html(text: str, text_html: str, formatted: bool) -> str:
    """The admin's message as HTML: the formatting they set in Telegram (bold, italic, links),
    or, when they set none and typed tags themselves, those tags with the rest escaped (a typed
    "&" or "<" is meant as text)."""
    if formatted or not _TYPED_TAG.search(text):
        return text_html
    pieces, last = [], 0
    for tag in _TYPED_TAG.finditer(text):
        pieces += [_escape_text(text[last : tag.start()]), tag[0]]
        last = tag.end()
    return "".join([*pieces, _escape_text(text[last:])])


def _escape_text(text: str) -> str:
    text = _LOOSE_AMPERSAND.sub("&amp;", text)
    return text.replace("<", "&lt;").replace(">", "&gt;")


def compose(message: str) -> Composed:
    """Reads ``/newbulletin [slug]``, a title line and the body lines; ComposeError if it
    cannot be a bulletin (no title or body, not Telegram's HTML, too long)."""
    command = _COMMAND.match(message)
    rest = message[command.end() :] if command else message
    first, _, text = rest.partition("\n")
    argument = visible_text(first).strip()
    slug = argument.lower() if _SLUG.match(argument.lower()) and " " not in argument else None
    if argument and slug is None:
        text = f"{first.strip()}\n{text}"  # "/newbulletin Title" on one line: a title
    lines = text.strip("\n").split("\n")
    title = " ".join(visible_text(lines[0]).split()) if lines and lines[0].strip() else ""
    body = "\n".join(lines[1:]).strip("\n").rstrip()
    if not title or not body:
        raise ComposeError("empty")
    if len(title) > MAX_TITLE:
        raise ComposeError("title_long", str(len(title)))
    if problem := telegram_html_problem(body, first_line=3):
        raise ComposeError("html", problem)
    length = _telegram_length(title) + 2 + _telegram_length(visible_text(body))
    if length > MAX_TEXT:
        raise ComposeError("too_long", str(length))
    return Composed(slug, title, body, guess_language(title + " " + body))


def _telegram_length(text: str) -> int:
    return len(text.encode("utf-16-le")) // 2  # Telegram counts UTF-16 code units


def guess_language(text: str) -> str:
    return "vi" if len(_VIETNAMESE.findall(visible_text(text))) >= 3 else "en"


def slugify(title: str) -> str:
    folded = unicodedata.normalize("NFD", title.replace("đ", "d").replace("Đ", "D"))
    ascii_only = "".join(c for c in folded if not unicodedata.combining(c)).lower()
    words = re.findall(r"[a-z0-9]+", ascii_only)
    slug = ""
    for word in words:
        if len(slug) + len(word) + 1 > SLUG_LENGTH:
            break
        slug = f"{slug}-{word}" if slug else word
    return slug or "bulletin"


@dataclass(frozen=True)
class Saved:
    slug: str
    language: str
    created: bool  # False: another language of an existing bulletin, or a rewrite


DRAFT_TTL = 24 * 3600  # an admin's composed bulletin waits a day for Save


def _draft_key(admin_id: int) -> str:
    return f"bulletin:{admin_id}"


async def keep_draft(runtime: Runtime, admin_id: int, draft: dict) -> None:
    """The bulletin an admin composed, waiting for its topic, language and Save."""
    await pending.put(runtime.db, _draft_key(admin_id), "bulletin_draft", draft, ttl=DRAFT_TTL)


async def draft_of(runtime: Runtime, admin_id: int) -> dict | None:
    waiting = await pending.get(runtime.db, _draft_key(admin_id))
    return waiting.data if waiting is not None and waiting.kind == "bulletin_draft" else None


async def drop_draft(runtime: Runtime, admin_id: int) -> None:
    await pending.clear(runtime.db, _draft_key(admin_id))


async def save_bulletin(
    runtime: Runtime, admin_id: int, composed: Composed, *, language: str, topic: str | None
) -> Saved:
    """Stores an admin's bulletin (audited). With a slug: another language of that bulletin,
    in its topic; library texts cannot be replaced. ComposeError says why not."""
    if language not in LANGUAGES:
        raise ComposeError("language")
    db = runtime.db
    async with db.transaction():
        if composed.slug is not None:
            versions = await bulletins.languages_of(db, composed.slug)
            if not versions:
                raise ComposeError("unknown_slug", composed.slug)
            existing = versions.get(language)
            if existing is not None and existing.source == "library":
                raise ComposeError("library", composed.slug)
            slug, topic, created = composed.slug, next(iter(versions.values())).topic, False
        else:
            if topic not in TOPICS:
                raise ComposeError("topic")
            base = slugify(composed.title)
            # Never a topic's key: "/sendnow fire" must stay the topic.
            taken = await bulletins.slugs_like(db, base) | set(TOPICS)
            slug = next(s for n in range(1, 10_000) if (s := _numbered(base, n)) not in taken)
            created = True
        await bulletins.write_admin_bulletin(
            db, slug, language, topic=topic, title=composed.title, body=composed.body,
            created_by=admin_id, now=runtime.now(),
        )  # fmt: skip
        action = "bulletin.create" if created else "bulletin.update"
        await record(runtime, action, admin_id, slug=slug, language=language, topic=topic)
    return Saved(slug, language, created)


def _numbered(base: str, n: int) -> str:
    return base if n == 1 else f"{base}-{n}"


# When a planned send goes --------------------------------------------------------------------

_TIME = re.compile(r"^([01]?\d|2[0-3])[:h]([0-5]\d)$")
_DAY_MONTH = re.compile(r"^(\d{1,2})/(\d{1,2})(?:/(\d{4}))?$")
_ISO_DATE = re.compile(r"^(\d{4})-(\d{1,2})-(\d{1,2})$")
MAX_AHEAD = 366 * 24 * 3600


def parse_when(words: list[str], tz: ZoneInfo, now: int) -> tuple[int, list[str]]:
    """'08:00' (today, or tomorrow once it has passed), '25/12 08:00' (this year, or next once
    it has passed), '25/12/2026 08:00' or '2026-12-25 08:00', in the province's time zone ->
    (unix time, the words after it). ValueError "when" if the words do not start with a date
    and time, "past" or "far" (more than a year ahead) otherwise."""
    today = datetime.fromtimestamp(now, tz).date()
    dated = bool(words) and bool(_DAY_MONTH.match(words[0]) or _ISO_DATE.match(words[0]))
    rest = words[1:] if dated else words
    clock = _TIME.match(rest[0].lower()) if rest else None
    if clock is None:
        raise ValueError("when")
    hour, minute = int(clock[1]), int(clock[2])

    def at(year: int, month: int, day: int) -> int:
        try:
            return int(datetime(year, month, day, hour, minute, tzinfo=tz).timestamp())
        except ValueError:
            raise ValueError("when") from None

    if not dated:
        send_at = at(today.year, today.month, today.day)
        if send_at <= now:
            tomorrow = today + timedelta(days=1)
            send_at = at(tomorrow.year, tomorrow.month, tomorrow.day)
    elif iso := _ISO_DATE.match(words[0]):
        send_at = at(int(iso[1]), int(iso[2]), int(iso[3]))
    elif day_month := _DAY_MONTH.match(words[0]):
        day, month = int(day_month[1]), int(day_month[2])
        send_at = at(int(day_month[3] or today.year), month, day)
        if day_month[3] is None and send_at <= now:
            send_at = at(today.year + 1, month, day)
    if send_at <= now:
        raise ValueError("past")
    if send_at - now > MAX_AHEAD:
        raise ValueError("far")
    return send_at, rest[1:]
