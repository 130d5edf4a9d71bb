"""A whole working day under a fault storm: the sandbox fails about 10 % of the bot's calls at
random, the long poll included (429 with retry_after, 500, 502, connections dropped before or
after the call is carried out, late answers) while residents send tips, officers acknowledge
them, ask questions, get answers and set statuses.

What must hold:
- nothing crashes: no handler_error, no Traceback in the DEBUG log;
- everything that goes through the outbox arrives: every officer notification and every message to
  a tipster (all rows 'sent', each message in its chat), and none twice except where a dropped
  connection hid whether Telegram had carried the call out (those are counted);
- the intake never loses a committed tip and never shows a receipt for an uncommitted one.
Replies a handler sends directly (not through the outbox) may be lost to a fault: people then
tap or send again, which the actors here do, as people would.

The seed is printed on failure; TIPBOT_RELIABILITY_SEED=<n> replays another storm.
"""

from __future__ import annotations

import asyncio
import os
from collections import Counter

import pytest

from bot import outbox_worker
from tests.e2e.driver import text_of
from tests.reliability.plans import LANG_BIANG, XUAN_HUONG
from tests.reliability.support import (
    Resident,
    TipPlan,
    achieve,
    bot_messages,
    drain_outbox,
    receipt_is_stored,
    resident_name,
    rows,
    settle,
    shows_button,
    tap_data,
)
from tests.support.officers import register_officer

SEED = int(os.environ.get("TIPBOT_RELIABILITY_SEED", "20250701"))
RATE = 0.10


@pytest.fixture
def bot_settings(admin_user):
    return {"TIPBOT_ADMIN_IDS": str(admin_user.id)}


@pytest.fixture(autouse=True)
def quick_retries(monkeypatch):
    """The outbox's first retry comes after 1 s instead of 5 (then 2, 4…): the same backoff,
    compressed so that a storm fits in a test."""
    monkeypatch.setattr(outbox_worker, "RETRY_BASE", 1)


PLANS = [
    TipPlan("crime", "drugs", "now", XUAN_HUONG, "xuan huong", "Storm A: bán ma túy", photo=True,
            urgent=True),
    TipPlan("forest", "logging", None, XUAN_HUONG, "xuan huong", "Storm B: cưa gỗ thông"),
    TipPlan("other", None, None, LANG_BIANG, "lang biang", "Storm C: trộm chó <b>&</b> gà"),
    TipPlan("fraud", "tasks", None, None, "", "Storm D: việc nhẹ lương cao",
            phones="0912 345 678"),
]  # fmt: skip


@pytest.mark.slow  # a long simulation: a working day under faults
async def test_a_working_day_in_a_fault_storm(sandbox, bot, admin_user, debug_log, audit_trail):
    trail = audit_trail.add("fault storm", bot.config.db_path, [debug_log])
    try:
        await _working_day(sandbox, bot, admin_user, trail)
    except BaseException as error:
        error.add_note(f"fault storm: seed {SEED} (TIPBOT_RELIABILITY_SEED to replay)")
        raise
    log = debug_log.read_text(errors="replace")
    assert "handler_error" not in log and "Traceback" not in log, f"seed {SEED}"


