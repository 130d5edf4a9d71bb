"""State-machine fuzzing: hypothesis drives several residents and officers through random
sequences of what people do in Telegram — any button shown in their chat (fresh or stale), typed
text of every kind, files, locations, contacts, commands, forged buttons — against the real bot
through the sandbox. After every step the database must still make sense:

- no unhandled exception, and Telegram refused nothing the bot sent;
- every sent tip has a receipt hash, was routed (an outbox row per recipient of its commune, or
  the province queue) and its cards, once delivered, are recorded;
- no resident's Telegram id anywhere in the database;
- a draft exists exactly for the people whose chat shows a tip in progress.

Derandomized with a bounded number of examples, so CI runs the same sequences every time.
"""

from __future__ import annotations

import asyncio
import logging
import re
import sqlite3

import pytest
from hypothesis import HealthCheck, Phase, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, rule, run_state_machine_as_test

from bot.anonymity import pseudonym
from bot.config import load_config, load_keys
from bot.i18n import texts
from handlers.intake_views import anonymity_note
from sandbox.server import Sandbox
from storage import officers
from storage.db import Database
from tests.conftest import TOKEN, RunningBot, bot_env
from tests.e2e.driver import text_of
from tests.e2e.test_intake import RECEIPT
from tests.reliability.conftest import log_to
from tests.reliability.plans import LANG_BIANG, XUAN_HUONG
from tests.reliability.support import (
    Resident,
    TipPlan,
    bot_messages,
    identity_leaks,
    resident_name,
    rows,
    settle,
)

RESIDENTS, STEPS, EXAMPLES = 3, 30, 10
TEXTS = [
    "xuan huong", "lang biang", "da lat", "bao lam", "Bỏ qua", "🔒 Giữ ẩn danh",
    "0912 345 678", "STK 0071001234567 Vietcombank", "https://scam.example/login", "2 triệu",
    "Có người bán ma túy ở quán karaoke", "<b>&</b> \u202e{code}", "😀😀", "\u200b",
    "Xe tải chở gỗ lúc 2 giờ sáng " * 120, "Số 12 Phan Đình Phùng",
]  # fmt: skip
COMMANDS = ["/report", "/start", "/cancel", "/help", "/status", "/language", "/frobnicate"]
FORGED = [
    "t:category:crime", "t:review:send", "t:cancel:yes", "o:ack:{tip}", "o:set:{tip}:resolved",
    "r:{code}", "x" * 64, "menu:report", "lang:en", "t:commune:24781",
]  # fmt: skip


class World:
    """The bot and its sandbox, kept across examples (a new example brings new people)."""

    def __init__(self, loop: asyncio.AbstractEventLoop, tmp_path) -> None:
        self.loop, self.tmp_path = loop, tmp_path
        self.errors: list[logging.LogRecord] = []
        # A broken invariant is recorded with the steps that led to it, not raised: the bot lives
        # on between examples, so hypothesis could not replay (or shrink) a failing run anyway.
        self.failures: list[str] = []

    def run(self, coroutine):
        return self.loop.run_until_complete(coroutine)

    async def start(self) -> None:
        self.sb = Sandbox(token=TOKEN, bot_username="tipbot_test_bot")
        await self.sb.start()
        self.admin = self.sb.add_user("Quản trị", language_code="vi")
        env = bot_env(self.sb, self.tmp_path / "data", TIPBOT_ADMIN_IDS=str(self.admin.id),
                      TIPBOT_MAX_TIPS_PER_DAY="1000")  # fmt: skip
        config = load_config(env)
        self.bot = RunningBot(self.sb, config, load_keys(config, env), env)
        await self.bot.start()
        self.db_path = config.db_path
        self.minh, self.hoa = self.sb.add_user("Minh"), self.sb.add_user("Hoa", language_code="en")
        self.staff = [self.minh, self.hoa, self.admin]
        for person in self.staff:
            await self.sb.send_text(person, "/start")
        self.group = self.sb.add_group("Công an Xuân Hương", [self.minh])
        db = await Database.open(self.db_path)
        try:
            for person, commune in ((self.minh, XUAN_HUONG), (self.hoa, LANG_BIANG)):
                await officers.add(db, person.id, person.first_name)
                await officers.add_commune(db, person.id, commune)
            await officers.link_group(db, self.group.id, XUAN_HUONG, linked_by=self.minh.id,
                                      title=None)  # fmt: skip
        finally:
            await db.close()
        self.residents_ever: list = []
        await settle(self.bot)

    async def stop(self) -> None:
        await self.bot.stop()
        await self.sb.stop()


