"""SIGKILL of the bot process at random moments while several residents are in the middle of
their tips: not only between steps, but inside handlers, between a commit and its reply, during a
send. Each kill is one trial; the bot is restarted at once on the same database.

What must hold:
- a tip whose receipt the resident saw is in the database, from the moment the receipt was shown
  (checked with the process dead), and its receipt works with /status;
- every draft continues after a restart, never going back a step, and every tip arrives whole;
- every tip reaches its commune's officers at least once (the outbox resumes after a crash);
- every resident sees the receipt of every tip they sent: one cut off by a kill between the
  tip's commit and its receipt is shown when they tap Send again (it was kept sealed).

The bot runs as `tipbot run` in a subprocess (WarmBotProcess in tests/e2e/bot_process.py: the
next process waits, imports done, so that many kills fit in a test). The seed is printed on
failure; TIPBOT_RELIABILITY_SEED=<n> replays another sequence.

A kill in the middle of a broadcast is tried in tests/e2e/test_bulletins_broadcast.py: every
subscriber gets the bulletin once.
"""

from __future__ import annotations

import asyncio
import os
import random
from collections import Counter

import pytest

from tests.conftest import bot_env
from tests.e2e.bot_process import WarmBotProcess
from tests.e2e.driver import Person, text_of
from tests.reliability.plans import COMMUNES, plan
from tests.reliability.support import (
    Outcome,
    Resident,
    answered_then_quiet,
    bot_messages,
    drain_outbox,
    receipt_is_stored,
    resident_name,
    rows,
    tap_data,
)
from tests.support.officers import register_officer

SEED = int(os.environ.get("TIPBOT_RELIABILITY_SEED", "20250701"))
KILLS = 22  # trials
RESIDENTS = 5
LONGEST_LIFE = 1.0  # seconds the bot runs between two kills, at most


@pytest.mark.slow  # the bot runs as `tipbot run` in a subprocess
async def test_sigkill_at_random_moments_loses_no_tip(sandbox, tmp_path, audit_trail):
    rng = random.Random(SEED)
    data = tmp_path / "data"
    admin = sandbox.add_user("Quản trị", language_code="vi")  # the province queue: fraud tips
    env = bot_env(
        sandbox,
        data,
        TIPBOT_ADMIN_IDS=str(admin.id),
        TIPBOT_LOG_LEVEL="DEBUG",
        TIPBOT_MAX_TIPS_PER_DAY="1000",
    )
    log_path = tmp_path / "bot.log"
    process = WarmBotProcess(sandbox, env, log_path)
    db_path = data / "tipbot.sqlite3"
    trail = audit_trail.add("random kills", db_path, [log_path])
    await process.start()
    try:
        await _trials(sandbox, process, db_path, rng, trail)
    except BaseException as error:
        error.add_note(f"random kills: seed {SEED} (TIPBOT_RELIABILITY_SEED to replay)")
        raise
    finally:
        await process.terminate()
    log = log_path.read_text(errors="replace")
    assert "Traceback" not in log and "handler_error" not in log, f"seed {SEED}"


