"""Turning a finished draft into a stored tip, and answering `/status` for a receipt.

The order is the promise the resident relies on: the tip is committed to SQLite (with its
indicators, attachments and the sealed way back, and the draft deleted, in one transaction) before
the caller shows any receipt. A crash before the commit loses nothing: the draft is still there.
"""

from __future__ import annotations

import asyncio
import json
import os
import sqlite3
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

from bot import indicators as parse
from bot import routing
from bot.anonymity import WayBackError, open_for, seal_for, seal_way_back
from bot.intake import Draft
from bot.receipts import hash_receipt, new_receipt, new_tip_code, normalize_receipt
from bot.refusals import Reason, Refused
from bot.runtime import Runtime
from bot.tipster import CONTACT
from storage import bans, drafts, pending, ratelimits, tips

TIPS_BUCKET = "tips"
STATUS_FAILURES_BUCKET = "status_failures"
STATUS_FAILURES_PER_HOUR = 5
DAY = 24 * 3600
HOUR = 3600
RECEIPT_KEPT = 30 * DAY  # an unshown receipt waits this long for the resident to tap Send again

# Which questionnaire answer holds which indicator kind.
_INDICATOR_ANSWERS = (("phones", "phone"), ("accounts", "account"), ("links", "link"))


@dataclass(frozen=True)
class Submitted:
    code: str
    receipt: str
    urgent: bool


def fraud_indicators(draft: Draft) -> tuple[tips.Indicator, ...]:
    """The scammer's phones, accounts, links and the money lost, normalised for searching."""
    found: list[parse.Indicator] = []
    for answer, kind in _INDICATOR_ANSWERS:
        text = getattr(draft, answer)
        if text:
            found += parse.parse_indicators(kind, text)
    if draft.loss and draft.loss != "0":
        found += parse.parse_indicators("amount", draft.loss)
    # Only what could be read: text that is no phone, account or link stays in the answers as
    # written, but must not become something /check matches or officers confirm.
    return tuple(tips.Indicator(i.kind, i.value, i.display, i.bank) for i in found if i.parsed)


def answers_of(draft: Draft) -> dict[str, object]:
    """The questionnaire answers as stored with the tip (raw, as the resident gave them)."""
    answers: dict[str, object] = {}
    if draft.when:
        answers["when"] = draft.when
    if draft.channels:
        answers["channels"] = list(draft.channels)
    for name in ("phones", "accounts", "links", "loss", "place_detail"):
        if value := getattr(draft, name):
            answers[name] = value
    return answers


# scrypt runs on threads of its own, one per core: each hash holds 16 MiB while it runs, and
# glibc keeps what a thread freed in that thread's own arena. On the default executor's six
# threads a burst of tips left about 100 MiB behind; more threads than cores add no speed.
_SCRYPT_THREADS = ThreadPoolExecutor(max_workers=os.cpu_count() or 2, thread_name_prefix="scrypt")


async def slow_hash(receipt: str, runtime: Runtime) -> str:
    """scrypt takes ~40 ms of CPU on purpose; in a worker thread (it releases the GIL) it does not
    stall every other resident's update for that long."""
    return await asyncio.get_running_loop().run_in_executor(
        _SCRYPT_THREADS, hash_receipt, receipt, runtime.keys.receipt_salt
    )


async def refusal_before_start(runtime: Runtime, pseudonym: str) -> Refused | None:
    """Why this resident may not start a tip now, if they may not."""
    if await bans.is_banned(runtime.db, pseudonym):
        return Refused(Reason.BANNED)
    return None


async def submit(
    runtime: Runtime, pseudonym: str, chat_id: int, draft: Draft, *, language: str | None = None
) -> Submitted | Refused:
    """Stores the tip and routes it. `language`: the one the tip was written in; sealed with the
    way back, so every later message to the tipster (acknowledgement, question, status, reply)
    comes in it and officers ask in it (bot/tipster.py). Never in clear beside the tip: with the
    subscribers' languages, a copy of the database would narrow an English tip down to the few
    English speakers."""
    if draft.missing() or draft.category is None:  # missing() covers it; mypy can't tell
        return Refused(Reason.INCOMPLETE)
    if await bans.is_banned(runtime.db, pseudonym):
        return Refused(Reason.BANNED)
    allowed = await ratelimits.hit(
        runtime.db, pseudonym, TIPS_BUCKET, limit=runtime.config.max_tips_per_day, window=DAY
    )
    if not allowed:
        return Refused(Reason.DAILY_LIMIT)

    receipt = new_receipt()
    receipt_hash = await slow_hash(receipt, runtime)
    location = (
        (draft.latitude, draft.longitude)
        if draft.latitude is not None and draft.longitude is not None
        else None
    )
    contact = None
    if draft.contact_sealed:
        contact = open_for(
            runtime.keys.way_back, draft.contact_sealed, pseudonym=pseudonym, purpose=CONTACT
        )
    for _attempt in range(5):
        code = new_tip_code()
        tip = tips.NewTip(
            code=code,
            receipt_hash=receipt_hash,
            category=draft.category,
            kind=draft.kind,
            commune_code=None if draft.commune_unknown else draft.commune_code,
            urgent=bool(draft.urgent),
            description=draft.description,
            answers=answers_of(draft),
            location=location,
            indicators=fraud_indicators(draft),
            attachments=tuple(
                tips.Attachment(a.kind, a.file_id, a.file_unique_id) for a in draft.attachments
            ),
            way_back=seal_way_back(
                runtime.keys.way_back,
                chat_id,
                pseudonym,
                tip_code=code,
                contact=contact,
                language=language,
            ),
        )
        try:
            async with runtime.db.transaction():
                stored = await tips.insert(runtime.db, tip)
                await drafts.delete(runtime.db, pseudonym)
                await keep_receipt(runtime, pseudonym, code, receipt)
                await routing.route(runtime, stored)
        except sqlite3.IntegrityError:
            continue  # a tip code drawn twice (30 bits): draw again
        runtime.wake_outbox()
        return Submitted(code=code, receipt=receipt, urgent=tip.urgent)
    raise RuntimeError("could not draw an unused tip code")


