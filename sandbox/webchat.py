"""The sandbox's browser web chat: talk to the bot as one of several personas, no Telegram needed.

`add_webchat(sandbox, personas)` adds the page (`GET /`, `GET /static/...`) and a small JSON API
under `/webchat/` to the sandbox's aiohttp application. Call it before `sandbox.start()`.

The API speaks in the page's terms, not Telegram's: each message of a persona's private chat with
the bot comes as `{id, side, html, photo, document, location, ..., buttons, edited, date}`, where
`html` is rebuilt from Telegram's text + entities, with every character of the text escaped and
only Telegram's own tags around it. The page sanitises it once more before it shows it.

    GET  /webchat/personas                      the personas, with a preview of each chat
    GET  /webchat/chats/{key}                   one chat: messages and the current reply keyboard
    GET  /webchat/updates?since=V&wait=S&chat=K long poll: answers once sandbox.version > V
    POST /webchat/chats/{key}/messages          {"text": "..."} (commands included; a link that
                                                starts the bot sends `/start <payload>`)
    POST /webchat/chats/{key}/open-link         {"url": "https://t.me/<bot>?start=x"} (tapped)
    POST /webchat/chats/{key}/callback          {"message_id": 12, "data": "menu:help"}
    POST /webchat/chats/{key}/reply-button      {"text": "...", "latitude": .., "longitude": ..}
    POST /webchat/chats/{key}/location          {"latitude": 11.9404, "longitude": 108.4583}
    POST /webchat/chats/{key}/photo             multipart: photo=<image file>, caption=...
    GET  /webchat/files/{file_id}               a file the bot (or a persona) sent

A chat also carries the command menu the bot set for that persona (`setMyCommands`, resolved by
scope and language as Telegram's app does), and the page shows times in `WebChat.timezone` (the
province's, as the bot's own texts do).
"""

from __future__ import annotations

import asyncio
import functools
import math
import re
from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass
from html import escape
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

from aiohttp import BodyPartReader, web

from sandbox.errors import ApiError as SandboxApiError

STATIC_DIR = Path(__file__).with_name("static")

DA_LAT = (11.9404, 108.4583)  # the centre of Đà Lạt: the default shared location
MAX_WAIT = 30.0  # seconds a long poll may hold the connection
MAX_TEXT = 10_000  # characters; the bot itself must cope with long texts (design: 10,000)
MAX_UPLOAD = 10 * 1024 * 1024  # Telegram's limit for photos
ACTION_TIMEOUT = 15.0  # seconds an action (send, press) may take inside the sandbox
ANSWER_WAIT = 5.0  # seconds a button press waits for the bot's answerCallbackQuery

PAGE_HEADERS = {
    "Content-Security-Policy": (
        "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' blob: data:; "
        "connect-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'"
    ),
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
    "Cache-Control": "no-cache",
}

SAFE_URL_SCHEMES = ("http://", "https://", "tg://", "mailto:", "tel:")

# Telegram entity type -> the HTML tag that shows it (entity types not listed are plain text).
ENTITY_TAGS = {
    "bold": "b",
    "italic": "i",
    "underline": "u",
    "strikethrough": "s",
    "code": "code",
    "pre": "pre",
    "blockquote": "blockquote",
    "expandable_blockquote": "blockquote",
    "spoiler": "tg-spoiler",
}

DEFAULT_TIMEZONE = "Asia/Ho_Chi_Minh"  # the bot's own default (TIPBOT_TIMEZONE)
TELEGRAM_LINK_HOSTS = ("t.me", "telegram.me", "telegram.dog")
START_PAYLOAD = re.compile(r"[A-Za-z0-9_-]{0,64}")  # what Telegram takes as a start parameter

# Service messages the page names (any other is shown as a plain line).
SERVICE_FIELDS = ("pinned_message", "new_chat_members", "left_chat_member", "new_chat_title")

# What the page shows for media it cannot play, by Message field.
OTHER_MEDIA = ("voice", "video", "video_note", "audio", "animation", "sticker", "poll", "dice")


