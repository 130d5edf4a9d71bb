"""When a tipster's answer is taken: only while an officer's question is open or within a week of
the officers' last question or reply, never from a banned sender, never on a tip closed for longer
than that week, and at most ANSWERS_PER_HOUR per tip and hour."""

from __future__ import annotations

import time

import pytest

from bot import casework
from bot.casework import ANSWER_WINDOW, ANSWERS_PER_HOUR, answer_refusal
from bot.refusals import Reason, Refused
from storage import bans, tips
from tests.bot.test_destinations import (  # noqa: F401 (fixtures)
    ADMIN,
    MINH,
    new_tip,
    officer,
    province,
    runtime,
)

T0 = 1_750_000_000
PSEUDONYM = "p" * 64
ENDED = Refused(Reason.ENDED)


@pytest.fixture
async def tip(runtime):  # noqa: F811
    await officer(runtime, MINH)
    runtime.clock = lambda: T0
    return await new_tip(runtime)


async def say(on, tip, kind: str, at: int) -> None:
    officer_id = None if kind == "answer" else MINH
    await tips.add_message(on.db, tip.id, kind, kind, officer_id=officer_id, now=at)


async def test_no_question_no_answer(runtime, tip):  # noqa: F811
    assert await answer_refusal(runtime, tip, PSEUDONYM) == ENDED
    await say(runtime, tip, "reply", T0)  # a public reply asks nothing
    assert await answer_refusal(runtime, tip, PSEUDONYM) == ENDED
    await say(runtime, tip, "question", T0)
    assert await answer_refusal(runtime, tip, PSEUDONYM) is None


async def test_an_open_question_waits_but_an_answered_one_closes_after_the_window(runtime, tip):  # noqa: F811
    await say(runtime, tip, "question", T0)
    runtime.clock = lambda: T0 + 30 * 86400
    assert await answer_refusal(runtime, tip, PSEUDONYM) is None  # nobody answered it yet
    await say(runtime, tip, "answer", T0 + 30 * 86400)
    runtime.clock = lambda: T0 + 30 * 86400 + 60
    assert await answer_refusal(runtime, tip, PSEUDONYM) == ENDED  # answered, and long ago
    await say(runtime, tip, "question", T0 + 31 * 86400)
    await say(runtime, tip, "answer", T0 + 31 * 86400)
    runtime.clock = lambda: T0 + 31 * 86400 + ANSWER_WINDOW
    assert await answer_refusal(runtime, tip, PSEUDONYM) is None  # more, within the window
    runtime.clock = lambda: T0 + 31 * 86400 + ANSWER_WINDOW + 1
    assert await answer_refusal(runtime, tip, PSEUDONYM) == ENDED


async def test_a_tip_closed_longer_than_the_window_takes_no_answer(runtime, tip):  # noqa: F811
    await say(runtime, tip, "question", T0)
    await tips.set_status(
        runtime.db, tip.id, "resolved", officer_id=MINH, keep_way_back_for=90 * 86400, now=T0
    )
    closed = await tips.get(runtime.db, tip.id)
    runtime.clock = lambda: T0 + ANSWER_WINDOW
    assert await answer_refusal(runtime, closed, PSEUDONYM) is None
    runtime.clock = lambda: T0 + ANSWER_WINDOW + 1
    assert await answer_refusal(runtime, closed, PSEUDONYM) == ENDED


async def test_a_banned_sender_is_refused(runtime, tip):  # noqa: F811
    await say(runtime, tip, "question", T0)
    await bans.ban(runtime.db, PSEUDONYM, "spam", banned_by=ADMIN)
    assert await answer_refusal(runtime, tip, PSEUDONYM) == Refused(Reason.BANNED)


async def test_answers_are_rate_limited_per_tip(runtime, tip):  # noqa: F811
    runtime.clock = time.time  # relay_answer stores the answers at the real time
    await say(runtime, tip, "question", int(time.time()))
    for n in range(ANSWERS_PER_HOUR):
        assert await answer_refusal(runtime, tip, PSEUDONYM) is None
        await casework.relay_answer(runtime, tip, f"answer {n}", None)
    assert await answer_refusal(runtime, tip, PSEUDONYM) == Refused(Reason.TOO_MANY)
    runtime.clock = lambda: time.time() + 3601
    assert await answer_refusal(runtime, tip, PSEUDONYM) is None
