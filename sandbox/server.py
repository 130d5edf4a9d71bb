"""A local Telegram Bot API server for tests and the demo, as strict as Telegram.

The bot (python-telegram-bot) reaches it over real HTTP through ``base_url``/``base_file_url``;
tests and the web chat play the users through the Python methods of ``Sandbox``. Both run in the
same asyncio loop, so the sandbox is an object to start and stop:

    sb = Sandbox(token="123:ABC", bot_username="tipbot_demo_bot")
    await sb.start()                      # sb.base_url, sb.base_file_url
    lan = sb.add_user("Lan", language_code="vi")
    await sb.send_text(lan, "/start")
    reply = await sb.wait_for_message(lan.id)

Every answer is Telegram's envelope with the HTTP status equal to ``error_code`` (PTB decides by
the status alone). An unknown method is 400 rather than Telegram's 404, because PTB turns a 404
into InvalidToken and stops polling. The access log is off: request paths carry the bot token.
"""

import asyncio
import json
import time
from collections.abc import Callable
from dataclasses import dataclass
from functools import partial
from typing import Any

from aiohttp import web

from sandbox.bot_api import BotApi
from sandbox.errors import ApiError
from sandbox.faults import KINDS, Faults
from sandbox.files import MAX_UPLOAD, FileStore
from sandbox.limits import LimitConfig, RateLimiter
from sandbox.params import read_params
from sandbox.updates import UpdateQueue
from sandbox.users import UserActions
from sandbox.world import CallbackAnswer, Chat, Message, Settings, User, World

_dumps = partial(json.dumps, ensure_ascii=False)


class _DropConnection(Exception):
    """A planned fault: close the connection instead of answering."""


@dataclass
class CallRecord:
    """One Bot API call, listed when it arrives and completed when it is answered.

    ``status`` is the HTTP status: None while the call is in flight (a getUpdates long poll
    stays so while it waits), 0 when no answer reached the bot (a dropped connection, or the
    client gave up first). ``injected`` marks calls a ``fail_next`` fault hit.
    ``time`` is the arrival on the sandbox clock (monotonic unless a test injected one);
    ``fault`` the kind of an injected fault ("drop_after": performed, but the bot never knew).
    """

    method: str
    params: dict[str, Any]
    status: int | None = None
    ok: bool = False
    result: Any = None
    description: str | None = None
    time: float = 0.0
    injected: bool = False
    fault: str | None = None