@dataclass(frozen=True)
class Persona:
    """Someone the person at the browser can be: `user` is a User made by `sandbox.add_user`."""

    key: str
    label: str
    description: str
    user: Any
    role: str = "resident"  # resident, officer or admin: the page says who you are


# --------------------------------------------------------------------------- Telegram -> HTML


def safe_url(url: str | None) -> str | None:
    """The URL if a link to it is harmless in a browser, else None (no `javascript:`)."""
    if not url:
        return None
    url = url.strip()
    return url if url.lower().startswith(SAFE_URL_SCHEMES) else None


def _entity_tags(entity: dict, text: str) -> tuple[str, str] | None:
    """The opening and closing tag for one entity, or None when it is shown as plain text."""
    kind = entity.get("type")
    if kind in ENTITY_TAGS:
        tag = ENTITY_TAGS[kind]
        return f"<{tag}>", f"</{tag}>"
    if kind == "text_link":
        href = safe_url(entity.get("url"))
    elif kind == "url":
        href = safe_url(text if "://" in text else "http://" + text)
    elif kind == "email":
        href = "mailto:" + text
    elif kind == "phone_number":
        href = "tel:" + "".join(ch for ch in text if ch.isdigit() or ch == "+")
    elif kind == "text_mention" and entity.get("user"):
        href = f"tg://user?id={int(entity['user']['id'])}"
    else:
        return None
    if href is None:
        return None
    return f'<a href="{escape(href, quote=True)}">', "</a>"


def entities_to_html(text: str, entities: Iterable[dict] | None) -> str:
    """Telegram's text + entities as Telegram-subset HTML, every character of `text` escaped.

    Offsets and lengths count UTF-16 code units, as Telegram's do. Entities nest; one that
    crosses the end of an enclosing entity is cut at that end, so the tags always balance.
    """
    units = text.encode("utf-16-le")
    size = len(units) // 2

    def piece(start: int, end: int) -> str:
        return units[start * 2 : end * 2].decode("utf-16-le", errors="replace")

    spans = []
    for entity in entities or ():
        start = max(0, int(entity.get("offset", 0)))
        end = min(size, start + max(0, int(entity.get("length", 0))))
        if end <= start:
            continue
        tags = _entity_tags(entity, piece(start, end))
        if tags:
            spans.append((start, end, *tags))
    spans.sort(key=lambda span: (span[0], -span[1]))

    out: list[str] = []
    stack: list[tuple[int, str]] = []  # (end, closing tag) of the open entities
    pos = 0
    for start, end, opening, closing in spans:
        while stack and stack[-1][0] <= start:
            close_at, tag = stack.pop()
            out.append(escape(piece(pos, close_at)) + tag)
            pos = close_at
        if stack:
            end = min(end, stack[-1][0])
        out.append(escape(piece(pos, start)) + opening)
        pos = start
        stack.append((end, closing))
    while stack:
        close_at, tag = stack.pop()
        out.append(escape(piece(pos, close_at)) + tag)
        pos = close_at
    out.append(escape(piece(pos, size)))
    return "".join(out)


def start_payload(link: str, bot_username: str) -> str | None:
    """The start parameter of a link that opens this bot as Telegram's app does — `https://t.me/
    <bot>?start=<payload>` (or telegram.me, with or without the scheme) or `tg://resolve?domain=
    <bot>&start=<payload>` — "" for such a link without one; None for any other link or text."""
    link = link.strip()
    if not link or any(ch.isspace() for ch in link):
        return None
    if "://" not in link:
        link = "https://" + link
    parts = urlsplit(link)
    query = parse_qs(parts.query, keep_blank_values=True)
    if parts.scheme in ("http", "https") and parts.hostname in TELEGRAM_LINK_HOSTS:
        bot = parts.path.strip("/")
    elif parts.scheme == "tg" and parts.netloc == "resolve":
        bot = (query.get("domain") or [""])[0]
    else:
        return None
    if bot.lower() != bot_username.lower() or "start" not in query:
        return None
    payload = query["start"][0]
    return payload if START_PAYLOAD.fullmatch(payload) else None


