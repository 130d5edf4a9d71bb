"""The Bot API methods the sandbox implements, each checked the way Telegram checks it.

Every method takes the request's Params and returns the ``result`` of the answer, or raises
ApiError with Telegram's status and description. Known simplifications: a reply goes to a message
of the same chat only; files are sent by upload or file_id, never by HTTP URL (the sandbox does not
fetch URLs, so it answers as Telegram does for a URL it cannot fetch); there is no inline mode, so
``inline_message_id`` is never valid.
"""

import copy
import re
import secrets
from collections.abc import Awaitable, Callable
from typing import Any, cast

from sandbox.errors import ApiError, bad_request, forbidden, too_many_requests
from sandbox.files import MAX_DOWNLOAD, MAX_PHOTO_UPLOAD, MAX_UPLOAD, FileStore, Upload
from sandbox.formatting import CAPTION_LIMIT, TEXT_LIMIT, FormattedText, format_text
from sandbox.limits import RateLimiter
from sandbox.markup import parse_inline_keyboard, parse_reply_markup
from sandbox.params import Params
from sandbox.updates import UpdateQueue
from sandbox.users import bot_admin_rights
from sandbox.world import CallbackAnswer, Chat, Message, Settings, StoredMessage, World

Method = Callable[[Params], Awaitable[Any]]

CALLBACK_TEXT_LIMIT = 200
_COMMAND = re.compile(r"[a-z0-9_]{1,32}")
_CHAT_ACTIONS = frozenset(
    {
        "typing", "upload_photo", "record_video", "upload_video", "record_voice", "upload_voice",
        "upload_document", "choose_sticker", "find_location", "record_video_note",
        "upload_video_note",
    }
)  # fmt: skip
_MEDIA_KINDS = ("photo", "video", "document", "audio", "voice", "sticker")
# What copyMessage and forwardMessage carry over; service messages have none of it.
_CONTENT_FIELDS = (
    "text", "entities", "link_preview_options", "caption", "caption_entities",
    "show_caption_above_media", *_MEDIA_KINDS, "location", "contact",
)  # fmt: skip
_NOT_MODIFIED = (
    "message is not modified: specified new message content and reply markup are exactly the "
    "same as a current content and reply markup of the message"
)
_QUERY_TOO_OLD = "query is too old and response timeout expired or query ID is invalid"


