"""The Bot API the web door's PTB Application talks to: the few methods the resident handlers
use, answered from the visitors' mailboxes in memory.

Each visitor (one browser's secret, bot/webdoor/identity.py) has a mailbox: the conversation as
the page shows it, kept in memory only and no longer than it serves them (a week without a
visit, or until "Forget this device"). A restart empties it; the draft is in the database and
a sent tip's whole thread is read again with the receipt (/status).

The Application reaches this object in-process (DoorRequest below): no Bot API is exposed on the
network, so nothing but the door's own visitor endpoints can be called from outside.
"""

from __future__ import annotations

import asyncio
import itertools
import json
import time
from collections import OrderedDict
from dataclasses import dataclass, field
from typing import Any

from telegram.request import BaseRequest, RequestData

from bot.doors import is_web_id
from bot.webdoor.render import render

TEXT_LIMIT = 4096
MAILBOX_MESSAGES = 100  # the newest messages a mailbox keeps
MAILBOX_IDLE = 7 * 24 * 3600  # as long as a tipster has to answer a question
MAX_MAILBOXES = 20_000  # visitors remembered at once; the longest idle go first
BOT_USER = {
    "id": 1,
    "is_bot": True,
    "first_name": "tipbot",
    "username": "tipbot_web",
    "can_join_groups": False,
    "can_read_all_group_messages": False,
    "supports_inline_queries": False,
}
NOT_MODIFIED = (
    "Bad Request: message is not modified: specified new message content and reply markup are "
    "exactly the same as a current content and reply markup of the message"
)


class ApiError(Exception):
    def __init__(self, status: int, description: str) -> None:
        super().__init__(description)
        self.status, self.description = status, description


@dataclass
class Entry:
    """One message of a conversation: what the bot sees (Bot API shape) and what the page shows."""

    message: dict[str, Any]
    html: str
    outgoing: bool  # sent by the visitor
    file: dict[str, Any] | None = None

    def view(self) -> dict[str, Any]:
        markup = self.message.get("reply_markup") or {}
        buttons = [
            [{"text": b["text"], "data": b.get("callback_data"), "url": b.get("url")} for b in row]
            for row in markup.get("inline_keyboard", [])
        ]
        return {
            "id": self.message["message_id"],
            "out": self.outgoing,
            "html": self.html,
            "buttons": buttons,
            "file": self.file,
        }


@dataclass
class Mailbox:
    user_id: int
    language: str | None = None
    entries: OrderedDict[int, Entry] = field(default_factory=OrderedDict)
    next_id: int = 1
    version: int = 0
    keyboard: list[list[str]] | None = None  # the reply keyboard under the input box
    force_reply_to: int | None = None  # a question box: the next message answers it
    toast: str | None = None  # the last answer to a button, shown once
    seen: float = field(default_factory=time.monotonic)
    changed: asyncio.Event = field(default_factory=asyncio.Event)

    def add(self, entry: Entry) -> None:
        self.entries[entry.message["message_id"]] = entry
        while len(self.entries) > MAILBOX_MESSAGES:
            self.entries.popitem(last=False)
        self.touch()

    def touch(self) -> None:
        self.version += 1
        self.changed.set()
        self.changed = asyncio.Event()

    def take_id(self) -> int:
        self.next_id += 1
        return self.next_id - 1

    def view(self) -> dict[str, Any]:
        toast, self.toast = self.toast, None
        return {
            "version": self.version,
            "messages": [entry.view() for entry in self.entries.values()],
            "keyboard": self.keyboard,
            "reply_to": self.force_reply_to,
            "toast": toast,
        }


