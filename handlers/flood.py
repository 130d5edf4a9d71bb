"""A flood guard in front of every handler: one account sending hundreds of updates must not use
up the bot's Telegram sending budget (about 30 messages/s for everyone) or its database time.

Each user has a token bucket in memory (keyed by pseudonym; nothing is stored). An album of ten
photos fits in the burst; past it, updates are dropped, after one polite warning.
"""

from __future__ import annotations

import contextlib
import time
from dataclasses import dataclass

from telegram import Update
from telegram.error import TelegramError
from telegram.ext import ApplicationHandlerStop, TypeHandler

from bot.context import TipbotContext
from handlers.common import user_texts

BURST = 25  # updates at once
REFILL_PER_SECOND = 1.0
MAX_TRACKED = 50_000  # users remembered at once; the idle ones are dropped first


@dataclass
class Bucket:
    tokens: float
    updated: float
    warned: bool = False


_buckets: dict[str, Bucket] = {}


def allow(key: str, now: float) -> tuple[bool, Bucket]:
    bucket = _buckets.get(key)
    if bucket is None:
        if len(_buckets) >= MAX_TRACKED:
            _forget_idle(now)
        bucket = _buckets[key] = Bucket(tokens=BURST, updated=now)
    bucket.tokens = min(BURST, bucket.tokens + (now - bucket.updated) * REFILL_PER_SECOND)
    bucket.updated = now
    if bucket.tokens >= 1:
        bucket.tokens -= 1
        bucket.warned = False
        return True, bucket
    return False, bucket


def _forget_idle(now: float) -> None:
    full_after = BURST / REFILL_PER_SECOND
    for key in [k for k, b in _buckets.items() if now - b.updated > full_after]:
        del _buckets[key]


async def flood_guard(update: Update, context: TipbotContext) -> None:
    user = update.effective_user
    if user is None:
        return
    allowed, bucket = allow(context.runtime.pseudonym_of(user.id), time.monotonic())
    if allowed:
        return
    if update.callback_query is not None:
        # A dropped tap is still answered, or the button would spin on the phone.
        with contextlib.suppress(TelegramError):
            await update.callback_query.answer()
    if not bucket.warned and update.effective_chat and update.effective_chat.type == "private":
        bucket.warned = True
        t = await user_texts(update, context)
        await context.bot.send_message(
            update.effective_chat.id,
            t.gettext("You are sending messages very fast. Please wait a moment, then continue."),
        )
    raise ApplicationHandlerStop


GUARD_GROUP = -2
HANDLERS = [TypeHandler(Update, flood_guard)]
