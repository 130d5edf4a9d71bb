"""Running the bot: one code path for `tipbot run`, the demo and the end-to-end tests.

PTB's `run_polling` owns the event loop and signal handling; we need the bot to share a loop with
the sandbox (demo, tests), so the lifecycle is spelled out here instead.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable

from telegram import Update
from telegram.ext import Application

from bot.app import build_application, open_runtime, start_application, stop_outbox
from bot.config import Config, Keys

log = logging.getLogger(__name__)


async def serve(
    config: Config,
    keys: Keys,
    stop: asyncio.Event,
    on_started: Callable[[Application], None] | None = None,
) -> None:
    """Polls for updates until `stop` is set, then shuts down cleanly. `on_started` lets tests
    reach the running application (and its runtime)."""
    runtime = await open_runtime(config, keys)
    application = build_application(config)
    try:
        await start_application(application, runtime)
        await application.updater.start_polling(allowed_updates=Update.ALL_TYPES)
        me = application.bot.username
        log.info("event=started bot=@%s province=%s", me, config.province)
        if on_started is not None:
            on_started(application)
        await stop.wait()
    finally:
        await stop_application(application)
        await runtime.db.close()
        log.info("event=stopped")


async def stop_application(application: Application) -> None:
    await stop_outbox(application)
    if application.updater is not None and application.updater.running:
        await application.updater.stop()
    if application.running:
        await application.stop()
    await application.shutdown()
