"""What officers do with a tip, as services: each action changes the tip, writes the audit row
and queues every message it causes (to the tipster, to the other chats, card refreshes) in ONE
transaction, then wakes the outbox. Authorisation happens before (bot/authz.py)."""

from __future__ import annotations

import time
import uuid

from bot import routing
from bot.authz import Staff, record
from bot.refusals import Reason, Refused
from bot.runtime import Runtime
from storage import bans, fraud, outbox, tips
from storage.fraud import Confirmation, TipIndicator
from storage.outbox import OutboxKind
from storage.tips import SETTABLE_STATUSES as SETTABLE_STATUSES  # what set_status accepts

DAY = 24 * 3600


async def refresh_cards(runtime: Runtime, tip: tips.Tip) -> None:
    """Every card of this tip, in every chat, shows the new state (a fresh key each time: a
    refresh renders the state at sending time, so two of them are harmless)."""
    stamp = uuid.uuid4().hex[:12]
    for notification in await tips.list_notifications(runtime.db, tip.id):
        await outbox.enqueue(
            runtime.db,
            OutboxKind.REFRESH,
            {"tip_id": tip.id, "message_id": notification.message_id},
            chat_id=notification.chat_id,
            dedupe_key=f"refresh:{tip.id}:{notification.chat_id}:{notification.message_id}:{stamp}",
        )


async def acknowledge(runtime: Runtime, staff: Staff, tip: tips.Tip) -> bool:
    """The first officer's tap: False if someone already did (the tipster is told only once)."""
    async with runtime.db.transaction():
        if not await tips.acknowledge(runtime.db, tip.id, officer_id=staff.user_id):
            return False
        await record(runtime, "tip.acknowledge", staff.user_id, tip.id)
        await routing.to_tipster(runtime, tip, OutboxKind.TIPSTER_TEXT, "ack", template="ack")
        await refresh_cards(runtime, tip)
    runtime.wake_outbox()
    return True


async def ask(runtime: Runtime, staff: Staff, tip: tips.Tip, question: str, chat_id: int) -> None:
    """An anonymous question: the tipster gets it; the tip's other chats see it was asked."""
    await _post(runtime, staff, tip, "question", question, chat_id, tell_tipster=True)


ANSWER_WINDOW = 7 * DAY  # a tipster may answer up to a week after the officers last wrote
ANSWERS_PER_HOUR = 10  # answers relayed per tip and hour, at most
_OFFICER_KINDS = ("question", "reply")


async def answer_refusal(runtime: Runtime, tip: tips.Tip, pseudonym: str) -> Refused | None:
    """Why the tipster may not answer on this tip now, if they may not: BANNED; ENDED (no
    officer asked anything, or the last question or reply of the officers is older than
    ANSWER_WINDOW and answered already, or the tip closed longer ago than that); TOO_MANY
    (ANSWERS_PER_HOUR reached). A button pressed proves nothing: this is checked at the tap
    and again for every answer."""
    if await bans.is_banned(runtime.db, pseudonym):
        return Refused(Reason.BANNED)
    now = runtime.now()
    thread = await tips.list_messages(runtime.db, tip.id)
    questions = [m for m in thread if m.kind == "question"]
    if not questions:
        return Refused(Reason.ENDED)
    last_officer = max(m.created_at for m in thread if m.kind in _OFFICER_KINDS)
    answers = [m for m in thread if m.kind == "answer"]
    question_open = not answers or answers[-1].id < questions[-1].id
    if not question_open and now - last_officer > ANSWER_WINDOW:
        return Refused(Reason.ENDED)
    if tip.closed_at is not None and now - tip.closed_at > ANSWER_WINDOW:
        return Refused(Reason.ENDED)
    if sum(now - m.created_at < 3600 for m in answers) >= ANSWERS_PER_HOUR:
        return Refused(Reason.TOO_MANY)
    return None


async def relay_answer(
    runtime: Runtime, tip: tips.Tip, text: str, attachment: tips.Attachment | None
) -> None:
    """The tipster's answer (text, a file, or both) is stored in the tip's thread and goes to
    every chat that got the tip; the file follows as a copy. The actor in the audit log is
    nobody: the tipster has no identity here."""
    async with runtime.db.transaction():
        message_id = await tips.add_message(
            runtime.db, tip.id, "answer", text, attachment=attachment
        )
        await record(runtime, "tip.answer_relayed", None, tip.id, message_id=message_id)
        await routing.to_tip_chats(
            runtime, tip, OutboxKind.STAFF_TEXT, f"answer:{message_id}",
            template="answer", message_id=message_id,
        )  # fmt: skip
        if attachment is not None:
            await routing.to_tip_chats(
                runtime, tip, OutboxKind.STAFF_ANSWER_MEDIA, f"answer_media:{message_id}",
                message_id=message_id,
            )  # fmt: skip
    runtime.wake_outbox()


