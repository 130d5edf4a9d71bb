"""The tipster behind a tip, as far as the bot may know them: everything here is read from the
sealed way back (bot/anonymity.py), and this is the one place that opens it for the handlers.

Handlers get what they need — the language to ask in, the phone number the tipster chose to
share, whether this user sent the tip, where to send a message — never the key or the blob. A
way back that is gone (retention deleted it) or does not open gives None: the tip is then
treated as one whose tipster is out of reach, as older tips without a language are.
"""

from __future__ import annotations

from dataclasses import dataclass

from bot.anonymity import WayBack, WayBackError, open_for, open_way_back, seal_for
from bot.runtime import Runtime
from storage import pending, residents, tips

ANSWER = "answer"  # the purpose a pending answer's tip is sealed for (bot/anonymity.seal_for)
CONTACT = "contact"  # the purpose a draft's shared phone number is sealed for


@dataclass(frozen=True, slots=True)
class Reach:
    """Where and how to write to a tipster: their chat (its id also names the door), the
    language to write in, and their pseudonym (for the answer they may type next)."""

    chat_id: int
    language: str
    pseudonym: str

    def __repr__(self) -> str:  # keep the chat id out of logs and tracebacks
        return f"Reach(chat_id=<hidden>, language={self.language})"


async def _opened(runtime: Runtime, tip: tips.Tip) -> WayBack | None:
    sealed = await tips.get_way_back(runtime.db, tip.id)
    if sealed is None:
        return None
    try:
        return open_way_back(runtime.keys.way_back, sealed, tip_code=tip.code)
    except WayBackError:
        return None


async def language(runtime: Runtime, tip: tips.Tip) -> str | None:
    """The language the tip was written in (vi or en), so officers ask in it; None for an
    older tip, or one whose way back is gone. Kept only in the sealed way back: in clear
    beside the tip it would narrow the tipster down to the few who speak it."""
    way_back = await _opened(runtime, tip)
    return way_back.language if way_back else None


@dataclass(frozen=True, slots=True)
class ForStaff:
    """What officers may know of a tip's tipster: the language to ask in, and the phone number
    they chose to share. Both None for an older tip or one whose way back is gone."""

    language: str | None = None
    contact: str | None = None


async def for_staff(runtime: Runtime, tip: tips.Tip) -> ForStaff:
    """Both of ForStaff's facts, from one opening of the way back (a tip's card shows both)."""
    way_back = await _opened(runtime, tip)
    return ForStaff(way_back.language, way_back.contact) if way_back else ForStaff()


async def sent_by(runtime: Runtime, tip: tips.Tip, user_id: int) -> bool:
    """This user sent the tip: its sealed way back opens to their pseudonym."""
    way_back = await _opened(runtime, tip)
    return way_back is not None and way_back.pseudonym == runtime.pseudonym_of(user_id)


async def own_tip(runtime: Runtime, code: str, user_id: int) -> tips.Tip | None:
    """The tip with this code if this user sent it (its sealed way back opens to them)."""
    tip = await tips.get_by_code(runtime.db, code)
    return tip if tip is not None and await sent_by(runtime, tip, user_id) else None


async def reach(runtime: Runtime, tip: tips.Tip) -> Reach | None:
    """Where a message to the tipster goes, opened at the moment of sending; None when it cannot
    go (the way back was deleted, or does not open)."""
    way_back = await _opened(runtime, tip)
    if way_back is None:
        return None
    # The tip's own language first: a tipster who wrote in English reads English.
    chosen = way_back.language or await residents.get_language(runtime.db, way_back.pseudonym)
    return Reach(way_back.chat_id, chosen or runtime.config.default_language, way_back.pseudonym)


async def expect_answer(
    runtime: Runtime,
    tip: tips.Tip,
    pseudonym: str,
    *,
    prompt: int | None,
    ttl: int,
    round_up_to: int,
) -> None:
    """The resident's next plain message is an answer on this tip (or, with `prompt`, a reply
    to that message of the bot). Kept by pseudonym with the tip sealed to it: the database never
    pairs the two; the expiry is rounded up so that it does not date the question or the tap."""
    sealed = seal_for(runtime.keys.way_back, str(tip.id), pseudonym=pseudonym, purpose=ANSWER)
    await pending.put(
        runtime.db,
        pending.resident_key("answer", pseudonym),
        "answer",
        {"tip": sealed} | ({"prompt": prompt} if prompt is not None else {}),
        ttl=ttl,
        round_up_to=round_up_to,
    )


async def answer_tip(runtime: Runtime, sealed: str, user_id: int) -> tips.Tip | None:
    """The tip a resident's pending answer is for (sealed by seal_answer_tip); None if it does
    not open for them."""
    try:
        tip_id = open_for(
            runtime.keys.way_back, sealed, pseudonym=runtime.pseudonym_of(user_id), purpose=ANSWER
        )
    except WayBackError:
        return None
    return await tips.get(runtime.db, int(tip_id))


def seal_contact(runtime: Runtime, pseudonym: str, phone_number: str) -> str:
    """The phone number a resident chose to share, sealed in their draft to their pseudonym;
    bot/submission.py opens it into the tip's way back."""
    return seal_for(runtime.keys.way_back, phone_number, pseudonym=pseudonym, purpose=CONTACT)
