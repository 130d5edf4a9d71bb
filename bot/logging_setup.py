"""Logging that cannot leak the bot token or keys.

httpx logs every request URL at INFO, and the Bot API URL contains the token; PTB's ExtBot logs it
at DEBUG; network errors and tracebacks can carry it too. So redaction happens on the final,
formatted line — message, arguments and traceback alike — not on the record's fields.
"""

from __future__ import annotations

import logging
import sys
from collections.abc import Iterable

REDACTED = "[REDACTED]"


class RedactingFormatter(logging.Formatter):
    """Formats as `time=… level=… logger=… msg=…` and replaces every secret in the result."""

    def __init__(self, secrets: Iterable[str]) -> None:
        super().__init__(
            fmt="time=%(asctime)s level=%(levelname)s logger=%(name)s msg=%(message)s",
            datefmt="%Y-%m-%dT%H:%M:%S%z",
        )
        # Longest first, so a secret containing another is replaced whole.
        self._secrets = sorted({s for s in secrets if len(s) >= 6}, key=len, reverse=True)

    def add_secret(self, secret: str) -> None:
        if len(secret) >= 6 and secret not in self._secrets:
            self._secrets = sorted([*self._secrets, secret], key=len, reverse=True)

    def redact(self, text: str) -> str:
        for secret in self._secrets:
            text = text.replace(secret, REDACTED)
        return text

    def format(self, record: logging.LogRecord) -> str:
        return self.redact(super().format(record))


def secrets_of_token(token: str) -> list[str]:
    # The whole token, and its secret half alone (it may appear URL-quoted or split at the colon).
    _, _, secret = token.partition(":")
    return [token, secret]


def configure_logging(level: str, secrets: Iterable[str], stream=None) -> RedactingFormatter:
    formatter = RedactingFormatter(secrets)
    handler = logging.StreamHandler(stream or sys.stderr)
    handler.setFormatter(formatter)
    root = logging.getLogger()
    for old in list(root.handlers):
        root.removeHandler(old)
    root.addHandler(handler)
    root.setLevel(level)
    # Request lines are noise at INFO (one per getUpdates); keep them for DEBUG, redacted.
    quiet = logging.DEBUG if level == "DEBUG" else logging.WARNING
    for name in ("httpx", "httpcore", "apscheduler", "aiosqlite"):
        logging.getLogger(name).setLevel(quiet)
    return formatter
