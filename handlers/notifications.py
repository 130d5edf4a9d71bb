"""Rendering and sending each kind of outbox row (bot/outbox_worker.py decides when and retries).

Officers get copies, never forwards: `forward_message` would show the tipster as the sender.
Everything sent to officers is `protect_content`, so it cannot be forwarded on from their chats.
A message to a tipster opens the sealed way back at the moment of sending; nothing else knows
the tipster's chat.
"""

from __future__ import annotations

import asyncio
from html import escape

from telegram import InlineKeyboardButton, InlineKeyboardMarkup, InputFile, ReplyParameters
from telegram.ext import Application

from bot import routing
from bot.anonymity import WayBackError, open_way_back
from bot.doors import TELEGRAM, door_of
from bot.i18n import N_, Texts, texts
from bot.language import language_of
from bot.outbox_worker import Deliver, Undeliverable
from bot.runtime import Runtime
from handlers.common import MESSAGE_LIMIT
from handlers.officer_views import (
    STATUS_LABELS,
    card_keyboard,
    split_description,
    tip_card,
    tip_card_parts,
)
from handlers.status import STATUS_NAMES
from storage import officers, outbox, residents, tips, web_files
from storage.outbox import OutboxItem

SENDERS = {
    "photo": "send_photo",
    "video": "send_video",
    "voice": "send_voice",
    "audio": "send_audio",
    "document": "send_document",
}
REPLY_PREFIX = "r"  # the tipster's "Reply" button: r:<tip code>
WEB_FILE_PREFIX = "web-"  # the file ids of web door uploads (bot/webdoor/media.py)


