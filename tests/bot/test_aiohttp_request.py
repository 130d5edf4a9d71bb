"""The broadcast engine's HTTP transport (bot/aiohttp_request.py) speaks the Bot API as PTB's own
does: the form it posts, the files it uploads, and PTB's errors for what goes wrong."""

from __future__ import annotations

import asyncio
import socket

import aiohttp
import pytest
from aiohttp import web
from aiohttp.test_utils import TestServer
from telegram import Bot
from telegram.error import Forbidden, NetworkError, RetryAfter, TimedOut

from bot.aiohttp_request import AiohttpRequest

TOKEN = "1:abc"


def message(chat_id: int, **content) -> dict:
    return {
        "ok": True,
        "result": {
            "message_id": 7,
            "date": 0,
            "chat": {"id": chat_id, "type": "private", "first_name": "A"},
            **content,
        },
    }


class FakeApi:
    """Answers each request with ``answer``; keeps (path, content type, fields) of each."""

    def __init__(self) -> None:
        self.seen: list[tuple[str, str, dict]] = []
        self.answer = self.sent
        self.url = ""

    @staticmethod
    async def sent(_request: web.Request, fields: dict) -> web.Response:
        return web.json_response(message(int(fields["chat_id"]), text=fields.get("text")))

    async def handle(self, request: web.Request) -> web.Response:
        fields = {}
        for name, value in (await request.post()).items():
            fields[name] = value if isinstance(value, str) else value.file.read()
        self.seen.append((request.path, request.content_type, fields))
        return await self.answer(request, fields)


@pytest.fixture
async def api():
    fake = FakeApi()
    app = web.Application()
    app.router.add_route("*", "/{tail:.*}", fake.handle)
    async with TestServer(app) as server:
        fake.url = str(server.make_url("/bot"))
        yield fake


async def test_a_message_goes_as_a_form_and_comes_back_as_a_message(api):
    request = AiohttpRequest(connections=4)
    bot = Bot(TOKEN, base_url=api.url, request=request)
    sent = await bot.send_message(42, "<b>Chú ý</b> & more", parse_mode="HTML")
    await request.shutdown()
    assert (sent.message_id, sent.chat.id, sent.text) == (7, 42, "<b>Chú ý</b> & more")
    [(path, content_type, fields)] = api.seen
    assert path == f"/bot{TOKEN}/sendMessage"
    assert content_type == "application/x-www-form-urlencoded"
    assert fields == {"chat_id": "42", "text": "<b>Chú ý</b> & more", "parse_mode": "HTML"}


async def test_files_go_as_multipart(api):
    request = AiohttpRequest(connections=4)
    bot = Bot(TOKEN, base_url=api.url, request=request)
    await bot.send_document(42, document=b"hello", filename="a.txt", caption="c")
    await request.shutdown()
    [(path, content_type, fields)] = api.seen
    assert path.endswith("/sendDocument") and content_type == "multipart/form-data"
    assert (fields["chat_id"], fields["caption"], fields["document"]) == ("42", "c", b"hello")


@pytest.mark.parametrize(
    ("status", "payload", "error"),
    [
        (429, {"description": "Too Many Requests", "parameters": {"retry_after": 3}}, RetryAfter),
        (403, {"description": "Forbidden: bot was blocked by the user"}, Forbidden),
    ],
)
async def test_telegrams_refusals_are_ptbs_errors(api, status, payload, error):
    async def refuse(_request, _fields):
        return web.json_response({"ok": False, "error_code": status, **payload}, status=status)

    api.answer = refuse
    request = AiohttpRequest(connections=4)
    with pytest.raises(error):
        await Bot(TOKEN, base_url=api.url, request=request).send_message(42, "x")
    await request.shutdown()


async def test_a_slow_answer_times_out(api):
    async def slow(_request, fields):
        await asyncio.sleep(1)
        return web.json_response(message(int(fields["chat_id"])))

    api.answer = slow
    request = AiohttpRequest(connections=4, read_timeout=0.1)
    with pytest.raises(TimedOut):
        await Bot(TOKEN, base_url=api.url, request=request).send_message(42, "x")
    await request.shutdown()


async def test_no_server_is_a_network_error():
    with socket.socket() as free:
        free.bind(("127.0.0.1", 0))
        port = free.getsockname()[1]
    request = AiohttpRequest(connections=4)
    with pytest.raises(NetworkError) as failed:
        await Bot(TOKEN, base_url=f"http://127.0.0.1:{port}/bot", request=request).send_message(
            42, "x"
        )
    await request.shutdown()
    assert not isinstance(failed.value, TimedOut)


async def test_a_redirect_is_not_followed(api):
    """Telegram never redirects; following one would turn the POST into a GET elsewhere."""

    async def redirect(_request, _fields):
        raise web.HTTPFound("/elsewhere")

    api.answer = redirect
    request = AiohttpRequest(connections=4)
    with pytest.raises(NetworkError):
        await Bot(TOKEN, base_url=api.url, request=request).send_message(42, "x")
    await request.shutdown()
    assert [path for path, _type, _fields in api.seen] == ["/bot1:abc/sendMessage"]


async def test_the_token_is_not_in_an_error(monkeypatch):
    """aiohttp's errors can quote the address, which holds the token."""
    request = AiohttpRequest(connections=4)
    url = f"http://127.0.0.1:1/bot{TOKEN}/sendMessage"

    def failing(*_args, **_kwargs):
        raise aiohttp.InvalidURL(url)

    await request.initialize()
    monkeypatch.setattr(request._session, "request", failing)
    with pytest.raises(NetworkError) as failed:
        await request.do_request(url, "POST")
    await request.shutdown()
    assert TOKEN not in str(failed.value) and "InvalidURL" in str(failed.value)


async def test_an_upload_to_a_peer_that_stops_reading_times_out():
    """The whole call is bounded when files go up: no read timeout applies while writing."""

    async def swallow(reader, writer):
        await reader.readline()  # then never read again, never answer
        await asyncio.sleep(30)
        writer.close()

    server = await asyncio.start_server(swallow, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    request = AiohttpRequest(
        connections=4, connect_timeout=0.5, read_timeout=0.5, write_timeout=0.5
    )
    bot = Bot(TOKEN, base_url=f"http://127.0.0.1:{port}/bot", request=request)
    with pytest.raises(TimedOut):
        await asyncio.wait_for(bot.send_document(42, b"x" * 50_000_000, filename="big.bin"), 10)
    await request.shutdown()
    server.close()


async def test_a_proxy_from_the_environment_is_used(api, monkeypatch):
    """HTTP(S)_PROXY and NO_PROXY, as PTB's default transport honours them."""
    proxy = api.url.removesuffix("/bot")
    for name in ("HTTP_PROXY", "http_proxy", "NO_PROXY", "no_proxy"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("HTTP_PROXY", proxy)
    request = AiohttpRequest(connections=4)
    bot = Bot(TOKEN, base_url="http://api.telegram.invalid/bot", request=request)
    assert (await bot.send_message(42, "via the proxy")).text == "via the proxy"
    await request.shutdown()
    assert api.seen[-1][0] == f"/bot{TOKEN}/sendMessage"

    monkeypatch.setenv("NO_PROXY", "api.telegram.invalid")
    request = AiohttpRequest(connections=4)
    bot = Bot(TOKEN, base_url="http://api.telegram.invalid/bot", request=request)
    with pytest.raises(NetworkError):  # straight to a host that does not exist
        await bot.send_message(42, "not via the proxy")
    await request.shutdown()
    assert len(api.seen) == 1
