"""Bad input: a corpus of what people (and broken or hostile clients) send that the bot did not ask
for — at every step of a tip, from every role, in every kind of chat.

Each case is one line of CASES: who sends it, where they are (a step of a tip, or idle), what
they do, and what a Telegram user would expect back:
- REPROMPT: a clear word in their language and the current question again; the draft unchanged;
- KEPT: a file sent before its question is kept with the tip (and the question asked again);
- Reply(text) / Toast(text): that answer, in their language (the English msgid, translated);
- MOVED_ON: a valid answer, however odd its characters: stored, and the next question asked;
- SILENCE: nothing at all, where a bot that answered would be noise (groups, channels, edits…).
Whatever the case: no unhandled exception, every button press answered (the spinner stops),
and Telegram refuses nothing the bot sends (sandbox.errors stays empty).

One bot serves the whole corpus; each case gets fresh people, so no case leans on another.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

import pytest
import pytest_asyncio

from bot.anonymity import pseudonym
from bot.config import load_config, load_keys
from bot.i18n import texts
from bot.intake import Draft, Step
from handlers.intake_views import prompt
from sandbox.server import Sandbox
from storage import drafts, pending
from tests.conftest import TOKEN, RunningBot, bot_env
from tests.e2e.driver import text_of
from tests.reliability.conftest import log_to
from tests.reliability.plans import LANG_BIANG, XUAN_HUONG
from tests.reliability.support import (
    Resident,
    TipPlan,
    bot_messages,
    resident_name,
    rows,
    settle,
)
from tests.support.catalog import plain, said
from tests.support.officers import register_officer

pytestmark = pytest.mark.asyncio(loop_scope="module")
BOT = "tipbot_test_bot"
LONG = "Rất dài " * 512  # 4,096 characters: the most one message holds


# --- the drafts each step is probed at -----------------------------------------------------------
def draft_at(step: str) -> Draft:
    """A draft that has reached `step` the ordinary way (a crime tip; a fraud one for its own
    questions), so every question is probed in a realistic state."""
    fraud = step in ("channels", "phones", "accounts", "links", "loss")
    draft = Draft(category="fraud" if fraud else "crime", kind="tasks" if fraud else "drugs")
    if fraud:
        draft.channels = ["zalo"]
    else:
        draft.answer_when("now")
    order = [s.value for s in draft.sequence()]
    if step == "category":
        return Draft()
    if step in FROM_REVIEW:  # optional questions, asked from the review
        draft = draft_at("review")
        draft.start_edit(FROM_REVIEW[step])
        return draft
    for earlier in order[: order.index(step)]:
        match earlier:
            case "commune":
                draft.commune_code = XUAN_HUONG
            case "location":
                draft.location_skipped = True
            case "description":
                draft.description = "Có người bán ma túy sau chợ"
            case "urgent":
                draft.urgent = False
    draft.step = Step(step)
    return draft


FROM_REVIEW = {
    "contact": "contact", "location": "location", "attachments": "attachments",
    "urgent": "urgency",
}  # fmt: skip


# --- what people do ------------------------------------------------------------------------------
Act = Callable[["World", Any], Awaitable[str | None]]  # returns a callback query id, if any


def text(value: str) -> Act:
    async def act(w: World, user) -> None:
        await w.sb.send_text(user, value)

    return act


def media(kind: str) -> Act:
    async def act(w: World, user) -> None:
        match kind:
            case "sticker":
                await w.sb.send_sticker(user)
            case "photo":
                await w.sb.send_photo(user)
            case "voice":
                await w.sb.send_voice(user)
            case "video":
                await w.sb.send_video(user)
            case "document":
                await w.sb.send_document(user, b"%PDF-1.4 test", "hop-dong.pdf")
            case "location":
                await w.sb.send_location(user, 11.94, 108.44)
            case "contact":
                await w.sb.send_contact(user)

    return act


def tap(data: str) -> Act:
    """A callback with this data, pressed on the newest bot message of the chat (the data may be
    forged: a client can send anything). `{tip}`, `{code}`, `{officer}` name the corpus' tip."""

    async def act(w: World, user) -> str:
        message = bot_messages(w.sb, user.id)[-1]
        forged = data.format(tip=w.tip_id, code=w.tip_code, officer=w.officer.id)
        return await w.sb.press_callback(user, message["message_id"], forged)

    return act


