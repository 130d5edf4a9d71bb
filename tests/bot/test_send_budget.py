"""The shared sending budget: the application's messages come first; a broadcast gets the rest."""

from __future__ import annotations

import pytest
from telegram.error import RetryAfter

from bot.send_budget import WINDOW, CountingRateLimiter, SendBudget
from tests.support.clock import Clock


def test_a_quiet_bot_leaves_a_broadcast_its_ceiling():
    budget = SendBudget(30, clock=Clock(1000.0))
    assert budget.broadcast_rate(29) == 29


def test_the_applications_last_second_is_taken_off_the_total():
    clock = Clock(1000.0)
    budget = SendBudget(30, clock=clock)
    for _ in range(10):
        budget.note_sent()
    assert budget.app_count() == 10
    assert budget.broadcast_rate(29) == 20  # a burst of 10 takes all of its 10 off at once
    for _ in range(20):
        budget.note_sent()
    assert budget.broadcast_rate(29) == 0  # residents and officers use it all: wait


def test_the_room_comes_back_when_the_application_is_quiet_again():
    clock = Clock(1000.0)
    budget = SendBudget(30, clock=clock)
    for _ in range(40):
        budget.note_sent()
    clock.now += WINDOW + 0.01
    assert budget.app_count() == 0
    assert budget.broadcast_rate(29) == 29


def test_a_429_to_the_application_pauses_the_broadcast_as_long():
    clock = Clock(1000.0)
    budget = SendBudget(30, clock=clock)
    budget.note_refused(3)
    assert budget.broadcast_rate(29) == 0
    clock.now += 2.9
    assert budget.broadcast_rate(29) == 0
    clock.now += 0.2
    assert budget.broadcast_rate(29) == 29


async def test_the_rate_limiter_counts_each_real_call_to_a_chat():
    clock = Clock(1000.0)
    budget = SendBudget(30, clock=clock)
    limiter = CountingRateLimiter(budget, overall_max_rate=30, overall_time_period=1)
    calls: list[str] = []

    async def telegram(endpoint: str):
        calls.append(endpoint)
        return True

    await limiter.initialize()
    for endpoint, data in (
        ("sendMessage", {"chat_id": 1, "text": "x"}),
        ("editMessageText", {"chat_id": 1, "message_id": 2, "text": "y"}),
        ("answerCallbackQuery", {"callback_query_id": "q"}),
        ("getMe", {}),
    ):
        assert await limiter.process_request(telegram, (endpoint,), {}, endpoint, data, None)
    assert budget.app_count() == 2
    assert len(calls) == 4

    # A 429: counted as made, and the broadcast is told to wait too (no retry here).
    async def refused(*_args):
        raise RetryAfter(5)

    with pytest.raises(RetryAfter):
        await limiter.process_request(refused, (), {}, "sendMessage", {"chat_id": 1}, 0)
    await limiter.shutdown()
    assert budget.app_count() == 3
    assert budget.broadcast_rate(29) == 0
