"""Bot settings: commands per scope and language, the menu button, descriptions."""

import pytest
import telegram
from telegram import (
    BotCommand,
    BotCommandScopeAllGroupChats,
    BotCommandScopeChat,
    MenuButtonCommands,
)
from telegram.error import BadRequest

from tests.sandbox.conftest import RawApi


async def test_commands_are_stored_per_scope_and_language(sb, tg: telegram.Bot, lan):
    await tg.set_my_commands([BotCommand("report", "Báo tin")], language_code="vi")
    await tg.set_my_commands([BotCommand("report", "Report a tip")], language_code="en")
    await tg.set_my_commands([BotCommand("ack", "Acknowledge")], scope=BotCommandScopeChat(lan.id))
    await tg.set_my_commands([BotCommand("help", "Help")], scope=BotCommandScopeAllGroupChats())
    assert sb.bot_commands(language_code="vi") == [{"command": "report", "description": "Báo tin"}]
    assert sb.bot_commands(language_code="en")[0]["description"] == "Report a tip"
    assert sb.bot_commands() == []  # no fallback: exactly what was set for that key
    assert sb.bot_commands({"type": "chat", "chat_id": lan.id})[0]["command"] == "ack"
    assert sb.bot_commands(BotCommandScopeAllGroupChats())[0]["command"] == "help"
    assert [c.command for c in await tg.get_my_commands(language_code="vi")] == ["report"]
    assert await tg.delete_my_commands(language_code="vi")
    assert await tg.get_my_commands(language_code="vi") == ()


@pytest.mark.parametrize(
    ("command", "description", "error"),
    [
        ("Report", "upper case", "BOT_COMMAND_INVALID"),
        ("báo", "not ASCII", "BOT_COMMAND_INVALID"),
        ("x" * 33, "too long", "BOT_COMMAND_INVALID"),
        ("", "empty", "BOT_COMMAND_INVALID"),
        ("ok", "", "BOT_COMMAND_DESCRIPTION_INVALID"),
        ("ok", "d" * 257, "BOT_COMMAND_DESCRIPTION_INVALID"),
    ],
)
async def test_command_names_and_descriptions_are_checked(raw: RawApi, command, description, error):
    commands = [{"command": command, "description": description}]
    assert await raw("setMyCommands", commands=commands) == (
        400,
        {"ok": False, "error_code": 400, "description": f"Bad Request: {error}"},
    )


async def test_valid_limits_of_commands(raw: RawApi):
    commands = [{"command": "a_1" + "x" * 29, "description": "d" * 256}]
    assert (await raw("setMyCommands", commands=commands))[0] == 200
    assert (await raw("setMyCommands", commands=commands, language_code="vie"))[0] == 400
    unknown_chat = {"type": "chat", "chat_id": 424242}
    assert (await raw("setMyCommands", commands=commands, scope=unknown_chat))[0] == 400


async def test_menu_button_and_descriptions(tg: telegram.Bot, lan):
    assert (await tg.get_chat_menu_button()).type == "default"
    assert await tg.set_chat_menu_button(menu_button=MenuButtonCommands())
    assert (await tg.get_chat_menu_button(lan.id)).type == "commands"
    assert await tg.set_my_description("Kênh báo tin ẩn danh", language_code="vi")
    assert (await tg.get_my_description("vi")).description == "Kênh báo tin ẩn danh"
    assert await tg.set_my_short_description("Anonymous tips")
    assert (await tg.get_my_short_description()).short_description == "Anonymous tips"
    with pytest.raises(BadRequest, match=r"(?i)too long"):
        await tg.set_my_short_description("x" * 121)


async def test_log_out_and_close_are_accepted(tg: telegram.Bot):
    assert await tg.log_out()
    assert await tg.close()
