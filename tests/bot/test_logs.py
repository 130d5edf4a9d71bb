"""Log lines: one per event, key=value, secrets redacted, and library payloads (what residents
send, as PTB logs it at DEBUG) dropped before they are written."""

from __future__ import annotations

import io
import logging

import pytest

from bot.logging_setup import (
    OMITTED,
    REDACTED,
    PayloadFilter,
    configure_logging,
    kv,
    secrets_of_keys,
    secrets_of_token,
)

TOKEN = "987654:SECRETsecretSECRETsecret_-x"
KEY = bytes(range(100, 132))


@pytest.fixture
def captured():
    stream = io.StringIO()
    configure_logging("DEBUG", secrets_of_token(TOKEN) + secrets_of_keys(KEY), stream=stream)
    yield stream
    root = logging.getLogger()
    root.handlers.clear()
    root.setLevel(logging.WARNING)
    for name in ("httpx", "httpcore", "apscheduler", "aiosqlite"):
        logging.getLogger(name).setLevel(logging.NOTSET)


def lines(stream: io.StringIO) -> list[str]:
    return stream.getvalue().splitlines()


def test_kv_quotes_only_what_needs_it():
    assert kv("backup", file="tipbot-1.sqlite3", bytes=12) == (
        "event=backup file=tipbot-1.sqlite3 bytes=12"
    )
    assert kv("failed", error='Bad Request: "x" = y') == (
        'event=failed error="Bad Request: \\"x\\" = y"'
    )


def test_one_line_per_event(captured):
    log = logging.getLogger("bot.test")
    log.info(kv("started", mode="polling"))
    logging.getLogger("telegram.ext.Application").info("Application started")
    try:
        raise ValueError("two\nlines")
    except ValueError:
        log.exception(kv("handler_error", update="message"))
    first, second, third = lines(captured)
    assert first.endswith("level=INFO logger=bot.test event=started mode=polling")
    assert first.startswith("time=")
    assert second.endswith('logger=telegram.ext.Application msg="Application started"')
    assert third.count("\n") == 0 and 'exc="Traceback (most recent call last):\\n' in third
    assert "ValueError: two\\nlines" in third


def test_library_payloads_are_dropped(captured):
    ext_bot = logging.getLogger("telegram.ext.ExtBot")
    ext_bot.debug(
        "Calling Bot API endpoint `%s` with parameters `%s`",
        "sendMessage",
        {"chat_id": 7000000001, "text": "Biên nhận 1234-ABCD"},
    )
    ext_bot.debug("Call to Bot API endpoint `%s` finished with return value `%s`", "getUpdates",
                  [{"update_id": 5, "message": {"text": "bí mật"}}])  # fmt: skip
    logging.getLogger("telegram.ext.Application").debug("Processing update %s", object())
    logging.getLogger("telegram.ext._utils.webhookhandler").debug(
        "Webhook received data: %s", '{"message": {"from": {"id": 7000000001}}}'
    )
    logging.getLogger("aiosqlite").debug("executing %s", "INSERT INTO tips … 'bí mật'")
    logging.getLogger("telegram.ext.AIORateLimiter").info("Retrying after %f seconds", 1.5)
    output = captured.getvalue()
    for leaked in ("7000000001", "1234-ABCD", "bí mật", "INSERT"):
        assert leaked not in output
    assert "Calling Bot API endpoint `sendMessage` with parameters `[omitted]`" in output
    assert "endpoint `getUpdates` finished with return value `[omitted]`" in output
    assert "Retrying after 1.500000 seconds" in output
    assert output.count(OMITTED) == 4
    assert len(lines(captured)) == 5  # aiosqlite's line is gone


def test_secrets_are_redacted_in_every_form(captured):
    import base64

    log = logging.getLogger("httpx")
    log.info("GET https://api.telegram.org/bot%s/getMe", TOKEN)
    log.info("keys %s %s %s", base64.urlsafe_b64encode(KEY).decode(), KEY.hex(),
             base64.b64encode(KEY).decode().rstrip("="))  # fmt: skip
    output = captured.getvalue()
    assert TOKEN not in output and KEY.hex() not in output
    assert base64.urlsafe_b64encode(KEY).decode().rstrip("=") not in output
    assert output.count(REDACTED) == 4


def test_filter_keeps_our_own_records_untouched():
    record = logging.LogRecord("bot.x", logging.INFO, "f", 1, "event=x id=%s", ("abc def",), None)
    assert PayloadFilter().filter(record) is True
