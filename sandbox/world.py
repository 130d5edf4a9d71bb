"""Users, chats and messages: the state that the bot (through the Bot API) and the simulated users
(through the Python API) both act on, and that a web chat shows.

Messages are kept as the Telegram Message dicts the bot receives, updated in place by edits, so
``history`` is what a Telegram client would show. Every visible change bumps ``version``, which a
web chat long-polls on and ``wait_for_message`` waits with.
"""

import asyncio
import contextlib
import copy
import itertools
import time
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

Message = dict[str, Any]


@dataclass
class Settings:
    """The rules a test may switch while the sandbox runs."""

    rate_limits: bool = False
    privacy_mode: bool = True  # BotFather's default: in groups the bot sees commands and replies
    callback_timeout: float = 15.0
    inline_mode: bool = False  # BotFather's /setinline: only then do users' inline queries come


@dataclass
class CallbackQuery:
    """A button press waiting for answerCallbackQuery."""

    id: str
    chat_id: int
    message_id: int
    data: str
    pressed_at: float
    answered: bool = False


@dataclass
class CallbackAnswer:
    """What the bot answered to a press: the toast or alert the user saw."""

    text: str | None
    show_alert: bool
    url: str | None
    cache_time: int


@dataclass
class User:
    id: int
    first_name: str
    last_name: str | None = None
    username: str | None = None
    language_code: str | None = None
    phone_number: str = ""
    seen_by_bot: bool = False  # the bot got an update from them, in any chat

    def to_dict(self) -> dict[str, Any]:
        described: dict[str, Any] = {"id": self.id, "is_bot": False, "first_name": self.first_name}
        for name in ("last_name", "username", "language_code"):
            if getattr(self, name):
                described[name] = getattr(self, name)
        return described


@dataclass
class StoredMessage:
    message: Message
    from_bot: bool
    deleted: bool = False
    disable_notification: bool = False

    @property
    def message_id(self) -> int:
        return self.message["message_id"]


@dataclass
class Chat:
    id: int
    type: str  # "private", "group", "supergroup" or "channel"
    title: str | None = None
    username: str | None = None  # a public supergroup's @username
    user: User | None = None  # the person in a private chat
    members: dict[int, User] = field(default_factory=dict)
    bot_status: str = "member"  # in a group: member, administrator, kicked
    migrated_to: int | None = None  # a group upgraded to a supergroup: the supergroup's id
    started: bool = False  # private chat: the user has written to the bot
    blocked: bool = False  # private chat: the user blocked the bot
    reply_keyboard: dict[str, Any] | None = None
    messages: dict[int, StoredMessage] = field(default_factory=dict)
    last_message_id: int = 0

    @property
    def is_private(self) -> bool:
        return self.type == "private"

    def to_dict(self) -> dict[str, Any]:
        if self.user is None:
            described = {"id": self.id, "title": self.title, "type": self.type}
            return described | ({"username": self.username} if self.username else {})
        described = {"id": self.id, "type": "private", "first_name": self.user.first_name}
        for name in ("last_name", "username"):
            if getattr(self.user, name):
                described[name] = getattr(self.user, name)
        return described

    def visible(self, message_id: Any) -> StoredMessage | None:
        stored = self.messages.get(message_id) if isinstance(message_id, int) else None
        return stored if stored is not None and not stored.deleted else None


