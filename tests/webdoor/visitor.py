"""A visitor of the web door, driven over HTTP the way the page drives it."""

from __future__ import annotations

import asyncio
import contextlib
import io
import re
import secrets
from html import unescape
from typing import Any

import aiohttp
from PIL import Image

from bot.webdoor.pow import solve


def plain(html: str) -> str:
    return unescape(re.sub(r"<[^>]+>", "", html))


class Visitor:
    def __init__(self, session: aiohttp.ClientSession, base: str, language: str = "vi") -> None:
        self.session, self.base, self.language = session, base.rstrip("/"), language
        self.secret = secrets.token_hex(16)
        self.view: dict[str, Any] = {"version": 0, "messages": []}

    @property
    def headers(self) -> dict[str, str]:
        return {"X-Tipbot-Key": self.secret, "Origin": self.base}

    async def unlock(self) -> None:
        async with self.session.get(f"{self.base}/api/challenge") as response:
            challenge = (await response.json())["challenge"]
        answer = {"challenge": challenge, "nonce": solve(challenge)}
        async with self.session.post(
            f"{self.base}/api/unlock", json=answer, headers=self.headers
        ) as response:
            assert response.status == 200, await response.text()

    async def post(self, path: str, body: dict[str, Any]) -> dict[str, Any]:
        body = {"language": self.language, **body}
        for _attempt in range(2):
            async with self.session.post(
                f"{self.base}{path}", json=body, headers=self.headers
            ) as response:
                if response.status == 428:
                    await self.unlock()
                    continue
                assert response.status == 200, (response.status, await response.text())
                self.view = await response.json()
                return self.view
        raise AssertionError("proof of work not taken")

    async def send(self, text: str, expect: str | None = None) -> dict[str, Any]:
        await self.post("/api/send", {"text": text})
        return await self._expect(expect)

    async def tap(self, label: str, expect: str | None = None) -> dict[str, Any]:
        for message in reversed(self.view["messages"]):
            for row in message["buttons"]:
                for button in row:
                    if button["text"] == label:
                        await self.post(
                            "/api/press", {"message_id": message["id"], "data": button["data"]}
                        )
                        return await self._expect(expect)
        raise AssertionError(f"no button {label!r} in {self.texts()[-3:]}")

    async def upload(self, data: bytes, name: str, expect: str | None = None) -> dict[str, Any]:
        form = aiohttp.FormData()
        form.add_field("file", data, filename=name, content_type="application/octet-stream")
        form.add_field("language", self.language)
        async with self.session.post(
            f"{self.base}/api/upload", data=form, headers=self.headers
        ) as response:
            if response.status == 428:
                await self.unlock()
                return await self.upload(data, name, expect)
            assert response.status == 200, (response.status, await response.text())
            self.view = await response.json()
        return await self._expect(expect)

    async def refresh(self, since: int | None = None) -> dict[str, Any]:
        query = "" if since is None else f"?since={since}"
        async with self.session.get(f"{self.base}/api/chat{query}", headers=self.headers) as r:
            assert r.status == 200
            self.view = await r.json()
        return self.view

    async def wait_for(self, fragment: str, timeout: float = 15.0) -> dict[str, Any]:
        deadline = asyncio.get_running_loop().time() + timeout
        while asyncio.get_running_loop().time() < deadline:
            for message in reversed(self.view["messages"]):
                if fragment in plain(message["html"]):
                    return message
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout(deadline - asyncio.get_running_loop().time()):
                    await self.refresh(since=self.view["version"])
        raise AssertionError(f"{fragment!r} never came; last: {self.texts()[-3:]}")

    async def _expect(self, expect: str | None) -> dict[str, Any]:
        if expect is None:
            return self.view["messages"][-1]
        return await self.wait_for(expect)

    def texts(self) -> list[str]:
        return [plain(m["html"]) for m in self.view["messages"]]


def jpeg_with_gps() -> bytes:
    image = Image.new("RGB", (64, 48), (200, 30, 30))
    exif = Image.Exif()
    exif[0x010F] = "SecretCam"  # Make
    exif[0xA431] = "SERIAL-123456"  # BodySerialNumber
    exif[0x8825] = {1: "N", 2: (11.0, 56.0, 30.0), 3: "E", 4: (108.0, 26.0, 40.0)}
    out = io.BytesIO()
    image.save(out, "JPEG", exif=exif)
    data = out.getvalue()
    assert b"SecretCam" in data and b"SERIAL-123456" in data
    return data
