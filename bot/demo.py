"""`tipbot demo`: the real bot, a local Telegram sandbox and a web chat, in one process.

Nothing leaves the machine: the sandbox plays Telegram, the page plays the Telegram app. Each run
starts from a fresh data directory, so the demo always begins the same way: two residents, an
officer already registered for a demo ward, and a province admin.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import shutil
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path

from bot.communes import sync_communes
from bot.config import Config, Keys, load_config, load_keys
from bot.logging_setup import configure_logging, secrets_of_token
from bot.runner import serve
from sandbox.server import Sandbox
from sandbox.webchat import Persona, add_webchat
from storage import officers
from storage.db import Database

DEMO_TOKEN = "1000001:demo-token-for-the-local-sandbox-only"  # noqa: S105 - not a secret
DEMO_DIR = Path(".demo")
log = logging.getLogger(__name__)
DEMO_COMMUNE = 24781  # Phường Xuân Hương - Đà Lạt


@dataclass
class Demo:
    sandbox: Sandbox
    config: Config
    keys: Keys
    personas: list[Persona]

    @property
    def url(self) -> str:
        return f"http://{self.sandbox.host}:{self.sandbox.port}/"


def demo_personas(sandbox: Sandbox) -> list[Persona]:
    lan = sandbox.add_user("Lan", last_name="Nguyễn", language_code="vi")
    tom = sandbox.add_user("Tom", last_name="Baker", username="tom_traveller", language_code="en")
    minh = sandbox.add_user("Minh", last_name="Trần", language_code="vi")
    admin = sandbox.add_user("Ban Chỉ đạo", language_code="vi")
    # Staff opened the bot long ago (Telegram lets a bot write only to people who did), so tips
    # reach them even before the person at the browser switches to them.
    sandbox.open_chat(minh)
    sandbox.open_chat(admin)
    return [
        Persona("lan", "Chị Lan", "Người dân · tiếng Việt", lan),
        Persona("tom", "Tom", "Resident · English", tom),
        Persona("minh", "Cán bộ Minh", "Công an phường Xuân Hương - Đà Lạt", minh, "officer"),
        Persona("admin", "Ban Chỉ đạo 138", "Quản trị cấp tỉnh", admin, "admin"),
    ]


async def register_demo_officer(config: Config, officer_id: int, name: str) -> None:
    db = await Database.open(config.db_path)
    try:
        await sync_communes(db, config.province)
        await officers.add(db, officer_id, name)
        await officers.add_commune(db, officer_id, DEMO_COMMUNE)
    finally:
        await db.close()


@contextlib.asynccontextmanager
async def running_demo(host: str, port: int, data_dir: Path) -> AsyncIterator[Demo]:
    """The sandbox with its web chat and the bot, running until the block ends."""
    shutil.rmtree(data_dir, ignore_errors=True)
    sandbox = Sandbox(token=DEMO_TOKEN, bot_username="tipbot_demo_bot", rate_limits=True)
    personas = demo_personas(sandbox)
    by_key = {p.key: p.user for p in personas}
    webchat = add_webchat(sandbox, personas)
    await sandbox.start(host=host, port=port)
    stop = asyncio.Event()
    try:
        env = {
            "TIPBOT_TOKEN": DEMO_TOKEN,
            "TIPBOT_API_URL": sandbox.base_url,
            "TIPBOT_DATA_DIR": str(data_dir),
            "TIPBOT_ADMIN_IDS": str(by_key["admin"].id),
            # The resident web door beside it: 8090 beside the sandbox's 8080.
            "TIPBOT_WEB_LISTEN": f"{host}:{port + 10 if port else 0}",
        }
        if timezone := os.environ.get("TIPBOT_TIMEZONE"):
            env["TIPBOT_TIMEZONE"] = timezone
        config = load_config(env)
        webchat.timezone = config.timezone.key  # the page shows times as the bot's texts do
        keys = load_keys(config, env)
        config.db_path.parent.mkdir(parents=True, exist_ok=True)
        await register_demo_officer(config, by_key["minh"].id, "Cán bộ Minh")
        bot = asyncio.create_task(serve(config, keys, stop))
        try:
            yield Demo(sandbox, config, keys, personas)
        finally:
            stop.set()
            await bot
    finally:
        await sandbox.stop()


async def run_demo(host: str, port: int, stop: asyncio.Event) -> None:
    configure_logging("INFO", secrets_of_token(DEMO_TOKEN))
    async with running_demo(host, port, DEMO_DIR) as demo:
        log.info("event=demo_ready url=%s hint=open_it_in_a_browser_ctrl_c_stops", demo.url)
        web = demo.config.web_listen
        log.info(
            "event=demo_doors telegram_door=%s (the sandbox chat: pick a Telegram persona, "
            "resident, officer or admin) web_door=http://%s:%s/ (the resident web door: what a "
            "resident without Telegram sees, no personas)",
            demo.url, *(web or ("-", "-")),
        )  # fmt: skip
        await stop.wait()
