"""Waiting for something to happen, or for the bot to be done, without blind sleeps."""

from __future__ import annotations

import asyncio
from collections.abc import Callable


async def wait_until(condition: Callable[[], object], timeout: float = 20.0) -> None:
    """Returns once `condition()` is true; TimeoutError after `timeout` seconds."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while not condition():
        if loop.time() >= deadline:
            raise TimeoutError(f"condition not met within {timeout} s")
        await asyncio.sleep(0.05)


def _idle(bot) -> bool:
    application = bot.application
    return (
        bot.sandbox.updates.pending_count == 0
        and application.update_queue.empty()
        and application.update_processor.current_concurrent_updates == 0
    )


async def settle(bot, *, calm: float = 0.01, timeout: float = 30.0) -> None:
    """Returns once the in-process bot has fetched every update and no handler is running (the
    outbox worker may still be sending: it works apart from updates)."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    quiet_since: float | None = None
    while loop.time() < deadline:
        if not _idle(bot):
            quiet_since = None
        elif quiet_since is None:
            quiet_since = loop.time()
        elif loop.time() - quiet_since >= calm:
            return
        await asyncio.sleep(0.005)
    raise TimeoutError("the bot did not become idle")


async def quiet(bot, *, calm: float = 0.3, timeout: float = 30.0) -> None:
    """The in-process bot has handled every update, runs no handler, and made no Bot API call
    for `calm` seconds: after this, a message that did not come is not coming. The wait for what
    did NOT happen, in place of a sleep."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while True:
        await settle(bot, timeout=max(deadline - loop.time(), 0.1))
        await bot.sandbox.wait_until_quiet(calm, max(deadline - loop.time(), 0.1))
        if _idle(bot):
            return
