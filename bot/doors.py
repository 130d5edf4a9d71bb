"""Which door a person came in by: Telegram, or the web door (bot/webdoor/).

A web visitor gets a user id of its own range, far above any Telegram id (Telegram's user ids
have at most 52 significant bits; chats of groups are negative). The id alone therefore says the
door, wherever it travels: into a pseudonym (namespaced by door, bot/anonymity.py), into the
sealed way back to a tipster (the chat id inside it routes officers' questions to the right
door), and into authorisation: admins and officers are Telegram ids, so no web id can ever be one.
"""

from __future__ import annotations

TELEGRAM = "telegram"
WEB = "web"

WEB_ID_BASE = 1 << 62  # web ids are WEB_ID_BASE + 61 bits, inside SQLite's signed 64 bits
WEB_ID_BITS = 61


def door_of(user_or_chat_id: int) -> str:
    return WEB if user_or_chat_id >= WEB_ID_BASE else TELEGRAM


def is_web_id(user_or_chat_id: int) -> bool:
    return door_of(user_or_chat_id) == WEB