# The receipt until the resident has seen it -----------------------------------------------------


def _receipts_key(pseudonym: str) -> str:
    return pending.resident_key("receipt", pseudonym)


async def keep_receipt(runtime: Runtime, pseudonym: str, code: str, receipt: str) -> None:
    """Keeps the receipt, sealed with the way-back key and bound to the pseudonym, in the tip's own
    transaction: a crash before the resident saw it no longer loses it (a tap on Send shows it
    again). Deleted once shown (receipt_shown), or after RECEIPT_KEPT."""
    key = _receipts_key(pseudonym)
    waiting = await pending.get(runtime.db, key)
    sealed = list(waiting.data.get("sealed", [])) if waiting else []
    text = json.dumps({"code": code, "receipt": receipt})
    sealed.append(seal_for(runtime.keys.way_back, text, pseudonym=pseudonym, purpose="receipt"))
    # Expires at a day boundary, not 30 days to the second after the tip's created_at: a copy
    # of the database must not tie this pseudonym to its tip by the time.
    await pending.put(
        runtime.db, key, "receipt", {"sealed": sealed}, ttl=RECEIPT_KEPT, round_up_to=DAY
    )


async def unshown_receipts(runtime: Runtime, pseudonym: str) -> list[Submitted]:
    """The receipts of this resident's tips that never reached them, oldest first."""
    waiting = await pending.get(runtime.db, _receipts_key(pseudonym))
    found = []
    for sealed in waiting.data.get("sealed", []) if waiting else []:
        try:
            kept = json.loads(
                open_for(runtime.keys.way_back, sealed, pseudonym=pseudonym, purpose="receipt")
            )
        except WayBackError:
            continue  # sealed under a key since replaced: nothing to show
        found.append(Submitted(code=kept["code"], receipt=kept["receipt"], urgent=False))
    return found


async def receipt_shown(runtime: Runtime, pseudonym: str, code: str) -> None:
    """The resident has this receipt now: its sealed copy goes."""
    key = _receipts_key(pseudonym)
    async with runtime.db.transaction():
        left = [r for r in await unshown_receipts(runtime, pseudonym) if r.code != code]
        await pending.clear(runtime.db, key)
        for kept in left:
            await keep_receipt(runtime, pseudonym, kept.code, kept.receipt)


@dataclass(frozen=True)
class StatusView:
    tip: tips.Tip
    replies: list[tips.TipMessage]
    last_change: int


async def status_for_receipt(runtime: Runtime, pseudonym: str, text: str) -> StatusView | Refused:
    """The tip behind a receipt, or why not: malformed, unknown or throttled.

    Only wrong receipts count against the limit, but once it is reached even a right one waits:
    otherwise the limit would not stop a guesser.
    """
    failures = await ratelimits.count(runtime.db, pseudonym, STATUS_FAILURES_BUCKET, window=HOUR)
    if failures >= STATUS_FAILURES_PER_HOUR:
        return Refused(Reason.THROTTLED)
    receipt = normalize_receipt(text)
    tip = None
    if receipt is not None:
        tip = await tips.get_by_receipt_hash(runtime.db, await slow_hash(receipt, runtime))
    if tip is None:
        await ratelimits.hit(
            runtime.db, pseudonym, STATUS_FAILURES_BUCKET, limit=STATUS_FAILURES_PER_HOUR,
            window=HOUR,
        )  # fmt: skip
        return Refused(Reason.MALFORMED if receipt is None else Reason.UNKNOWN)
    # The whole conversation the tipster may see: officers' questions and public replies, and
    # their own answers (never the officers' internal notes).
    replies = await tips.list_messages(runtime.db, tip.id, kinds=("question", "reply", "answer"))
    last = max([tip.updated_at, *(r.created_at for r in replies)])
    return StatusView(tip=tip, replies=replies, last_change=last)