def double_tap(data: str) -> Act:
    """Two taps on the same button before the bot answers the first (a slow connection)."""

    async def act(w: World, user) -> str:
        message = bot_messages(w.sb, user.id)[-1]
        await w.sb.press_callback(user, message["message_id"], data)
        return await w.sb.press_callback(user, message["message_id"], data)

    return act


def edit(first: str, then: str) -> Act:
    """The user sends `first`, sees the answer, then edits that message into `then`."""

    async def act(w: World, user) -> None:
        sent = await w.sb.send_text(user, first)
        await settle(w.bot)
        w.mark()  # the answer to `first` is not what the case is about
        await w.sb.edit_text(user, sent["message_id"], then)

    return act


def in_group(value: str, *, admin_bot: bool = True) -> Act:
    async def act(w: World, user) -> None:
        group = w.admin_group if admin_bot else w.member_group
        w.sb.add_member(group, user)
        w.watch = group.id
        if value == "<sticker>":
            await w.sb.send_sticker(user, chat=group)
        else:
            await w.sb.send_text(user, value, chat=group)

    return act


def in_channel(value: str, *, edit: bool = False) -> Act:
    async def act(w: World, user) -> None:
        w.watch = w.channel.id
        post = await w.sb.post_in_channel(w.channel_owner, w.channel, value)
        if edit:
            await w.sb.edit_channel_post(w.channel_owner, w.channel, post["message_id"], "sửa")

    return act


def other(kind: str) -> Act:
    """Updates that are not messages: inline queries, reactions, blocking the bot, groups."""

    async def act(w: World, user) -> None:
        match kind:
            case "inline":
                w.sb.inline_mode = True
                try:
                    await w.sb.inline_query(user, "ma túy")
                finally:
                    w.sb.inline_mode = False
            case "reaction":
                await w.sb.react(user, bot_messages(w.sb, user.id)[-1]["message_id"], "👍")
            case "block":
                w.sb.block(user)
                w.sb.unblock(user)
            case "join":
                w.watch = w.admin_group.id
                w.sb.add_member(w.admin_group, user)
            case "kick_bot":
                group = w.sb.add_group("Nhóm bỏ bot", [user], bot_status="administrator")
                w.watch = group.id
                w.sb.remove_bot(group, user)

    return act


# --- what they should get ------------------------------------------------------------------------
@dataclass(frozen=True)
class Expect:
    kind: str  # reprompt, kept, reply, toast, moved_on, silence
    msgid: str = ""
    changes_draft: bool = False

    def __repr__(self) -> str:
        return f"{self.kind}({self.msgid[:30]})" if self.msgid else self.kind


REPROMPT = Expect("reprompt")
KEPT = Expect("kept", changes_draft=True)
MOVED_ON = Expect("moved_on", changes_draft=True)
SILENCE = Expect("silence")


def Reply(msgid: str, *, changes_draft: bool = False) -> Expect:
    return Expect("reply", msgid, changes_draft)


def Toast(msgid: str) -> Expect:
    return Expect("toast", msgid)


@dataclass(frozen=True)
class Case:
    name: str
    who: str  # vi / en: a new resident; officer (Xuân Hương), stranger_officer (Lang Biang), admin
    where: str | None  # a step of a tip, or None: idle
    act: Act
    expect: Expect
    draft: dict[str, Any] = field(default_factory=dict)  # changes to draft_at(where)

    def __repr__(self) -> str:
        return self.name


