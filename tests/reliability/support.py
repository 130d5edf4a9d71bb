"""Helpers of the reliability suite: waiting until the bot is idle, a resident who gets a tip
through whatever happens to the bot, and reading the database the way an auditor would.

A `Resident` decides each action from the state of its draft in the database (never from what the
chat shows, which a lost reply or a crash can leave behind), does it the way a person would (a tap
on a button shown in the chat, a typed text), and when nothing happens does what a person does:
asks again (/report shows the current question). Whatever the bot did with an update before a
crash or fault, the resident never has to start over.
"""

from __future__ import annotations

import asyncio
import json
import re
import sqlite3
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from bot.anonymity import pseudonym
from bot.i18n import texts
from bot.receipts import hash_receipt, normalize_receipt
from sandbox.server import Sandbox
from sandbox.world import User
from tests.e2e.driver import text_of
from tests.e2e.test_intake import RECEIPT
from tests.support.officers import register_officer as enrol  # noqa: F401 - the older name
from tests.support.waiting import settle

Message = dict[str, Any]
_SENT = "✅ <b>Your tip has been sent.</b> Its code is <code>{code}</code>."
# The receipt's first words as residents see them, in either language.
RECEIPT_SHOWN = tuple(
    re.sub(r"<[^>]+>", "", texts(language).gettext(_SENT)).split("{")[0].strip()
    for language in ("vi", "en")
)


# --- waiting for the bot --------------------------------------------------------------------------


async def quiet(
    sandbox: Sandbox, chat_id: int | None = None, *, calm: float = 0.4, timeout: float = 60.0
) -> None:
    """For a bot in another process: every update fetched, and no call to `chat_id` (to any chat
    if None) in flight or made in the last `calm` seconds. While the bot is down, updates wait in
    the sandbox and this waits with them."""
    await sandbox.wait_until_quiet(calm, timeout, chat_id=chat_id)


def answered_then_quiet(sandbox: Sandbox, chat_id: int, *, patience: float = 4.0):
    """A resident's wait for a bot in another process: the bot's first reaction in the chat (a
    message or an edit; none within `patience`, which spans a restart, means the update was lost),
    then quiet in that chat."""

    async def wait(since: int) -> None:
        try:
            await sandbox.wait_for_message(chat_id, timeout=patience, since=since)
        except TimeoutError:
            return
        await quiet(sandbox, chat_id)

    return wait


async def drain_outbox(db_path: Path, *, timeout: float = 60.0) -> None:
    """Waits until the outbox has nothing left to send (every row sent or failed for good)."""
    unsent = "FROM outbox WHERE status IN ('pending', 'sending')"
    for _ in range(int(timeout / 0.1)):
        if rows(db_path, f"SELECT count(*) AS n {unsent}")[0]["n"] == 0:
            return
        await asyncio.sleep(0.1)
    left = rows(db_path, f"SELECT id, kind, status, attempts, last_error {unsent}")
    raise TimeoutError(f"outbox rows still unsent after {timeout} s: {left}")


# --- the database, read as an auditor -------------------------------------------------------------


def connect(db_path: Path) -> sqlite3.Connection:
    conn = sqlite3.connect(db_path, timeout=10)
    conn.row_factory = sqlite3.Row
    return conn


_readers: dict[str, sqlite3.Connection] = {}


def rows(db_path: Path, sql: str, params: tuple = ()) -> list[dict[str, Any]]:
    """A query on one reader connection per database, kept open (connecting costs milliseconds,
    and tests ask thousands of times). Autocommit: every query sees the latest commit."""
    reader = _readers.get(str(db_path))
    if reader is None:
        reader = sqlite3.connect(db_path, timeout=10, isolation_level=None)
        reader.row_factory = sqlite3.Row
        _readers[str(db_path)] = reader
    return [dict(r) for r in reader.execute(sql, params)]


def receipt_is_stored(db_path: Path, salt: bytes, code: str, receipt: str) -> bool:
    """The tip `code` is in the database and `receipt` is its receipt."""
    found = rows(db_path, "SELECT receipt_hash FROM tips WHERE code = ?", (code,))
    normalized = normalize_receipt(receipt)
    return (
        bool(found)
        and normalized is not None
        and (found[0]["receipt_hash"] == hash_receipt(normalized, salt))
    )


# --- what people do ------------------------------------------------------------------------------


