"""A real Sandbox with the web chat and the echo bot polling it, for the API and browser tests."""

from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any

import aiohttp
import pytest

from sandbox.webchat import Persona, add_webchat
from tests.webchat import echo_bot

TOKEN = "123456:WEBCHAT-test-token"


@dataclass
class WebChatEnv:
    sandbox: Any
    personas: dict[str, Persona]
    url: str  # the sandbox's root, e.g. http://127.0.0.1:41234
    http: aiohttp.ClientSession
    before: int = 0  # the sandbox's version before the last POST: replies come after it

    def user(self, key: str) -> Any:
        return self.personas[key].user

    async def get(self, path: str, **params: Any) -> Any:
        async with self.http.get(self.url + path, params=params) as response:
            assert response.status == 200, await response.text()
            return await response.json()

    async def post(self, path: str, body: Any = None, status: int = 200) -> Any:
        self.before = self.sandbox.version
        async with self.http.post(self.url + path, json=body) as response:
            assert response.status == status, await response.text()
            return await response.json()

    async def upload(self, key: str, data: bytes, filename: str, caption: str | None = None):
        """The page's 📎: a multipart POST of one file (and a caption)."""
        form = aiohttp.FormData()
        form.add_field("photo", data, filename=filename)
        if caption is not None:
            form.add_field("caption", caption)
        self.before = self.sandbox.version
        async with self.http.post(f"{self.url}/webchat/chats/{key}/photo", data=form) as response:
            assert response.status == 200, await response.text()
            return await response.json()

    async def bot_reply(self, key: str, predicate=None, since: int | None = None) -> dict:
        """The first message the bot sent or edited in that persona's chat after the last POST
        (or after version `since`), even if it came before this call."""
        return await self.sandbox.wait_for_message(
            self.user(key).id,
            timeout=10,
            predicate=predicate,
            since=self.before if since is None else since,
        )


def make_personas(sandbox: Any) -> list[Persona]:
    return [
        Persona(
            "lan",
            "Chị Lan",
            "người dân (tiếng Việt)",
            sandbox.add_user("Lan", username="lan_dl", language_code="vi"),
        ),
        Persona("tom", "Tom", "resident (English)", sandbox.add_user("Tom", language_code="en")),
        Persona(
            "minh",
            "Cán bộ Minh",
            "công an xã",
            sandbox.add_user("Minh", language_code="vi"),
            "officer",
        ),
    ]


@pytest.fixture
async def webchat() -> AsyncIterator[WebChatEnv]:
    server = pytest.importorskip("sandbox.server", reason="sandbox/server.py is not written yet")
    sandbox = server.Sandbox(token=TOKEN, bot_username="tipbot_demo_bot", rate_limits=False)
    personas = make_personas(sandbox)
    add_webchat(sandbox, personas)
    await sandbox.start(host="127.0.0.1", port=0)
    bot = echo_bot.build(TOKEN, sandbox.base_url, sandbox.base_file_url)
    await bot.initialize()
    await bot.start()
    await bot.updater.start_polling(poll_interval=0, timeout=5)
    try:
        async with aiohttp.ClientSession() as http:
            yield WebChatEnv(
                sandbox=sandbox,
                personas={p.key: p for p in personas},
                url=f"http://127.0.0.1:{sandbox.port}",
                http=http,
            )
    finally:
        await bot.updater.stop()
        await bot.stop()
        await bot.shutdown()
        await sandbox.stop()
