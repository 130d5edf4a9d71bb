"""`tipbot check`: is this installation able to run? One line per check, exit status 0 if all pass.

Read-only on purpose: it never creates keys, never creates or migrates the database, and may run
beside the running bot (Docker's HEALTHCHECK, a monitoring probe, an operator before a start).
"""

from __future__ import annotations

import sqlite3
from collections.abc import Mapping
from dataclasses import dataclass

from bot.anonymity import decode_key
from bot.backup import running_pid
from bot.config import Config, ConfigError, load_config
from storage.db import load_migrations

API_TIMEOUT = 10.0


@dataclass(frozen=True)
class Check:
    name: str
    ok: bool
    detail: str

    def line(self) -> str:
        return f"{'ok  ' if self.ok else 'FAIL'} {self.name}: {self.detail}"


async def run_checks(env: Mapping[str, str], *, require_running: bool = False) -> list[Check]:
    try:
        config = load_config(env)
    except ConfigError as error:
        return [Check("configuration", False, str(error))]
    checks = [
        Check(
            "configuration",
            True,
            f"province {config.province}, data in {config.data_dir}, "
            f"time zone {config.timezone.key}, {len(config.admin_ids)} admin(s)",
        ),
        check_keys(config, env),
        check_database(config),
        await check_bot_api(config),
    ]
    pid = running_pid(config.data_dir)
    if pid is not None:
        checks.append(Check("bot", True, f"running (pid {pid})" if pid else "running"))
    else:
        checks.append(Check("bot", not require_running, "not running"))
    return checks


def check_keys(config: Config, env: Mapping[str, str]) -> Check:
    found = []
    for variable, path in (
        ("TIPBOT_PSEUDONYM_KEY", config.keys_dir / "pseudonym.key"),
        ("TIPBOT_WAY_BACK_KEY", config.keys_dir / "way_back.key"),
    ):
        try:
            if env.get(variable, "").strip():
                decode_key(env[variable])
                found.append(f"{variable} from the environment")
            elif path.exists():
                decode_key(path.read_text(encoding="ascii"))
                found.append(str(path))
            else:
                return Check(
                    "keys", False, f"{path} is missing (the bot creates it on first start)"
                )
        except ValueError as error:
            return Check("keys", False, f"{variable}: {error}")
        except OSError as error:
            return Check("keys", False, f"{path}: {error.strerror}")
    return Check("keys", True, "readable: " + ", ".join(found))


def check_database(config: Config) -> Check:
    path = config.db_path
    if not path.exists():
        return Check(
            "database", False, f"{path} does not exist (the bot creates it on first start)"
        )
    latest = len(load_migrations())
    try:
        conn = sqlite3.connect(f"{path.resolve().as_uri()}?mode=ro", uri=True, timeout=5)
        try:
            version = conn.execute("PRAGMA user_version").fetchone()[0]
            tips = conn.execute("SELECT count(*) FROM tips").fetchone()[0]
        finally:
            conn.close()
    except sqlite3.Error as error:
        return Check("database", False, f"{path}: {error}")
    if version != latest:
        state = (
            "older than this tipbot: start the bot to migrate it"
            if version < latest
            else ("newer than this tipbot")
        )
        return Check("database", False, f"{path} at version {version} of {latest}, {state}")
    return Check("database", True, f"{path} at version {version} (latest), {tips} tips")


async def check_bot_api(config: Config) -> Check:
    from telegram import Bot
    from telegram.error import InvalidToken, TelegramError
    from telegram.request import HTTPXRequest

    request = HTTPXRequest(connect_timeout=API_TIMEOUT, read_timeout=API_TIMEOUT)
    try:
        async with Bot(config.token, base_url=config.api_url, request=request) as bot:
            me = bot.username
    except InvalidToken:
        return Check("bot api", False, "the Bot API rejected TIPBOT_TOKEN")
    except TelegramError as error:
        return Check("bot api", False, f"cannot reach {config.api_url} ({type(error).__name__})")
    return Check("bot api", True, f"@{me} (getMe at {config.api_url})")