def bot_messages(sandbox: Sandbox, chat_id: int) -> list[Message]:
    return [m for m in sandbox.history(chat_id) if (m.get("from") or {}).get("is_bot")]


def find_button(sandbox: Sandbox, chat_id: int, data: str) -> Message | None:
    """The newest message in the chat that shows a button carrying `data`."""
    for message in reversed(bot_messages(sandbox, chat_id)):
        if shows_button(message, data):
            return message
    return None


def shows_button(message: Message, data: str) -> bool:
    markup = message.get("reply_markup") or {}
    return any(
        b.get("callback_data") == data for row in markup.get("inline_keyboard", []) for b in row
    )


async def achieve(
    bot, what: str, action: Callable[[], Awaitable[object]], done: Callable[[], bool]
) -> int:
    """Does `action` until `done()` holds, as a person taps again when nothing happened (a
    reply lost to a fault, a button not there yet); returns how many tries it took."""
    for attempt in range(1, 16):
        try:
            await action()
        except LookupError:  # what they need to tap has not arrived yet
            await asyncio.sleep(0.3)
        await settle(bot)
        if done():
            return attempt
    raise AssertionError(f"{what}: not done after 15 tries")


async def tap_data(sandbox: Sandbox, user: User, data: str) -> str:
    """Taps the newest button shown in the user's chat whose data is `data`."""
    message = find_button(sandbox, user.id, data)
    if message is None:
        raise LookupError(f"no button with {data!r} in the chat of {user.first_name}")
    return await sandbox.press_callback(user, message["message_id"], data)


@dataclass(frozen=True)
class TipPlan:
    """What a resident reports: the answers for each step (keys, not labels)."""

    category: str
    kind: str | None = None
    when: str | None = None
    commune: int | None = None  # None: "I don't know"
    commune_query: str = ""
    description: str = ""
    photo: bool = False
    urgent: bool = False
    phones: str | None = None  # fraud only
    share_location: bool = False
    share_phone: bool = False  # from the review: "let officers call me"


@dataclass
class Outcome:
    """One tip attempt of a resident: its receipt if the resident saw one."""

    plan: TipPlan
    code: str | None = None
    receipt: str | None = None
    receipt_lost: bool = False  # the tip went in, but the receipt message never came
    receipt_recovered: bool = False  # it came only when the resident tapped Send again
    vanished: bool = False  # the draft went, and no tip came of it: a lost tip
    actions: int = 0


