"""Anonymity audit: after a whole scenario of its own — and after every other reliability test
that ran, whose databases and logs it reads too (it runs last) — nothing on disk ties a resident
to a tip. The scenario is the module's own (the `scenario` fixture), so the audit holds alone.

- The database (every table, every column, read through SQLite, so the WAL's latest state too)
  holds no resident's Telegram id, username, names or phone number; neither do the raw bytes of
  the database file, its WAL and shared-memory file (deleted rows and old page versions linger
  there), searched for the text and for the id as SQLite stores an integer.
- No row tied to a tip (the tip's own, and every row naming it) holds its tipster's language in
  clear: beside the subscribers' languages it would narrow an English tip down to the few
  English speakers. The language lives only in the sealed way back.
- No log holds the bot token.
- Logs at INFO (production's level) hold no resident identity, receipt or tip text, and neither
  do logs at DEBUG, which an operator turns on to investigate (issue 6, point 8). The logs are
  written by production's own `configure_logging`: the subprocess's through `tipbot run`, the
  in-process bots' through `tests/reliability/conftest.py:log_to`.
"""

from __future__ import annotations

import asyncio
import json
import re
import sqlite3
from dataclasses import dataclass
from pathlib import Path

import pytest

import handlers.flood
from bot.config import load_config, load_keys
from sandbox.server import Sandbox
from sandbox.world import User
from tests.conftest import TOKEN, RunningBot, bot_env
from tests.e2e.driver import text_of
from tests.reliability.conftest import Trail, log_to
from tests.reliability.plans import XUAN_HUONG
from tests.reliability.support import (
    Resident,
    TipPlan,
    achieve,
    bot_messages,
    identity_leaks,
    needles,
    raw_leaks,
    rows,
    settle,
    tap_data,
)
from tests.support.officers import register_officer


@dataclass
class Scenario:
    """What the module's own scenario left, and what was seen while the bot ran."""

    trail: Trail
    hanh: User
    officer_saw: str  # every text the officer was shown
    wal_existed: bool
    leaks_while_running: list[str]
    raw_leaks_while_running: list[str]
    raw_leaks_after_stop: list[str]
    languages_beside_tips: list[str]  # places tied to a tip that hold its tipster's language


@pytest.fixture(scope="module")
def scenario(tmp_path_factory) -> Scenario:
    """The module's own data, made once in an event loop of its own, so that every audit below
    holds under `-k` too: two residents send tips (one shares her location and phone number),
    an officer works the tip with a question, an answer with a photo, a resolution and a
    public reply, and residents and a stranger check /status; the bot logs at DEBUG."""
    return asyncio.run(_play(tmp_path_factory.mktemp("anonymity")))


@pytest.fixture
def trails(scenario, audit_trail) -> list[Trail]:
    """The scenario's trail, and those of the reliability tests that ran before (all of them
    in a whole run: the audit runs last)."""
    return [scenario.trail, *audit_trail.trails]


async def _play(directory: Path) -> Scenario:
    sandbox = Sandbox(token=TOKEN, bot_username="tipbot_test_bot")
    await sandbox.start()
    admin_user = sandbox.add_user("Quản trị", language_code="vi")
    env = bot_env(sandbox, directory / "data", TIPBOT_ADMIN_IDS=str(admin_user.id))
    config = load_config(env)
    bot = RunningBot(sandbox, config, load_keys(config, env), env)
    with pytest.MonkeyPatch.context() as patch, log_to(directory / "debug.log") as log:
        patch.setattr(handlers.flood, "REFILL_PER_SECOND", 1000.0)  # as tests/conftest.py
        patch.setattr(handlers.flood, "_buckets", {})
        await bot.start()
        try:
            return await _scenario(sandbox, bot, admin_user, log)
        finally:
            await bot.stop()
            await sandbox.stop()