class Notifier:
    def __init__(self, application: Application, runtime: Runtime) -> None:
        self.bot, self.runtime = application.bot, runtime
        self.uploaded: dict[str, str] = {}  # a web door upload's Telegram file id, once sent
        self.uploading: dict[str, asyncio.Lock] = {}

    def deliverers(self) -> dict[str, Deliver]:
        return {
            "tip": self.tip,
            "tip_text": self.tip_text,
            "tip_media": self.tip_media,
            "tip_location": self.tip_location,
            "refresh": self.refresh,
            "staff_text": self.staff_text,
            "staff_answer_media": self.staff_answer_media,
            "tipster_text": self.tipster_text,
        }

    # --- staff side -------------------------------------------------------------------------

    async def staff_texts(self, chat_id: int) -> Texts:
        if chat_id < 0:  # a group: the province's default language
            return texts(self.runtime.config.default_language)
        return texts(await language_of(self.runtime, chat_id, None))

    async def load_tip(self, item: OutboxItem) -> tips.Tip:
        tip = await tips.get(self.runtime.db, item.payload["tip_id"])
        if tip is None:
            raise Undeliverable("the tip was deleted")
        return tip

    async def tip(self, item: OutboxItem) -> int:
        """The tip card with its buttons; then its media and location follow as replies."""
        tip, t = await self.load_tip(item), await self.staff_texts(item.chat_id)
        banner = item.payload.get("banner")
        text, rest = await tip_card_parts(self.runtime, tip, t, banner)
        message = await self.bot.send_message(
            item.chat_id, text, reply_markup=card_keyboard(t, tip), protect_content=True
        )
        await tips.add_notification(self.runtime.db, tip.id, item.chat_id, message.message_id)
        if banner != "reminder":  # a reminder goes to chats that already have the files
            await self.queue_extras(tip, item.chat_id, message.message_id, rest)
        return message.message_id

    async def queue_extras(self, tip: tips.Tip, chat_id: int, reply_to: int, rest: str) -> None:
        """What follows the card as replies to it: the rest of a long description, the files
        (copies by file id), the location."""
        db = self.runtime.db
        for part, chunk in enumerate(chunks(rest)):
            await outbox.enqueue(
                db,
                "tip_text",
                {"tip_id": tip.id, "text": chunk, "reply_to": reply_to},
                chat_id=chat_id,
                dedupe_key=f"tip_text:{tip.id}:{tip.routed_at}:{chat_id}:{part}",
            )
        for attachment in tip.attachments:
            await outbox.enqueue(
                db,
                "tip_media",
                {"tip_id": tip.id, "file_id": attachment.file_id, "kind": attachment.kind,
                 "reply_to": reply_to},
                chat_id=chat_id,
                dedupe_key=f"tip_media:{tip.id}:{tip.routed_at}:{chat_id}:{attachment.file_unique_id}",
            )  # fmt: skip
        if tip.location:
            await outbox.enqueue(
                db,
                "tip_location",
                {"tip_id": tip.id, "reply_to": reply_to},
                chat_id=chat_id,
                dedupe_key=f"tip_location:{tip.id}:{tip.routed_at}:{chat_id}",
            )
        self.runtime.wake_outbox()

    async def tip_text(self, item: OutboxItem) -> int:
        message = await self.bot.send_message(
            item.chat_id,
            item.payload["text"],  # escaped when it was cut (chunks)
            protect_content=True,
            reply_parameters=_reply_to(item.payload.get("reply_to")),
        )
        return message.message_id

    async def tip_media(self, item: OutboxItem) -> int:
        payload = item.payload
        return await self.send_file(
            item.chat_id, payload["kind"], payload["file_id"], payload.get("reply_to")
        )

    async def send_file(
        self, chat_id: int, kind: str, file_id: str, reply_to: int | None, caption: str = ""
    ) -> int:
        if not file_id.startswith(WEB_FILE_PREFIX):
            return await self._send_file(chat_id, kind, file_id, reply_to, caption)
        # A web door upload: the first chat's send uploads it, the others wait for its file id.
        lock = self.uploading.setdefault(file_id, asyncio.Lock())
        async with lock:
            return await self._send_file(chat_id, kind, file_id, reply_to, caption)

    async def _send_file(
        self, chat_id: int, kind: str, file_id: str, reply_to: int | None, caption: str
    ) -> int:
        send = getattr(self.bot, SENDERS.get(kind, "send_document"))
        message = await send(
            chat_id,
            await self.file_to_send(file_id),
            caption=caption or None,
            protect_content=True,
            reply_parameters=_reply_to(reply_to),
        )
        if file_id.startswith(WEB_FILE_PREFIX) and (sent := message.effective_attachment):
            # Telegram now holds the upload: the tip's other chats get it by its file id.
            largest = sent[-1] if isinstance(sent, tuple) else sent
            self.uploaded[file_id] = largest.file_id
            self.uploading.pop(file_id, None)
        return message.message_id

    async def file_to_send(self, file_id: str) -> str | InputFile:
        """A Telegram file id as it is; a web door upload has none, so it goes as an upload the
        first time (already cleaned of metadata when the door took it, bot/webdoor/media.py)."""
        if not file_id.startswith(WEB_FILE_PREFIX):
            return file_id
        if file_id in self.uploaded:
            return self.uploaded[file_id]
        found = await web_files.get(self.runtime.db, file_id)
        if found is None:
            raise Undeliverable("the web upload was deleted")
        return InputFile(found.data, filename=found.file_name)

    async def tip_location(self, item: OutboxItem) -> int:
        tip = await self.load_tip(item)
        if tip.location is None:
            raise Undeliverable("the tip has no location")
        latitude, longitude = tip.location
        message = await self.bot.send_location(
            item.chat_id,
            latitude=latitude,
            longitude=longitude,
            protect_content=True,
            reply_parameters=_reply_to(item.payload.get("reply_to")),
        )
        return message.message_id

    async def refresh(self, item: OutboxItem) -> int:
        """Shows the tip's current state on a message sent earlier (status, who acknowledged)."""
        tip, t = await self.load_tip(item), await self.staff_texts(item.chat_id)
        message_id = item.payload["message_id"]
        # A chat that no longer covers the tip (it was transferred away) keeps the card, but
        # without buttons: they would only be refused.
        covers = self.runtime.is_admin(item.chat_id) or item.chat_id in await routing.recipients(
            self.runtime, tip.commune_code
        )
        await self.bot.edit_message_text(
            await tip_card(self.runtime, tip, t, item.payload.get("banner")),
            chat_id=item.chat_id,
            message_id=message_id,
            reply_markup=card_keyboard(t, tip) if covers else None,
        )
        return message_id

    async def staff_text(self, item: OutboxItem) -> int:
        """A short message about a tip to a staff chat: an answer, a question, a note…"""
        tip, t = await self.load_tip(item), await self.staff_texts(item.chat_id)
        text = await staff_message(self.runtime, tip, t, item.payload)
        message = await self.bot.send_message(
            item.chat_id,
            text,
            protect_content=True,
            reply_parameters=_reply_to(await self.card_in(item.chat_id, tip)),
        )
        return message.message_id

    async def staff_answer_media(self, item: OutboxItem) -> int:
        """A photo, voice note… the tipster sent as an answer, as a copy by file id."""
        tip, t = await self.load_tip(item), await self.staff_texts(item.chat_id)
        caption = t.gettext("💬 From the tipster of {code}").format(code=tip.code)
        return await self.send_file(
            item.chat_id,
            item.payload["kind"],
            item.payload["file_id"],
            await self.card_in(item.chat_id, tip),
            caption,
        )

    async def card_in(self, chat_id: int, tip: tips.Tip) -> int | None:
        """The tip's card in this chat, so follow-ups thread under it."""
        for notification in reversed(await tips.list_notifications(self.runtime.db, tip.id)):
            if notification.chat_id == chat_id:
                return notification.message_id
        return None

    # --- tipster side -----------------------------------------------------------------------

    async def tipster_text(self, item: OutboxItem) -> int:
        tip = await self.load_tip(item)
        sealed = await tips.get_way_back(self.runtime.db, tip.id)
        if sealed is None:
            raise Undeliverable("the way back was deleted")
        try:
            way_back = open_way_back(self.runtime.keys.way_back, sealed, tip_code=tip.code)
        except WayBackError as error:
            raise Undeliverable("the way back does not open") from error
        language = await residents.get_language(self.runtime.db, way_back.pseudonym)
        t = texts(language or self.runtime.config.default_language)
        text, markup = await tipster_message(self.runtime, tip, t, item.payload)
        # The door the tipster came in by: the chat id in the sealed way back says which.
        bot = self.bot if door_of(way_back.chat_id) == TELEGRAM else None
        bot = bot or self.runtime.doors.get(door_of(way_back.chat_id))
        if bot is None:
            raise Undeliverable("the tipster's door is closed")
        message = await bot.send_message(way_back.chat_id, text, reply_markup=markup)
        return message.message_id


