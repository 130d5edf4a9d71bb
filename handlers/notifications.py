"""Rendering and sending each kind of outbox row (bot/outbox_worker.py decides when and retries).

Officers get copies, never forwards: `forward_message` would show the tipster as the sender.
Everything sent to officers is `protect_content`, so it cannot be forwarded on from their chats.
A message to a tipster opens the sealed way back at the moment of sending; nothing else knows
the tipster's chat.
"""

from __future__ import annotations

import asyncio
import contextlib
from html import escape

from telegram import (
    ForceReply,
    InlineKeyboardMarkup,
    InputFile,
    ReplyParameters,
)
from telegram.error import BadRequest, TelegramError
from telegram.ext import Application

from bot import onboarding, routing, tip_facts, tipster
from bot.doors import TELEGRAM, door_of
from bot.i18n import N_, Texts, texts
from bot.language import language_of
from bot.media import NAMED_KINDS, neutral_name, strip_metadata
from bot.outbox_worker import Deliver, OutboxItem, OutboxKind, Undeliverable, addressed_chat
from bot.runtime import Runtime
from bot.telegram_errors import is_file_too_big
from bot.tip_facts import Tip
from bot.webdoor import media as web_media
from handlers import onboarding_views
from handlers.common import MESSAGE_LIMIT
from handlers.officer_views import (
    STATUS_LABELS,
    answer_keyboard,
    card_keyboard,
    escape_with_links,
    split_description,
    tip_card,
    tip_card_parts,
    tip_summary,
)
from handlers.status import STATUS_NAMES, tip_label

SENDERS = {
    "photo": "send_photo",
    "video": "send_video",
    "voice": "send_voice",
    "audio": "send_audio",
    "document": "send_document",
}
# Last resort for an answer typed without replying to the question (a client that dropped the
# ForceReply, the web door): the newest question waits this long for a plain message.
QUESTION_WAITS = 24 * 3600


