"""Logging that cannot leak the bot token, keys or what residents send.

One line per event: `time=… level=… logger=… event=name key=value …` for our own messages (build
them with `kv()`), `msg="…"` for a library's; a traceback is folded into the line as `exc="…"`.

Two guards, because a log line can carry secrets in two ways:
- Secrets we know (the token, the keys, the webhook secret) can appear anywhere: httpx logs every
  request URL at INFO and the Bot API URL contains the token; network errors and tracebacks carry
  it too. So they are replaced on the final, formatted line — message, arguments and traceback.
- What residents send cannot be listed in advance. At DEBUG, PTB logs every API call's parameters
  and result and every incoming update ("Processing update …"): message texts, receipts, chat and
  user ids. `PayloadFilter` keeps those records but drops their payload arguments, keeping only
  names (the API method) and numbers; aiosqlite's DEBUG lines (SQL parameters) are dropped whole.
"""

from __future__ import annotations

import copy
import json
import logging
import re
import sys
from collections.abc import Iterable, Mapping

REDACTED = "[REDACTED]"
OMITTED = "[omitted]"
# Libraries whose log arguments may hold what users sent; only plain names and numbers survive.
PAYLOAD_LOGGERS = ("telegram", "tornado.general", "tornado.application")
# Libraries whose DEBUG lines are nothing but payload (aiosqlite prints every SQL statement with
# its parameters): dropped below INFO.
SILENT_LOGGERS = ("aiosqlite",)
_PLAIN_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_.]{0,63}")
_BARE_VALUE = re.compile(r"[^\s\"=]+")


def kv(event: str, **fields: object) -> str:
    """`event=name key=value …`, values quoted when they hold spaces, quotes or `=`."""
    parts = [f"event={event}"]
    for key, value in fields.items():
        text = str(value)
        parts.append(f"{key}={text if _BARE_VALUE.fullmatch(text) else _quote(text)}")
    return " ".join(parts)


def _quote(text: str) -> str:
    return json.dumps(text, ensure_ascii=False)


class PayloadFilter(logging.Filter):
    """Keeps library records, without the arguments that could be a message, an update or an id
    list; drops aiosqlite's DEBUG records."""

    def filter(self, record: logging.LogRecord) -> bool | logging.LogRecord:
        if record.name.startswith(SILENT_LOGGERS) and record.levelno < logging.INFO:
            return False
        if not record.name.startswith(PAYLOAD_LOGGERS) or not record.args:
            return True
        cleaned = copy.copy(record)
        if isinstance(record.args, Mapping):
            cleaned.args = {key: _plain(value) for key, value in record.args.items()}
        else:
            cleaned.args = tuple(_plain(value) for value in record.args)
        return cleaned


def _plain(value: object) -> object:
    if isinstance(value, bool | int | float):
        return value
    if isinstance(value, str) and _PLAIN_NAME.fullmatch(value):
        return value
    return OMITTED


class RedactingFormatter(logging.Formatter):
    """One line per record (`time=… level=… logger=…` then `event=…` or `msg="…"`, and `exc="…"`
    for a traceback), with every known secret replaced in the result."""

    def __init__(self, secrets: Iterable[str]) -> None:
        super().__init__(datefmt="%Y-%m-%dT%H:%M:%S%z")
        # Longest first, so a secret containing another is replaced whole.
        self._secrets = sorted({s for s in secrets if len(s) >= 6}, key=len, reverse=True)

    def redact(self, text: str) -> str:
        for secret in self._secrets:
            text = text.replace(secret, REDACTED)
        return text

    def format(self, record: logging.LogRecord) -> str:
        message = record.getMessage()
        body = message if message.startswith("event=") else f"msg={_quote(message)}"
        line = (
            f"time={self.formatTime(record, self.datefmt)} level={record.levelname} "
            f"logger={record.name} {body}"
        )
        if record.exc_info:
            line += f" exc={_quote(self.formatException(record.exc_info))}"
        if record.stack_info:
            line += f" stack={_quote(record.stack_info)}"
        # One line per event, whatever a value held.
        return self.redact(line.replace("\r", "\\r").replace("\n", "\\n"))


def secrets_of_token(token: str) -> list[str]:
    # The whole token, and its secret half alone (it may appear URL-quoted or split at the colon).
    _, _, secret = token.partition(":")
    return [token, secret]


def configure_logging(level: str, secrets: Iterable[str], stream=None) -> RedactingFormatter:
    formatter = RedactingFormatter(secrets)
    handler = logging.StreamHandler(stream or sys.stderr)
    handler.setFormatter(formatter)
    handler.addFilter(PayloadFilter())
    root = logging.getLogger()
    for old in list(root.handlers):
        root.removeHandler(old)
    root.addHandler(handler)
    root.setLevel(level)
    # Request lines are noise at INFO (one per getUpdates); keep them for DEBUG, redacted.
    quiet = logging.DEBUG if level == "DEBUG" else logging.WARNING
    for name in ("httpx", "httpcore", "apscheduler"):
        logging.getLogger(name).setLevel(quiet)
    logging.getLogger("aiosqlite").setLevel(logging.WARNING)  # its DEBUG lines are SQL parameters
    return formatter


def secrets_of_keys(*keys: bytes) -> list[str]:
    """Each key as it may be written: base64 (URL-safe or not, with or without padding), hex."""
    import base64

    forms = []
    for key in keys:
        for encoded in (base64.urlsafe_b64encode(key), base64.b64encode(key)):
            text = encoded.decode("ascii")
            forms += [text, text.rstrip("=")]
        forms.append(key.hex())
    return forms