class BotApi:
    def __init__(
        self,
        world: World,
        files: FileStore,
        updates: UpdateQueue,
        limiter: RateLimiter,
        settings: Settings,
        clock: Callable[[], float],
        me: dict[str, Any],
    ):
        self.world = world
        self.files = files
        self.updates = updates
        self.limiter = limiter
        self.settings = settings
        self.clock = clock
        self.me = me
        self.webhook: dict[str, Any] | None = None
        self.commands: dict[tuple[tuple[Any, ...], str], list[dict[str, str]]] = {}
        self.menu_buttons: dict[int | None, dict[str, Any]] = {}
        self.descriptions: dict[tuple[str, str], str] = {}
        methods: dict[str, Method] = {
            "getMe": self.get_me,
            "logOut": self.accept,
            "close": self.accept,
            "getUpdates": self.get_updates,
            "setWebhook": self.set_webhook,
            "deleteWebhook": self.delete_webhook,
            "getWebhookInfo": self.get_webhook_info,
            "setMyCommands": self.set_my_commands,
            "getMyCommands": self.get_my_commands,
            "deleteMyCommands": self.delete_my_commands,
            "setChatMenuButton": self.set_chat_menu_button,
            "getChatMenuButton": self.get_chat_menu_button,
            "setMyDescription": self.set_my_description,
            "getMyDescription": self.get_my_description,
            "setMyShortDescription": self.set_my_short_description,
            "getMyShortDescription": self.get_my_short_description,
            "sendMessage": self.send_message,
            "sendPhoto": self.send_photo,
            "sendDocument": self.send_document,
            "sendVideo": self.send_video,
            "sendVoice": self.send_voice,
            "sendAudio": self.send_audio,
            "sendLocation": self.send_location,
            "sendMediaGroup": self.send_media_group,
            "sendChatAction": self.send_chat_action,
            "copyMessage": self.copy_message,
            "forwardMessage": self.forward_message,
            "editMessageText": self.edit_message_text,
            "editMessageCaption": self.edit_message_caption,
            "editMessageReplyMarkup": self.edit_message_reply_markup,
            "deleteMessage": self.delete_message,
            "answerCallbackQuery": self.answer_callback_query,
            "getChat": self.get_chat,
            "getChatMember": self.get_chat_member,
            "getFile": self.get_file,
        }
        # Telegram's method names are case-insensitive.
        self._methods = {name.lower(): (name, method) for name, method in methods.items()}

    def lookup(self, name: str) -> tuple[str, Method | None]:
        """The canonical name and implementation of a method; (name, None) if unknown."""
        return self._methods.get(name.lower(), (name, None))

    # --- the bot itself --------------------------------------------------------------------------

    async def get_me(self, p: Params) -> dict[str, Any]:
        return {
            **self.me,
            "can_join_groups": True,
            "can_read_all_group_messages": not self.settings.privacy_mode,
            "supports_inline_queries": self.settings.inline_mode,
            "can_connect_to_business": False,
            "has_main_web_app": False,
        }

    async def accept(self, p: Params) -> bool:
        return True

    async def get_updates(self, p: Params) -> list[dict[str, Any]]:
        if self.webhook is not None:
            raise ApiError(
                409,
                "Conflict: can't use getUpdates method while webhook is active; use "
                "deleteWebhook to delete the webhook first",
            )
        allowed = p.json("allowed_updates", "allowed updates")
        if isinstance(allowed, list):
            self.updates.set_allowed(allowed)
        return await self.updates.get(
            offset=p.integer("offset", 0) or 0,
            limit=p.integer("limit", 100) or 100,
            wait=p.integer("timeout", 0) or 0,
        )

    async def set_webhook(self, p: Params) -> bool:
        url = p.text("url") or ""
        if not url:
            return await self.delete_webhook(p)
        if not url.lower().startswith("https://"):
            raise bad_request("bad webhook: An HTTPS URL must be provided for webhook")
        secret = p.text("secret_token")
        if secret is not None and not re.fullmatch(r"[A-Za-z0-9_-]{1,256}", secret):
            raise bad_request("secret token contains unallowed characters")
        allowed = p.json("allowed_updates", "allowed updates")
        if isinstance(allowed, list):
            self.updates.set_allowed(allowed)
        if p.flag("drop_pending_updates"):
            self.updates.drop_pending()
        self.webhook = {"url": url, "max_connections": p.integer("max_connections", 40)}
        return True

    async def delete_webhook(self, p: Params) -> bool:
        self.webhook = None
        if p.flag("drop_pending_updates"):
            self.updates.drop_pending()
        return True

    async def get_webhook_info(self, p: Params) -> dict[str, Any]:
        info: dict[str, Any] = {
            "url": "",
            "has_custom_certificate": False,
            "pending_update_count": self.updates.pending_count,
        }
        if self.webhook is not None:
            info.update(self.webhook)
        return info

    async def set_my_commands(self, p: Params) -> bool:
        commands = p.json("commands", "commands")
        if not isinstance(commands, list):
            raise bad_request("commands is empty")
        if len(commands) > 100:
            raise bad_request("too many commands specified")
        checked = []
        for command in commands:
            if not isinstance(command, dict):
                raise bad_request("can't parse BotCommand: an Object expected")
            name, description = command.get("command"), command.get("description")
            if not isinstance(name, str) or not _COMMAND.fullmatch(name):
                raise bad_request("BOT_COMMAND_INVALID")
            if not isinstance(description, str) or not 1 <= len(description.strip()) <= 256:
                raise bad_request("BOT_COMMAND_DESCRIPTION_INVALID")
            checked.append({"command": name, "description": description})
        self.commands[self._commands_key(p)] = checked
        return True

    async def get_my_commands(self, p: Params) -> list[dict[str, str]]:
        return copy.deepcopy(self.commands.get(self._commands_key(p), []))

    async def delete_my_commands(self, p: Params) -> bool:
        self.commands.pop(self._commands_key(p), None)
        return True

    def _commands_key(self, p: Params) -> tuple[tuple[Any, ...], str]:
        return self.scope_key(p.json("scope", "scope")), self._language(p)

    def scope_key(self, scope: Any) -> tuple[Any, ...]:
        """A BotCommandScope as a comparable key; chats named in it must exist."""
        if scope is None:
            return ("default",)
        kind = scope.get("type") if isinstance(scope, dict) else None
        if kind in ("default", "all_private_chats", "all_group_chats", "all_chat_administrators"):
            return (kind,)
        if kind in ("chat", "chat_administrators", "chat_member"):
            chat = self.world.chat(scope.get("chat_id"))
            if chat is None:
                raise bad_request("chat not found")
            _not_upgraded(chat)
            if kind == "chat_member":
                return (kind, chat.id, scope.get("user_id"))
            return (kind, chat.id)
        raise bad_request("unsupported bot command scope type specified")

    @staticmethod
    def _language(p: Params) -> str:
        code = p.text("language_code") or ""
        if code and not re.fullmatch(r"[a-z]{2}", code):
            raise bad_request("invalid language code specified")
        return code

    async def set_chat_menu_button(self, p: Params) -> bool:
        chat_id = self._read_chat(p).id if p.has("chat_id") else None
        button = p.json("menu_button", "menu button") or {"type": "default"}
        kind = button.get("type") if isinstance(button, dict) else None
        if kind not in ("default", "commands", "web_app"):
            raise bad_request("unsupported menu button type specified")
        if kind == "web_app" and not (
            button.get("text")
            and str((button.get("web_app") or {}).get("url", "")).startswith("https://")
        ):
            raise bad_request("a web_app menu button needs text and an HTTPS URL")
        self.menu_buttons[chat_id] = dict(button)
        return True

    async def get_chat_menu_button(self, p: Params) -> dict[str, Any]:
        chat_id = self._read_chat(p).id if p.has("chat_id") else None
        button = self.menu_buttons.get(chat_id) or self.menu_buttons.get(None)
        return dict(button or {"type": "default"})

    async def set_my_description(self, p: Params) -> bool:
        return self._describe(p, "description", 512)

    async def set_my_short_description(self, p: Params) -> bool:
        return self._describe(p, "short_description", 120)

    async def get_my_description(self, p: Params) -> dict[str, str]:
        return {"description": self.descriptions.get(("description", self._language(p)), "")}

    async def get_my_short_description(self, p: Params) -> dict[str, str]:
        key = ("short_description", self._language(p))
        return {"short_description": self.descriptions.get(key, "")}

    def _describe(self, p: Params, field: str, limit: int) -> bool:
        text = p.text(field) or ""
        if len(text) > limit:
            raise bad_request(f"{field} is too long")
        self.descriptions[(field, self._language(p))] = text
        return True

    # --- sending -------------------------------------------------------------------------------

    async def send_message(self, p: Params) -> Message:
        chat = self._writable_chat(p)
        content = self._text_content(p)
        preview = p.json("link_preview_options", "link preview options")
        if isinstance(preview, dict):
            content["link_preview_options"] = preview
        return self._deliver(p, chat, content)

    async def send_photo(self, p: Params) -> Message:
        return self._send_media(p, "photo")

    async def send_document(self, p: Params) -> Message:
        return self._send_media(p, "document")

    async def send_video(self, p: Params) -> Message:
        return self._send_media(p, "video")

    async def send_voice(self, p: Params) -> Message:
        return self._send_media(p, "voice")

    async def send_audio(self, p: Params) -> Message:
        return self._send_media(p, "audio")

    def _send_media(self, p: Params, kind: str) -> Message:
        chat = self._writable_chat(p)
        source = p.file(kind)
        if source is None:
            raise bad_request(f"there is no {kind} in the request")
        content = {
            **self._caption_content(
                p.text("caption"),
                p.text("parse_mode"),
                p.json("caption_entities", "caption entities"),
            ),
            **self._media_content(kind, source, p),
        }
        if p.flag("show_caption_above_media"):
            content["show_caption_above_media"] = True
        return self._deliver(p, chat, content)

    async def send_location(self, p: Params) -> Message:
        chat = self._writable_chat(p)
        latitude, longitude = p.number("latitude"), p.number("longitude")
        if not (-90 <= latitude <= 90 and -180 <= longitude <= 180):
            raise bad_request("wrong latitude or longitude specified")
        return self._deliver(p, chat, {"location": {"latitude": latitude, "longitude": longitude}})

    async def send_media_group(self, p: Params) -> list[Message]:
        chat = self._writable_chat(p)
        items = p.json("media", "media")
        if not isinstance(items, list) or not 2 <= len(items) <= 10:
            raise bad_request("an album must have 2-10 media")
        kinds = [item.get("type") if isinstance(item, dict) else None for item in items]
        if not all(kind in ("photo", "video", "document", "audio") for kind in kinds):
            raise bad_request("can't parse InputMedia JSON object")
        for alone in ("document", "audio"):
            if alone in kinds and set(kinds) != {alone}:
                raise bad_request(f"{alone} can't be mixed with other media types")
        contents = []
        for item, kind in zip(items, kinds, strict=True):
            source = item.get("media")
            if not isinstance(source, str) or not source:
                raise bad_request("there is no media in the request")
            caption = self._caption_content(
                item.get("caption"), item.get("parse_mode"), item.get("caption_entities")
            )
            media = self._media_content(cast(str, kind), p.attached(source), p)  # checked above
            contents.append({**caption, **media})
        reply_to = self._reply_target(p, chat)
        self._check_send_rate(chat, len(contents))
        group_id = str(secrets.randbits(62))
        return [
            self._post(p, chat, {**content, "media_group_id": group_id}, reply_to, None)
            for content in contents
        ]

    async def send_chat_action(self, p: Params) -> bool:
        self._writable_chat(p)
        if p.text("action") not in _CHAT_ACTIONS:
            raise bad_request("wrong parameter action in request")
        return True

    async def copy_message(self, p: Params) -> dict[str, int]:
        chat = self._writable_chat(p)
        source = self._source_message(p, "message to copy not found")
        content = {k: v for k, v in source.message.items() if k in _CONTENT_FIELDS}
        if "caption" in p.values and "text" not in content:
            content.pop("caption", None)
            content.pop("caption_entities", None)
            content.update(
                self._caption_content(
                    p.text("caption"),
                    p.text("parse_mode"),
                    p.json("caption_entities", "caption entities"),
                )
            )
        return {"message_id": self._deliver(p, chat, content)["message_id"]}

    async def forward_message(self, p: Params) -> Message:
        chat = self._writable_chat(p)
        source = self._source_message(p, "message to forward not found")
        original = source.message
        content = {k: v for k, v in original.items() if k in _CONTENT_FIELDS}
        content["forward_origin"] = original.get("forward_origin") or _origin(original)
        return self._deliver(p, chat, content, markup_allowed=False)

    def _source_message(self, p: Params, not_found: str) -> StoredMessage:
        source_chat = self._read_chat(p, "from_chat_id")
        source = source_chat.visible(p.required_integer("message_id"))
        if source is None:
            raise bad_request(not_found)
        if source.message.get("has_protected_content"):
            raise bad_request("message has protected content and can't be forwarded")
        if not any(k in source.message for k in _CONTENT_FIELDS):
            raise bad_request("message can't be copied")
        return source

    def _deliver(
        self, p: Params, chat: Chat, content: Message, *, markup_allowed: bool = True
    ) -> Message:
        """The common end of every send: markup, reply, flood limit, then the message."""
        markup = (
            parse_reply_markup(p.json("reply_markup", "reply keyboard markup"))
            if markup_allowed
            else None
        )
        reply_to = self._reply_target(p, chat)
        self._check_send_rate(chat, 1)
        message = self._post(p, chat, content, reply_to, markup)
        if markup and "keyboard" in markup:
            self.world.set_reply_keyboard(chat, markup)
        elif markup and "remove_keyboard" in markup:
            self.world.set_reply_keyboard(chat, None)
        return message

    def _post(
        self,
        p: Params,
        chat: Chat,
        content: Message,
        reply_to: StoredMessage | None,
        markup: dict[str, Any] | None,
    ) -> Message:
        if p.flag("protect_content"):
            content = {**content, "has_protected_content": True}
        stored = self.world.post(
            chat,
            content,
            reply_to=reply_to,
            inline_markup=markup if markup and "inline_keyboard" in markup else None,
            disable_notification=p.flag("disable_notification"),
        )
        return copy.deepcopy(stored.message)

    def _reply_target(self, p: Params, chat: Chat) -> StoredMessage | None:
        parameters = p.json("reply_parameters", "reply parameters")
        if isinstance(parameters, dict):
            message_id = parameters.get("message_id")
            allow_without = parameters.get("allow_sending_without_reply") is True
            if parameters.get("chat_id") not in (None, chat.id):
                message_id = None  # replies to other chats are not simulated
        elif p.has("reply_to_message_id"):
            message_id = p.integer("reply_to_message_id")
            allow_without = p.flag("allow_sending_without_reply")
        else:
            return None
        target = chat.visible(message_id)
        if target is None and not allow_without:
            raise bad_request("message to be replied not found")
        return target

    def _check_send_rate(self, chat: Chat, count: int) -> None:
        if self.settings.rate_limits:
            retry_after = self.limiter.check_send(chat.id, chat.is_private, count)
            if retry_after:
                raise too_many_requests(retry_after)

    def _text_content(self, p: Params) -> Message:
        formatted = format_text(
            p.text("text") or "", p.text("parse_mode"), p.json("entities", "entities")
        )
        if not formatted.text:
            raise bad_request("message text is empty")
        if formatted.length > TEXT_LIMIT:
            raise bad_request("message is too long")
        return _with_entities({"text": formatted.text}, "entities", formatted)

    def _caption_content(
        self, caption: str | None, parse_mode: str | None, entities: Any
    ) -> Message:
        if not caption:
            return {}
        formatted = format_text(caption, parse_mode, entities)
        if formatted.length > CAPTION_LIMIT:
            raise bad_request("message caption is too long")
        if not formatted.text:
            return {}
        return _with_entities({"caption": formatted.text}, "caption_entities", formatted)

    def _media_content(self, kind: str, source: Upload | str, p: Params) -> Message:
        """The message field for a file: stored from an upload, or looked up by file_id."""
        if isinstance(source, str):
            stored = self.files.resolve(source, kind)
            if kind == "photo":
                return {"photo": [s.to_dict() for s in self.files.photo_set(stored.file_id)]}
            return {kind: stored.to_dict()}
        limit = MAX_PHOTO_UPLOAD if kind == "photo" else MAX_UPLOAD
        if len(source.data) > limit:
            raise bad_request("file is too big")
        if kind == "photo":
            return {"photo": [s.to_dict() for s in self.files.add_photo(source.data)]}
        attributes: dict[str, Any] = {}
        if kind in ("video", "voice", "audio"):
            attributes["duration"] = p.integer("duration", 1)
        if kind == "video":
            attributes["width"] = p.integer("width", 640)
            attributes["height"] = p.integer("height", 360)
        if kind == "audio":  # Telegram reads them from the file's tags when they are not given
            attributes["performer"] = p.text("performer") or _id3_text(source.data, b"TPE1")
            attributes["title"] = p.text("title") or _id3_text(source.data, b"TIT2")
        stored = self.files.add(kind, source.data, file_name=source.filename, **attributes)
        return {kind: stored.to_dict()}

    # --- editing and deleting ------------------------------------------------------------------

    async def edit_message_text(self, p: Params) -> Message:
        chat, stored = self._editable(p)
        if "text" not in stored.message:
            raise bad_request("there is no text in the message to edit")
        content = self._text_content(p)
        new = {
            "text": content["text"],
            "entities": content.get("entities"),
            "reply_markup": self._inline_markup(p),
        }
        return self._edit(chat, stored, new)

    async def edit_message_caption(self, p: Params) -> Message:
        chat, stored = self._editable(p)
        if not any(kind in stored.message for kind in _MEDIA_KINDS):
            raise bad_request("there is no caption in the message to edit")
        caption = self._caption_content(
            p.text("caption"), p.text("parse_mode"), p.json("caption_entities", "caption entities")
        )
        new = {
            "caption": caption.get("caption"),
            "caption_entities": caption.get("caption_entities"),
            "reply_markup": self._inline_markup(p),
        }
        return self._edit(chat, stored, new)

    async def edit_message_reply_markup(self, p: Params) -> Message:
        chat, stored = self._editable(p)
        return self._edit(chat, stored, {"reply_markup": self._inline_markup(p)})

    def _editable(self, p: Params) -> tuple[Chat, StoredMessage]:
        if p.has("inline_message_id"):
            raise bad_request("MESSAGE_ID_INVALID")
        chat = self._writable_chat(p)
        stored = chat.visible(p.required_integer("message_id"))
        if stored is None:
            raise bad_request("message to edit not found")
        if not stored.from_bot:
            raise bad_request("message can't be edited")
        return chat, stored

    def _inline_markup(self, p: Params) -> dict[str, Any] | None:
        """An edit takes only an inline keyboard; leaving it out removes the current one."""
        raw = p.json("reply_markup", "reply keyboard markup")
        if raw is None:
            return None
        if not isinstance(raw, dict) or "inline_keyboard" not in raw:
            raise bad_request("inline keyboard expected")
        markup = parse_inline_keyboard(raw)
        return markup if markup["inline_keyboard"] else None

    def _edit(self, chat: Chat, stored: StoredMessage, new: Message) -> Message:
        current = stored.message
        if all(current.get(key) == value for key, value in new.items()):
            raise bad_request(_NOT_MODIFIED)
        if self.settings.rate_limits:
            retry_after = self.limiter.check_edit(chat.id)
            if retry_after:
                raise too_many_requests(retry_after)
        self.world.edit(chat, stored, new)
        return copy.deepcopy(stored.message)

    async def delete_message(self, p: Params) -> bool:
        chat = self._writable_chat(p)
        stored = chat.visible(p.required_integer("message_id"))
        if stored is None:
            raise bad_request("message to delete not found")
        if not (stored.from_bot or chat.is_private or chat.bot_status == "administrator"):
            raise bad_request("message can't be deleted")
        self.world.delete(stored)
        return True

    async def answer_callback_query(self, p: Params) -> bool:
        query_id = p.required_text("callback_query_id")
        query = self.world.queries.get(query_id)
        if (
            query is None
            or query.answered
            or self.clock() - query.pressed_at > self.settings.callback_timeout
        ):
            raise bad_request(_QUERY_TOO_OLD)
        text = p.text("text")
        if text is not None and len(text) > CALLBACK_TEXT_LIMIT:
            raise bad_request("MESSAGE_TOO_LONG")
        query.answered = True
        self.world.callback_answers[query_id] = CallbackAnswer(
            text=text or None,
            show_alert=p.flag("show_alert"),
            url=p.text("url"),
            cache_time=p.integer("cache_time", 0) or 0,
        )
        self.world.changed()
        return True

    # --- chats and files -----------------------------------------------------------------------

    async def get_chat(self, p: Params) -> dict[str, Any]:
        chat = self._read_chat(p)
        return {
            **chat.to_dict(),
            "accent_color_id": 0,
            "max_reaction_count": 11,
            "accepted_gift_types": dict.fromkeys(
                (
                    "unlimited_gifts",
                    "limited_gifts",
                    "unique_gifts",
                    "premium_subscription",
                    "gifts_from_channels",
                ),
                False,
            ),
        }

    async def get_chat_member(self, p: Params) -> dict[str, Any]:
        chat = self._writable_chat(p)
        user_id = p.required_integer("user_id")
        if user_id == self.me["id"]:
            status = "member" if chat.is_private else chat.bot_status
            member: dict[str, Any] = {"status": status, "user": self.me}
            if status == "administrator":
                member.update(bot_admin_rights())
            return member
        user = self.world.users.get(user_id)
        if user is None:
            raise bad_request("user not found")
        if chat.is_private:
            status = "member" if user is chat.user else "left"
        elif user.id not in chat.members:
            status = "left"
        else:
            creator = next(iter(chat.members))  # the first member created the group
            status = "creator" if user.id == creator else "member"
        member = {"status": status, "user": user.to_dict()}
        if status == "creator":
            member["is_anonymous"] = False
        return member

    async def get_file(self, p: Params) -> dict[str, Any]:
        stored = self.files.get(p.required_text("file_id"))
        if stored is None:
            raise bad_request("wrong file identifier/HTTP URL specified")
        if len(stored.data) > MAX_DOWNLOAD:
            raise bad_request("file is too big")
        return {
            "file_id": stored.file_id,
            "file_unique_id": stored.file_unique_id,
            "file_size": len(stored.data),
            "file_path": stored.file_path,
        }

    def _read_chat(self, p: Params, name: str = "chat_id") -> Chat:
        """A chat the bot can see. A private chat exists for the bot once the user wrote to it;
        before that it is "chat not found", or 403 if the bot met the user in a group."""
        if not p.has(name):
            raise bad_request(f"{name} is empty")
        try:
            chat_id = p.integer(name)
        except ApiError:
            raise bad_request("chat not found") from None
        chat = self.world.chat(chat_id) if chat_id is not None else None
        if chat is None:
            raise bad_request("chat not found")
        _not_upgraded(chat)
        if chat.is_private and not chat.started:
            if chat.user is not None and chat.user.seen_by_bot:
                raise forbidden("bot can't initiate conversation with a user")
            raise bad_request("chat not found")
        return chat

    def _writable_chat(self, p: Params) -> Chat:
        chat = self._read_chat(p)
        if chat.blocked:
            raise forbidden("bot was blocked by the user")
        if chat.bot_status == "kicked":
            raise forbidden("bot was kicked from the group chat")
        return chat