async def note(runtime: Runtime, staff: Staff, tip: tips.Tip, text: str, chat_id: int) -> None:
    """For the officers only: the tip's other chats see it, the tipster never does."""
    await _post(runtime, staff, tip, "note", text, chat_id, tell_tipster=False)


async def set_status(runtime: Runtime, staff: Staff, tip: tips.Tip, status: str) -> bool:
    """Investigating, resolved or not actionable. Closing starts the retention clock of the way
    back to the tipster."""
    keep = runtime.config.retention_days * DAY
    async with runtime.db.transaction():
        changed = await tips.set_status(
            runtime.db, tip.id, status, officer_id=staff.user_id, keep_way_back_for=keep
        )
        if not changed:
            return False
        stamp = int(time.time())
        await record(runtime, "tip.status", staff.user_id, tip.id, status=status)
        await routing.to_tipster(
            runtime, tip, OutboxKind.TIPSTER_TEXT, f"status:{status}:{stamp}",
            template="status", status=status,
        )  # fmt: skip
        await refresh_cards(runtime, tip)
    runtime.wake_outbox()
    return True


async def reply(runtime: Runtime, staff: Staff, tip: tips.Tip, text: str, chat_id: int) -> None:
    """A public reply: the tipster gets it now, and /status shows it later."""
    await _post(runtime, staff, tip, "reply", text, chat_id, tell_tipster=True)


async def _post(
    runtime: Runtime,
    staff: Staff,
    tip: tips.Tip,
    kind: str,
    text: str,
    chat_id: int,
    *,
    tell_tipster: bool,
) -> None:
    """An officer's message in the tip's thread: stored, audited as tip.<kind>, and queued for
    the tipster (if told) and for the tip's chats other than the one it was written in."""
    async with runtime.db.transaction():
        message_id = await tips.add_message(
            runtime.db, tip.id, kind, text, officer_id=staff.user_id
        )
        await record(runtime, f"tip.{kind}", staff.user_id, tip.id, message_id=message_id)
        if tell_tipster:
            await routing.to_tipster(
                runtime, tip, OutboxKind.TIPSTER_TEXT, f"{kind}:{message_id}",
                template=kind, message_id=message_id,
            )  # fmt: skip
        await routing.to_tip_chats(
            runtime, tip, OutboxKind.STAFF_TEXT, f"{kind}:{message_id}", skip=chat_id,
            template=kind, message_id=message_id, officer_id=staff.user_id,
        )  # fmt: skip
    runtime.wake_outbox()


async def transfer(runtime: Runtime, staff: Staff, tip: tips.Tip, commune_code: int) -> bool:
    """Re-route an open tip: the new commune's chats get it afresh; the chats that had it are
    told where it went."""
    async with runtime.db.transaction():
        if not await tips.transfer(runtime.db, tip.id, commune_code, officer_id=staff.user_id):
            return False
        await record(
            runtime, "tip.transfer", staff.user_id, tip.id,
            from_commune=tip.commune_code, to_commune=commune_code,
        )  # fmt: skip
        await routing.to_tip_chats(
            runtime, tip, OutboxKind.STAFF_TEXT, f"transferred:{commune_code}:{int(time.time())}",
            template="transferred", officer_id=staff.user_id, commune=commune_code,
        )  # fmt: skip
        await refresh_cards(runtime, tip)
        moved = await tips.get(runtime.db, tip.id)
        assert moved is not None  # written just above, in this transaction
        await routing.route(runtime, moved, banner="transfer")
    runtime.wake_outbox()
    return True


async def checkable_indicators(runtime: Runtime, tip: tips.Tip) -> list[TipIndicator]:
    """The tip's phones, accounts, links and apps: what its officers may confirm."""
    return await fraud.checkable_indicators(runtime.db, tip.id)


async def confirmations(runtime: Runtime, tip: tips.Tip) -> list[Confirmation]:
    """The tip's indicators its officers confirmed (and nobody withdrew)."""
    return await fraud.confirmed_for_tip(runtime.db, tip.code)


async def toggle_confirmation(
    runtime: Runtime, staff: Staff, tip: tips.Tip, indicator: TipIndicator
) -> bool:
    """Confirms (or takes back) that the scammer of a resolved fraud tip used this phone,
    account or link: /check warns about confirmed ones. True if now confirmed."""
    async with runtime.db.transaction():
        confirmed = await fraud.toggle(
            runtime.db,
            tip_id=tip.id,
            tip_code=tip.code,
            scam_kind=tip.kind,
            indicator=indicator,
            officer_id=staff.user_id,
        )
        action = "indicator.confirm" if confirmed else "indicator.unconfirm"
        await record(runtime, action, staff.user_id, tip.id, kind=indicator.kind)
    return confirmed
