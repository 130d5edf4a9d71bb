"""What a view of a tip shows beyond the tip itself, gathered in one place so that the views
(handlers/officer_views.py) stay functions of plain data: the commune's name, the tipster's
language and shared phone (from the sealed way back, bot/tipster.py), what earlier tips said
about each scam indicator, who acknowledged it."""

from __future__ import annotations

from dataclasses import dataclass
from zoneinfo import ZoneInfo

from bot import routing, tipster
from bot.runtime import Runtime
from storage import fraud, officers, tips
from storage.tips import Attachment, Indicator, Tip, TipStatus

__all__ = [
    "CARD_INDICATORS",
    "Attachment",
    "CardFacts",
    "EarlierReports",
    "Indicator",
    "Tip",
    "TipFacts",
    "TipStatus",
    "acknowledger",
    "answer_file",
    "card_facts",
    "officer_name",
    "thread_body",
    "tip",
    "tip_facts",
]

CARD_INDICATORS = 15  # indicator lines a card shows at most: it must keep room for the text


@dataclass(frozen=True)
class EarlierReports:
    """What other tips said about one phone, account, link or app."""

    confirmed_tips: int = 0  # earlier tips whose officers confirmed it as the scammer's
    confirmed_last_at: int | None = None
    named_tips: int = 0  # earlier tips that named it (counted only when none confirmed it)
    named_last_at: int | None = None


@dataclass(frozen=True)
class TipFacts:
    """Enough for the one line under each message about a tip."""

    tip: Tip
    commune_name: str | None  # None: the tipster did not know the commune
    language: str | None  # the tipster's (vi | en); None on older tips or without a way back


@dataclass(frozen=True)
class CardFacts(TipFacts):
    """Everything the tip's card shows."""

    timezone: ZoneInfo
    commune_has_chats: bool  # False: no officer covers the commune yet (the admins got it)
    # per indicator shown (the first CARD_INDICATORS), None for one that cannot be checked
    earlier: tuple[EarlierReports | None, ...]
    contact: str | None  # the phone number the tipster chose to share
    acknowledged_by: str | None  # the officer's name (or id) who acknowledged it


async def tip(runtime: Runtime, tip_id: int) -> Tip | None:
    return await tips.get(runtime.db, tip_id)


async def thread_body(runtime: Runtime, tip: Tip, message_id: int) -> str:
    """The text of one message of the tip's conversation; empty if it is gone."""
    thread = {m.id: m for m in await tips.list_messages(runtime.db, tip.id)}
    return thread[message_id].body if message_id in thread else ""


async def answer_file(runtime: Runtime, message_id: int) -> Attachment | None:
    """The file the tipster sent as this answer; None if it was deleted."""
    return await tips.message_file(runtime.db, message_id)


async def officer_name(runtime: Runtime, officer_id: int) -> str | None:
    """The officer's name as registered; None for one without a name (or no longer known)."""
    officer = await officers.get(runtime.db, officer_id)
    return officer.name if officer else None


async def tip_facts(runtime: Runtime, tip: Tip) -> TipFacts:
    return TipFacts(tip, _commune_name(runtime, tip), await tipster.language(runtime, tip))


async def card_facts(runtime: Runtime, tip: Tip) -> CardFacts:
    has_chats = tip.commune_code is not None and bool(
        await routing.commune_chats(runtime, tip.commune_code)
    )
    tipster_facts = await tipster.for_staff(runtime, tip)
    return CardFacts(
        tip=tip,
        commune_name=_commune_name(runtime, tip),
        language=tipster_facts.language,
        timezone=runtime.config.timezone,
        commune_has_chats=has_chats,
        earlier=tuple([await _earlier(runtime, tip, i) for i in tip.indicators[:CARD_INDICATORS]]),
        contact=tipster_facts.contact,
        acknowledged_by=await acknowledger(runtime, tip),
    )


def _commune_name(runtime: Runtime, tip: Tip) -> str | None:
    return runtime.communes.name(tip.commune_code) if tip.commune_code else None


async def _earlier(runtime: Runtime, tip: Tip, indicator: Indicator) -> EarlierReports | None:
    if indicator.kind not in fraud.CHECKABLE_KINDS:
        return None
    confirmed = [
        c
        for c in await fraud.confirmed(runtime.db, indicator.kind, indicator.value)
        if c.tip_code != tip.code
    ]
    if confirmed:
        return EarlierReports(
            confirmed_tips=len({c.tip_code for c in confirmed}),
            confirmed_last_at=max(c.confirmed_at for c in confirmed),
        )
    earlier = await fraud.mentions(runtime.db, indicator.kind, indicator.value, before_tip=tip.id)
    return EarlierReports(named_tips=earlier.tips, named_last_at=earlier.last_at)


async def acknowledger(runtime: Runtime, tip: Tip) -> str | None:
    """Who acknowledged the tip: the officer's name, else their id; None if nobody yet."""
    if tip.acknowledged_by is None:
        return None
    return await officer_name(runtime, tip.acknowledged_by) or str(tip.acknowledged_by)