async def _scenario(sandbox, bot, admin_user, debug_log: Path) -> Scenario:
    db = bot.config.db_path
    trail = Trail("anonymity scenario", db, [debug_log])
    officer = sandbox.add_user("Phạm Văn Cán Bộ", username="officer_pham")
    await register_officer(sandbox, db, officer, XUAN_HUONG)
    await sandbox.send_text(admin_user, "/start")
    hanh = sandbox.add_user(
        "Hạnh Q7X", last_name="Trịnh-Quỳnh", username="hanh_tipster_q7x", language_code="vi"
    )
    tom = sandbox.add_user("Tommy Z3K", username="tom_victim_z3k", language_code="en")
    trail.residents += [hanh, tom]

    def agent(user) -> Resident:
        skip = "Skip" if user.language_code == "en" else "Bỏ qua"
        return Resident(sandbox, user, db, bot.keys.pseudonym, lambda _v: settle(bot), skip)

    # Hạnh shares her location and, from the review, her phone number; Tom reports a scam.
    crime = TipPlan(
        "crime", "drugs", "now", XUAN_HUONG, "xuan huong", "Bán ma túy ở quán karaoke",
        photo=True, share_location=True, share_phone=True,
    )  # fmt: skip
    fraud = TipPlan(
        "fraud", "investment", None, None, "", "Sàn đầu tư tiền ảo", phones="0912 345 678"
    )
    hanh_tip = await agent(hanh).send_tip(crime)
    tom_tip = await agent(tom).send_tip(fraud)
    assert hanh_tip.receipt and tom_tip.receipt
    trail.receipts += [hanh_tip.receipt, tom_tip.receipt]
    trail.texts += [crime.description, fraud.description, "Quán tên gì?", "Quán Hoa Hồng, số 12",
                    "Đã xử lý. Cảm ơn bạn!"]  # fmt: skip
    [tip] = rows(db, "SELECT id, code FROM tips WHERE code = ?", (hanh_tip.code,))

    # The officer acknowledges, asks; Hạnh answers with text and a photo; the officer resolves
    # the tip with a public reply; both residents (and a stranger) check /status.
    await achieve(bot, "ack", lambda: tap_data(sandbox, officer, f"o:ack:{tip['id']}"),
                  lambda: _status(db, tip["id"]) == "acknowledged")  # fmt: skip
    await achieve(bot, "ask", lambda: tap_data(sandbox, officer, f"o:ask:{tip['id']}"),
                  lambda: _waiting(db, "question"))  # fmt: skip
    await sandbox.send_text(officer, "Quán tên gì?")
    await sandbox.wait_for_message(hanh.id, timeout=20, predicate=lambda m: "Quán tên gì" in
                                   text_of(m), since=0)  # fmt: skip
    await achieve(bot, "reply", lambda: tap_data(sandbox, hanh, f"r:{tip['code']}"),
                  lambda: _waiting(db, "answer"))  # fmt: skip
    await sandbox.send_photo(hanh, caption="Quán Hoa Hồng, số 12")
    await settle(bot)
    await achieve(
        bot,
        "status",
        lambda: tap_data(sandbox, officer, f"o:status:{tip['id']}"),
        lambda: any(
            m.get("reply_markup") and f"o:set:{tip['id']}:resolved" in str(m["reply_markup"])
            for m in bot_messages(sandbox, officer.id)
        ),
    )
    await achieve(
        bot,
        "resolve",
        lambda: tap_data(sandbox, officer, f"o:set:{tip['id']}:resolved"),
        lambda: _status(db, tip["id"]) == "resolved",
    )
    await achieve(bot, "write a reply", lambda: tap_data(sandbox, officer, f"o:reply:{tip['id']}"),
                  lambda: _waiting(db, "reply"))  # fmt: skip
    await sandbox.send_text(officer, "Đã xử lý. Cảm ơn bạn!")
    stranger = sandbox.add_user("Người lạ W9P", language_code="vi")
    trail.residents.append(stranger)
    for user, receipt in ((hanh, hanh_tip.receipt), (tom, tom_tip.receipt),
                          (stranger, hanh_tip.receipt)):  # fmt: skip
        await sandbox.send_text(user, f"/status {receipt}")
    await settle(bot)
    await sandbox.wait_for_message(
        hanh.id, timeout=20, predicate=lambda m: "Cảm ơn bạn!" in text_of(m), since=0
    )
    # While the bot runs, its latest writes are in the WAL: read through SQLite and raw.
    people = [hanh, tom, stranger]
    seen = Scenario(
        trail,
        hanh,
        officer_saw="\n".join(text_of(m) for m in bot_messages(sandbox, officer.id)),
        wal_existed=Path(f"{db}-wal").exists(),
        leaks_while_running=identity_leaks(db, people),
        raw_leaks_while_running=raw_leaks(db, people),
        raw_leaks_after_stop=[],
        languages_beside_tips=(
            _language_beside_tip(db, hanh_tip.code, "vi")
            + _language_beside_tip(db, tom_tip.code, "en")
        ),
    )
    await bot.stop()
    seen.raw_leaks_after_stop = raw_leaks(db, people)  # after the checkpoint at shutdown, too
    return seen