def _not_upgraded(chat: Chat) -> None:
    """A group upgraded to a supergroup answers every call with the supergroup's id, which
    PTB raises as ChatMigrated."""
    if chat.migrated_to is not None:
        raise ApiError(
            400,
            "Bad Request: group chat was upgraded to a supergroup chat",
            {"migrate_to_chat_id": chat.migrated_to},
        )


def _origin(original: Message) -> dict[str, Any]:
    """Who a forward names as the original sender: the user, or the channel of a post."""
    if "sender_chat" in original:
        chat = original["sender_chat"]
        return {
            "type": "channel",
            "date": original["date"],
            "chat": chat,
            "message_id": original["message_id"],
        }
    return {"type": "user", "date": original["date"], "sender_user": original["from"]}


def _with_entities(content: Message, field: str, formatted: FormattedText) -> Message:
    if formatted.entities:
        content[field] = formatted.entities
    return content


def _id3_text(data: bytes, frame: bytes) -> str | None:
    """A text frame of an ID3v2.3 tag at the start of an MP3 (enough for the tests' files)."""
    if not data.startswith(b"ID3"):
        return None
    at = data.find(frame, 10)
    if at < 0:
        return None
    size = int.from_bytes(data[at + 4 : at + 8], "big")
    body = data[at + 10 : at + 10 + size]
    return body[1:].decode("latin-1") or None