NOT_UNDERSTOOD = "I didn't understand that. Please tap a button below or send /help."
UNKNOWN_IDLE = "I don't know that command. Please choose from the menu below or send /help."
UNKNOWN_MID = "I don't know that command. Your tip is not sent yet and is kept — let's continue, or send /cancel to discard it."  # noqa: E501
DEAD = "This button no longer works. Send /start."
EARLIER = "That button belongs to an earlier question."
GONE = "This tip was already sent or cancelled."
NO_TIP = "This tip no longer exists."
NOT_YOURS = "Only officers of this tip's commune, or the province admins, can do that."
ENDED = "This conversation has ended."
ADMINS_ONLY = "Sorry, only the province admins can do this."
OFFICERS_ONLY = "Sorry, this is only for police officers registered in this bot."
NO_MATCH = "I found no commune or ward matching “{query}”. Try another spelling or part of the name, or tap <b>I don't know</b>."  # noqa: E501
IN_WORDS = "Please describe what happened in words."
TOO_LONG_ANSWER = "That is longer than this question needs ({limit} characters at most). Please send just the numbers or names; you can tell the whole story a little later."  # noqa: E501
NOTED = "Noted: {answer}"
KEPT_WORDS = "✍️ I kept what you wrote: it is the start of your description (you can add more later). Now please tap one of the buttons below."  # noqa: E501
ADDED = "Added to your description."
RECEIVED = "📎 Received ({count}/{limit})."
OVERFLOW = "That would make your description {count} characters long; the limit is {limit}. Keep as much as fits, or send a shorter version instead. Nothing you wrote is lost until you choose."  # noqa: E501
ASK_RECEIPT = "Send <code>/status</code> followed by the receipt you got when you sent your tip, for example <code>/status 7K3Q-9XWD-M2PA-4RTE-8HJN</code>."  # noqa: E501
MALFORMED = "That doesn't look like a receipt. A receipt has 20 letters and digits in groups of four, like <code>/status 7K3Q-9XWD-…</code>."  # noqa: E501
UNKNOWN_RECEIPT = "No tip has this receipt. Please check it and try again."
RESUME = "You have a tip you haven't sent yet. Here is where you stopped:"
DISCARD = "Do you want to discard the tip you started? Everything you entered will be deleted."
NOTHING_TO_CANCEL = "There is nothing to cancel. What would you like to do?"
NO_UNSENT = "There is no unsent tip any more."
INVALID_INVITE = "Sorry, this invite link is not valid."
WELCOME = "<b>Report to the police — safely and anonymously.</b>"
SENT = "✅ <b>Your tip has been sent.</b> Its code is <code>{code}</code>."
DELETED = "Your unsent tip was deleted."
EDITED = "Edits to a message you already sent do not change your tip. To correct something, send it again, or use the ✏️ buttons when you review the tip."  # noqa: E501
APOLOGY = "Sorry, something went wrong on our side. Please try again in a moment; if it keeps happening, send /start."  # noqa: E501
PRIVATE_ONLY = "Please send this command to me in a private chat, not in a group: what it shows is for you only."  # noqa: E501
GROUP_ONLY = "Send this command in your commune's Telegram group, after adding me to the group — for example <code>/linkgroup {example}</code>."  # noqa: E501

STEPS = [s.value for s in Step]
BUTTON_STEPS = ("category", "kind", "when", "channels", "urgent", "review")
TEXT_STEPS = ("phones", "accounts", "links", "loss")

