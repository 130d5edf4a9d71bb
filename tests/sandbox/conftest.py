"""Fixtures for the sandbox's own tests: a sandbox on a controllable clock, reached over real HTTP
by python-telegram-bot's Bot and by raw httpx."""

import datetime as dtm
import warnings
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest
import telegram

from sandbox.server import Sandbox
from sandbox.world import User
from tests.support.clock import Clock

TOKEN = "123:ABC"


class RawApi:
    """Bot API calls over httpx, for what PTB would not send (bad tokens, odd encodings)."""

    def __init__(self, client: httpx.AsyncClient, token: str = TOKEN):
        self.client = client
        self.token = token

    async def __call__(self, method: str, **params: Any) -> tuple[int, dict[str, Any]]:
        response = await self.client.post(f"/bot{self.token}/{method}", json=params)
        return response.status_code, response.json()


def retry_seconds(error: telegram.error.RetryAfter) -> float:
    """RetryAfter.retry_after in seconds: PTB 22 gives an int (with a deprecation warning) or a
    timedelta, depending on the PTB_TIMEDELTA setting."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        period = error.retry_after
    return period.total_seconds() if isinstance(period, dtm.timedelta) else period


async def drain(bot: telegram.Bot) -> None:
    """Confirm every pending update, so a test sees only what comes next."""
    pending = await bot.get_updates()
    if pending:
        await bot.get_updates(offset=pending[-1].update_id + 1)


@pytest.fixture
def clock() -> Clock:
    """The sandbox's clock for flood limits and callback timeouts; tests move it by hand."""
    return Clock(1000.0)


@pytest.fixture
async def sb(clock: Clock) -> AsyncIterator[Sandbox]:
    sandbox = Sandbox(token=TOKEN, bot_username="tipbot_demo_bot", clock=clock)
    await sandbox.start()
    try:
        yield sandbox
    finally:
        await sandbox.stop()


@pytest.fixture
async def tg(sb: Sandbox) -> AsyncIterator[telegram.Bot]:
    bot = telegram.Bot(TOKEN, base_url=sb.base_url, base_file_url=sb.base_file_url)
    async with bot:
        yield bot


@pytest.fixture
async def raw(sb: Sandbox) -> AsyncIterator[RawApi]:
    async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{sb.port}") as client:
        yield RawApi(client)


@pytest.fixture
async def lan(sb: Sandbox) -> User:
    """A user who has started the bot, so the bot may write to her."""
    user = sb.add_user("Lan", username="lan_dl", language_code="vi")
    await sb.send_text(user, "/start")
    return user
