"""Telegram's flood limits on a fake clock: per private chat, per group, overall, for edits."""

import pytest
import telegram
from telegram.error import RetryAfter

from sandbox.files import sample_png
from sandbox.limits import LimitConfig
from sandbox.server import Sandbox
from tests.sandbox.conftest import TOKEN, RawApi, retry_seconds


@pytest.fixture
def limited(sb):
    sb.rate_limits = True
    return sb


async def started_users(sb, count: int) -> list:
    users = [sb.add_user(f"User {i}") for i in range(count)]
    for user in users:
        await sb.send_text(user, "/start")
    return users


async def test_limits_are_off_unless_switched_on(sb, tg: telegram.Bot, lan):
    for _ in range(10):
        await tg.send_message(lan.id, "fast")
    sb.rate_limits = True
    with pytest.raises(RetryAfter):
        for _ in range(4):
            await tg.send_message(lan.id, "fast")


async def test_private_chat_allows_a_short_burst_then_one_per_second(
    limited, clock, raw: RawApi, lan
):
    for _ in range(3):
        assert (await raw("sendMessage", chat_id=lan.id, text="x"))[0] == 200
    status, body = await raw("sendMessage", chat_id=lan.id, text="x")
    assert (status, body) == (
        429,
        {
            "ok": False,
            "error_code": 429,
            "description": "Too Many Requests: retry after 1",
            "parameters": {"retry_after": 1},
        },
    )
    clock.advance(1)
    assert (await raw("sendMessage", chat_id=lan.id, text="x"))[0] == 200
    assert (await raw("sendMessage", chat_id=lan.id, text="x"))[0] == 429


async def test_ptb_raises_retry_after_with_the_wait(limited, tg: telegram.Bot, lan):
    for _ in range(3):
        await tg.send_message(lan.id, "x")
    with pytest.raises(RetryAfter) as error:
        await tg.send_message(lan.id, "x")
    assert retry_seconds(error.value) == 1


async def test_group_allows_20_messages_per_minute(limited, clock, tg: telegram.Bot, lan):
    group = limited.add_group("Xóm Đồi", members=[lan])
    for _ in range(20):
        await tg.send_message(group.id, "x")
    with pytest.raises(RetryAfter) as error:
        await tg.send_message(group.id, "x")
    assert retry_seconds(error.value) == 3
    clock.advance(3)
    await tg.send_message(group.id, "x")


async def test_about_30_messages_per_second_overall(limited, clock, tg: telegram.Bot):
    users = await started_users(limited, 31)
    for user in users[:30]:
        await tg.send_message(user.id, "bulletin")
    with pytest.raises(RetryAfter):
        await tg.send_message(users[30].id, "bulletin")
    clock.advance(1)
    await tg.send_message(users[30].id, "bulletin")


async def test_an_album_counts_each_item(limited, clock, tg: telegram.Bot, lan):
    album = [telegram.InputMediaPhoto(sample_png()) for _ in range(10)]
    await tg.send_media_group(lan.id, album)  # allowed on a full bucket...
    with pytest.raises(RetryAfter) as error:
        await tg.send_message(lan.id, "x")
    assert retry_seconds(error.value) == 8  # ...but the chat then owes 7 messages
    clock.advance(8)
    await tg.send_message(lan.id, "x")


async def test_edits_have_their_own_looser_limit(limited, clock, tg: telegram.Bot, lan):
    sent = await tg.send_message(lan.id, "0")
    for i in range(1, 11):
        await tg.edit_message_text(str(i), lan.id, sent.message_id)
    with pytest.raises(RetryAfter):
        await tg.edit_message_text("11", lan.id, sent.message_id)
    await tg.send_message(lan.id, "sending is still allowed")
    clock.advance(1)
    await tg.edit_message_text("11", lan.id, sent.message_id)


async def test_refused_messages_are_not_sent_and_429s_are_counted_apart(
    limited, tg: telegram.Bot, lan
):
    limited.fail_next("sendMessage", kind="429", retry_after=5)
    with pytest.raises(RetryAfter):
        await tg.send_message(lan.id, "injected")
    for _ in range(3):
        await tg.send_message(lan.id, "ok")
    with pytest.raises(RetryAfter):
        await tg.send_message(lan.id, "too fast")
    assert [c.params["text"] for c in limited.injected] == ["injected"]
    assert [c.params["text"] for c in limited.rate_limited] == ["too fast"]
    texts = [m["text"] for m in limited.history(lan.id)]
    assert "injected" not in texts and "too fast" not in texts


async def test_limits_are_configurable(clock):
    strict = Sandbox(
        token=TOKEN, clock=clock, limits=LimitConfig(private_burst=1), rate_limits=True
    )
    await strict.start()
    lan = strict.add_user("Lan")
    await strict.send_text(lan, "/start")
    try:
        async with telegram.Bot(TOKEN, base_url=strict.base_url) as bot:
            await bot.send_message(lan.id, "one")
            with pytest.raises(RetryAfter):
                await bot.send_message(lan.id, "two")
    finally:
        await strict.stop()