def command_scopes(user_id: int, language: str) -> list[tuple[dict[str, Any], str]]:
    """The (scope, language_code) pairs whose commands Telegram's app shows in a private chat, in
    the order it tries them: the chat, all private chats, the default; each in the user's language
    first, then without one (core.telegram.org/bots/api#determining-list-of-commands)."""
    scopes: list[dict[str, Any]] = [
        {"type": "chat", "chat_id": user_id},
        {"type": "all_private_chats"},
        {"type": "default"},
    ]
    codes = [language, ""] if language else [""]
    return [(scope, code) for scope in scopes for code in codes]


# --------------------------------------------------------------------------- messages for the page


def _is_bot(sender: dict | None) -> bool:
    return bool(sender and sender.get("is_bot"))


def _inline_buttons(markup: dict | None) -> list[list[dict]]:
    rows = []
    for row in (markup or {}).get("inline_keyboard") or ():
        buttons = []
        for button in row:
            item = {"text": str(button.get("text", ""))}
            if "callback_data" in button:
                item["callback_data"] = button["callback_data"]
            elif "url" in button:
                url = safe_url(button["url"])
                item.update({"url": url} if url else {"unsupported": "url"})
            else:
                kind = next((k for k in button if k != "text"), "unknown")
                item["unsupported"] = kind
            buttons.append(item)
        rows.append(buttons)
    return rows


def _largest_photo(sizes: list[dict]) -> dict:
    return max(sizes, key=lambda size: size.get("width", 0) * size.get("height", 0))


def _preview(message: dict) -> str:
    """A line of plain text that stands for the message (list previews, quoted replies)."""
    text = message.get("text") or message.get("caption") or ""
    return " ".join(text.split())[:120]


def _kind(message: dict) -> str:
    for kind in ("photo", "document", "location", "contact", *OTHER_MEDIA):
        if message.get(kind):
            return kind
    return "text" if "text" in message or "caption" in message else "service"


def message_view(message: dict, user_id: int) -> dict:
    """One Telegram Message dict, as the page draws it."""
    sender = message.get("from") or {}
    if sender.get("id") == user_id:
        side = "user"
    elif _is_bot(sender) or not sender:
        side = "bot"
    else:
        side = "other"
    if "text" in message:
        html = entities_to_html(message["text"], message.get("entities"))
    else:
        html = entities_to_html(message.get("caption") or "", message.get("caption_entities"))
    view: dict[str, Any] = {
        "id": message["message_id"],
        "side": side,
        "sender": " ".join(filter(None, [sender.get("first_name"), sender.get("last_name")])),
        "kind": _kind(message),
        "html": html,
        "date": message.get("date"),
        "edited": bool(message.get("edit_date")),
        "buttons": _inline_buttons(message.get("reply_markup")),
    }
    if message.get("photo"):
        photo = _largest_photo(message["photo"])
        view["photo"] = f"/webchat/files/{photo['file_id']}"
        if photo.get("width") and photo.get("height"):
            view["photo_size"] = [photo["width"], photo["height"]]
    if document := message.get("document"):
        view["document"] = {
            "name": document.get("file_name") or "file",
            "size": document.get("file_size"),
            "url": f"/webchat/files/{document['file_id']}",
        }
    if location := message.get("location"):
        view["location"] = {"latitude": location["latitude"], "longitude": location["longitude"]}
    if contact := message.get("contact"):
        name = " ".join(filter(None, [contact.get("first_name"), contact.get("last_name")]))
        view["contact"] = {"name": name, "phone": contact.get("phone_number", "")}
    if view["kind"] == "service":  # e.g. a pinned message: the page shows a line, no bubble
        view["service"] = next((k for k in SERVICE_FIELDS if k in message), "other")
    if sticker := message.get("sticker"):
        view["emoji"] = sticker.get("emoji") or ""
    if reply_to := message.get("reply_to_message"):
        view["reply_to"] = {
            "id": reply_to.get("message_id"),
            "side": "bot" if _is_bot(reply_to.get("from")) else "user",
            "preview": _preview(reply_to),
            "kind": _kind(reply_to),
        }
    return view


