"""Reminders and escalation for tips nobody acknowledged in time (a JobQueue job every minute).

Urgent tips: a reminder to their officers after TIPBOT_URGENT_REMIND_MINUTES, escalation to the
admins after TIPBOT_URGENT_ESCALATE_MINUTES; others after TIPBOT_REMIND_HOURS and
TIPBOT_ESCALATE_HOURS. Counting starts when the tip reached its current commune. Each step is
marked on the tip in the same transaction as its messages, so nothing fires twice, across
restarts too; acknowledging (or closing) the tip stops both.
"""

from __future__ import annotations

import logging

from bot import routing
from bot.authz import record
from bot.runtime import Runtime
from storage import outbox, tips
from storage.outbox import OutboxKind

log = logging.getLogger(__name__)


async def check_deadlines(runtime: Runtime) -> tuple[int, int]:
    """Sends what is due; returns (reminders, escalations)."""
    config, now = runtime.config, runtime.now()
    due = await tips.due_reminders(
        runtime.db,
        urgent_before=now - config.urgent_remind_minutes * 60,
        normal_before=now - config.remind_hours * 3600,
    )
    reminded = await act_on(runtime, due, tips.mark_reminded, "tip.remind", remind)
    due = await tips.due_escalations(
        runtime.db,
        urgent_before=now - config.urgent_escalate_minutes * 60,
        normal_before=now - config.escalate_hours * 3600,
    )
    escalated = await act_on(runtime, due, tips.mark_escalated, "tip.escalate", escalate)
    if reminded or escalated:
        runtime.wake_outbox()
        log.info("event=deadlines reminders=%d escalations=%d", reminded, escalated)
    return reminded, escalated


async def act_on(runtime: Runtime, due: list[tips.Tip], mark, action: str, send) -> int:
    """For each tip: mark it (skipped if it was acknowledged since the query), audit, send —
    in one transaction, so a restart neither repeats nor loses the step."""
    done = 0
    for tip in due:
        async with runtime.db.transaction():
            if not await mark(runtime.db, tip.id, now=runtime.now()):
                continue
            await record(runtime, action, None, tip.id)
            await send(runtime, tip)
        done += 1
    return done


async def remind(runtime: Runtime, tip: tips.Tip) -> None:
    for chat_id in await routing.recipients(runtime, tip.commune_code):
        await send_card(runtime, tip, chat_id, "reminder")


async def escalate(runtime: Runtime, tip: tips.Tip) -> None:
    # A tip in the province queue is already with the admins: the reminder was enough.
    if tip.commune_code is not None:
        for chat_id in await routing.admin_chats(runtime):
            await send_card(runtime, tip, chat_id, "escalation")


async def send_card(runtime: Runtime, tip: tips.Tip, chat_id: int, banner: str) -> None:
    """The whole card again, at the bottom of the chat, with a banner saying why."""
    await outbox.enqueue(
        runtime.db,
        OutboxKind.TIP,
        {"tip_id": tip.id, "banner": banner},
        chat_id=chat_id,
        dedupe_key=f"{banner}:{tip.id}:{tip.routed_at}:{chat_id}",
    )