async def _working_day(sandbox, bot, admin_user, trail) -> None:
    db = bot.config.db_path
    await sandbox.send_text(admin_user, "/start")
    minh, hoa = sandbox.add_user("Minh"), sandbox.add_user("Hoa")
    await register_officer(sandbox, db, minh, XUAN_HUONG)
    await register_officer(sandbox, db, hoa, LANG_BIANG)
    officer_of = {XUAN_HUONG: minh, LANG_BIANG: hoa, None: admin_user}
    people = [sandbox.add_user(resident_name(n), language_code="vi") for n in range(len(PLANS))]
    trail.residents += people
    trail.texts += [p.description for p in PLANS]
    residents = [
        Resident(sandbox, user, db, bot.keys.pseudonym, lambda _since: settle(bot))
        for user in people
    ]

    sandbox.storm(RATE, seed=SEED, retry_after=1, delay=0.2, get_updates=True)
    # Morning: four residents send their tips at once.
    outcomes = await asyncio.gather(*(r.send_tip(p) for r, p in zip(residents, PLANS, strict=True)))
    assert not [o for o in outcomes if o.vanished], "a committed draft left no tip"
    for outcome in outcomes:
        if outcome.receipt:
            assert receipt_is_stored(db, bot.keys.receipt_salt, outcome.code, outcome.receipt)
    tips = {t["description"]: t for t in rows(db, "SELECT * FROM tips")}
    assert len(tips) == len(PLANS)
    tip_of = {p.description: tips[p.description] for p in PLANS}
    resident_of = {tip_of[p.description]["id"]: r for p, r in zip(PLANS, people, strict=True)}

    def status(tip_id: int) -> str:
        return rows(db, "SELECT status FROM tips WHERE id = ?", (tip_id,))[0]["status"]

    def thread(tip_id: int, kind: str) -> list[str]:
        return [
            r["body"]
            for r in rows(
                db, "SELECT body FROM tip_messages WHERE tip_id = ? AND kind = ?", (tip_id, kind)
            )
        ]

    def waiting(kind: str, tip_id: int | None = None) -> bool:
        """Someone was asked to type this (a tipster's pending answer names no tip in clear)."""
        return any(
            r["kind"] == kind and (tip_id is None or f'"tip_id": {tip_id}' in r["data"])
            for r in rows(db, "SELECT kind, data FROM pending_inputs")
        )

    def tap(user, data: str):
        return tap_data(sandbox, user, data)

    # The officers acknowledge every tip from its card.
    tries = Counter()
    for plan in PLANS:
        tip = tip_of[plan.description]
        officer = officer_of[plan.commune]
        tries["ack"] += await achieve(
            bot, f"acknowledge {tip['code']}",
            lambda o=officer, t=tip: tap(o, f"o:ack:{t['id']}"),
            lambda t=tip: status(t["id"]) == "acknowledged",
        )  # fmt: skip

    # Follow-up: Minh asks about two tips; their tipsters answer through the Reply button.
    for plan, question, answer in (
        (PLANS[0], "Quán ở số nhà mấy?", "Số 12 Phan Đình Phùng"),
        (PLANS[1], "Xe chở gỗ màu gì?", "Xe tải xanh, biển 49C"),
    ):
        tip = tip_of[plan.description]
        tipster = resident_of[tip["id"]]
        await achieve(
            bot, "ask", lambda t=tip: tap(minh, f"o:ask:{t['id']}"),
            lambda t=tip: waiting("question", t["id"]),
        )  # fmt: skip
        await achieve(
            bot, "question", lambda q=question: sandbox.send_text(minh, q),
            lambda t=tip, q=question: thread(t["id"], "question") == [q],
        )  # fmt: skip
        await sandbox.wait_for_message(
            tipster.id, timeout=60, predicate=lambda m, q=question: q in text_of(m), since=0
        )
        await achieve(
            bot, "reply button", lambda u=tipster, t=tip: tap(u, f"r:{t['code']}"),
            lambda: waiting("answer"),
        )  # fmt: skip
        await achieve(
            bot, "answer", lambda u=tipster, a=answer: sandbox.send_text(u, a),
            lambda t=tip, a=answer: thread(t["id"], "answer") == [a],
        )  # fmt: skip

    # Statuses: one resolved with a public reply, one under investigation.
    resolved, investigated = tip_of[PLANS[0].description], tip_of[PLANS[2].description]
    for tip, officer, value in ((resolved, minh, "resolved"), (investigated, hoa, "investigating")):
        await achieve(
            bot, "status menu", lambda o=officer, t=tip: tap(o, f"o:status:{t['id']}"),
            lambda o=officer, t=tip, v=value: any(
                shows_button(m, f"o:set:{t['id']}:{v}") for m in bot_messages(sandbox, o.id)
            ),
        )  # fmt: skip
        await achieve(
            bot, value, lambda o=officer, t=tip, v=value: tap(o, f"o:set:{t['id']}:{v}"),
            lambda t=tip, v=value: status(t["id"]) == v,
        )  # fmt: skip
    reply = "Đã bắt giữ hai đối tượng. Cảm ơn bạn!"
    reply_prompt_lost = False
    try:
        await achieve(
            bot, "reply button", lambda: tap(minh, f"o:reply:{resolved['id']}"),
            lambda: waiting("reply", resolved["id"]),
        )  # fmt: skip
    except AssertionError:  # the "add a reply?" message itself was lost: a direct reply
        reply_prompt_lost = True
    if not reply_prompt_lost:
        await achieve(
            bot, "reply", lambda: sandbox.send_text(minh, reply),
            lambda: thread(resolved["id"], "reply") == [reply],
        )  # fmt: skip

    # (Bulletins: a broadcast to subscribers belongs here, inside the storm, once the sender
    # exists; its check below would be "every subscriber got it once", like the outbox's.)

    # Every receipt shown works with /status, asked again until an answer gets through.
    for outcome, user in zip(outcomes, people, strict=True):
        if outcome.receipt:
            await achieve(
                bot, "/status",
                lambda u=user, o=outcome: sandbox.send_text(u, f"/status {o.receipt}"),
                lambda u=user, o=outcome: any(
                    o.code in text_of(m) and "Tình trạng" in text_of(m)
                    for m in bot_messages(sandbox, u.id)
                ),
            )  # fmt: skip

    sandbox.calm()
    await drain_outbox(db, timeout=90)
    await settle(bot)
    injected = Counter(c.fault for c in sandbox.injected)
    assert sum(injected.values()) >= 10, f"the storm was too weak to prove anything: {injected}"

    # Everything the outbox had to send went out, each message in its chat, once: a second copy
    # only where a connection dropped after Telegram had carried the send out.
    sent = rows(db, "SELECT * FROM outbox ORDER BY id")
    assert [r for r in sent if r["status"] != "sent"] == []
    carried_out = [c for c in sandbox.calls if _is_send(c) and (c.ok or c.fault == "drop_after")]
    duplicates = unknowable = 0
    for row in sent:
        if row["kind"] == "refresh":
            continue  # an edit of a card already there
        chat_id = row["chat_id"] or resident_of[row["to_tipster_of"]].id
        [call] = [
            c for c in carried_out
            if c.ok and str(c.params.get("chat_id")) == str(chat_id)
            and c.result["message_id"] == row["sent_message_id"]
        ]  # fmt: skip
        copies = [c for c in carried_out if _signature(c) == _signature(call)]
        duplicates += len(copies) - 1
        unknowable += sum(c.fault == "drop_after" for c in copies)
        assert len(copies) - 1 <= sum(c.fault == "drop_after" for c in copies), copies

    # Telegram refused nothing the bot sent (injected faults aside). An edit answered "not
    # modified" is no refusal when the same edit was carried out before: a tap redone after its
    # first handling lost Telegram's answer (a dropped response, a retried tap) asks for what is
    # already shown, and the bot takes that answer as done (bot/telegram_errors: UNCHANGED).
    refused = Counter(
        (c.method, c.description)
        for c in sandbox.errors
        if not c.injected and not (_is_unchanged(c) and _edited_before(sandbox.calls, c))
    )
    assert not refused, refused

    expected_to_tipsters = {"ack": 4, "question": 2, "status": 2}
    templates = Counter(json_template(r) for r in sent if r["to_tipster_of"] is not None)
    for template, count in expected_to_tipsters.items():
        assert templates[template] == count, templates
    lost_receipts = sum(o.receipt_lost for o in outcomes)
    print(
        f"fault storm (seed {SEED}): {len(sandbox.calls)} calls, injected {dict(injected)}; "
        f"{len(sent)} outbox rows all sent; {duplicates} sent twice, where {unknowable} "
        f"outbox sends were dropped after Telegram carried them out; receipts lost to a fault: "
        f"{lost_receipts}; "
        f"reply prompt lost: {reply_prompt_lost}; acknowledge taps: {tries['ack']}"
    )


def json_template(row) -> str:
    import json

    return json.loads(row["payload"]).get("template", row["kind"])


def _is_send(call) -> bool:
    return call.method.startswith("send") and call.method != "sendChatAction"


def _is_unchanged(call) -> bool:
    return "message is not modified" in (call.description or "")


def _edited_before(calls, refused) -> bool:
    """The message already showed this text: an earlier call carried out (answered or not) sent
    it or edited it to it."""

    def shown(c) -> tuple:
        p, result = c.params, c.result if isinstance(c.result, dict) else {}
        message_id = p.get("message_id") or result.get("message_id")
        return (str(p.get("chat_id")), str(message_id), p.get("text"))

    earlier = calls[: next(i for i, c in enumerate(calls) if c is refused)]
    return any(
        shown(c) == shown(refused) and (c.ok or c.fault == "drop_after")
        for c in earlier
        if c.method in ("sendMessage", "editMessageText")
    )


def _signature(call) -> tuple:
    """What a send puts in a chat: two carried-out calls with the same are the same message."""
    p = call.params
    return (
        call.method, str(p.get("chat_id")), p.get("text"), p.get("caption"),
        *(str(p.get(k)) for k in ("photo", "video", "voice", "document", "latitude")),
    )  # fmt: skip