@dataclass
class Resident:
    """A resident who gets a tip through, whatever happens to the bot (see the module doc)."""

    sandbox: Sandbox
    user: User
    db_path: Path
    pseudonym_key: bytes
    # Until the bot has done what it will do with the resident's last action (given the sandbox
    # version before it): `settle` for a bot in this process, `answered_then_quiet` for another.
    wait: Callable[[int], Awaitable[None]]
    skip_label: str = "Bỏ qua"
    receipt_timeout: float = 3.0
    outcomes: list[Outcome] = field(default_factory=list)
    regressions: list[str] = field(default_factory=list)

    @property
    def pseudonym(self) -> str:
        return pseudonym(self.pseudonym_key, self.user.id)

    def draft(self) -> dict[str, Any] | None:
        found = rows(self.db_path, "SELECT data FROM drafts WHERE pseudonym = ?", (self.pseudonym,))
        return json.loads(found[0]["data"]) if found else None

    async def send_tip(self, plan: TipPlan, *, max_actions: int = 60) -> Outcome:
        outcome = Outcome(plan)
        self.outcomes.append(outcome)
        since = self.sandbox.version
        started, furthest = False, 0
        while outcome.actions < max_actions:
            draft = self.draft()
            if draft is None and started:
                await self._receipt(outcome, since)
                return outcome
            if draft is not None:
                started = True
                furthest = self._check_progress(draft, furthest)
            outcome.actions += 1
            before = self.sandbox.version
            try:
                await self.act(plan, draft)
            except LookupError:  # the prompt never came (lost reply, crash): ask for it again
                await self.sandbox.send_text(self.user, "/report")
            await self.wait(before)
        raise AssertionError(
            f"{self.user.first_name} could not finish a tip in {max_actions} actions; "
            f"draft: {self.draft()}"
        )

    def _check_progress(self, draft: dict[str, Any], furthest: int) -> int:
        """A draft never goes back to an earlier step by itself (the resident edits nothing; the
        phone number, the location and files, offered on the review, count as the review)."""
        step = "review" if draft["step"] in FROM_REVIEW else draft["step"]
        position = STEP_ORDER.index(step)
        if position < furthest:
            self.regressions.append(f"{STEP_ORDER[furthest]} -> {draft['step']}")
        return max(furthest, position)

    async def act(self, plan: TipPlan, draft: dict[str, Any] | None) -> None:
        """The action that takes this draft one step on (LookupError: its button is not shown)."""
        sb, user = self.sandbox, self.user
        if draft is None:
            await sb.send_text(user, "/report")
            return
        step = draft["step"]
        if step == "category":
            await tap_data(sb, user, f"t:category:{plan.category}")
        elif step in ("kind", "when"):
            await tap_data(sb, user, f"t:{step}:{getattr(plan, step)}")
        elif step == "channels":
            await tap_data(sb, user, "t:channels:next")
        elif step == "phones" and plan.phones:
            await sb.send_text(user, plan.phones)
        elif step in ("phones", "accounts", "links"):
            await tap_data(sb, user, f"t:{step}:skip")
        elif step == "loss":
            await tap_data(sb, user, "t:loss:none")
        elif step == "commune" and plan.commune is None:
            await tap_data(sb, user, "t:commune:unknown")
        elif step == "commune" and draft.get("commune_query"):
            try:
                await tap_data(sb, user, f"t:commune:{plan.commune}")
            except LookupError:  # the results were lost: search again
                await sb.send_text(user, plan.commune_query)
        elif step == "commune":
            await sb.send_text(user, plan.commune_query)
        elif step == "location" and plan.share_location:
            await sb.send_location(user, 11.9404, 108.4583)
        elif step == "location":
            await sb.send_text(user, self.skip_label)
        elif step == "description":
            await sb.send_text(user, plan.description)
        elif step == "attachments" and plan.photo and not draft["attachments"]:
            await sb.send_photo(user)
        elif step == "attachments":
            await tap_data(sb, user, "t:attachments:done")
        elif step == "urgent":
            await tap_data(sb, user, f"t:urgent:{'yes' if plan.urgent else 'no'}")
        elif step == "review" and plan.photo and not draft["attachments"]:
            await sb.send_photo(user)  # files are taken at any step; the review offers them
        elif step == "review" and plan.share_location and draft.get("latitude") is None:
            await tap_data(sb, user, "t:review:edit:location")
        elif step == "review" and plan.share_phone and not draft.get("contact_sealed"):
            await tap_data(sb, user, "t:review:edit:contact")
        elif step == "contact":
            await sb.send_contact(user)  # the "share my phone number" button
        elif step == "review":
            await tap_data(sb, user, "t:review:send")
        else:
            raise AssertionError(f"the resident has no plan for step {step!r}")

    async def _receipt(self, outcome: Outcome, since: int) -> None:
        """The draft is gone: the tip was committed (found by its unique description), and its
        receipt should follow at once unless a crash or a fault cut it off."""
        found = rows(
            self.db_path,
            "SELECT code FROM tips WHERE instr(description, ?) > 0",
            (outcome.plan.description,),
        )
        if not found:
            outcome.vanished = True
            return
        code = found[0]["code"]

        def is_receipt(message: Message) -> bool:
            shown = text_of(message)
            return code in shown and any(first in shown for first in RECEIPT_SHOWN)

        # No receipt: the resident taps Send again, as a person would (the bot shows the receipt
        # a crash or a fault kept from them).
        for again in range(RECEIPT_RETAPS + 1):
            try:
                message = await self.sandbox.wait_for_message(
                    self.user.id, timeout=self.receipt_timeout, predicate=is_receipt, since=since
                )
                break
            except TimeoutError:
                if again == RECEIPT_RETAPS:
                    outcome.receipt_lost = True
                    return
            outcome.receipt_recovered = True
            try:
                await tap_data(self.sandbox, self.user, "t:review:send")
            except LookupError:  # the review's buttons went with a receipt shown: none to tap
                outcome.receipt_lost = True
                return
        outcome.code = code
        outcome.receipt = RECEIPT.search(text_of(message))[1]


RECEIPT_RETAPS = 6  # taps on Send again, at most, while a receipt does not come

