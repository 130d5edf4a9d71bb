"""The bot's skeleton end to end: PTB's real Application over real HTTP to the sandbox."""

from __future__ import annotations

import io
import logging

import pytest

from bot.logging_setup import configure_logging, secrets_of_token
from tests.conftest import TOKEN


def texts_of(history):
    return [m.get("text") or m.get("caption") or "" for m in history]


async def test_start_in_vietnamese_and_english(sandbox, bot):
    lan = sandbox.add_user("Lan", language_code="vi")
    tom = sandbox.add_user("Tom", language_code="en")
    await sandbox.send_text(lan, "/start")
    reply = await sandbox.wait_for_message(lan.id)
    assert "ẩn danh" in reply["text"]
    assert "Lâm Đồng" in reply["text"]
    await sandbox.send_text(tom, "/start")
    reply = await sandbox.wait_for_message(tom.id)
    assert "anonymously" in reply["text"]
    buttons = [b["text"] for row in reply["reply_markup"]["inline_keyboard"] for b in row]
    assert "📝 Send a tip" in buttons
    assert not sandbox.errors


async def test_commands_published_per_language(sandbox, bot):
    vi = [c["command"] for c in sandbox.bot_commands(language_code="vi")]
    assert vi[0] == "report" and "status" in vi
    english = {c["command"]: c["description"] for c in sandbox.bot_commands(language_code="en")}
    vietnamese = {c["command"]: c["description"] for c in sandbox.bot_commands(language_code="vi")}
    assert english["help"] == "Help" and vietnamese["help"] == "Hướng dẫn"


async def test_language_choice_is_remembered_across_restart(sandbox, bot):
    tom = sandbox.add_user("Tom", language_code="en")
    await sandbox.send_text(tom, "/language")
    await sandbox.wait_for_message(tom.id)
    await sandbox.press_button(tom, "🇻🇳 Tiếng Việt")
    edited = await sandbox.wait_for_message(tom.id)
    assert "Đã chọn ngôn ngữ: 🇻🇳 Tiếng Việt" in edited["text"]
    await bot.restart()
    await sandbox.send_text(tom, "/help")
    reply = await sandbox.wait_for_message(tom.id)
    assert "Cách dùng" in reply["text"]
    # Remembered by pseudonym: the user id is nowhere in the database.
    with bot.db() as conn:
        dump = "\n".join(conn.iterdump())
    assert str(tom.id) not in dump


async def test_help_cancel_and_unknown_input(sandbox, bot):
    lan = sandbox.add_user("Lan", language_code="vi")
    await sandbox.send_text(lan, "/help")
    assert "/report" in (await sandbox.wait_for_message(lan.id))["text"]
    await sandbox.send_text(lan, "/cancel")
    assert "không có việc gì" in (await sandbox.wait_for_message(lan.id))["text"]
    await sandbox.send_text(lan, "/frobnicate")
    assert "chưa hiểu lệnh" in (await sandbox.wait_for_message(lan.id))["text"]
    await sandbox.send_sticker(lan)
    assert "chưa hiểu" in (await sandbox.wait_for_message(lan.id))["text"]
    await sandbox.press_callback(lan, 1, "no-such-button")
    assert not sandbox.errors


async def test_group_messages_are_ignored(sandbox, bot):
    lan = sandbox.add_user("Lan", language_code="vi")
    group = sandbox.add_group("Xóm Đồi", members=[lan])
    await sandbox.send_text(lan, "xin chào cả nhà", chat=group)
    await sandbox.send_text(lan, "/report", chat=group)
    with pytest.raises(TimeoutError):
        await sandbox.wait_for_message(group.id, timeout=1.5)


async def test_no_token_in_debug_logs(sandbox, tmp_path):
    """Runs the bot at DEBUG (httpx logs request URLs, PTB logs the bot URL) and scans the log."""
    from bot.config import load_config, load_keys
    from tests.conftest import RunningBot, bot_env

    stream = io.StringIO()
    env = bot_env(sandbox, tmp_path / "data", TIPBOT_LOG_LEVEL="DEBUG")
    config = load_config(env)
    configure_logging("DEBUG", secrets_of_token(config.token), stream=stream)
    running = RunningBot(sandbox, config, load_keys(config, env), env)
    await running.start()
    try:
        lan = sandbox.add_user("Lan", language_code="vi")
        await sandbox.send_text(lan, "/start")
        await sandbox.wait_for_message(lan.id)
        sandbox.fail_next("sendMessage", kind="drop")
        await sandbox.send_text(lan, "/help")
        await sandbox.wait_for_message(lan.id, timeout=15)
    finally:
        await running.stop()
        logging.getLogger().handlers.clear()
        logging.getLogger().setLevel(logging.WARNING)
        for name in ("httpx", "httpcore", "apscheduler", "aiosqlite"):
            logging.getLogger(name).setLevel(logging.NOTSET)
    output = stream.getvalue()
    assert "getUpdates" in output  # httpx did log the request lines
    assert TOKEN not in output
    assert TOKEN.split(":")[1] not in output