class Mailboxes:
    def __init__(self) -> None:
        self._boxes: OrderedDict[int, Mailbox] = OrderedDict()

    def get(self, user_id: int, *, create: bool = True) -> Mailbox | None:
        box = self._boxes.get(user_id)
        if box is None and create:
            self._forget_idle()
            box = self._boxes[user_id] = Mailbox(user_id)
        if box is not None:
            box.seen = time.monotonic()
            self._boxes.move_to_end(user_id)
        return box

    def drop(self, user_id: int) -> None:
        self._boxes.pop(user_id, None)

    def __len__(self) -> int:
        return len(self._boxes)

    def _forget_idle(self) -> None:
        now = time.monotonic()
        while self._boxes:
            oldest = next(iter(self._boxes.values()))
            if len(self._boxes) < MAX_MAILBOXES and now - oldest.seen < MAILBOX_IDLE:
                return
            self._boxes.popitem(last=False)


def chat_of(user_id: int) -> dict[str, Any]:
    return {"id": user_id, "type": "private", "first_name": "Web"}


class DoorBotApi:
    """sendMessage, editMessageText, editMessageReplyMarkup, answerCallbackQuery, deleteMessage,
    getMe and the harmless settings calls; anything else is refused with 400, as Telegram
    refuses an unknown method (PTB takes a 404 for a wrong token)."""

    def __init__(self, mailboxes: Mailboxes, files: Any = None) -> None:
        self.mailboxes, self.files = mailboxes, files
        self.queries: dict[str, int] = {}  # callback query id -> visitor, until answered
        self._query_ids = itertools.count(1)
        self.methods = {
            "getme": self.get_me,
            "sendmessage": self.send_message,
            "editmessagetext": self.edit_message_text,
            "editmessagereplymarkup": self.edit_message_reply_markup,
            "answercallbackquery": self.answer_callback_query,
            "deletemessage": self.delete_message,
            "sendchataction": self.accept,
            "setmycommands": self.accept,
            "deletemycommands": self.accept,
            "setchatmenubutton": self.accept,
        }

    async def call(self, method: str, params: dict[str, Any]) -> tuple[int, dict[str, Any]]:
        handler = self.methods.get(method.lower())
        if handler is None:
            return 400, {"ok": False, "error_code": 400, "description": "Bad Request: not here"}
        try:
            return 200, {"ok": True, "result": handler(params)}
        except ApiError as error:
            return error.status, {
                "ok": False,
                "error_code": error.status,
                "description": error.description,
            }

    # --- methods ------------------------------------------------------------------------------

    def get_me(self, p: dict[str, Any]) -> dict[str, Any]:
        return BOT_USER

    def accept(self, p: dict[str, Any]) -> bool:
        return True

    def send_message(self, p: dict[str, Any]) -> dict[str, Any]:
        box = self._mailbox(p)
        html, text = self._text(p)
        markup = p.get("reply_markup")
        message_id = box.take_id()
        message = {
            "message_id": message_id,
            "date": int(time.time()),
            "chat": chat_of(box.user_id),
            "from": BOT_USER,
            "text": text,
        }
        if markup and "inline_keyboard" in markup:
            message["reply_markup"] = markup
        self._keyboards(box, markup, message_id)
        box.add(Entry(message, html, outgoing=False))
        return message

    def edit_message_text(self, p: dict[str, Any]) -> dict[str, Any]:
        box, entry = self._entry(p)
        html, text = self._text(p)
        markup = p.get("reply_markup")
        if text == entry.message.get("text") and markup == entry.message.get("reply_markup"):
            raise ApiError(400, NOT_MODIFIED)
        entry.message = {**entry.message, "text": text, "edit_date": int(time.time())}
        entry.message.pop("reply_markup", None)
        if markup:
            entry.message["reply_markup"] = markup
        entry.html = html
        box.touch()
        return entry.message

    def edit_message_reply_markup(self, p: dict[str, Any]) -> dict[str, Any]:
        box, entry = self._entry(p)
        markup = p.get("reply_markup") or None
        if markup == entry.message.get("reply_markup"):
            raise ApiError(400, NOT_MODIFIED)
        entry.message = {k: v for k, v in entry.message.items() if k != "reply_markup"}
        if markup:
            entry.message["reply_markup"] = markup
        box.touch()
        return entry.message

    def answer_callback_query(self, p: dict[str, Any]) -> bool:
        user_id = self.queries.pop(str(p.get("callback_query_id")), None)
        if user_id is None:
            raise ApiError(400, "Bad Request: query is too old and response timeout expired")
        box = self.mailboxes.get(user_id, create=False)
        if box is not None and p.get("text"):
            box.toast = str(p["text"])[:200]
            box.touch()
        return True

    def delete_message(self, p: dict[str, Any]) -> bool:
        box, entry = self._entry(p)
        del box.entries[entry.message["message_id"]]
        box.touch()
        return True

    # --- for the visitor-facing side ------------------------------------------------------------

    def new_query(self, user_id: int) -> str:
        query_id = f"w{next(self._query_ids)}"
        self.queries[query_id] = user_id
        if len(self.queries) > 10_000:  # queries the bot never answered
            for stale in list(self.queries)[:5_000]:
                del self.queries[stale]
        return query_id

    # --- helpers --------------------------------------------------------------------------------

    def _mailbox(self, p: dict[str, Any]) -> Mailbox:
        chat_id = p.get("chat_id")
        if not isinstance(chat_id, int) or not is_web_id(chat_id):
            raise ApiError(400, "Bad Request: chat not found")
        box = self.mailboxes.get(chat_id)
        assert box is not None
        return box

    def _entry(self, p: dict[str, Any]) -> tuple[Mailbox, Entry]:
        if "inline_message_id" in p:
            raise ApiError(400, "Bad Request: MESSAGE_ID_INVALID")
        box = self._mailbox(p)
        entry = box.entries.get(p.get("message_id"))  # type: ignore[arg-type]
        if entry is None or entry.outgoing:
            raise ApiError(400, "Bad Request: message to edit not found")
        return box, entry

    @staticmethod
    def _text(p: dict[str, Any]) -> tuple[str, str]:
        html, text = render(str(p.get("text") or ""), p.get("parse_mode"))
        if not text.strip():
            raise ApiError(400, "Bad Request: message text is empty")
        if len(text.encode("utf-16-le")) // 2 > TEXT_LIMIT:
            raise ApiError(400, "Bad Request: message is too long")
        return html, text

    @staticmethod
    def _keyboards(box: Mailbox, markup: dict[str, Any] | None, message_id: int) -> None:
        if not markup:
            return
        if "keyboard" in markup:  # buttons that type their text; asking for a phone or a
            # place is Telegram's, not the web's: those buttons are left out
            box.keyboard = [
                [b if isinstance(b, str) else b["text"] for b in row if _types_itself(b)]
                for row in markup["keyboard"]
            ]
            box.keyboard = [row for row in box.keyboard if row] or None
        elif markup.get("remove_keyboard"):
            box.keyboard = None
        elif markup.get("force_reply"):
            box.force_reply_to = message_id


def _types_itself(button: str | dict[str, Any]) -> bool:
    return isinstance(button, str) or not (
        button.get("request_contact") or button.get("request_location")
    )


class DoorRequest(BaseRequest):
    """PTB's transport for the web door's Application: calls DoorBotApi in-process."""

    def __init__(self, api: DoorBotApi) -> None:
        self.api = api

    async def initialize(self) -> None:
        pass

    async def shutdown(self) -> None:
        pass

    @property
    def read_timeout(self) -> float:
        return 5.0

    async def do_request(
        self,
        url: str,
        method: str,
        request_data: RequestData | None = None,
        read_timeout: Any = BaseRequest.DEFAULT_NONE,
        write_timeout: Any = BaseRequest.DEFAULT_NONE,
        connect_timeout: Any = BaseRequest.DEFAULT_NONE,
        pool_timeout: Any = BaseRequest.DEFAULT_NONE,
    ) -> tuple[int, bytes]:
        params = request_data.parameters if request_data is not None else {}
        status, body = await self.api.call(url.rsplit("/", 1)[-1], params)
        return status, json.dumps(body, ensure_ascii=False).encode("utf-8")