def test_a_whole_scenario_leaves_no_trace_of_the_tipsters(scenario):
    # The officer saw the phone number Hạnh chose to share; nothing else of her.
    hanh = scenario.hanh
    assert hanh.phone_number.lstrip("+")[-8:] in scenario.officer_saw.replace(" ", "")
    for needle in (str(hanh.id), "hanh_tipster_q7x", "Trịnh-Quỳnh", "Hạnh Q7X"):
        assert needle not in scenario.officer_saw
    assert scenario.wal_existed  # so the raw search below did read the latest writes
    assert scenario.leaks_while_running == []
    assert scenario.raw_leaks_while_running == []
    assert scenario.raw_leaks_after_stop == []


def test_no_row_tied_to_a_tip_holds_the_tipsters_language(scenario):
    """Tom wrote in English and Hạnh in Vietnamese; officers are shown it (from the sealed way
    back), and no column tied to either tip holds it."""
    assert "🇻🇳" in scenario.officer_saw  # the card names Hạnh's language: it was there to leak
    assert scenario.languages_beside_tips == []


def test_the_suite_left_no_identity_in_any_database(trails):
    """Every database the reliability tests wrote (crashes, storm, bad input, fuzzing)."""
    for trail in trails:
        assert trail.db_path.exists(), trail.name
        assert identity_leaks(trail.db_path, trail.residents) == [], trail.name
        assert raw_leaks(trail.db_path, trail.residents) == [], trail.name


def test_no_log_holds_the_token(trails):
    _, secret = TOKEN.split(":")
    for trail in trails:
        for log in trail.logs:
            text = log.read_text(errors="replace")
            assert text, f"{trail.name}: empty log {log}"
            assert TOKEN not in text and secret not in text, f"{trail.name}: {log}"


def test_info_logs_hold_no_identity_receipt_or_tip_text(trails):
    """What production writes (INFO and above): events, never who or what."""
    for trail in trails:
        for log in trail.logs:
            lines = _lines_at_or_above_info(log)
            found = _identities(lines, trail) + _secrets(lines, trail)
            assert found == [], f"{trail.name}: {found[:5]}"


def test_debug_logs_hold_no_identity_receipt_or_tip_text(trails):
    """What an operator turns on to investigate: the libraries log every Bot API call and update
    at DEBUG, and bot/logging_setup.py must strip them of what residents sent."""
    debug_logs = [(t, log) for t in trails for log in t.logs if _is_debug(log)]
    assert debug_logs, "no test logged at DEBUG"
    for trail, log in debug_logs:
        lines = log.read_text(errors="replace")
        found = _identities(lines, trail) + _secrets(lines, trail)
        assert found == [], f"{trail.name}: {found[:5]}"


# --- helpers --------------------------------------------------------------------------------------


def _status(db, tip_id: int) -> str:
    return rows(db, "SELECT status FROM tips WHERE id = ?", (tip_id,))[0]["status"]


def _waiting(db, kind: str) -> bool:
    return bool(rows(db, "SELECT 1 FROM pending_inputs WHERE kind = ?", (kind,)))