CASES = [
    # Wrong kinds of message at every step: a sticker, a location, a contact card.
    *(Case(f"sticker at {s}", "vi", s, media("sticker"), REPROMPT) for s in STEPS),
    *(Case(f"location at {s}", "vi", s, media("location"), REPROMPT) for s in STEPS
      if s != "location"),
    *(Case(f"contact at {s}", "vi", s, media("contact"), REPROMPT) for s in STEPS
      if s != "contact"),
    # A file before its question is kept for the tip; at the review it is not what is asked.
    Case("voice note at kind", "vi", "kind", media("voice"), KEPT),
    Case("video at commune", "vi", "commune", media("video"), KEPT),
    Case("document at urgent", "vi", "urgent", media("document"), KEPT),
    Case("photo at phones", "vi", "phones", media("photo"), KEPT),
    Case("voice note at review", "vi", "review", media("voice"),
         Reply(RECEIVED, changes_draft=True)),
    Case("photo at contact", "vi", "contact", media("photo"), REPROMPT),
    # Text with no letter or digit in it.
    # Text where a button is expected is kept as the description, and the question asked again.
    *(Case(f"text at {s}", "vi", s, text("có người bán ma túy"),
           Reply(KEPT_WORDS, changes_draft=True)) for s in BUTTON_STEPS if s != "review"),
    Case("text at review", "vi", "review", text("có người bán ma túy"),
         Reply(ADDED, changes_draft=True)),
    *(Case(f"emoji only at {s}", "vi", s, text("😀😀😀"), REPROMPT) for s in TEXT_STEPS),
    Case("zero-width only at phones", "vi", "phones", text("\u200b\u200c\u200d"), REPROMPT),
    Case("zero-width only at location", "vi", "location", text("\u200b\u2060"), REPROMPT),
    Case("emoji only at description", "vi", "description", text("😡😡"), Reply(IN_WORDS)),
    Case("emoji only at commune", "vi", "commune", text("🏠🏠"),
         Reply(NO_MATCH, changes_draft=True)),
    # Oversized and malformed text, echoed back or stored.
    Case("4096 characters at phones", "vi", "phones", text(LONG), Reply(TOO_LONG_ANSWER)),
    Case("4096 characters at commune", "vi", "commune", text(LONG),
         Reply(NO_MATCH, changes_draft=True)),
    Case("4096 characters at description", "vi", "description", text(LONG),
         Reply(OVERFLOW, changes_draft=True)),
    Case("10,000 characters at description", "vi", "description", text("Dài " * 2500),
         Reply(OVERFLOW, changes_draft=True)),
    Case("one 3000-letter word at description", "vi", "description", text("x" * 3000), MOVED_ON),
    Case("HTML tags echoed at phones", "vi", "phones", text("<b>0912</b> & <i>x</i> </code>"),
         Reply(NOTED, changes_draft=True)),
    Case("HTML tags at commune search", "vi", "commune", text("<script>alert(1)</script>"),
         Reply(NO_MATCH, changes_draft=True)),
    Case("format placeholders at phones", "vi", "phones", text("{code} {0} %s %(x)s {{}}"),
         Reply(NOTED, changes_draft=True)),
    Case("right-to-left override at phones", "vi", "phones", text("\u202e0912 345 678\u202c"),
         Reply(NOTED, changes_draft=True)),
    Case("Arabic and Hebrew at description", "vi", "description", text("مرحبا שלום ma túy"),
         MOVED_ON),
    Case("combining marks at description", "vi", "description",
         text("Z\u0334\u0327a\u0335l\u0336g\u0337o\u0338 " + "a" + "\u0301" * 60), MOVED_ON),
    Case("emoji sequences at description", "vi", "description",
         text("👨‍👩‍👧‍👦 🏳️‍🌈 👍🏽 🇻🇳 trộm xe"), MOVED_ON),
    Case("NUL and control characters at phones", "vi", "phones",
         text("09\x0012\x07 345\x1b[31m678\x7f"), Reply(NOTED, changes_draft=True)),
    Case("CR LF and tabs at description", "vi", "description", text("dòng 1\r\n\tdòng 2\r\n"),
         MOVED_ON),
    Case("lone Vietnamese tone marks at commune", "vi", "commune", text("\u0300\u0301\u0303"),
         Reply(NO_MATCH, changes_draft=True)),
    Case("hostile description shown at review", "vi", "review", text("/report"), Reply(RESUME),
         draft={"description": "<b>&</b> \u202e\x00\x1b[0m 👨‍👩‍👧 {code} " + "x" * 2900}),
    # Double taps: the second finds the work done, and says so quietly.
    Case("double tap on a choice", "vi", "category", double_tap("t:category:crime"), MOVED_ON),
    Case("double tap on Send", "vi", "review", double_tap("t:review:send"),
         Reply(SENT, changes_draft=True)),
    Case("double tap on discard", "vi", "kind", double_tap("t:cancel:yes"),
         Reply(DELETED, changes_draft=True)),
    # Commands in the middle of a tip keep it.
    Case("unknown command mid-tip", "vi", "kind", text("/frobnicate"), Reply(UNKNOWN_MID)),
    Case("/start mid-tip", "vi", "when", text("/start"), Reply(WELCOME)),
    Case("/report mid-tip", "vi", "commune", text("/report"), Reply(RESUME)),
    Case("/cancel mid-tip asks first", "vi", "description", text("/cancel"), Reply(DISCARD)),
    Case("/status mid-tip", "vi", "urgent", text("/status"), Reply(ASK_RECEIPT)),
    Case("/status@bot mid-tip", "vi", "review", text(f"/status@{BOT} 1234"), Reply(MALFORMED)),
    Case("command for another bot mid-tip", "vi", "kind", text("/start@other_bot"), REPROMPT),
    # Idle residents.
    Case("sticker when idle", "vi", None, media("sticker"), Reply(NOT_UNDERSTOOD)),
    Case("text when idle", "vi", None, text("alo alo"), Reply(NOT_UNDERSTOOD)),
    Case("location when idle", "vi", None, media("location"), Reply(NOT_UNDERSTOOD)),
    Case("photo when idle", "vi", None, media("photo"), Reply(NOT_UNDERSTOOD)),
    Case("unknown command when idle", "vi", None, text("/frobnicate now"), Reply(UNKNOWN_IDLE)),
    Case("/cancel when idle", "vi", None, text("/cancel"), Reply(NOTHING_TO_CANCEL)),
    Case("/status without receipt", "vi", None, text("/status"), Reply(ASK_RECEIPT)),
    Case("/status with junk", "vi", None, text("/status <b>&</b>"), Reply(MALFORMED)),
    Case("/status with unknown receipt", "vi", None, text("/status AAAA-BBBB-CCCC-DDDD-EEEE"),
         Reply(UNKNOWN_RECEIPT)),
    Case("/status with 5000 characters", "vi", None, text("/status " + "A" * 4000),
         Reply(MALFORMED)),
    Case("forged invite link", "vi", None, text("/start inv_forged-token"),
         Reply(INVALID_INVITE)),
    Case("deep link with another payload", "vi", None, text("/start ads_campaign"),
         Reply(WELCOME)),
    # Stale and forged buttons.
    Case("64 bytes of junk", "vi", None, tap("x" * 64), Toast(DEAD)),
    Case("64 bytes of multi-byte junk", "vi", "kind", tap("ñ" * 32), Toast(DEAD)),
    Case("separators only", "vi", None, tap(":::"), Toast(DEAD)),
    Case("another bot's data", "vi", None, tap("vote:up:42"), Toast(DEAD)),
    Case("unknown menu entry", "vi", None, tap("menu:nope"), Toast(DEAD)),
    Case("an earlier question's button", "vi", "kind", tap("t:category:crime"), Toast(EARLIER)),
    Case("a later question's button", "vi", "kind", tap("t:urgent:yes"), Toast(EARLIER)),
    Case("unknown choice for this step", "vi", "kind", tap("t:kind:no-such-kind"), REPROMPT),
    Case("unknown commune code", "vi", "commune", tap("t:commune:99999999"), REPROMPT),
    Case("negative commune code", "vi", "commune", tap("t:commune:-24781"), REPROMPT),
    Case("unknown urgency", "vi", "urgent", tap("t:urgent:maybe"), REPROMPT),
    Case("unknown edit on review", "vi", "review", tap("t:review:edit:everything"), REPROMPT),
    Case("overflow button without overflow", "vi", "description", tap("t:overflow:keep"),
         Toast(EARLIER)),
    Case("step data without a value", "vi", "when", tap("t:when"), Toast(DEAD)),
    Case("prefix alone", "vi", "when", tap("t:"), Toast(DEAD)),
    Case("send when nothing is left", "vi", None, tap("t:review:send"), Toast(GONE)),
    Case("discard when nothing is left", "vi", None, tap("t:cancel:yes"), Reply(NO_UNSENT)),
    Case("resident acknowledges a tip", "vi", None, tap("o:ack:{tip}"), Toast(NOT_YOURS)),
    Case("resident resolves a tip", "vi", None, tap("o:set:{tip}:resolved"), Toast(NOT_YOURS)),
    Case("resident transfers a tip", "vi", None, tap("o:to:{tip}:24846"), Toast(NOT_YOURS)),
    Case("resident asks the tipster", "vi", "kind", tap("o:ask:{tip}"), Toast(NOT_YOURS)),
    Case("a tip that does not exist", "vi", None, tap("o:ack:999999999"), Toast(NO_TIP)),
    Case("a tip id that is not a number", "vi", None, tap("o:ack:1 OR 1=1"), Toast(DEAD)),
    Case("an officer action without a tip", "vi", None, tap("o:"), Toast(DEAD)),
    Case("answering another's tip", "vi", None, tap("r:{code}"), Toast(ENDED)),
    Case("answering a made-up tip", "vi", None, tap("r:T-ZZZZZZ"), Toast(ENDED)),
    Case("answering with junk", "vi", None, tap("r:'; DROP TABLE tips;--"), Toast(DEAD)),
    Case("resident picks an invite commune", "vi", None, tap("onb:inv:24781"),
         Toast(ADMINS_ONLY)),
    Case("resident revokes an officer", "vi", None, tap("onb:rvy:{officer}"),
         Toast(ADMINS_ONLY)),
    Case("resident pages the officers", "vi", None, tap("onb:of:0"),
         Toast(ADMINS_ONLY)),
    # Commands and buttons from the wrong role.
    Case("resident /invite", "vi", None, text("/invite xuan huong"), Reply(ADMINS_ONLY)),
    Case("resident /officers", "vi", None, text("/officers"), Reply(ADMINS_ONLY)),
    Case("resident /mycommunes", "vi", None, text("/mycommunes"), Reply(OFFICERS_ONLY)),
    Case("officer /invite", "officer", None, text("/invite lang biang"), Reply(ADMINS_ONLY)),
    Case("officer /officers", "officer", None, text("/officers"), Reply(ADMINS_ONLY)),
    Case("/linkgroup in a private chat", "officer", None, text("/linkgroup"), Reply(GROUP_ONLY)),
    Case("officer of another commune acknowledges", "stranger_officer", None, tap("o:ack:{tip}"),
         Toast(NOT_YOURS)),
    Case("officer of another commune asks", "stranger_officer", None, tap("o:ask:{tip}"),
         Toast(NOT_YOURS)),
    Case("officer sets a made-up status", "officer", None, tap("o:set:{tip}:deleted"), SILENCE),
    Case("officer transfers to a made-up commune", "officer", None, tap("o:to:{tip}:1"), SILENCE),
    Case("officer answers as the tipster", "officer", None, tap("r:{code}"), Toast(ENDED)),
    Case("admin revokes a made-up officer", "admin", None, tap("onb:rvy:1"),
         Toast("There is no such officer.")),
    Case("admin picks a made-up commune", "admin", None, tap("onb:inv:1"),
         Toast(DEAD)),
    # Groups: the bot serves commune groups only through /linkgroup; the rest is not for it, and a
    # reply in the group to /report or /status would show everyone who wants to report.
    Case("text in a group (bot admin)", "vi", None, in_group("có ai ở đây không"), SILENCE),
    Case("sticker in a group (bot admin)", "vi", None, in_group("<sticker>"), SILENCE),
    Case("text in a group (privacy mode)", "vi", None, in_group("alo", admin_bot=False), SILENCE),
    Case("/report in a group", "vi", None, in_group(f"/report@{BOT}"), SILENCE),
    Case("/status with a receipt in a group", "vi", None,
         in_group(f"/status@{BOT} AAAA-BBBB-CCCC-DDDD-EEEE"), SILENCE),
    Case("unknown command in a group", "vi", None, in_group(f"/frobnicate@{BOT}"), SILENCE),
    Case("/invite in a group", "vi", None, in_group(f"/invite@{BOT} x"), Reply(PRIVATE_ONLY)),
    Case("someone joins a group", "vi", None, other("join"), SILENCE),
    Case("the bot is removed from a group", "vi", None, other("kick_bot"), SILENCE),
    # Channels, inline queries, reactions, blocking: nothing to say.
    Case("channel post", "vi", None, in_channel("Tin tức hôm nay"), SILENCE),
    Case("command in a channel post", "vi", None, in_channel("/start"), SILENCE),
    Case("edited channel post", "vi", None, in_channel("Bản nháp", edit=True), SILENCE),
    Case("inline query", "vi", None, other("inline"), SILENCE),
    Case("reaction to the bot's message", "vi", None, other("reaction"), SILENCE),
    Case("blocks and unblocks the bot", "vi", "kind", other("block"), SILENCE),
    # Edited messages: a bot that answered every edit would echo typo fixes, so when idle it is
    # silent; during a tip the resident hears that the edit did not count, and how to correct.
    Case("edits a message when idle", "vi", None, edit("alo", "alo alo"), SILENCE),
    Case("edits the description just given", "vi", "description",
         edit("Có người bán ma túy", "Có hai người bán ma túy"),
         Reply(EDITED, changes_draft=True)),
    Case("edits a question's answer", "vi", "phones", edit("0912345678", "0987654321"),
         Reply(EDITED, changes_draft=True)),
    # In English, for English speakers.
    Case("English: sticker at kind", "en", "kind", media("sticker"), REPROMPT),
    Case("English: emoji at phones", "en", "phones", text("🙈"), REPROMPT),
    Case("English: unknown command", "en", None, text("/frobnicate"), Reply(UNKNOWN_IDLE)),
    Case("English: forged button", "en", None, tap("x" * 64), Toast(DEAD)),
    Case("English: /invite", "en", None, text("/invite xuan huong"), Reply(ADMINS_ONLY)),
    Case("English: text when idle", "en", None, text("hello?"), Reply(NOT_UNDERSTOOD)),
]  # fmt: skip