class Sandbox:
    """One bot's Telegram: the Bot API over HTTP, and the people and chats it talks to.

    ``clock`` drives flood limits and the callback answer window, so tests can move time
    instead of sleeping; ``limits`` changes the flood limits; ``privacy_mode`` is the group
    privacy setting BotFather turns on by default.
    """

    def __init__(
        self,
        token: str = "123:ABC",  # noqa: S107 - the sandbox's well-known test token
        bot_username: str = "tipbot_demo_bot",
        bot_first_name: str = "Tipbot",
        rate_limits: bool = False,
        *,
        privacy_mode: bool = True,
        callback_timeout: float = 15.0,
        clock: Callable[[], float] = time.monotonic,
        limits: LimitConfig | None = None,
    ):
        self.token = token
        self.clock = clock
        self.me = {
            "id": int(token.split(":", 1)[0]),
            "is_bot": True,
            "first_name": bot_first_name,
            "username": bot_username,
        }
        self.settings = Settings(rate_limits, privacy_mode, callback_timeout)
        self.world = World(self.me)
        self.files = FileStore()
        self.updates = UpdateQueue()
        self.limiter = RateLimiter(clock, limits or LimitConfig())
        self.people = UserActions(self.world, self.updates, self.files, self.settings, clock)
        self.api = BotApi(
            self.world, self.files, self.updates, self.limiter, self.settings, clock, self.me
        )
        self.faults = Faults()
        self.calls: list[CallRecord] = []
        self._in_flight: dict[int, CallRecord] = {}  # by id(): calls not answered yet
        self.web_app = web.Application(client_max_size=MAX_UPLOAD + 1024 * 1024)
        self.web_app.router.add_route("*", "/bot{token}/{method}", self._handle_api)
        self.web_app.router.add_get("/file/bot{token}/{path:.+}", self._handle_file)
        self.port: int | None = None
        self.host = "127.0.0.1"
        self._runner: web.AppRunner | None = None

    # --- lifecycle -----------------------------------------------------------------------------

    async def start(self, host: str = "127.0.0.1", port: int = 0) -> None:
        """Serve on ``host``:``port`` (0 = any free port, see ``self.port``)."""
        self._runner = web.AppRunner(self.web_app, access_log=None, shutdown_timeout=1.0)
        await self._runner.setup()
        site = web.TCPSite(self._runner, host, port)
        await site.start()
        self.host = "127.0.0.1" if host in ("0.0.0.0", "") else host  # noqa: S104
        self.port = self._runner.addresses[0][1]

    async def stop(self) -> None:
        self.updates.release_pollers()
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    @property
    def base_url(self) -> str:
        return f"http://{self.host}:{self.port}/bot"

    @property
    def base_file_url(self) -> str:
        return f"http://{self.host}:{self.port}/file/bot"

    # --- switches ------------------------------------------------------------------------------

    @property
    def rate_limits(self) -> bool:
        return self.settings.rate_limits

    @rate_limits.setter
    def rate_limits(self, enabled: bool) -> None:
        self.settings.rate_limits = enabled

    @property
    def callback_timeout(self) -> float:
        return self.settings.callback_timeout

    @callback_timeout.setter
    def callback_timeout(self, seconds: float) -> None:
        self.settings.callback_timeout = seconds

    @property
    def inline_mode(self) -> bool:
        return self.settings.inline_mode

    @inline_mode.setter
    def inline_mode(self, enabled: bool) -> None:
        self.settings.inline_mode = enabled

    @property
    def privacy_mode(self) -> bool:
        return self.settings.privacy_mode

    @privacy_mode.setter
    def privacy_mode(self, enabled: bool) -> None:
        self.settings.privacy_mode = enabled

    def fail_next(
        self,
        method: str,
        count: int = 1,
        kind: str = "429",
        retry_after: int = 1,
        delay: float = 0.0,
    ) -> None:
        """Make the next ``count`` calls of ``method`` ("*" = any but getUpdates) fail; see
        sandbox.faults for the kinds."""
        self.faults.add(method, count, kind, retry_after, delay)

    def storm(
        self,
        rate: float = 0.1,
        kinds: tuple[str, ...] = KINDS,
        *,
        seed: int = 0,
        retry_after: int = 1,
        delay: float = 0.2,
        get_updates: bool = False,
    ) -> None:
        """From now on fail each call with probability ``rate``, of a kind drawn from ``kinds``
        (see sandbox.faults), reproducibly from ``seed``; getUpdates only if ``get_updates``.
        ``calm()`` ends it; ``fail_next`` plans still go first."""
        self.faults.storm(rate, kinds, seed, retry_after, delay, get_updates)

    def calm(self) -> None:
        self.faults.calm()

    # --- people --------------------------------------------------------------------------------

    @property
    def users(self) -> dict[int, User]:
        return self.world.users

    @property
    def chats(self) -> dict[int, Chat]:
        return self.world.chats

    def open_chat(self, user: User | int) -> None:
        """The user opened the bot some time ago: the bot may write to them, with no message
        in the chat (demo staff, and tests that need a chat history to start empty)."""
        person = self._user(user)
        self.world.chats[person.id].started = True
        person.seen_by_bot = True

    def add_user(
        self,
        first_name: str,
        username: str | None = None,
        language_code: str | None = None,
        last_name: str | None = None,
    ) -> User:
        """A Telegram user; their private chat with the bot has the user's id."""
        return self.world.add_user(first_name, username, language_code, last_name)

    def add_group(
        self,
        title: str,
        members: list[User | int],
        bot_status: str = "member",
        username: str | None = None,
    ) -> Chat:
        """A group (negative id) that ``members[0]`` created and added the bot to
        ("member", or "administrator": then it also sees every message despite privacy mode).
        With a ``username`` it is a public supergroup (-100… id), which anyone can join."""
        return self.people.add_group(title, [self._user(m) for m in members], bot_status, username)

    def add_member(self, group: Chat | int, user: User | int) -> None:
        self.people.add_member(self._chat(group), self._user(user))

    def remove_bot(self, group: Chat | int, by: User | int | None = None) -> None:
        """A member removes the bot from the group: later sends there answer 403."""
        chat = self._chat(group)
        remover = self._user(by) if by is not None else next(iter(chat.members.values()))
        self.people.remove_bot(chat, remover)

    def upgrade_group(
        self,
        group: Chat | int,
        by: User | int | None = None,
        *,
        username: str | None = None,
        tell_bot: bool = True,
    ) -> Chat:
        """The group becomes a supergroup with a new -100… id (same title, members, bot status;
        an @username if it was upgraded by being made public). Both service messages are posted
        (``migrate_to_chat_id`` in the group, by ``by``, its creator by default;
        ``migrate_from_chat_id`` in the supergroup) and, unless ``tell_bot`` is False, reach the
        bot; every later call addressed to the group answers 400 with ``migrate_to_chat_id``."""
        chat = self._chat(group)
        admin = self._user(by) if by is not None else next(iter(chat.members.values()))
        return self.people.upgrade_group(chat, admin, username, tell_bot=tell_bot)

    def tell_bot_of_upgrade(self, group: Chat | int) -> None:
        """The service messages of an upgrade made with ``tell_bot=False`` reach the bot now."""
        self.people.tell_bot_of_upgrade(self._chat(group))

    def add_channel(self, title: str, owner: User | int) -> Chat:
        """A channel whose owner made the bot an administrator (so it gets every post)."""
        return self.people.add_channel(title, self._user(owner))

    async def post_in_channel(self, user: User | int, channel: Chat | int, text: str) -> Message:
        return self.people.post_in_channel(self._user(user), self._chat(channel), text)

    async def edit_channel_post(
        self, user: User | int, channel: Chat | int, message_id: int, new_text: str
    ) -> Message:
        return self.people.edit_channel_post(
            self._user(user), self._chat(channel), message_id, new_text
        )

    async def inline_query(self, user: User | int, query: str) -> str:
        """A user types "@bot <query>" in any chat (needs ``inline_mode``); returns its id."""
        return self.people.inline_query(self._user(user), query)

    async def react(
        self, user: User | int, message_id: int, emoji: str = "👍", chat: Chat | int | None = None
    ) -> None:
        target = self._chat(chat) if chat is not None else self._chat(self._user(user).id)
        self.people.react(self._user(user), target, message_id, emoji)

    def block(self, user: User | int, *, tell_bot: bool = True) -> None:
        """The user blocks the bot. Telegram tells the bot with a my_chat_member update;
        ``tell_bot=False`` is a block the bot never heard of (the update expired while it was
        down), found out only when a message to that chat is refused."""
        self.people.block(self._user(user), tell_bot=tell_bot)

    def unblock(self, user: User | int) -> None:
        self.people.unblock(self._user(user))

    async def send_text(
        self,
        user: User | int,
        text: str,
        chat: Chat | int | None = None,
        *,
        reply_to: int | None = None,
    ) -> Message:
        return self.people.send_text(self._user(user), text, self._maybe_chat(chat), reply_to)

    async def send_photo(
        self,
        user: User | int,
        image_bytes: bytes | None = None,
        caption: str | None = None,
        chat: Chat | int | None = None,
        *,
        reply_to: int | None = None,
    ) -> Message:
        return self.people.send_photo(
            self._user(user), image_bytes, caption, self._maybe_chat(chat), reply_to
        )

    async def send_document(
        self,
        user: User | int,
        data: bytes,
        filename: str = "doc.pdf",
        caption: str | None = None,
        chat: Chat | int | None = None,
        *,
        reply_to: int | None = None,
    ) -> Message:
        return self.people.send_document(
            self._user(user), data, filename, caption, self._maybe_chat(chat), reply_to
        )

    async def send_audio(
        self,
        user: User | int,
        data: bytes,
        filename: str = "song.mp3",
        chat: Chat | int | None = None,
        *,
        reply_to: int | None = None,
        **tags: str,
    ) -> Message:
        return self.people.send_audio(
            self._user(user), data, filename, tags, self._maybe_chat(chat), reply_to
        )

    async def send_voice(
        self,
        user: User | int,
        data: bytes | None = None,
        chat: Chat | int | None = None,
        *,
        reply_to: int | None = None,
    ) -> Message:
        return self.people.send_voice(self._user(user), data, self._maybe_chat(chat), reply_to)

    async def send_video(
        self,
        user: User | int,
        data: bytes | None = None,
        chat: Chat | int | None = None,
        *,
        reply_to: int | None = None,
    ) -> Message:
        return self.people.send_video(self._user(user), data, self._maybe_chat(chat), reply_to)

    async def send_location(
        self, user: User | int, lat: float, lon: float, chat: Chat | int | None = None
    ) -> Message:
        return self.people.send_location(self._user(user), lat, lon, self._maybe_chat(chat))

    async def send_contact(self, user: User | int, chat: Chat | int | None = None) -> Message:
        return self.people.send_contact(self._user(user), self._maybe_chat(chat))

    async def send_sticker(self, user: User | int, chat: Chat | int | None = None) -> Message:
        return self.people.send_sticker(self._user(user), self._maybe_chat(chat))

    async def edit_text(
        self,
        user: User | int,
        message_id: int,
        new_text: str,
        chat: Chat | int | None = None,
    ) -> Message:
        return self.people.edit_text(self._user(user), message_id, new_text, self._maybe_chat(chat))

    async def press_button(
        self, user: User | int, text: str, chat: Chat | int | None = None
    ) -> str:
        """Tap an inline button; returns the callback query id."""
        return self.people.press_button(self._user(user), text, self._maybe_chat(chat))

    async def press_callback(
        self, user: User | int, message_id: int, data: str, chat: Chat | int | None = None
    ) -> str:
        return self.people.press_callback(
            self._user(user), message_id, data, self._maybe_chat(chat)
        )

    async def press_keyboard(
        self, user: User | int, text: str, chat: Chat | int | None = None
    ) -> Message:
        """Tap a reply keyboard button (request_contact / request_location ones share them)."""
        return self.people.press_keyboard(self._user(user), text, self._maybe_chat(chat))

    # --- what happened -------------------------------------------------------------------------

    @property
    def version(self) -> int:
        return self.world.version

    async def wait_for_change(self, since_version: int, timeout: float = 25.0) -> int:  # noqa: ASYNC109
        """The version once it differs from ``since_version``, or the same after ``timeout``."""
        return await self.world.wait_for_change(since_version, timeout)

    async def wait_for_message(
        self,
        chat_id: int,
        timeout: float = 10,  # noqa: ASYNC109 - the contract's name
        predicate: Callable[[Message], bool] | None = None,
        *,
        since: int | None = None,
    ) -> Message:
        """The next bot message sent or edited in the chat after this call (or after version
        ``since``, to catch one that may already have come); TimeoutError shows the history."""
        return await self.world.wait_for_message(chat_id, timeout, predicate, since)

    async def wait_until_quiet(
        self,
        calm: float = 0.3,
        timeout: float = 30.0,  # noqa: ASYNC109 - as wait_for_message
        *,
        chat_id: int | None = None,
    ) -> None:
        """Returns once no update waits for the bot and no Bot API call (getUpdates aside; only
        calls to ``chat_id``, if given) is in flight or arrived in the last ``calm`` seconds of the
        sandbox clock: how a test shows that something did NOT happen without a blind sleep.
        While the bot is down, updates wait here and so does this; TimeoutError after ``timeout``.
        """
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        while self.updates.pending_count or self._busy(calm, chat_id):
            if loop.time() >= deadline:
                raise TimeoutError(f"the bot was not quiet for {calm} s within {timeout} s")
            await asyncio.sleep(0.02)

    def _busy(self, calm: float, chat_id: int | None) -> bool:
        """A call (to the chat, if given) is in flight or arrived in the last ``calm`` seconds.
        A call whose parameters are not read yet counts for every chat."""

        def concerned(call: CallRecord) -> bool:
            if call.method == "getUpdates":
                return False
            return (
                chat_id is None
                or not call.params
                or str(call.params.get("chat_id")) == str(chat_id)
            )

        if any(concerned(call) for call in self._in_flight.values()):
            return True
        since = self.clock() - calm
        for call in reversed(self.calls):
            if call.time < since:
                return False  # the calls before it arrived earlier still
            if concerned(call):
                return True
        return False

    def history(self, chat_id: int) -> list[Message]:
        return self.world.history(chat_id)

    def bot_messages_since(self, chat_id: int, version: int) -> list[Message]:
        """What the bot sent or edited in the chat after ``version`` (see ``version``)."""
        return self.world.bot_messages_since(chat_id, version)

    def last_bot_message(self, chat_id: int) -> Message | None:
        sent = [m for m in self.history(chat_id) if m.get("from", {}).get("id") == self.me["id"]]
        return sent[-1] if sent else None

    def reply_keyboard(self, chat_id: int) -> dict[str, Any] | None:
        chat = self.world.chat(chat_id)
        return chat.reply_keyboard if chat else None

    @property
    def callback_answers(self) -> dict[str, CallbackAnswer]:
        return self.world.callback_answers

    @property
    def errors(self) -> list[CallRecord]:
        """Calls answered with ok=false (in-flight and dropped calls got no answer)."""
        return [call for call in self.calls if call.status and not call.ok]

    @property
    def rate_limited(self) -> list[CallRecord]:
        """429 answers the bot earned by exceeding a flood limit (injected ones excluded)."""
        return [c for c in self.calls if c.status == 429 and not c.injected]

    @property
    def injected(self) -> list[CallRecord]:
        return [c for c in self.calls if c.injected]

    def file_bytes(self, file_id: str) -> bytes:
        stored = self.files.get(file_id)
        if stored is None:
            raise KeyError(f"unknown file_id {file_id!r}")
        return stored.data

    def bot_commands(
        self, scope: dict[str, Any] | None = None, language_code: str = ""
    ) -> list[dict[str, str]]:
        """The commands setMyCommands stored for exactly this scope and language."""
        if scope is not None and hasattr(scope, "to_dict"):
            scope = scope.to_dict()
        return list(self.api.commands.get((self.api.scope_key(scope), language_code), []))

    # --- HTTP ----------------------------------------------------------------------------------

    async def _handle_api(self, request: web.Request) -> web.StreamResponse:
        record = CallRecord(request.match_info["method"], {}, time=self.clock())
        self.calls.append(record)
        self._in_flight[id(record)] = record
        try:
            return await self._serve(request, record)
        finally:  # answered, failed, dropped or given up by the client
            del self._in_flight[id(record)]

    async def _serve(self, request: web.Request, record: CallRecord) -> web.StreamResponse:
        try:
            result = await self._perform(request, record)
        except ApiError as error:
            record.status, record.description = error.status, error.description
            return self._answer(request, record, error.envelope())
        except _DropConnection:
            record.status, record.description = 0, "connection dropped without an answer"
            if request.transport is not None:
                request.transport.abort()
            return web.Response()
        record.status, record.ok, record.result = 200, True, result
        return self._answer(request, record, {"ok": True, "result": result})

    async def _perform(self, request: web.Request, record: CallRecord) -> Any:
        """The call's result, with any planned fault applied; ApiError for an error answer."""
        if request.match_info["token"] != self.token:
            raise ApiError(401, "Unauthorized")
        params = await read_params(request)
        record.params = params.record()
        record.method, method = self.api.lookup(record.method)
        fault = self.faults.take(record.method)
        if fault is not None:
            record.injected, record.fault = True, fault.kind
            if fault.kind == "delay":
                await asyncio.sleep(fault.delay)
            elif fault.kind == "drop":
                raise _DropConnection
            elif fault.kind != "drop_after":
                raise fault.error()
        if method is None:
            raise ApiError(400, "Bad Request: method not found")
        result = await method(params)
        if fault is not None and fault.kind == "drop_after":
            record.result = result
            raise _DropConnection
        return result

    @staticmethod
    def _answer(request: web.Request, record: CallRecord, body: dict[str, Any]) -> web.Response:
        """The envelope with its status, unless the client has already hung up (a long poll
        abandoned at shutdown, a slow answer after the client's timeout): then nobody gets it."""
        if request.transport is None:
            record.status, record.ok = 0, False
            record.description = "the client closed the connection before the answer"
            return web.Response()
        return web.json_response(body, status=record.status or 200, dumps=_dumps)

    async def _handle_file(self, request: web.Request) -> web.StreamResponse:
        if request.match_info["token"] != self.token:
            return web.json_response(ApiError(401, "Unauthorized").envelope(), status=401)
        stored = self.files.by_path(request.match_info["path"])
        if stored is None:
            return web.json_response(ApiError(404, "Not Found").envelope(), status=404)
        return web.Response(body=stored.data, content_type=stored.mime_type)

    # --- argument helpers ----------------------------------------------------------------------

    def _user(self, user: User | int) -> User:
        if isinstance(user, User):
            return user
        if user not in self.world.users:
            raise KeyError(f"no user {user}")
        return self.world.users[user]

    def _chat(self, chat: Chat | int) -> Chat:
        if isinstance(chat, Chat):
            return chat
        found = self.world.chat(chat)
        if found is None:
            raise KeyError(f"no chat {chat}")
        return found

    def _maybe_chat(self, chat: Chat | int | None) -> Chat | None:
        return None if chat is None else self._chat(chat)