def _language_beside_tip(db, code: str, language: str) -> list[str]:
    """Every column of the tip's row, and of each row naming the tip (by tip_id, to_tipster_of or
    an outbox payload's tip_id), that holds `language` or a column named after languages."""
    found = []
    with sqlite3.connect(db) as conn:
        [tip_id] = conn.execute("SELECT id FROM tips WHERE code = ?", (code,)).fetchone()
        tables = [r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type='table'")]
        for table in tables:
            columns = {r[1] for r in conn.execute(f"PRAGMA table_info({table})")}
            tied = [c for c in ("tip_id", "to_tipster_of") if c in columns]
            if table == "tips":
                tied = ["id"]
            where = " OR ".join(f"{c} = :tip" for c in tied)
            if table == "outbox":
                where += " OR json_extract(payload, '$.tip_id') = :tip"
            if not where:
                continue
            cursor = conn.execute(f"SELECT * FROM {table} WHERE {where}", {"tip": tip_id})
            names = [d[0] for d in cursor.description]
            for values in cursor:
                for column, value in zip(names, values, strict=True):
                    if "language" in column or _holds(value, language):
                        found.append(f"{table}.{column} of {code}")
    return found


def _holds(value, language: str) -> bool:
    """`value` is the language, or JSON with the language among its keys or values."""
    if not isinstance(value, str):
        return False
    if value == language:
        return True
    try:
        parsed = json.loads(value)
    except ValueError:
        return False
    text = json.dumps(parsed)
    return f'"{language}"' in text or '"language"' in text


_LEVEL = re.compile(r"^time=\S+ level=(\w+) ", re.MULTILINE)


def _is_debug(log: Path) -> bool:
    return "level=DEBUG" in log.read_text(errors="replace")


def _lines_at_or_above_info(log: Path) -> str:
    """The log as production (INFO) would have written it: records below INFO left out, a
    record's continuation lines (a traceback) kept with it."""
    kept, keep = [], True
    for line in log.read_text(errors="replace").splitlines():
        if match := _LEVEL.match(line):
            keep = match[1] != "DEBUG"
        if keep:
            kept.append(line)
    return "\n".join(kept)


def _identities(text: str, trail) -> list[str]:
    return [f"{n!r} of {p.first_name}" for p in trail.residents for n in needles(p) if n in text]


def _secrets(text: str, trail) -> list[str]:
    receipts = [f"receipt {r}" for r in trail.receipts if r and r in text]
    return receipts + [f"tip text {typed!r}" for typed in trail.texts if typed in text]


def test_the_scanners_find_what_they_look_for(tmp_path):
    """The audit is not vacuous: an id, a name or a phone put in a table is found, and a deleted
    row is still found in the raw bytes until SQLite overwrites it."""
    import sqlite3

    from sandbox.world import User

    person = User(7_000_123_456, "Lộ Danh K4M", username="lo_danh_k4m", phone_number="+84901234567")
    db = tmp_path / "leaky.sqlite3"
    with sqlite3.connect(db) as conn:
        conn.execute("CREATE TABLE tips (id INTEGER PRIMARY KEY, note TEXT, who INTEGER)")
        conn.execute("INSERT INTO tips VALUES (1, 'gọi +84901234567', NULL)")
        conn.execute("INSERT INTO tips VALUES (2, 'bình thường', ?)", (person.id,))
    assert len(identity_leaks(db, [person])) == 2
    with sqlite3.connect(db) as conn:
        conn.execute("PRAGMA secure_delete = OFF")  # as many SQLite builds ship
        conn.execute("DELETE FROM tips")
    assert identity_leaks(db, [person]) == []
    found = " ".join(raw_leaks(db, [person]))
    assert "+84901234567" in found and "as an integer" in found


async def test_deleted_rows_are_erased_from_the_file(tmp_path):
    """What retention deletes (a tipster's sealed way back) must not stay readable in the
    file's free space, whatever SQLite build the server runs (storage/db.py turns
    secure_delete on)."""
    from storage.db import Database

    db = await Database.open(tmp_path / "erase.sqlite3")
    try:
        assert await db.fetch_value("PRAGMA secure_delete") == 1
        async with db.transaction():
            await db.execute(
                "INSERT INTO pending_inputs (key, kind, data, expires_at) VALUES (?, ?, ?, ?)",
                ("tipster:MARKER-9Q4Z", "answer", '{"x": "MARKER-9Q4Z"}', 0),
            )
        async with db.transaction():
            await db.execute("DELETE FROM pending_inputs")
        await db.fetch_value("PRAGMA wal_checkpoint(TRUNCATE)")
    finally:
        await db.close()
    assert b"MARKER-9Q4Z" not in (tmp_path / "erase.sqlite3").read_bytes()