def chunks(text: str) -> list[str]:
    """A long text as escaped HTML pieces that each fit one message."""
    pieces = []
    while text:
        piece, text = split_description(text, MESSAGE_LIMIT - 100)
        pieces.append(piece)
    return pieces


def _reply_to(message_id: int | None) -> ReplyParameters | None:
    if message_id is None:
        return None
    return ReplyParameters(message_id, allow_sending_without_reply=True)


STAFF_TEMPLATES = {
    "answer": N_("💬 <b>The tipster answered</b> on {code}:\n{body}"),
    "question": N_("❓ {officer} asked the tipster of {code}:\n{body}"),
    "note": N_("📝 Note by {officer} on {code}:\n{body}"),
    "reply": N_("📣 {officer} replied to the tipster of {code}:\n{body}"),
    "status": N_("📋 {officer} set {code} to: {status}"),
    "transferred": N_("🔁 {officer} transferred {code} to {commune}."),
}


async def staff_message(runtime: Runtime, tip: tips.Tip, t: Texts, payload: dict) -> str:
    _ = t.gettext
    officer = (
        await officers.get(runtime.db, payload["officer_id"]) if payload.get("officer_id") else None
    )
    body = ""
    if message_id := payload.get("message_id"):
        thread = {m.id: m for m in await tips.list_messages(runtime.db, tip.id)}
        body = thread[message_id].body if message_id in thread else ""
    commune = payload.get("commune")
    return _(STAFF_TEMPLATES[payload["template"]]).format(
        code=tip.code,
        body=escape(body),
        officer=escape((officer.name if officer else None) or _("An officer")),
        status=_(STATUS_LABELS.get(payload.get("status", ""), payload.get("status", ""))),
        commune=escape(runtime.communes.name(commune)) if commune else "",
    )


TIPSTER_TEMPLATES = {
    "ack": N_("✅ Officers have received your tip <code>{code}</code>. Thank you."),
    "question": N_(
        "❓ Officers have a question about your tip <code>{code}</code>:\n\n{body}\n\n"
        "They don't know who you are. Tap <b>Reply</b> to answer."
    ),
    "status": N_("📋 Your tip <code>{code}</code> is now: {status}"),
    "reply": N_("📣 A message from the officers about your tip <code>{code}</code>:\n\n{body}"),
    "answer_relayed": N_("Your answer was passed to the officers of tip <code>{code}</code>."),
}


async def tipster_message(
    runtime: Runtime, tip: tips.Tip, t: Texts, payload: dict
) -> tuple[str, InlineKeyboardMarkup | None]:
    _ = t.gettext
    body = ""
    if message_id := payload.get("message_id"):
        thread = {m.id: m for m in await tips.list_messages(runtime.db, tip.id)}
        body = thread[message_id].body if message_id in thread else ""
    template = payload["template"]
    text = _(TIPSTER_TEMPLATES[template]).format(
        code=tip.code,
        body=escape(body),
        status=_(STATUS_NAMES.get(payload.get("status", ""), payload.get("status", ""))),
    )
    markup = None
    if template == "question":
        markup = InlineKeyboardMarkup(
            [[InlineKeyboardButton(_("↩️ Reply"), callback_data=f"{REPLY_PREFIX}:{tip.code}")]]
        )
    return text, markup