class Notifier:
    def __init__(self, application: Application, runtime: Runtime) -> None:
        self.bot, self.runtime = application.bot, runtime
        # (tipster's file id, number) -> the file id of its upload (neutral name, or a web door
        # file), for the tip's other chats
        self.uploaded: dict[tuple[str, int], str] = {}
        self.uploading: dict[str, asyncio.Lock] = {}

    def deliverers(self) -> dict[str, Deliver]:
        return {
            OutboxKind.TIP: self.tip,
            OutboxKind.TIP_TEXT: self.tip_text,
            OutboxKind.TIP_MEDIA: self.tip_media,
            OutboxKind.TIP_LOCATION: self.tip_location,
            OutboxKind.REFRESH: self.refresh,
            OutboxKind.STAFF_TEXT: self.staff_text,
            OutboxKind.STAFF_ANSWER_MEDIA: self.staff_answer_media,
            OutboxKind.TIPSTER_TEXT: self.tipster_text,
        }

    # --- staff side -------------------------------------------------------------------------

    async def staff_texts(self, chat_id: int) -> Texts:
        if chat_id < 0:  # a group: the province's default language
            return texts(self.runtime.config.default_language)
        return texts(await language_of(self.runtime, chat_id, None))

    async def load_tip(self, item: OutboxItem) -> Tip:
        tip = await tip_facts.tip(self.runtime, item.payload["tip_id"])
        if tip is None:
            raise Undeliverable("the tip was deleted")
        return tip

    async def staff_tip(self, item: OutboxItem, *, covering: bool = True) -> Tip:
        """The row's tip, if its chat still covers it: checked at the moment of sending, since
        an officer may have been revoked, moved to another commune, or a group unlinked since
        the row was queued. `covering=False` for what a chat that had the tip may still get (the
        news of its transfer, its card's last state): then it must still be read by staff."""
        tip = await self.load_tip(item)
        chat_id = addressed_chat(item)
        if covering and not await routing.covers(self.runtime, chat_id, tip):
            raise Undeliverable("the chat no longer covers the tip")
        if not await routing.is_staff_chat(self.runtime, chat_id):
            raise Undeliverable("nobody entitled to the tip reads this chat any more")
        await self.still_private(chat_id)
        return tip

    async def still_private(self, chat_id: int) -> None:
        """A group gets nothing about a tip once it is public: an @username given after it was
        linked lets anyone join and read it, and Telegram sends the bot no update when that
        happens. So Telegram is asked before each message to a group (messages about tips are
        few; one getChat each costs less than a window in which a tip could leak); a group gone
        public is unlinked, its communes' open tips rerouted, and told why."""
        if chat_id >= 0:
            return
        chat = await self.bot.get_chat(chat_id)
        if onboarding.is_private_group(chat.type, chat.username):
            return
        async with self.runtime.db.transaction():
            communes = await onboarding.group_went_public(self.runtime, chat_id)
        self.runtime.wake_outbox()
        if communes:  # told once: the first message that found it public
            t = texts(self.runtime.config.default_language)
            with contextlib.suppress(TelegramError):
                await self.bot.send_message(chat_id, onboarding_views.went_public(t))
        raise Undeliverable("the group is public now")

    async def tip(self, item: OutboxItem) -> int:
        """The tip card with its buttons; then its media and location follow as replies."""
        chat_id = addressed_chat(item)
        tip, t = await self.load_tip(item), await self.staff_texts(chat_id)
        if not await routing.covers(self.runtime, chat_id, tip):
            # Its destination went (revoked, unlinked) after routing: whoever covers the tip
            # now gets it instead, the admins' queue if nobody else.
            async with self.runtime.db.transaction():
                await routing.route(self.runtime, tip)
            self.runtime.wake_outbox()
            raise Undeliverable("the chat no longer covers the tip")
        await self.still_private(chat_id)
        banner = item.payload.get("banner")
        text, rest = tip_card_parts(await tip_facts.card_facts(self.runtime, tip), t, banner)
        message = await self.bot.send_message(
            chat_id, text, reply_markup=card_keyboard(t, tip), protect_content=True
        )
        await routing.card_sent(self.runtime, tip, chat_id, message.message_id)
        if banner != "reminder":  # a reminder goes to chats that already have the files
            await routing.follow_card(self.runtime, tip, chat_id, message.message_id, chunks(rest))
        return message.message_id

    async def tip_text(self, item: OutboxItem) -> int:
        chat_id = addressed_chat(item)
        await self.staff_tip(item)
        message = await self.bot.send_message(
            chat_id,
            item.payload["text"],  # escaped when it was cut (chunks)
            protect_content=True,
            reply_parameters=_reply_to(item.payload.get("reply_to")),
        )
        return message.message_id

    async def tip_media(self, item: OutboxItem) -> int:
        chat_id = addressed_chat(item)
        tip = await self.staff_tip(item)
        payload = item.payload
        number = 1 + next(
            (n for n, a in enumerate(tip.attachments) if a.file_id == payload["file_id"]), 0
        )
        return await self.send_file(
            chat_id, payload["kind"], payload["file_id"], payload.get("reply_to"),
            number=number,
        )  # fmt: skip

    async def send_file(
        self,
        chat_id: int,
        kind: str,
        file_id: str,
        reply_to: int | None,
        caption: str = "",
        markup: InlineKeyboardMarkup | None = None,
        *,
        number: int = 1,
    ) -> int:
        """A copy of the tipster's file. A Telegram file that carries a name (document, video,
        audio) is uploaded again under a neutral name, an MP3 without its tags; a web door upload
        (cleaned when the door took it) has no Telegram file id, so it goes as an upload too. The
        upload's file id is then reused for the tip's other chats."""
        if not web_media.is_web_file(file_id):
            return await self._send_file(chat_id, kind, file_id, reply_to, caption, markup, number)
        # A web door upload: the first chat's send uploads it, the others wait for its file id.
        lock = self.uploading.setdefault(file_id, asyncio.Lock())
        async with lock:
            return await self._send_file(chat_id, kind, file_id, reply_to, caption, markup, number)

    async def _send_file(
        self,
        chat_id: int,
        kind: str,
        file_id: str,
        reply_to: int | None,
        caption: str,
        markup: InlineKeyboardMarkup | None,
        number: int,
    ) -> int:
        send = getattr(self.bot, SENDERS.get(kind, "send_document"))
        media = await self.media_for(kind, file_id, number)
        if media is None:
            t = await self.staff_texts(chat_id)
            note = t.gettext(
                "📎 File {number} is larger than the 20 MB a bot may download, so it cannot be "
                "passed on without the name the tipster's phone gave it. If you need it, ask "
                "the tipster to send a smaller file."
            ).format(number=number)
            sent_note = await self.bot.send_message(
                chat_id, note, protect_content=True, reply_parameters=_reply_to(reply_to)
            )
            return sent_note.message_id
        message = await send(
            chat_id,
            media,
            caption=caption or None,
            protect_content=True,
            reply_markup=markup,
            reply_parameters=_reply_to(reply_to),
        )
        if isinstance(media, InputFile) and (sent := message.effective_attachment):
            # Telegram now holds the upload: the tip's other chats get it by its file id.
            largest = sent[-1] if isinstance(sent, tuple) else sent
            if len(self.uploaded) > 10_000:
                self.uploaded.clear()  # a cache only: a miss means one more upload
            self.uploaded[(file_id, number)] = largest.file_id
            self.uploading.pop(file_id, None)
        return message.message_id

    async def media_for(self, kind: str, file_id: str, number: int) -> str | InputFile | None:
        """What goes to Telegram for this file: its file id, or an upload under a neutral name;
        None if it is too big for a bot to download (over 20 MB): it cannot be renamed then, so
        it is not passed on with the tipster's name."""
        if (file_id, number) in self.uploaded:
            return self.uploaded[(file_id, number)]
        if web_media.is_web_file(file_id):
            found = await web_media.uploaded(self.runtime, file_id)
            if found is None:
                raise Undeliverable("the web upload was deleted")
            return InputFile(found.data, filename=found.file_name)
        if kind not in NAMED_KINDS:
            return file_id
        try:
            file = await self.bot.get_file(file_id)
        except BadRequest as error:
            if is_file_too_big(error):
                return None
            raise
        data = strip_metadata(bytes(await file.download_as_bytearray()))
        return InputFile(data, filename=neutral_name(kind, number, file.file_path))

    async def tip_location(self, item: OutboxItem) -> int:
        chat_id = addressed_chat(item)
        tip = await self.staff_tip(item)
        if tip.location is None:
            raise Undeliverable("the tip has no location")
        latitude, longitude = tip.location
        message = await self.bot.send_location(
            chat_id,
            latitude=latitude,
            longitude=longitude,
            protect_content=True,
            reply_parameters=_reply_to(item.payload.get("reply_to")),
        )
        return message.message_id

    async def refresh(self, item: OutboxItem) -> int:
        """Shows the tip's current state on a message sent earlier (status, who acknowledged)."""
        chat_id = addressed_chat(item)
        tip = await self.staff_tip(item, covering=False)
        t = await self.staff_texts(chat_id)
        message_id = item.payload["message_id"]
        # A chat that no longer covers the tip (it was transferred away) keeps the card, but
        # without buttons: they would only be refused. A chat nobody entitled reads any more
        # (a revoked officer's) is not edited at all.
        covers = await routing.covers(self.runtime, chat_id, tip)
        await self.bot.edit_message_text(
            tip_card(await tip_facts.card_facts(self.runtime, tip), t, item.payload.get("banner")),
            chat_id=chat_id,
            message_id=message_id,
            reply_markup=card_keyboard(t, tip) if covers else None,
        )
        return message_id

    async def staff_text(self, item: OutboxItem) -> int:
        """A short message about a tip to a staff chat: an answer, a question, a note… with the
        tip's summary and its buttons, so it is acted on from there, without scrolling."""
        chat_id = addressed_chat(item)
        template = item.payload.get("template")
        # the chat that hears of a transfer no longer covers the tip: it had it
        tip = await self.staff_tip(item, covering=template != "transferred")
        t = await self.staff_texts(chat_id)
        text = await staff_message(self.runtime, tip, t, item.payload)
        markup = None
        if template != "transferred":  # the chat that hears of a transfer no longer covers it
            text += "\n" + tip_summary(await tip_facts.tip_facts(self.runtime, tip), t)
            markup = answer_keyboard(t, tip) if template == "answer" else card_keyboard(t, tip)
        message = await self.bot.send_message(
            chat_id,
            text,
            protect_content=True,
            reply_markup=markup,
            reply_parameters=_reply_to(await routing.card_in(self.runtime, chat_id, tip)),
        )
        return message.message_id

    async def staff_answer_media(self, item: OutboxItem) -> int:
        """A photo, voice note, video, audio file or document the tipster sent as an answer."""
        chat_id = addressed_chat(item)
        tip, t = await self.staff_tip(item), await self.staff_texts(chat_id)
        attachment = await tip_facts.answer_file(self.runtime, item.payload["message_id"])
        if attachment is None:
            raise Undeliverable("the answer's file was deleted")
        caption = t.gettext("💬 From the tipster of {code}").format(code=tip.code)
        return await self.send_file(
            chat_id,
            attachment.kind,
            attachment.file_id,
            await routing.card_in(self.runtime, chat_id, tip),
            caption + "\n" + tip_summary(await tip_facts.tip_facts(self.runtime, tip), t),
            answer_keyboard(t, tip),
        )

    # --- tipster side -----------------------------------------------------------------------

    async def tipster_text(self, item: OutboxItem) -> int:
        tip = await self.load_tip(item)
        way_back = await tipster.reach(self.runtime, tip)
        if way_back is None:
            raise Undeliverable("the way back was deleted, or does not open")
        t = texts(way_back.language)
        text, markup = await tipster_message(self.runtime, tip, t, item.payload)
        # The door the tipster came in by: the chat id in the sealed way back says which.
        bot = self.bot if door_of(way_back.chat_id) == TELEGRAM else None
        bot = bot or self.runtime.doors.get(door_of(way_back.chat_id))
        if bot is None:
            raise Undeliverable("the tipster's door is closed")
        message = await bot.send_message(way_back.chat_id, text, reply_markup=markup)
        if item.payload.get("template") == "question":
            await self.await_answer(tip, way_back.pseudonym, message.message_id)
        return message.message_id

    async def await_answer(self, tip: Tip, pseudonym: str, question_id: int) -> None:
        """A reply to the question names its tip by itself (nothing stored). Only for a plain
        message typed without replying, the newest question waits a day or two (to the end of the
        next whole day: the expiry does not date the question), keyed by pseudonym, the tip
        sealed to it: a copy of the database does not pair the two."""
        await tipster.expect_answer(
            self.runtime,
            tip,
            pseudonym,
            prompt=question_id,
            ttl=QUESTION_WAITS,
            round_up_to=QUESTION_WAITS,  # its expiry must not tell when the question was sent
        )


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