class TipbotMachine(RuleBasedStateMachine):
    world: World  # set by the test

    def __init__(self) -> None:
        super().__init__()
        w = self.world
        self.residents = [
            w.sb.add_user(resident_name(len(w.residents_ever) + n), language_code=lang)
            for n, lang in enumerate(["vi", "en", "vi"][:RESIDENTS])
        ]
        w.residents_ever += self.residents
        self.people = self.residents + w.staff
        self.receipts: list[str] = []
        self.trace: list[str] = []
        self.agents = [
            Resident(w.sb, person, w.db_path, w.bot.keys.pseudonym, lambda _v: settle(w.bot))
            for person in self.residents
        ]
        for person in self.residents:
            w.run(w.sb.send_text(person, "/start"))
        w.run(settle(w.bot))

    # --- what people do --------------------------------------------------------------------

    def _do(self, coroutine, step: str) -> None:
        w = self.world
        self.trace.append(step)
        w.run(coroutine)
        w.run(settle(w.bot))

    def _check(self, name: str, check) -> None:
        try:
            check()
        except AssertionError as error:
            steps = "\n  ".join(self.trace[-12:])
            self.world.failures.append(f"{name}: {error}\n last steps:\n  {steps}")

    @rule(who=st.integers(0, RESIDENTS - 1), actions=st.integers(1, 8))
    def get_on_with_the_tip(self, who: int, actions: int) -> None:
        """A few sensible steps in a row (what most people do most of the time), so that tips
        do get sent between the random pokes."""
        agent = self.agents[who]
        plan = PLANS[who % len(PLANS)]
        for _ in range(actions):
            draft = agent.draft()
            try:
                self._do(
                    agent.act(plan, draft),
                    f"{agent.user.first_name} goes on at {draft and draft['step']}",
                )
            except LookupError:
                self._do(self.world.sb.send_text(agent.user, "/report"), "… and asks /report")
            if draft is not None and agent.draft() is None:
                break  # sent (or discarded)

    @rule(who=st.integers(0, RESIDENTS + 2), pick=st.integers(0, 10**6))
    def tap_a_button(self, who: int, pick: int) -> None:
        """Any inline button shown in the chat, the current question's or an old one's."""
        person = self.people[who]
        buttons = [
            (m["message_id"], b["callback_data"])
            for m in bot_messages(self.world.sb, person.id)
            for row in (m.get("reply_markup") or {}).get("inline_keyboard", [])
            for b in row
            if "callback_data" in b
        ]
        if buttons:
            message_id, data = buttons[-1 - pick % len(buttons)] if pick % 3 else buttons[-1]
            self._do(
                self.world.sb.press_callback(person, message_id, data),
                f"{person.first_name} taps {data!r} on #{message_id}",
            )

    @rule(who=st.integers(0, RESIDENTS + 2), pick=st.integers(0, 10**6))
    def type_text(self, who: int, pick: int) -> None:
        person, typed = self.people[who], TEXTS[pick % len(TEXTS)]
        self._do(
            self.world.sb.send_text(person, typed), f"{person.first_name} types {typed[:40]!r}"
        )

    @rule(who=st.integers(0, RESIDENTS - 1), pick=st.integers(0, 10**6))
    def send_a_command(self, who: int, pick: int) -> None:
        command = COMMANDS[pick % len(COMMANDS)]
        if command == "/status" and self.receipts and pick % 2:
            command += " " + self.receipts[pick % len(self.receipts)]
        person = self.residents[who]
        self._do(self.world.sb.send_text(person, command), f"{person.first_name} sends {command}")

    @rule(who=st.integers(0, RESIDENTS - 1), kind=st.sampled_from(
        ["photo", "sticker", "location", "contact", "voice", "reply keyboard"]))  # fmt: skip
    def send_something_else(self, who: int, kind: str) -> None:
        sb, person = self.world.sb, self.residents[who]
        step = f"{person.first_name} sends a {kind}"
        match kind:
            case "photo":
                self._do(sb.send_photo(person, caption="ảnh hiện trường" if who else None), step)
            case "sticker":
                self._do(sb.send_sticker(person), step)
            case "location":
                self._do(sb.send_location(person, 11.94, 108.44), step)
            case "contact":
                self._do(sb.send_contact(person), step)
            case "voice":
                self._do(sb.send_voice(person), step)
            case "reply keyboard":
                keyboard = sb.reply_keyboard(person.id) or {"keyboard": []}
                labels = [b["text"] for row in keyboard["keyboard"] for b in row]
                if labels:
                    label = labels[who % len(labels)]
                    self._do(sb.press_keyboard(person, label), f"{step}: {label}")

    @rule(who=st.integers(0, RESIDENTS + 2), pick=st.integers(0, 10**6))
    def forge_a_button(self, who: int, pick: int) -> None:
        """Data no button carries: another tip's id, another step, junk."""
        tips = self._rows("SELECT id, code FROM tips")
        tip = tips[pick % len(tips)] if tips else {"id": 1, "code": "T-000000"}
        data = FORGED[pick % len(FORGED)].format(tip=tip["id"], code=tip["code"])
        person = self.people[who]
        messages = bot_messages(self.world.sb, person.id)
        if messages:
            self._do(
                self.world.sb.press_callback(person, messages[-1]["message_id"], data),
                f"{person.first_name} forges {data!r}",
            )

    # --- what must hold --------------------------------------------------------------------

    def _rows(self, sql: str, params: tuple = ()) -> list[dict]:
        return rows(self.world.db_path, sql, params)

    @invariant()
    def database_and_chats_agree(self) -> None:
        self._check("nothing failed", self.nothing_failed)
        self._check("tips receipted and routed", self.every_tip_is_receipted_and_routed)
        self._check("drafts", self.drafts_only_for_people_mid_flow)

    def nothing_failed(self) -> None:
        refused = [(c.method, c.description) for c in self.world.sb.errors]
        assert not refused, refused
        assert not [r.getMessage() for r in self.world.errors]

    def every_tip_is_receipted_and_routed(self) -> None:
        for tip in self._rows("SELECT id, receipt_hash, commune_code, routed_at FROM tips"):
            assert re.fullmatch(r"[0-9a-f]{64}", tip["receipt_hash"]), tip
            cards = {
                r["chat_id"]
                for r in self._rows(
                    "SELECT chat_id FROM outbox WHERE kind = 'tip' AND dedupe_key LIKE ?",
                    (f"tip:{tip['id']}:{tip['routed_at']}:%",),
                )
            }
            assert cards == self._recipients(tip["commune_code"]), tip
        for row in self._rows(
            "SELECT o.chat_id, o.sent_message_id, o.payload FROM outbox AS o "
            "WHERE o.kind = 'tip' AND o.status = 'sent'"
        ):  # a delivered card is on record, so that later changes can reach it
            assert self._rows(
                "SELECT 1 FROM tip_notifications WHERE chat_id = ? AND message_id = ?",
                (row["chat_id"], row["sent_message_id"]),
            ), row

    def _recipients(self, commune: int | None) -> set[int]:
        chats = set()
        if commune is not None:
            chats = {
                r["officer_id"]
                for r in self._rows(
                    "SELECT oc.officer_id FROM officer_communes AS oc JOIN officers AS o "
                    "ON o.user_id = oc.officer_id WHERE oc.commune_code = ? AND o.active = 1",
                    (commune,),
                )
            } | {
                r["chat_id"]
                for r in self._rows(
                    "SELECT chat_id FROM commune_groups WHERE commune_code = ?", (commune,)
                )
            }
        if not chats:
            chats = {
                r["user_id"]
                for r in self._rows(
                    "SELECT user_id FROM officers WHERE role = 'admin' AND active = 1"
                )
            }
        return chats

    def drafts_only_for_people_mid_flow(self) -> None:
        key = self.world.bot.keys.pseudonym
        expected = {pseudonym(key, p.id) for p in self.people if self._mid_flow(p)}
        mine = {pseudonym(key, p.id) for p in self.people}
        stored = {r["pseudonym"] for r in self._rows("SELECT pseudonym FROM drafts")} & mine
        wrong = [p for p in self.people if (pseudonym(key, p.id) in stored) != self._mid_flow(p)]
        assert not wrong, [(p.first_name, self._events(p)) for p in wrong]
        assert stored == expected

    def _events(self, person) -> str:
        """The chat's last messages and edits, as the invariant read them."""
        events = self.world.sb.bot_messages_since(person.id, 0)[-8:]
        return "\n".join(f"  #{m['message_id']}: {text_of(m)[:90]!r}" for m in events)

    def _mid_flow(self, person) -> bool:
        """What the chat showed, message by message and edit by edit (a question is often
        edited in place into the next): the last word on a tip was its start (or "here is where
        you stopped"), not its receipt or its deletion."""
        for message in reversed(self.world.sb.bot_messages_since(person.id, 0)):
            shown = text_of(message)
            if any(marker in shown for marker in ENDED):
                if receipt := RECEIPT.search(shown):
                    self.receipts.append(receipt[1])
                return False
            if any(marker in shown for marker in STARTED):
                return True
        return False

    def teardown(self) -> None:
        self._check("no resident id in the database", self.no_resident_id_stored)

    def no_resident_id_stored(self) -> None:
        leaks = identity_leaks(self.world.db_path, self.world.residents_ever)
        assert not leaks, leaks[:5]