async def _trials(sandbox, process: WarmBotProcess, db_path, rng: random.Random, trail) -> None:
    from bot.config import load_config, load_keys

    config = load_config(process.env)
    keys = load_keys(config, process.env)
    admin = sandbox.users[int(process.env["TIPBOT_ADMIN_IDS"])]
    await Person(sandbox, admin, timeout=30).send("/start", expect=None)
    officers = {None: admin}
    for number, commune in enumerate(COMMUNES):
        officers[commune] = sandbox.add_user(f"Cán bộ {number}", language_code="vi")
        await register_officer(sandbox, db_path, officers[commune], commune)

    residents = []
    for n in range(RESIDENTS):
        user = sandbox.add_user(resident_name(n), username=f"resident_{n}_q9", language_code="vi")
        trail.residents.append(user)
        residents.append(
            Resident(sandbox, user, db_path, keys.pseudonym, answered_then_quiet(sandbox, user.id))
        )
    killing = True

    async def keep_reporting(number: int, resident: Resident) -> None:
        tip = 0
        while killing:
            await resident.send_tip(plan(number + tip, f"R{number}-T{tip}"))
            tip += 1

    tasks = [asyncio.create_task(keep_reporting(n, r)) for n, r in enumerate(residents)]
    verified: set[str] = set()
    in_flight = []  # residents in the middle of a tip at each kill
    try:
        for _trial in range(KILLS):
            await asyncio.sleep(rng.uniform(0.05, LONGEST_LIFE))
            for task in tasks:
                if task.done():
                    task.result()  # a resident who gave up: fail now, with their reason
            process.kill()
            in_flight.append(rows(db_path, "SELECT count(*) AS n FROM drafts")[0]["n"])
            # The process is dead: every receipt shown so far must already be in the file.
            for resident in residents:
                for outcome in resident.outcomes:
                    if outcome.receipt and outcome.code not in verified:
                        assert receipt_is_stored(
                            db_path, keys.receipt_salt, outcome.code, outcome.receipt
                        ), f"receipt of {outcome.code} shown, tip not stored"
                        verified.add(outcome.code)
            await process.start()
        killing = False
        await asyncio.wait_for(asyncio.gather(*tasks), 120)
    finally:
        killing = False
        for task in tasks:
            task.cancel()
    cut_off = await _kill_between_commit_and_receipt(sandbox, process, db_path, keys, trail)

    outcomes = [o for r in residents for o in r.outcomes] + [cut_off]
    assert not [o.plan.description for o in outcomes if o.vanished], "a draft vanished untold"
    assert sum(n > 0 for n in in_flight) >= KILLS * 3 // 4, f"kills missed the tips: {in_flight}"
    assert [r.regressions for r in residents] == [[]] * RESIDENTS, "a draft went back a step"

    # Every tip is stored once and whole, receipt shown or not.
    tips = rows(db_path, "SELECT * FROM tips")
    assert len(tips) == len(outcomes)
    for outcome in outcomes:
        sent = outcome.plan
        [tip] = [t for t in tips if sent.description in t["description"]]
        # A text sent again after a crash may be there twice; nothing else may.
        assert set(tip["description"].split("\n")) == {sent.description}
        assert (tip["category"], tip["kind"], tip["commune_code"]) == (
            sent.category,
            sent.kind,
            sent.commune,
        )
        if outcome.code:
            assert tip["code"] == outcome.code
        attachments = rows(
            db_path, "SELECT count(*) AS n FROM tip_attachments WHERE tip_id = ?", (tip["id"],)
        )[0]["n"]
        assert (attachments >= 1) == sent.photo
    # Drafts left behind can only be a fresh one from a "where was I?" /report.
    for draft in rows(db_path, "SELECT step FROM drafts"):
        assert draft["step"] == "category"

    # Every receipt shown works with /status, from any account.
    checker = Person(sandbox, sandbox.add_user(resident_name(99), language_code="vi"), timeout=20)
    trail.residents.append(checker.user)
    shown = [o for o in outcomes if o.receipt]
    for outcome in shown:
        reply = await checker.send(f"/status {outcome.receipt}", expect=outcome.code)
        assert "Tình trạng" in text_of(reply)
    trail.receipts += [o.receipt for o in shown]
    trail.texts += [o.plan.description for o in outcomes]

    # Every tip reached the officers of its commune (or the province queue, the admin) at least
    # once, crashes notwithstanding.
    await drain_outbox(db_path, timeout=60)
    assert rows(db_path, "SELECT count(*) AS n FROM outbox WHERE status != 'sent'")[0]["n"] == 0
    duplicates = 0
    for tip in tips:
        cards = [
            m for m in bot_messages(sandbox, officers[tip["commune_code"]].id)
            if tip["code"] in text_of(m) and m.get("reply_markup")
        ]  # fmt: skip
        assert cards, f"the card of {tip['code']} never reached its officers"
        duplicates += len(cards) - 1
    refused = Counter((c.method, c.description) for c in sandbox.errors if not c.injected)
    assert not refused, refused
    lost = sum(o.receipt_lost for o in outcomes)
    recovered = sum(o.receipt_recovered and o.receipt is not None for o in outcomes)
    assert lost == 0, f"{lost} receipts never reached their residents (seed {SEED})"
    print(
        f"random kills (seed {SEED}): {KILLS} kills with {in_flight} drafts in flight, "
        f"{len(outcomes)} tips, "
        f"{len(shown)} receipts shown, {recovered} of them only at a second tap on Send (cut "
        f"off by a kill or lost), {duplicates} duplicate cards (a kill between a send and its "
        f"record)"
    )


async def _kill_between_commit_and_receipt(sandbox, process, db_path, keys, trail) -> Outcome:
    """One kill placed where a random one rarely lands: the tip committed, its receipt's send
    failed (a dropped connection) and waiting to be retried. The resident, who saw no receipt,
    taps Send again and is shown it."""
    user = sandbox.add_user(resident_name(50), language_code="vi")
    trail.residents.append(user)
    resident = Resident(
        sandbox, user, db_path, keys.pseudonym, answered_then_quiet(sandbox, user.id)
    )
    tip_plan = plan(1, "R50-T0")
    for _action in range(60):
        draft = resident.draft()
        if draft is not None and draft["step"] == "review":
            break
        before = sandbox.version
        try:
            await resident.act(tip_plan, draft)
        except LookupError:
            await sandbox.send_text(user, "/report")
        await resident.wait(before)
    else:
        raise AssertionError(f"the resident never reached the review: {resident.draft()}")
    since = sandbox.version
    sandbox.fail_next("sendMessage", count=3, kind="drop")
    await tap_data(sandbox, user, "t:review:send")
    for _ in range(1000):
        if resident.draft() is None:
            break  # committed
        await asyncio.sleep(0.005)
    process.kill()
    assert not [m for m in bot_messages(sandbox, user.id) if "/status" in text_of(m)]
    await process.start()
    outcome = Outcome(tip_plan)
    await resident._receipt(outcome, since)
    # Shown after the restart: at the resident's second tap on Send, or at the tap's update
    # delivered again by Telegram if the kill came before the bot confirmed it.
    assert outcome.receipt, "the receipt cut off by the kill was never shown"
    return outcome
