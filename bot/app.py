"""The PTB Application factory and the start-up work that runs before the first update.

This is the composition root: the one place in bot/ that knows the handlers/ layer exists.
"""

from __future__ import annotations

import logging

from telegram import BotCommandScopeDefault, LinkPreviewOptions
from telegram.constants import ParseMode
from telegram.ext import Application, ApplicationBuilder, ContextTypes, Defaults
from telegram.request import BaseRequest

import handlers
import handlers.webdoor
from bot import categories
from bot.aiohttp_request import AiohttpRequest
from bot.communes import CommuneDirectory, sync_communes
from bot.config import Config, ConfigError, Keys
from bot.context import TipbotContext, attach_runtime
from bot.i18n import LANGUAGES, texts
from bot.jobs import schedule_jobs
from bot.outbox_worker import OutboxWorker
from bot.runtime import Runtime
from bot.send_budget import CountingRateLimiter, SendBudget
from storage import categories as stored_categories
from storage import officers
from storage.db import Database, private_dir

log = logging.getLogger(__name__)


# 64 updates in hand at once, 20 connections: far more than Telegram's 30 messages a second
# need, and a bound on what a burst of residents costs. On PTB's default transport (HTTPX, 256
# connections) httpcore's pool did work proportional to the square of its open connections on
# every request; on aiohttp an update costs a fifth less CPU again (bench/intake.py: 7.3 ms
# against 9.4 ms, the echo bot's 4.0 ms, with 300 residents at once).
CONCURRENT_UPDATES = 64
CONNECTIONS = 20


def tipbot_defaults() -> Defaults:
    return Defaults(
        parse_mode=ParseMode.HTML,
        # Links in tips and bulletins must not unfold into previews that fetch the scammer's page.
        link_preview_options=LinkPreviewOptions(is_disabled=True),
    )


def build_application(config: Config, budget: SendBudget) -> Application:
    defaults = tipbot_defaults()
    application = (
        ApplicationBuilder()
        .token(config.token)
        .base_url(config.api_url)
        .base_file_url(config.file_url)
        .defaults(defaults)
        .rate_limiter(
            CountingRateLimiter(
                budget,
                overall_max_rate=config.max_messages_per_second,
                overall_time_period=1,
                max_retries=3,
            )
        )
        .context_types(ContextTypes(context=TipbotContext))
        # Updates of different users run concurrently; one slow resident must not stall others.
        .concurrent_updates(CONCURRENT_UPDATES)
        # HTTP on aiohttp, like the broadcast engine (bot/aiohttp_request.py says why).
        .request(AiohttpRequest(connections=CONNECTIONS))
        .get_updates_request(AiohttpRequest(connections=1))
        .build()
    )
    handlers.add_handlers(application)
    return application


# The web door's Application never reaches Telegram: its transport calls the door in-process
# (bot/webdoor/botapi.py), so this token and address only satisfy PTB's checks.
WEB_DOOR_TOKEN = "1:web-door"  # noqa: S105 - not a secret: it never leaves the process
WEB_DOOR_BASE_URL = "http://web-door.invalid/bot"


def build_web_application(request: BaseRequest) -> Application:
    """The second Application of `tipbot run`: the resident's handlers only (handlers/webdoor.py),
    the same database through the same Runtime, its Bot API the web door (bot/webdoor/)."""
    application = (
        ApplicationBuilder()
        .token(WEB_DOOR_TOKEN)
        .base_url(WEB_DOOR_BASE_URL)
        .defaults(tipbot_defaults())
        .context_types(ContextTypes(context=TipbotContext))
        .request(request)
        .get_updates_request(request)
        .updater(None)  # updates are handed over by the door, not fetched
        .job_queue(None)  # the Telegram Application runs every job
        .build()
    )
    handlers.webdoor.add_handlers(application)
    return application


async def open_runtime(config: Config, keys: Keys) -> Runtime:
    """Database migrated and communes loaded: everything handlers rely on."""
    private_dir(config.data_dir)  # keys, backups and (by default) the database
    config.db_path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    db = await Database.open(config.db_path)
    try:
        if problem := categories.mismatch(await stored_categories.keys(db)):
            raise ConfigError(f"tip categories: {problem}")
        await sync_communes(db, config.province)
        communes = await CommuneDirectory.load(db, config.province)
        await officers.ensure_admins(db, config.admin_ids)
    except BaseException:
        await db.close()
        raise
    return Runtime(
        config=config,
        keys=keys,
        db=db,
        communes=communes,
        province_name=province_display_name(config.province),
    )


def province_display_name(code: int) -> str:
    from vietnam_provinces import Province, ProvinceCode

    name = Province.from_code(ProvinceCode(code)).name
    for prefix in ("Tỉnh ", "Thành phố "):
        name = name.removeprefix(prefix)
    return name


async def publish_commands(application: Application) -> None:
    """Per-language command menus: Telegram shows each user the list for their app language."""
    bot = application.bot
    default = texts(application.bot_data["runtime"].config.default_language)
    await bot.set_my_commands(handlers.resident_commands(default), scope=BotCommandScopeDefault())
    for language in LANGUAGES:
        await bot.set_my_commands(
            handlers.resident_commands(texts(language)),
            scope=BotCommandScopeDefault(),
            language_code=language,
        )


OUTBOX_WORKER = "outbox_worker"


async def start_application(application: Application, runtime: Runtime) -> None:
    attach_runtime(application, runtime)
    await application.initialize()
    await publish_commands(application)
    schedule_jobs(application)
    await application.start()
    # Staff menus are one call per chat: set them in the background, not before polling starts.
    application.create_task(
        handlers.onboarding.publish_staff_commands(application), name="staff_menus"
    )
    worker = OutboxWorker(runtime, handlers.deliverers(application, runtime))
    runtime.wake_outbox = worker.wake
    application.bot_data[OUTBOX_WORKER] = worker
    worker.start()


async def stop_outbox(application: Application) -> None:
    worker = application.bot_data.pop(OUTBOX_WORKER, None)
    if worker is not None:
        await worker.stop()