def _reply_button(button: Any) -> dict:
    if isinstance(button, str):
        return {"text": button, "kind": "text"}
    item = {"text": str(button.get("text", "")), "kind": "text"}
    if button.get("request_location"):
        item["kind"] = "location"
    elif button.get("request_contact"):
        item["kind"] = "contact"
    elif any(k in button for k in ("request_poll", "request_users", "request_chat", "web_app")):
        item["kind"] = "unsupported"
    return item


def reply_keyboard_view(markup: dict | None) -> dict | None:
    """A ReplyKeyboardMarkup dict as the page draws it; None for any other markup."""
    if not markup or not markup.get("keyboard"):
        return None
    return {
        "rows": [[_reply_button(b) for b in row] for row in markup["keyboard"]],
        "resize": bool(markup.get("resize_keyboard")),
        "one_time": bool(markup.get("one_time_keyboard")),
        "placeholder": markup.get("input_field_placeholder") or "",
    }


# --------------------------------------------------------------------------- the web chat


class WebChatError(Exception):
    """Ends a request of the JSON API with `{"ok": false, "error": message}` and a status."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.message = message


Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


def _json_errors(handler: Handler) -> Handler:
    @functools.wraps(handler)
    async def wrapped(request: web.Request) -> web.StreamResponse:
        try:
            return await handler(request)
        except WebChatError as exc:
            return web.json_response({"ok": False, "error": exc.message}, status=exc.status)

    return wrapped


class WebChat:
    """The routes of the page and its JSON API, bound to one sandbox and its personas."""

    def __init__(
        self, sandbox: Any, personas: list[Persona], timezone: str = DEFAULT_TIMEZONE
    ) -> None:
        keys = [p.key for p in personas]
        if len(set(keys)) != len(keys):
            raise ValueError(f"persona keys must be unique: {keys}")
        self.sandbox = sandbox
        self.personas = {p.key: p for p in personas}
        self.timezone = timezone  # IANA name: the page shows message times in it
        self._closing = asyncio.Event()  # set when the server shuts down: long polls end

    def add_routes(self, app: web.Application) -> None:
        app.on_shutdown.append(self._on_shutdown)
        app.router.add_get("/", self.index)
        app.router.add_static("/static/", STATIC_DIR)
        routes = [
            ("GET", "/webchat/personas", self.list_personas),
            ("GET", "/webchat/updates", self.updates),
            ("GET", "/webchat/chats/{key}", self.get_chat),
            ("POST", "/webchat/chats/{key}/messages", self.send_message),
            ("POST", "/webchat/chats/{key}/open-link", self.open_link),
            ("POST", "/webchat/chats/{key}/callback", self.press_callback),
            ("POST", "/webchat/chats/{key}/reply-button", self.press_reply_button),
            ("POST", "/webchat/chats/{key}/location", self.send_location),
            ("POST", "/webchat/chats/{key}/photo", self.send_photo),
            ("GET", "/webchat/files/{file_id}", self.get_file),
        ]
        for method, path, handler in routes:
            app.router.add_route(method, path, _json_errors(handler))

    async def _on_shutdown(self, app: web.Application) -> None:
        self._closing.set()

    async def _wait_for_change(self, since: int, seconds: float) -> None:
        """sandbox.wait_for_change, cut short when the server shuts down (so that stopping the
        sandbox does not wait for the page's open long poll)."""
        change = asyncio.ensure_future(self.sandbox.wait_for_change(since, seconds))
        closing = asyncio.ensure_future(self._closing.wait())
        await asyncio.wait((change, closing), return_when=asyncio.FIRST_COMPLETED)
        for waiter in (change, closing):
            waiter.cancel()

    # ---- state

    def _persona(self, request: web.Request) -> Persona:
        persona = self.personas.get(request.match_info["key"])
        if persona is None:
            raise WebChatError(404, "no such persona")
        return persona

    def _history(self, persona: Persona) -> list[dict]:
        return list(self.sandbox.history(persona.user.id))

    def _reply_keyboard(self, persona: Persona) -> dict | None:
        return reply_keyboard_view(self.sandbox.reply_keyboard(persona.user.id))

    def _menu(self, persona: Persona) -> tuple[dict[str, Any], list[dict[str, str]]]:
        """The scope and the commands Telegram's menu button would list for this persona: the
        first scope and language, in Telegram's order, for which the bot set any."""
        user = persona.user
        for scope, code in command_scopes(user.id, user.language_code or ""):
            try:
                commands = self.sandbox.bot_commands(scope, code)
            except SandboxApiError:  # the chat scope of a persona who never opened the chat
                continue
            if commands:
                return scope, [
                    {key: c[key] for key in ("command", "description")} for c in commands
                ]
        return {"type": "default"}, []

    def menu_commands(self, persona: Persona) -> list[dict[str, str]]:
        return self._menu(persona)[1]

    def role(self, persona: Persona) -> str:
        """The persona's role; a resident to whom the bot gave a menu of their own (an officer's:
        they opened an invite) is shown as an officer from then on."""
        if persona.role == "resident" and self._menu(persona)[0]["type"] == "chat":
            return "officer"
        return persona.role

    def chat_view(self, persona: Persona) -> dict:
        return {
            "key": persona.key,
            "messages": [message_view(m, persona.user.id) for m in self._history(persona)],
            "reply_keyboard": self._reply_keyboard(persona),
            "commands": self.menu_commands(persona),
        }

    def persona_view(self, persona: Persona) -> dict:
        user = persona.user
        history = self._history(persona)
        last = history[-1] if history else None
        last_bot = next((m for m in reversed(history) if _is_bot(m.get("from"))), None)
        return {
            "key": persona.key,
            "label": persona.label,
            "description": persona.description,
            "role": self.role(persona),
            "user_id": user.id,
            "name": " ".join(filter(None, [user.first_name, user.last_name])),
            "language": user.language_code or "vi",
            "count": len(history),
            "last": None
            if last is None
            else {
                "side": "bot" if _is_bot(last.get("from")) else "user",
                "kind": _kind(last),
                "preview": _preview(last),
                "date": last.get("date"),
            },
            "last_bot_id": last_bot["message_id"] if last_bot else 0,
        }

    def _bot_view(self) -> dict:
        me = self.sandbox.me
        return {"username": me["username"], "name": me["first_name"]}

    # ---- pages

    async def index(self, request: web.Request) -> web.StreamResponse:
        return web.FileResponse(STATIC_DIR / "index.html", headers=PAGE_HEADERS)

    async def list_personas(self, request: web.Request) -> web.Response:
        version = self.sandbox.version
        return web.json_response(
            {
                "version": version,
                "bot": self._bot_view(),
                "personas": [self.persona_view(p) for p in self.personas.values()],
                "default_location": {"latitude": DA_LAT[0], "longitude": DA_LAT[1]},
                "timezone": self.timezone,
            }
        )

    async def get_chat(self, request: web.Request) -> web.Response:
        persona = self._persona(request)
        version = self.sandbox.version
        return web.json_response({"version": version, **self.chat_view(persona)})

    async def updates(self, request: web.Request) -> web.Response:
        """Long poll: waits until the sandbox changed after `since`, then answers with the state.

        Answers at once when `since` is missing or already old; after `wait` seconds (at most
        MAX_WAIT) it answers with the unchanged state, and the page simply asks again.
        """
        query = request.query
        since = _int(query.get("since"), default=-1)
        wait = min(MAX_WAIT, max(0.0, _float(query.get("wait"), default=0.0)))
        chat_key = query.get("chat")
        if chat_key and chat_key not in self.personas:
            raise WebChatError(404, "no such persona")
        if since >= 0 and self.sandbox.version <= since and wait > 0:
            await self._wait_for_change(since, wait)
        version = self.sandbox.version  # read before the state, so no change slips between
        body: dict[str, Any] = {
            "version": version,
            "personas": [self.persona_view(p) for p in self.personas.values()],
            "chat": self.chat_view(self.personas[chat_key]) if chat_key else None,
        }
        return web.json_response(body)

    # ---- actions

    async def send_message(self, request: web.Request) -> web.Response:
        persona = self._persona(request)
        body = await _json_body(request)
        text = body.get("text")
        if not isinstance(text, str) or not text.strip():
            raise WebChatError(400, "text is required")
        if len(text) > MAX_TEXT:
            raise WebChatError(413, f"text is longer than {MAX_TEXT} characters")
        payload = start_payload(text, self.sandbox.me["username"])
        if payload is not None:  # a pasted link to the bot: open it, as a tap would
            return await self._start(persona, payload)
        return await self._act(self.sandbox.send_text(persona.user, text))

    async def open_link(self, request: web.Request) -> web.Response:
        """A tapped t.me or tg:// link that starts the bot: Telegram's app opens the chat of
        whoever tapped it and sends `/start <payload>`; any other link is not ours to open."""
        persona = self._persona(request)
        url = (await _json_body(request)).get("url")
        payload = start_payload(url, self.sandbox.me["username"]) if isinstance(url, str) else None
        if payload is None:
            raise WebChatError(400, "not a link that starts this bot")
        return await self._start(persona, payload)

    async def _start(self, persona: Persona, payload: str) -> web.Response:
        text = f"/start {payload}" if payload else "/start"
        return await self._act(self.sandbox.send_text(persona.user, text))

    async def press_callback(self, request: web.Request) -> web.Response:
        persona = self._persona(request)
        body = await _json_body(request)
        message_id, data = body.get("message_id"), body.get("data")
        if not isinstance(message_id, int) or not isinstance(data, str):
            raise WebChatError(400, "message_id (int) and data (str) are required")
        query_id = await self._run(self.sandbox.press_callback(persona.user, message_id, data))
        return web.json_response(
            {"ok": True, "version": self.sandbox.version, "result": await self._answer(query_id)}
        )

    async def _answer(self, query_id: str) -> dict | None:
        """The bot's answer to a button press (a toast or an alert), once it comes; None if the
        bot does not answer within ANSWER_WAIT seconds (Telegram's client stops waiting too)."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + ANSWER_WAIT
        while (answer := self.sandbox.callback_answers.get(query_id)) is None:
            remaining = deadline - loop.time()
            if remaining <= 0:
                return None
            if self._closing.is_set():
                return None
            await self._wait_for_change(self.sandbox.version, remaining)
        return {"text": answer.text, "show_alert": answer.show_alert, "url": answer.url}

    async def press_reply_button(self, request: web.Request) -> web.Response:
        """A reply-keyboard button: its text, a location or the persona's contact."""
        persona = self._persona(request)
        body = await _json_body(request)
        text = body.get("text")
        keyboard = self._reply_keyboard(persona)
        buttons = [b for row in (keyboard or {}).get("rows", ()) for b in row]
        button = next((b for b in buttons if b["text"] == text), None)
        if button is None:
            raise WebChatError(409, "that button is not on the keyboard any more")
        if button["kind"] == "unsupported":
            raise WebChatError(400, "the web chat cannot press this kind of button")
        user = persona.user
        if button["kind"] == "location":
            where = _coordinates(body, default=DA_LAT)
            if where != DA_LAT:  # press_keyboard shares the default place; another goes direct
                return await self._act(self.sandbox.send_location(user, *where))
        return await self._act(self.sandbox.press_keyboard(user, text))

    async def send_location(self, request: web.Request) -> web.Response:
        persona = self._persona(request)
        lat, lon = _coordinates(await _json_body(request), default=None)
        return await self._act(self.sandbox.send_location(persona.user, lat, lon))

    async def send_photo(self, request: web.Request) -> web.Response:
        """A multipart upload: `photo` (the file) and an optional `caption`.

        An image goes to the bot as a photo; any other file as a document, as Telegram would.
        """
        persona = self._persona(request)
        if not request.content_type.startswith("multipart/"):
            raise WebChatError(400, "send multipart/form-data with a 'photo' field")
        data, filename, caption = None, "file", None
        reader = await request.multipart()
        while (part := await reader.next()) is not None:
            if not isinstance(part, BodyPartReader):  # a form's fields are flat
                continue
            if part.name == "photo":
                filename = part.filename or filename
                data = await _read_limited(part, MAX_UPLOAD)
            elif part.name == "caption":
                caption = (await part.text()).strip() or None
        if not data:
            raise WebChatError(400, "the 'photo' field is empty")
        if caption and len(caption) > MAX_TEXT:
            raise WebChatError(413, "caption too long")
        user = persona.user
        if image_type(data):
            return await self._act(self.sandbox.send_photo(user, image_bytes=data, caption=caption))
        return await self._act(self.sandbox.send_document(user, data, filename, caption=caption))

    async def get_file(self, request: web.Request) -> web.Response:
        file_id = request.match_info["file_id"]
        try:
            data = self.sandbox.file_bytes(file_id)
        except LookupError:
            raise WebChatError(404, "no such file") from None
        headers = {"X-Content-Type-Options": "nosniff", "Cache-Control": "private, max-age=3600"}
        content_type = image_type(data)
        if content_type is None:  # never let a file the bot sent render as a page of this site
            content_type = "application/octet-stream"
            headers["Content-Disposition"] = "attachment"
        return web.Response(body=data, content_type=content_type, headers=headers)

    async def _act(self, action: Awaitable[Any]) -> web.Response:
        """Runs one sandbox action and answers with what it returned (the Message dict)."""
        result = await self._run(action)
        return web.json_response({"ok": True, "version": self.sandbox.version, "result": result})

    @staticmethod
    async def _run(action: Awaitable[Any]) -> Any:
        """Awaits a sandbox action; what the sandbox refuses becomes an error for the page."""
        try:
            return await asyncio.wait_for(action, ACTION_TIMEOUT)
        except TimeoutError:
            raise WebChatError(504, "the sandbox did not answer in time") from None
        except SandboxApiError as exc:  # e.g. an image the sandbox cannot read
            raise WebChatError(400, exc.description) from None
        except (LookupError, ValueError) as exc:  # a client could not do that (see sandbox.users)
            raise WebChatError(409, str(exc) or type(exc).__name__) from None


def add_webchat(sandbox: Any, personas: list[Persona], timezone: str = DEFAULT_TIMEZONE) -> WebChat:
    """Adds the web chat's page and JSON API to `sandbox.web_app` (before `sandbox.start()`)."""
    webchat = WebChat(sandbox, personas, timezone)
    webchat.add_routes(sandbox.web_app)
    return webchat


# --------------------------------------------------------------------------- helpers


def image_type(data: bytes) -> str | None:
    """The MIME type of a JPEG, PNG, GIF or WebP image from its first bytes, else None."""
    if data.startswith(b"\xff\xd8\xff"):
        return "image/jpeg"
    if data.startswith(b"\x89PNG\r\n\x1a\n"):
        return "image/png"
    if data[:6] in (b"GIF87a", b"GIF89a"):
        return "image/gif"
    if data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        return "image/webp"
    return None


async def _json_body(request: web.Request) -> dict:
    try:
        body = await request.json()
    except ValueError:
        raise WebChatError(400, "the body must be JSON") from None
    if not isinstance(body, dict):
        raise WebChatError(400, "the body must be a JSON object")
    return body


async def _read_limited(part: Any, limit: int) -> bytes:
    chunks, size = [], 0
    while chunk := await part.read_chunk():
        size += len(chunk)
        if size > limit:
            raise WebChatError(413, f"the file is larger than {limit // (1024 * 1024)} MB")
        chunks.append(chunk)
    return b"".join(chunks)


def _coordinates(body: dict, default: tuple[float, float] | None) -> tuple[float, float]:
    lat, lon = body.get("latitude"), body.get("longitude")
    if lat is None and lon is None and default is not None:
        return default
    if lat is None or lon is None:
        raise WebChatError(400, "latitude and longitude must be numbers")
    try:
        lat, lon = float(lat), float(lon)
    except (TypeError, ValueError):
        raise WebChatError(400, "latitude and longitude must be numbers") from None
    if not (math.isfinite(lat) and math.isfinite(lon) and -90 <= lat <= 90 and -180 <= lon <= 180):
        raise WebChatError(400, "latitude must be in [-90, 90] and longitude in [-180, 180]")
    return lat, lon


def _int(value: str | None, default: int) -> int:
    try:
        return int(value) if value is not None else default
    except ValueError:
        return default


def _float(value: str | None, default: float) -> float:
    try:
        result = float(value) if value is not None else default
    except ValueError:
        return default
    return result if math.isfinite(result) else default
