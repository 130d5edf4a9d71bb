"""A fault storm: random faults on a share of the calls, reproducible from a seed."""

import pytest
import telegram
from telegram.error import NetworkError, RetryAfter

from tests.sandbox.conftest import drain


async def sends(tg: telegram.Bot, chat_id: int, count: int) -> list[str]:
    """What became of each of `count` sends: "ok" or the error's class name."""
    outcomes = []
    for n in range(count):
        try:
            await tg.send_message(chat_id, f"m{n}", read_timeout=2)
            outcomes.append("ok")
        except (NetworkError, RetryAfter) as error:
            outcomes.append(type(error).__name__)
    return outcomes


async def test_storm_fails_about_its_rate_of_calls_with_every_kind(sb, tg: telegram.Bot, lan):
    sb.storm(0.3, seed=7, delay=0.01)
    outcomes = await sends(tg, lan.id, 200)
    injected = sb.injected
    assert 30 <= len(injected) <= 90  # 30 % of 200, give or take
    assert {c.fault for c in injected} == {"429", "500", "502", "drop", "drop_after", "delay"}
    assert outcomes.count("ok") == 200 - len([c for c in injected if c.fault != "delay"])
    # drop_after performed the send although the bot got an error: the unknowable case.
    delivered = [m["text"] for m in sb.history(lan.id) if m["from"]["is_bot"]]
    assert len(delivered) == outcomes.count("ok") + len(
        [c for c in injected if c.fault == "drop_after"]
    )
    sb.calm()
    assert await sends(tg, lan.id, 20) == ["ok"] * 20


async def test_same_seed_same_storm(sb, tg: telegram.Bot, lan):
    def pattern() -> list[str | None]:
        return [c.fault for c in sb.calls if c.method == "sendMessage"]

    sb.storm(0.5, kinds=("500", "429"), seed=42)
    await sends(tg, lan.id, 30)
    first = pattern()
    sb.calls.clear()
    sb.storm(0.5, kinds=("500", "429"), seed=42)
    await sends(tg, lan.id, 30)
    assert pattern() == first and any(first)


async def test_storm_spares_get_updates_unless_asked(sb, tg: telegram.Bot, lan):
    sb.storm(1.0, kinds=("500",))
    for _ in range(5):
        await drain(tg)  # every getUpdates goes through
    with pytest.raises(NetworkError):
        await tg.send_message(lan.id, "x")
    sb.storm(1.0, kinds=("502",), get_updates=True)
    with pytest.raises(NetworkError):
        await tg.get_updates()


async def test_planned_faults_go_before_the_storm(sb, tg: telegram.Bot, lan):
    sb.storm(1.0, kinds=("500",))
    sb.fail_next("sendMessage", kind="429", retry_after=3)
    with pytest.raises(RetryAfter):
        await tg.send_message(lan.id, "x")
    with pytest.raises(NetworkError):
        await tg.send_message(lan.id, "x")
    assert [c.fault for c in sb.injected] == ["429", "500"]


@pytest.mark.parametrize(
    ("rate", "kinds"), [(0, ("500",)), (1.5, ("500",)), (0.1, ()), (0.1, ("teapot",))]
)
async def test_bad_storms_are_refused(sb, rate, kinds):
    with pytest.raises(ValueError, match="storm"):
        sb.storm(rate, kinds=kinds)
