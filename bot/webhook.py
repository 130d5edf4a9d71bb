"""Webhook mode: Telegram POSTs each update to the bot's own HTTP server (PTB's, on tornado),
usually behind nginx, instead of the bot polling. Polling stays the default.

Every request must carry the secret token Telegram was given with setWebhook (header
X-Telegram-Bot-Api-Secret-Token); PTB answers 403 to any other. The secret is
TIPBOT_WEBHOOK_SECRET, or one generated on first use into TIPBOT_DATA_DIR/webhook_secret (mode
0600) and reused after, so a restart does not change it.
"""

from __future__ import annotations

import os
import secrets
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit

from bot.config import Config, ConfigError

SECRET_FILE = "webhook_secret"  # noqa: S105 - a file name, not a secret
DEFAULT_LISTEN = "127.0.0.1"
DEFAULT_PORT = 8443


@dataclass(frozen=True)
class WebhookSettings:
    url: str  # the public https URL Telegram calls
    url_path: str  # the path PTB's server answers on (by default the URL's own path)
    secret: str = field(repr=False)
    listen: str = DEFAULT_LISTEN
    port: int = DEFAULT_PORT


def webhook_settings(
    config: Config,
    url: str,
    *,
    listen: str = DEFAULT_LISTEN,
    port: int = DEFAULT_PORT,
    url_path: str | None = None,
) -> WebhookSettings:
    parts = urlsplit(url)
    if parts.scheme != "https" or not parts.hostname:
        raise ConfigError(f"--webhook-url: {url!r} is not an https:// URL (Telegram requires one)")
    if not 0 < port < 65536:
        raise ConfigError(f"--port: {port} is not a TCP port")
    path = (url_path if url_path is not None else parts.path).strip("/")
    return WebhookSettings(url, path, webhook_secret(config), listen, port)


def webhook_secret(config: Config) -> str:
    if config.webhook_secret:
        return config.webhook_secret
    path = config.data_dir / SECRET_FILE
    try:
        return _read_or_create(path)
    except OSError as error:
        raise ConfigError(
            f"TIPBOT_WEBHOOK_SECRET: cannot read or create {path}: {error.strerror}"
        ) from None


def _read_or_create(path: Path) -> str:
    if path.exists():
        return path.read_text(encoding="ascii").strip()
    path.parent.mkdir(parents=True, exist_ok=True)
    secret = secrets.token_urlsafe(32)  # 43 characters of A-Z a-z 0-9 _ -, as Telegram allows
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:  # another process made it first: use theirs
        return path.read_text(encoding="ascii").strip()
    with os.fdopen(fd, "w", encoding="ascii") as handle:
        handle.write(secret + "\n")
    return secret
