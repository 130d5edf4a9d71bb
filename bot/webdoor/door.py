"""The web door's conversation: a visitor's action becomes a Telegram-shaped update for the
second PTB Application (the same resident handlers, the same database), whose answers land in the
visitor's mailbox (bot/webdoor/botapi.py).

Work is bounded in memory, and nothing about the client is kept: a proof of work buys a batch of
actions (bot/webdoor/pow.py), each visitor's actions run one at a time, at most IN_FLIGHT run at
once and ADMITTED_PER_SECOND start per second; past that the door answers "busy" at once rather
than queueing. The flood guard and the daily tip limit of the handlers apply as on Telegram.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import time
import weakref
from collections import OrderedDict
from html import escape
from typing import Any

from telegram import Update
from telegram.ext import Application

from bot.doors import WEB
from bot.runtime import Runtime
from bot.webdoor.botapi import DoorBotApi, Entry, Mailbox, Mailboxes, chat_of
from bot.webdoor.media import FILE_ID_PREFIX, clean_upload
from bot.webdoor.pow import ProofOfWork
from storage import drafts, pending, residents, web_files

ACTIONS_PER_PROOF = 60  # a whole tip, with a few mistakes, for one proof of work
IN_FLIGHT = 16  # visitors' actions being handled at once
MAX_WAITING = 512  # actions waiting their turn; past that the door is busy
MAX_POLLING = 5_000  # pages waiting for news at once
ADMITTED_PER_SECOND = 1000  # actions started per second, all visitors together
MAX_CREDITED = 100_000  # visitors whose credit is remembered; the oldest are forgotten
TEXT_LIMIT = 10_000  # characters of one typed message (the handlers' own limits are lower)
LANGUAGES = ("vi", "en")


class Refused(Exception):
    """The door does not take this action now; status and a short reason for the page."""

    def __init__(self, status: int, reason: str) -> None:
        super().__init__(reason)
        self.status, self.reason = status, reason


class WebDoor:
    def __init__(self, runtime: Runtime, build: Any, *, pow_bits: int | None = None) -> None:
        self.runtime = runtime
        self.mailboxes = Mailboxes()
        self.api = DoorBotApi(self.mailboxes)
        self.application: Application = build(self.api)
        self.pow = ProofOfWork() if pow_bits is None else ProofOfWork(pow_bits)
        self.credits: OrderedDict[int, int] = OrderedDict()
        # Gone with the last action that holds it: nothing per visitor outlives its work.
        self._locks: weakref.WeakValueDictionary[int, asyncio.Lock] = weakref.WeakValueDictionary()
        self._in_flight = asyncio.Semaphore(IN_FLIGHT)
        self._second, self._admitted, self._waiting, self._polling = 0, 0, 0, 0
        self._update_ids = itertools.count(1)

    async def start(self) -> None:
        from bot.context import attach_runtime

        attach_runtime(self.application, self.runtime)
        await self.application.initialize()
        await self.application.start()
        self.runtime.doors[WEB] = self.application.bot

    async def stop(self) -> None:
        self.runtime.doors.pop(WEB, None)
        if self.application.running:
            await self.application.stop()
        await self.application.shutdown()

    # --- proof of work ------------------------------------------------------------------------

    def unlock(self, user_id: int, challenge: str, counter: str) -> bool:
        if not self.pow.redeem(challenge, counter):
            return False
        self.credits[user_id] = ACTIONS_PER_PROOF
        self.credits.move_to_end(user_id)
        while len(self.credits) > MAX_CREDITED:
            self.credits.popitem(last=False)
        return True

    def _spend(self, user_id: int) -> None:
        left = self.credits.get(user_id, 0)
        if left <= 0:
            raise Refused(428, "proof of work needed")
        self.credits[user_id] = left - 1

    def _admit(self) -> None:
        second = int(time.monotonic())
        if second != self._second:
            self._second, self._admitted = second, 0
        self._admitted += 1
        if self._admitted > ADMITTED_PER_SECOND or self._waiting >= MAX_WAITING:
            raise Refused(503, "busy")

    # --- what a visitor does ------------------------------------------------------------------

    def view(self, user_id: int) -> dict[str, Any]:
        """The conversation. Reading makes no mailbox: only an action does (after a proof of
        work), so nobody can push a tipster's waiting question out of memory with free keys."""
        box = self.mailboxes.get(user_id, create=False)
        return box.view() if box is not None else Mailbox(user_id).view()

    async def wait_for_change(self, user_id: int, since: int, seconds: float) -> dict[str, Any]:
        if self._polling >= MAX_POLLING:
            raise Refused(503, "busy")
        self._polling += 1
        try:
            box = self.mailboxes.get(user_id, create=False)
            if box is None:
                await asyncio.sleep(seconds)  # nothing can arrive before the visitor acts
            elif box.version <= since:
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(box.changed.wait(), seconds)
        finally:
            self._polling -= 1
        return self.view(user_id)

    async def send_text(self, user_id: int, language: str, text: str) -> dict[str, Any]:
        text = text.strip()
        if not text or len(text) > TEXT_LIMIT:
            raise Refused(400, "empty or too long")
        content: dict[str, Any] = {"text": text}
        if text.startswith("/"):
            command = text.split()[0]
            content["entities"] = [{"type": "bot_command", "offset": 0, "length": len(command)}]
        return await self._message(user_id, language, content, escape(text), None)

    async def send_file(
        self, user_id: int, language: str, data: bytes, name: str | None, caption: str
    ) -> dict[str, Any]:
        self._admit()
        self._spend(user_id)
        try:
            cleaned = await asyncio.to_thread(clean_upload, data, name)
        except Exception as error:
            raise Refused(415, str(error) if error.args else "not accepted") from None
        file = cleaned.file
        await web_files.add(self.runtime.db, file)
        unique = file.file_id.removeprefix(FILE_ID_PREFIX)
        if file.kind == "photo":
            content: dict[str, Any] = {
                "photo": [{"file_id": file.file_id, "file_unique_id": unique,
                           "width": cleaned.width, "height": cleaned.height,
                           "file_size": len(file.data)}]
            }  # fmt: skip
        else:
            content = {
                "document": {"file_id": file.file_id, "file_unique_id": unique,
                             "file_name": file.file_name, "file_size": len(file.data)}
            }  # fmt: skip
        caption = caption.strip()[:1024]
        if caption:
            content["caption"] = caption
        shown = ("📷 " if file.kind == "photo" else "📎 ") + escape(caption)
        view = {"id": file.file_id, "kind": file.kind, "name": file.file_name}
        return await self._message(user_id, language, content, shown, view, admitted=True)

    async def press(self, user_id: int, language: str, message_id: int, data: str):
        self._admit()
        box = self.mailboxes.get(user_id)
        assert box is not None
        entry = box.entries.get(message_id)
        if entry is None or entry.outgoing or not _has_button(entry, data):
            raise Refused(400, "no such button")
        self._spend(user_id)
        query = {
            "id": self.api.new_query(user_id),
            "from": self._user(user_id, language),
            "chat_instance": "web",
            "message": entry.message,
            "data": data,
        }
        await self._process(box, {"update_id": next(self._update_ids), "callback_query": query})
        return box.view()

    async def choose_language(self, user_id: int, language: str) -> None:
        """The page's switch, remembered by the bot as a /language choice: a database write, so
        it costs an action like any other."""
        from bot.language import choose_language

        self._admit()
        self._spend(user_id)
        await choose_language(self.runtime, user_id, language)

    async def forget(self, user_id: int) -> None:
        """ "Forget this device": the mailbox, the draft, what the bot waited for, the credit."""
        pseudonym = self.runtime.pseudonym_of(user_id)
        self.mailboxes.drop(user_id)
        self.credits.pop(user_id, None)
        await drafts.delete(self.runtime.db, pseudonym)
        await residents.forget_language(self.runtime.db, pseudonym)
        self.runtime.languages.pop(pseudonym, None)
        for kind in ("answer", "check"):
            await pending.clear(self.runtime.db, pending.resident_key(kind, pseudonym))

    def may_read_file(self, user_id: int, file_id: str) -> bool:
        """A visitor fetches only files their own conversation shows."""
        box = self.mailboxes.get(user_id, create=False)
        return box is not None and any(
            e.file and e.file["id"] == file_id for e in box.entries.values()
        )

    # --- helpers ------------------------------------------------------------------------------

    async def _message(
        self,
        user_id: int,
        language: str,
        content: dict[str, Any],
        shown: str,
        file: dict[str, Any] | None,
        *,
        admitted: bool = False,
    ) -> dict[str, Any]:
        if not admitted:
            self._admit()
            self._spend(user_id)
        box = self.mailboxes.get(user_id)
        assert box is not None
        message = {
            "message_id": box.take_id(),
            "date": int(time.time()),
            "chat": chat_of(user_id),
            "from": self._user(user_id, language),
            **content,
        }
        replied = box.entries.get(box.force_reply_to) if box.force_reply_to else None
        if replied is not None:
            message["reply_to_message"] = replied.message
        box.force_reply_to = None
        box.add(Entry(message, shown, outgoing=True, file=file))
        await self._process(box, {"update_id": next(self._update_ids), "message": message})
        return box.view()

    async def _process(self, box: Mailbox, data: dict[str, Any]) -> None:
        update = Update.de_json(data, self.application.bot)
        lock = self._locks.get(box.user_id)
        if lock is None:
            lock = self._locks[box.user_id] = asyncio.Lock()
        self._waiting += 1
        entered = False
        try:
            async with self._in_flight, lock:  # a visitor's actions in order, like a phone's
                self._waiting, entered = self._waiting - 1, True
                await self.application.process_update(update)
        finally:
            if not entered:  # cancelled while waiting
                self._waiting -= 1

    @staticmethod
    def _user(user_id: int, language: str) -> dict[str, Any]:
        return {
            "id": user_id,
            "is_bot": False,
            "first_name": "Web",
            "language_code": language if language in LANGUAGES else "vi",
        }


def _has_button(entry: Entry, data: str) -> bool:
    markup = entry.message.get("reply_markup") or {}
    return any(
        button.get("callback_data") == data
        for row in markup.get("inline_keyboard", [])
        for button in row
    )