def _plain(text_html: str) -> str:
    import html

    first = re.split(r"\{[^}]*\}", text_html)[0]
    return html.unescape(re.sub(r"<[^>]+>", "", first)).strip()


PLANS = [
    TipPlan("crime", "drugs", "now", XUAN_HUONG, "xuan huong", "Có người bán ma túy", photo=True),
    TipPlan("fraud", "tasks", None, None, "", "Việc nhẹ lương cao", phones="0912 345 678"),
    TipPlan("forest", "logging", None, LANG_BIANG, "lang biang", "Cưa gỗ thông", urgent=True),
]
RESUME = "You have a tip you haven't sent yet. Here is where you stopped:"
SENT = "✅ <b>Your tip has been sent.</b> Its code is <code>{code}</code>."
DELETED = "Your unsent tip was deleted."
# Residents may switch language in the middle (a forged "lang:en" too): both count.
STARTED = [
    _plain(text)
    for lang in ("vi", "en")
    for text in (anonymity_note(texts(lang)), texts(lang).gettext(RESUME))
]
ENDED = [_plain(texts(lang).gettext(m)) for lang in ("vi", "en") for m in (SENT, DELETED)]


class _ErrorRecords(logging.Handler):
    def __init__(self, records: list[logging.LogRecord]) -> None:
        super().__init__(logging.ERROR)
        self.records = records

    def emit(self, record: logging.LogRecord) -> None:
        self.records.append(record)


