"""Shared fixtures: a Telegram-strict sandbox, and the real bot (PTB Application over HTTP) on it.

The bot runs in the test's event loop through the same `serve()` that `tipbot run` uses, with a
real SQLite file in tmp_path. `restart()` stops and starts it on the same database and keys.
"""

from __future__ import annotations

import asyncio
import sqlite3
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from telegram.ext import Application

from bot.config import Config, Keys, load_config, load_keys
from bot.runner import serve
from sandbox.server import Sandbox
from tests.support.db import db  # noqa: F401 - the `db` fixture of every suite

TOKEN = "4242:test-token-SECRET-value_xyz"
ADMIN_ID_ENV = "TIPBOT_ADMIN_IDS"


@dataclass
class RunningBot:
    sandbox: Sandbox
    config: Config
    keys: Keys
    env: dict[str, str]
    application: Application | None = None
    clock: object = None  # a callable returning unix seconds, kept across restarts
    _stop: asyncio.Event = field(default_factory=asyncio.Event)
    _task: asyncio.Task | None = None

    async def start(self) -> None:
        self._stop = asyncio.Event()
        seen = len(self.sandbox.calls)
        self._task = asyncio.create_task(
            serve(self.config, self.keys, self._stop, on_started=self._started)
        )
        # Ready once it polls for updates (commands are published before that).
        for _ in range(400):
            if any(c.method == "getUpdates" for c in self.sandbox.calls[seen:]):
                return
            if self._task.done():
                self._task.result()
            await asyncio.sleep(0.025)
        raise TimeoutError("the bot did not start polling")

    def _started(self, application: Application) -> None:
        self.application = application
        if self.clock is not None:
            self.runtime.clock = self.clock

    @property
    def runtime(self):
        return self.application.bot_data["runtime"]

    async def run_job(self, name: str) -> None:
        """Runs a scheduled job now instead of waiting for its interval."""
        [job] = self.application.job_queue.get_jobs_by_name(name)
        await job.run(self.application)

    async def stop(self) -> None:
        if self._task is None:
            return
        self._stop.set()
        try:
            await asyncio.wait_for(asyncio.shield(self._task), 30)
        except TimeoutError:
            stacks = "\n".join(
                f"{task.get_name()}: {task.get_stack(limit=3)}" for task in asyncio.all_tasks()
            )
            raise TimeoutError(f"the bot did not stop; tasks:\n{stacks}") from None
        self._task = None

    async def restart(self) -> None:
        await self.stop()
        await self.start()

    def db(self) -> sqlite3.Connection:
        """A separate, plain connection to the bot's database file, for assertions."""
        conn = sqlite3.connect(self.config.db_path)
        conn.row_factory = sqlite3.Row
        return conn


@pytest.fixture
async def sandbox():
    sb = Sandbox(token=TOKEN, bot_username="tipbot_test_bot")
    await sb.start()
    try:
        yield sb
    finally:
        await sb.stop()


def bot_env(sandbox: Sandbox, data_dir: Path, **extra: str) -> dict[str, str]:
    env = {
        "TIPBOT_TOKEN": TOKEN,
        "TIPBOT_API_URL": sandbox.base_url,
        "TIPBOT_DATA_DIR": str(data_dir),
    }
    env.update(extra)
    return env


@pytest.fixture
def bot_settings() -> dict[str, str]:
    """Extra TIPBOT_* settings for the `bot` fixture; override in a test module."""
    return {}


@pytest.fixture(autouse=True)
def fast_typist(monkeypatch):
    """Tests type far faster than people; the flood guard has its own test."""
    import handlers.flood

    monkeypatch.setattr(handlers.flood, "REFILL_PER_SECOND", 1000.0)
    monkeypatch.setattr(handlers.flood, "_buckets", {})


@pytest.fixture
async def bot(sandbox, tmp_path, bot_settings):
    env = bot_env(sandbox, tmp_path / "data", **bot_settings)
    config = load_config(env)
    running = RunningBot(sandbox, config, load_keys(config, env), env)
    await running.start()
    try:
        yield running
    finally:
        await running.stop()
