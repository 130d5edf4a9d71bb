"""The shared sending budget: the application's messages come first; a broadcast gets the rest."""

from __future__ import annotations

from bot.send_budget import WINDOW, CountingRateLimiter, SendBudget


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def test_a_quiet_bot_leaves_a_broadcast_its_ceiling():
    budget = SendBudget(30, clock=Clock())
    assert budget.broadcast_rate(29) == 29


def test_the_applications_messages_are_taken_off_the_total():
    clock = Clock()
    budget = SendBudget(30, clock=clock)
    for _ in range(10):  # 10 in the window: 5 a second
        budget.note_sent()
    assert budget.app_rate() == 10 / WINDOW
    assert budget.broadcast_rate(29) == 25
    for _ in range(60):
        budget.note_sent()
    assert budget.broadcast_rate(29) == 0  # residents and officers use it all: wait


def test_the_room_comes_back_when_the_application_is_quiet_again():
    clock = Clock()
    budget = SendBudget(30, clock=clock)
    for _ in range(40):
        budget.note_sent()
    clock.now += WINDOW + 0.01
    assert budget.app_rate() == 0
    assert budget.broadcast_rate(29) == 29


async def test_the_rate_limiter_counts_requests_to_a_chat_only():
    budget = SendBudget(30, clock=Clock())
    limiter = CountingRateLimiter(budget, overall_max_rate=30, overall_time_period=1)

    async def telegram(*_args, **_kwargs):
        return True

    await limiter.initialize()
    for endpoint, data in (
        ("sendMessage", {"chat_id": 1, "text": "x"}),
        ("editMessageText", {"chat_id": 1, "message_id": 2, "text": "y"}),
        ("answerCallbackQuery", {"callback_query_id": "q"}),
        ("getMe", {}),
    ):
        assert await limiter.process_request(telegram, (), {}, endpoint, data, None) is True
    await limiter.shutdown()
    assert budget.app_rate() == 2 / WINDOW