@pytest.mark.slow  # a long simulation: hypothesis walks the whole state machine
def test_random_walks_keep_the_database_sound(tmp_path, audit_trail):
    loop = asyncio.new_event_loop()
    world = World(loop, tmp_path)
    catcher = _ErrorRecords(world.errors)
    logging.getLogger().addHandler(catcher)
    try:
        with log_to(tmp_path / "info.log", "INFO"):
            world.run(world.start())
            trail = audit_trail.add("state machine", world.db_path, [tmp_path / "info.log"])
            TipbotMachine.world = world
            try:
                run_state_machine_as_test(
                    TipbotMachine,
                    settings=settings(
                        max_examples=EXAMPLES,
                        stateful_step_count=STEPS,
                        deadline=None,
                        derandomize=True,
                        database=None,
                        # The bot lives on between examples, so a replay is not the same run:
                        # report the first failing sequence as it happened.
                        phases=[Phase.explicit, Phase.generate],
                        report_multiple_bugs=False,
                        suppress_health_check=list(HealthCheck),
                    ),
                )
            finally:
                trail.residents += world.residents_ever
                world.run(world.stop())
    finally:
        logging.getLogger().removeHandler(catcher)
        loop.close()
    with sqlite3.connect(world.db_path) as conn:
        tips = conn.execute("SELECT count(*) FROM tips").fetchone()[0]
    print(f"state machine: {len(world.residents_ever)} residents, {tips} tips sent")
    assert not world.failures, "\n\n".join(world.failures[:3])
    assert tips > 0, "the walks never sent a tip: they prove little"