async def staff_message(runtime: Runtime, tip: Tip, t: Texts, payload: dict) -> str:
    _ = t.gettext
    officer_id = payload.get("officer_id")
    officer = await tip_facts.officer_name(runtime, officer_id) if officer_id else None
    message_id = payload.get("message_id")
    body = await tip_facts.thread_body(runtime, tip, message_id) if message_id else ""
    commune = payload.get("commune")
    return _(STAFF_TEMPLATES[payload["template"]]).format(
        code=tip.code,
        body=escape_with_links(body),
        officer=escape(officer or _("An officer")),
        status=_(STATUS_LABELS.get(payload.get("status", ""), payload.get("status", ""))),
        commune=escape(runtime.communes.name(commune)) if commune else "",
    )


# {tip} names the tip with its kind and date: with several tips, the resident knows which.
TIPSTER_TEMPLATES = {
    "ack": N_("✅ Officers have received your tip {tip}. Thank you."),
    "question": N_(
        "❓ Officers have a question about your tip {tip}:\n\n{body}\n\n"
        "They don't know who you are. Just type your answer and send it: it goes to them as a "
        "reply to this message."
    ),
    "status": N_("📋 Your tip {tip} is now: {status}"),
    "reply": N_("📣 A message from the officers about your tip {tip}:\n\n{body}"),
    "answer_relayed": N_("Your answer was passed to the officers of tip {tip}."),
}


async def tipster_message(
    runtime: Runtime, tip: Tip, t: Texts, payload: dict
) -> tuple[str, InlineKeyboardMarkup | ForceReply | None]:
    _ = t.gettext
    message_id = payload.get("message_id")
    body = await tip_facts.thread_body(runtime, tip, message_id) if message_id else ""
    template = payload["template"]
    text = _(TIPSTER_TEMPLATES[template]).format(
        tip=tip_label(tip, t, runtime.config.timezone),
        body=escape(body),
        status=_(STATUS_NAMES.get(payload.get("status", ""), payload.get("status", ""))),
    )
    if template == "question":
        # The app opens the answer as a reply to the question, and the reply names the tip.
        return text, ForceReply(input_field_placeholder=_("Your answer for the officers"))
    return text, None
