"""Running the bot: one code path for `tipbot run`, the demo and the end-to-end tests.

PTB's `run_polling` owns the event loop and signal handling; we need the bot to share a loop with
the sandbox (demo, tests), so the lifecycle is spelled out here instead. Updates come by long
polling, or, given WebhookSettings, to PTB's webhook server (bot/webhook.py).

While it runs, the bot holds an exclusive lock on TIPBOT_DATA_DIR/tipbot.lock: a second bot on the
same data (two pollers would fight over updates) and `tipbot restore` are refused.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from typing import cast

from telegram import Update
from telegram.error import TelegramError
from telegram.ext import Application, Updater

from bot.app import build_application, open_runtime, start_application, stop_outbox
from bot.backup import DataDirLock
from bot.config import Config, Keys
from bot.telegram_errors import is_transient
from bot.webdoor import WEB_DOOR, start_web_door
from bot.webhook import WebhookSettings

log = logging.getLogger(__name__)


async def serve(
    config: Config,
    keys: Keys,
    stop: asyncio.Event,
    on_started: Callable[[Application], None] | None = None,
    webhook: WebhookSettings | None = None,
) -> None:
    """Takes updates until `stop` is set, then shuts down cleanly. `on_started` lets tests
    reach the running application (and its runtime). Raises BotRunning if another bot holds the
    data directory."""
    lock = DataDirLock(config.data_dir)
    lock.acquire()
    try:
        await _serve(config, keys, stop, on_started, webhook)
    finally:
        lock.release()


async def _serve(config, keys, stop, on_started, webhook: WebhookSettings | None) -> None:
    runtime = await open_runtime(config, keys)
    application = build_application(config, runtime.send_budget)
    web_door = None
    try:
        await start_application(application, runtime)
        updater = cast(Updater, application.updater)  # ApplicationBuilder always makes one
        if config.web_listen is not None:
            web_door = await start_web_door(runtime, *config.web_listen)
            application.bot_data[WEB_DOOR] = web_door
        if webhook is None:
            await updater.start_polling(
                allowed_updates=Update.ALL_TYPES, error_callback=log_polling_error
            )
        else:
            await updater.start_webhook(
                listen=webhook.listen,
                port=webhook.port,
                url_path=webhook.url_path,
                webhook_url=webhook.url,
                secret_token=webhook.secret,
                allowed_updates=Update.ALL_TYPES,
            )
        me = application.bot.username
        mode = "polling" if webhook is None else f"webhook port={webhook.port}"
        log.info("event=started bot=@%s province=%s mode=%s", me, config.province, mode)
        if on_started is not None:
            on_started(application)
        await stop.wait()
    finally:
        if web_door is not None:
            await web_door.stop()
        await stop_application(application)
        await runtime.db.close()
        log.info("event=stopped")


def log_polling_error(error: TelegramError) -> None:
    """A failed long poll: PTB retries by itself. A network blip or a busy Telegram (5xx, 429) is
    one warning line; PTB's default would log each one as an ERROR with a traceback."""
    (log.warning if is_transient(error) else log.error)(
        "event=polling_error error=%s", type(error).__name__
    )


async def stop_application(application: Application) -> None:
    await stop_outbox(application)
    if application.updater is not None and application.updater.running:
        await application.updater.stop()
    if application.running:
        await application.stop()
    await application.shutdown()