# --- the world the corpus runs in ----------------------------------------------------------------
@dataclass
class World:
    sb: Sandbox
    bot: RunningBot
    officer: Any
    stranger_officer: Any
    admin: Any
    tip_id: int
    tip_code: str
    admin_group: Any
    member_group: Any
    channel: Any
    channel_owner: Any
    errors: list[logging.LogRecord]
    watch: int | None = None  # the chat whose answer (or silence) the case is about
    since: int = 0  # the sandbox version the case's answer comes after
    people: int = 0

    def mark(self) -> None:
        """What the bot says from now on is the case's answer."""
        self.since = self.sb.version

    def person(self, who: str):
        if who in ("vi", "en"):
            self.people += 1
            return self.sb.add_user(resident_name(self.people), language_code=who)
        return getattr(self, who)


class ErrorRecords(logging.Handler):
    def __init__(self, records: list[logging.LogRecord]) -> None:
        super().__init__(logging.ERROR)
        self.records = records

    def emit(self, record: logging.LogRecord) -> None:
        self.records.append(record)


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def world(tmp_path_factory, audit_trail):
    directory = tmp_path_factory.mktemp("corpus")
    sb = Sandbox(token=TOKEN, bot_username=BOT)
    await sb.start()
    admin = sb.add_user("Quản trị", language_code="vi")
    env = bot_env(sb, directory / "data", TIPBOT_ADMIN_IDS=str(admin.id))
    config = load_config(env)
    bot = RunningBot(sb, config, load_keys(config, env), env)
    errors: list[logging.LogRecord] = []
    catcher = ErrorRecords(errors)
    logging.getLogger().addHandler(catcher)
    trail = audit_trail.add("bad input", config.db_path, [directory / "info.log"])
    with log_to(directory / "info.log", "INFO"):
        await bot.start()
        try:
            await sb.send_text(admin, "/start")
            officer, stranger = sb.add_user("Minh"), sb.add_user("Hoa")
            await register_officer(sb, config.db_path, officer, XUAN_HUONG)
            await register_officer(sb, config.db_path, stranger, LANG_BIANG)
            tipster = sb.add_user(resident_name(999), language_code="vi")
            resident = Resident(
                sb, tipster, config.db_path, bot.keys.pseudonym, lambda _v: settle(bot)
            )
            sent = await resident.send_tip(
                TipPlan("crime", "drugs", "now", XUAN_HUONG, "xuan huong", "Bán ma túy")
            )
            owner = sb.add_user("Chủ kênh K7W")
            w = World(
                sb, bot, officer, stranger, admin,
                tip_id=_tip_id(config.db_path, sent.code), tip_code=sent.code,
                admin_group=sb.add_group("Nhóm quản trị", [owner], bot_status="administrator"),
                member_group=sb.add_group("Nhóm thường", [owner]),
                channel=sb.add_channel("Kênh tin", owner), channel_owner=owner, errors=errors,
            )  # fmt: skip
            await settle(bot)
            yield w
            trail.residents += [u for u in sb.users.values() if u.id not in _staff(w)]
        finally:
            logging.getLogger().removeHandler(catcher)
            await bot.stop()
            await sb.stop()