class World:
    def __init__(self, bot_user: dict[str, Any]):
        self.bot_user = bot_user
        self.users: dict[int, User] = {}
        self.chats: dict[int, Chat] = {}
        self.queries: dict[str, CallbackQuery] = {}
        self.callback_answers: dict[str, CallbackAnswer] = {}
        self.version = 0
        self._changed = asyncio.Event()
        self._bot_messages: dict[int, list[tuple[int, Message]]] = defaultdict(list)
        self._user_ids = itertools.count(7_000_000_001)
        self._group_ids = itertools.count(4_000_000_001)

    def add_user(
        self,
        first_name: str,
        username: str | None = None,
        language_code: str | None = None,
        last_name: str | None = None,
    ) -> User:
        user_id = next(self._user_ids)
        user = User(
            id=user_id,
            first_name=first_name,
            last_name=last_name,
            username=username,
            language_code=language_code,
            phone_number=f"+849{user_id % 100_000_000:08d}",
        )
        self.users[user.id] = user
        self.chats[user.id] = Chat(id=user.id, type="private", user=user)
        return user

    def add_group(
        self, title: str, members: list[User], bot_status: str, username: str | None = None
    ) -> Chat:
        """A basic group; with a username, a public supergroup (only those have one)."""
        number = next(self._group_ids)
        chat = Chat(
            id=-1_000_000_000_000 - number if username else -number,
            type="supergroup" if username else "group",
            title=title,
            username=username,
            members={user.id: user for user in members},
            bot_status=bot_status,
        )
        self.chats[chat.id] = chat
        return chat

    def upgrade_group(self, group: Chat, username: str | None = None) -> Chat:
        """The supergroup a basic group becomes: a new -100… id, the same title, members and
        bot status (an @username if it was made public); the group stays, read-only."""
        chat = Chat(
            id=-1_000_000_000_000 - next(self._group_ids),
            type="supergroup",
            title=group.title,
            username=username,
            members=dict(group.members),
            bot_status=group.bot_status,
        )
        self.chats[chat.id] = chat
        group.migrated_to = chat.id
        self.changed()
        return chat

    def add_channel(self, title: str, owner: User) -> Chat:
        """A channel its owner created and made the bot an administrator of (bots read a
        channel's posts only as administrators)."""
        chat = Chat(
            id=-1_000_000_000_000 - next(self._group_ids),
            type="channel",
            title=title,
            members={owner.id: owner},
            bot_status="administrator",
        )
        self.chats[chat.id] = chat
        return chat

    def chat(self, chat_id: int) -> Chat | None:
        return self.chats.get(chat_id)

    def post(
        self,
        chat: Chat,
        content: Message,
        *,
        sender: dict[str, Any] | None = None,
        reply_to: StoredMessage | None = None,
        inline_markup: dict[str, Any] | None = None,
        disable_notification: bool = False,
        channel_post: bool = False,
    ) -> StoredMessage:
        """A new message in ``chat``; from the bot unless a user's ``sender`` dict is given. A
        ``channel_post`` by a user has no sender at all: it comes from the channel itself."""
        chat.last_message_id += 1
        message: Message = {
            "message_id": chat.last_message_id,
            "from": sender or self.bot_user,
            "chat": chat.to_dict(),
            "date": int(time.time()),
        }
        if channel_post:
            del message["from"]
            message["sender_chat"] = chat.to_dict()
        if reply_to is not None:
            message["reply_to_message"] = {
                k: v for k, v in reply_to.message.items() if k != "reply_to_message"
            }
        message.update(content)
        if inline_markup and inline_markup["inline_keyboard"]:
            message["reply_markup"] = inline_markup
        stored = StoredMessage(message, from_bot=sender is None and not channel_post)
        stored.disable_notification = disable_notification
        chat.messages[stored.message_id] = stored
        self._changed_chat(chat, stored)
        return stored

    def edit(self, chat: Chat, stored: StoredMessage, content: Message) -> None:
        """Replace content fields; a key mapped to None is removed (e.g. a dropped keyboard)."""
        for key, value in content.items():
            if value is None:
                stored.message.pop(key, None)
            else:
                stored.message[key] = value
        stored.message["edit_date"] = int(time.time())
        self._changed_chat(chat, stored)

    def delete(self, stored: StoredMessage) -> None:
        stored.deleted = True
        self.changed()

    def set_reply_keyboard(self, chat: Chat, keyboard: dict[str, Any] | None) -> None:
        if chat.reply_keyboard != keyboard:
            chat.reply_keyboard = keyboard
            self.changed()

    def changed(self) -> None:
        self.version += 1
        self._changed.set()
        self._changed = asyncio.Event()

    def _changed_chat(self, chat: Chat, stored: StoredMessage) -> None:
        self.changed()
        if stored.from_bot:
            self._bot_messages[chat.id].append((self.version, copy.deepcopy(stored.message)))

    async def wait_for_change(self, since_version: int, seconds: float) -> int:
        if self.version == since_version:
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._changed.wait(), seconds)
        return self.version

    async def wait_for_message(
        self,
        chat_id: int,
        seconds: float,
        predicate: Callable[[Message], bool] | None,
        since: int | None,
    ) -> Message:
        start = self.version if since is None else since
        deadline = asyncio.get_running_loop().time() + seconds
        while True:
            for version, message in self._bot_messages[chat_id]:
                if version > start and (predicate is None or predicate(message)):
                    return copy.deepcopy(message)
            remaining = deadline - asyncio.get_running_loop().time()
            if remaining <= 0:
                raise TimeoutError(
                    f"no bot message in chat {chat_id} within {seconds} s; recent history:\n"
                    + self.describe_history(chat_id)
                )
            await self.wait_for_change(self.version, remaining)

    def bot_messages_since(self, chat_id: int, version: int) -> list[Message]:
        """The bot's messages in the chat as sent or edited after ``version``, oldest first (an
        edited message appears once per edit)."""
        return [copy.deepcopy(m) for v, m in self._bot_messages[chat_id] if v > version]

    def history(self, chat_id: int) -> list[Message]:
        chat = self.chats.get(chat_id)
        if chat is None:
            return []
        return [
            copy.deepcopy(stored.message) for stored in chat.messages.values() if not stored.deleted
        ]

    def describe_history(self, chat_id: int, last: int = 10) -> str:
        lines = []
        for message in self.history(chat_id)[-last:]:
            sender = message.get("from") or {}
            who = "bot" if sender.get("id") == self.bot_user["id"] else "user"
            body = message.get("text") or message.get("caption") or _kind(message)
            lines.append(f"  #{message['message_id']} {who}: {body!r}")
        return "\n".join(lines) or "  (empty)"


def _kind(message: Message) -> str:
    for kind in ("photo", "document", "voice", "video", "audio", "location", "contact", "sticker"):
        if kind in message:
            return f"<{kind}>"
    return "<service message>"
