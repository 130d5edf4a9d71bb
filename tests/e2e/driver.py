"""A resident or officer in the sandbox, driven the way a person uses the Telegram app."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from sandbox.server import Sandbox

Message = dict[str, Any]


def text_of(message: Message) -> str:
    return message.get("text") or message.get("caption") or ""


def buttons_of(message: Message) -> list[str]:
    markup = message.get("reply_markup") or {}
    return [b["text"] for row in markup.get("inline_keyboard", []) for b in row]


class Person:
    def __init__(self, sandbox: Sandbox, user, timeout: float = 10.0) -> None:
        self.sandbox, self.user, self.timeout = sandbox, user, timeout

    @property
    def chat_id(self) -> int:
        return self.user.id

    async def _act(self, action: Callable[[], Awaitable[Any]], expect: str | None) -> Message:
        """Does `action`, then waits for the bot message (new or edited) containing `expect`."""
        since = self.sandbox.version
        await action()

        def wanted(message: Message) -> bool:
            return expect is None or expect in text_of(message)

        return await self.sandbox.wait_for_message(
            self.chat_id, timeout=self.timeout, predicate=wanted, since=since
        )

    async def send(self, text: str, expect: str | None = None) -> Message:
        return await self._act(lambda: self.sandbox.send_text(self.user, text), expect)

    async def tap(self, label: str, expect: str | None = None) -> Message:
        return await self._act(lambda: self.sandbox.press_button(self.user, label), expect)

    async def forge(self, message_id: int, data: str, expect: str | None = None) -> Message:
        return await self._act(
            lambda: self.sandbox.press_callback(self.user, message_id, data), expect
        )

    async def photo(self, caption: str | None = None, expect: str | None = None) -> Message:
        return await self._act(lambda: self.sandbox.send_photo(self.user, caption=caption), expect)

    async def do(self, action: Callable[[], Awaitable[Any]], expect: str | None = None) -> Message:
        return await self._act(action, expect)

    def last_bot_message(self) -> Message:
        return self.sandbox.last_bot_message(self.chat_id)

    def history_text(self) -> str:
        return "\n".join(text_of(m) for m in self.sandbox.history(self.chat_id))