def _staff(w: World) -> set[int]:
    return {w.officer.id, w.stranger_officer.id, w.admin.id}


def _tip_id(db_path, code: str) -> int:
    return rows(db_path, "SELECT id FROM tips WHERE code = ?", (code,))[0]["id"]


# --- one case ------------------------------------------------------------------------------------
@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
async def test_bad_input(world: World, case: Case):
    w, sb = world, world.sb
    user = w.person(case.who)
    runtime = w.bot.runtime
    key = pseudonym(w.bot.keys.pseudonym, user.id)
    if case.who in ("vi", "en"):
        await sb.send_text(user, "/start")
        await settle(w.bot)
    else:
        await pending.clear(runtime.db, f"officer:{user.id}")
    draft = None
    if case.where:
        draft = draft_at(case.where)
        for name, value in case.draft.items():
            setattr(draft, name, value)
        await drafts.save(runtime.db, key, draft.step, draft.to_json(), ttl=3600)
        await sb.send_text(user, "/report")  # shows where they are, as the app would
        await settle(w.bot)
    w.watch = user.id
    before = _state(w)
    w.mark()

    query_id = await case.act(w, user)
    await settle(w.bot)

    t = texts(user.language_code or "vi")
    new = sb.bot_messages_since(w.watch, w.since)
    said_now = "\n".join(text_of(m) for m in new)
    answer = sb.callback_answers.get(query_id) if query_id else None
    if query_id:
        assert answer is not None, "the button press was never answered: the spinner goes on"
    after = _draft(w, key)
    match case.expect.kind:
        case "reprompt" | "kept":
            question = plain(prompt(Step(after["step"]), Draft.from_json(after), t,
                                    runtime.communes)[0])  # fmt: skip
            assert question in said_now, f"the question was not asked again: {said_now!r}"
            if case.expect.kind == "kept":
                assert len(after["attachments"]) == len(draft.attachments) + 1
                assert after["step"] == draft.step
        case "reply":
            assert said(t, case.expect.msgid) in said_now, said_now
        case "toast":
            assert answer is not None and answer.text, f"no toast; said {said_now!r}"
            assert said(t, case.expect.msgid) in answer.text
        case "moved_on":
            assert after["step"] != draft.step and new, said_now
        case "silence":
            assert not new, f"expected silence, got {said_now!r}"
    assert said(t, APOLOGY) not in said_now, "the error handler had to apologise"
    if draft is not None and not case.expect.changes_draft:
        assert _without_query(after) == _without_query(draft.to_json()), "the draft changed"
    refused = [e for e in sb.errors if e not in before["errors"]]
    assert not refused, [(e.method, e.description) for e in refused]
    assert not [r.getMessage() for r in w.errors if r not in before["log"]]


def _state(w: World) -> dict[str, Any]:
    return {"errors": list(w.sb.errors), "log": list(w.errors)}


def _draft(w: World, key: str) -> dict[str, Any] | None:
    found = rows(w.bot.config.db_path, "SELECT data FROM drafts WHERE pseudonym = ?", (key,))
    return json.loads(found[0]["data"]) if found else None


def _without_query(data: dict | None) -> dict | None:
    """A commune search remembers what was typed; that is not an answer."""
    return None if data is None else {k: v for k, v in data.items() if k != "commune_query"}


async def test_the_corpus_is_big_enough():
    assert len(CASES) >= 100
    assert len({c.name for c in CASES}) == len(CASES), "case names must be unique"