STEP_ORDER = [
    "category", "kind", "when", "urgent", "channels", "phones", "accounts", "links", "loss",
    "commune", "description", "review",
]  # fmt: skip
FROM_REVIEW = ("contact", "location", "attachments")  # optional, offered on the review


# --- anonymity ------------------------------------------------------------------------------------


def resident_name(number: int) -> str:
    """A resident's first name no text of the bot or the province contains, so finding it
    anywhere means it was stored."""
    return f"Cư dân R{number:03d}Q"


def needles(person: User) -> list[str]:
    """What identifies a Telegram user, as it could be written down: id, @username, names, phone."""
    found = [str(person.id)]
    if person.username:
        found.append(person.username)
    for name in (person.first_name, person.last_name):
        if name and len(name) >= 6:  # "Lan" is part of "Lang Biang": short names prove nothing
            found.append(name)
    if person.phone_number:
        found += [person.phone_number, person.phone_number.lstrip("+")]
    return found


def identity_leaks(db_path: Path, people: list[User]) -> list[str]:
    """Every place in the database (every table, every column, read through SQLite, so the WAL's
    latest state included) that holds one of these people's id, username, names or phone.

    One place is allowed by design: the subscription list, which keeps a subscriber's chat id to
    send bulletins to — with no time and no link to any tip — and the outbox rows that carry
    those bulletins (rows with no tip in them).
    """
    ids = {p.id for p in people}
    texts = {needle: p for p in people for needle in needles(p)}
    with connect(db_path) as conn:
        subscribers = _subscriber_chats(conn)
        leaks = []
        tables = [r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type='table'")]
        for table in tables:
            for row in conn.execute(f'SELECT * FROM "{table}"'):
                record = dict(row)
                for column, value in record.items():
                    hit = _hit(value, ids, texts)
                    if hit is None or _allowed(table, record, hit, subscribers):
                        continue
                    leaks.append(f"{table}.{column} holds {hit!r}: {record}")
    return leaks


def _hit(value: Any, ids: set[int], texts: dict[str, User]) -> str | None:
    if isinstance(value, int) and value in ids:
        return str(value)
    if isinstance(value, bytes):
        value = value.decode("utf-8", "replace")
    if isinstance(value, str):
        return next((needle for needle in texts if needle in value), None)
    return None


def _subscriber_chats(conn: sqlite3.Connection) -> set[str]:
    try:
        return {str(r[0]) for r in conn.execute("SELECT chat_id FROM subscribers")}
    except sqlite3.OperationalError:
        return set()


def _allowed(table: str, record: dict[str, Any], hit: str, subscribers: set[str]) -> bool:
    if hit not in subscribers:
        return False
    if table == "subscribers":
        return True
    if table == "outbox":  # a bulletin on its way to a subscriber: no tip in it
        payload = json.loads(record.get("payload") or "{}")
        return record.get("to_tipster_of") is None and "tip_id" not in payload
    return False


def raw_leaks(db_path: Path, people: list[User]) -> list[str]:
    """The same search in the bytes of the database file, its WAL and shared memory: what
    SQLite no longer shows (deleted rows, old page versions) is still on disk until overwritten.
    Integers are searched as SQLite stores them (big-endian) as well as in decimal. Subscribers
    are left out: their chat id is in the file by design (see `identity_leaks`)."""
    with connect(db_path) as conn:
        subscribers = _subscriber_chats(conn)
    people = [p for p in people if str(p.id) not in subscribers]
    leaks = []
    for path in (db_path, Path(f"{db_path}-wal"), Path(f"{db_path}-shm")):
        if not path.exists():
            continue
        data = path.read_bytes()
        for person in people:
            for needle in needles(person):
                if needle.encode() in data:
                    leaks.append(f"{path.name} holds {needle!r} ({person.first_name})")
            packed = person.id.to_bytes(8, "big").lstrip(b"\x00")
            if len(packed) >= 4 and _record_int(data, packed):
                leaks.append(f"{path.name} holds the id of {person.first_name} as an integer")
    return leaks


def _record_int(data: bytes, packed: bytes) -> bool:
    """Whether `packed` occurs as a whole integer field (SQLite writes a 6-byte integer for ids
    of Telegram's size): a match of the value's bytes with a zero-padded width of 6 or 8."""
    return any(len(packed) <= w and packed.rjust(w, b"\x00") in data for w in (6, 8))
