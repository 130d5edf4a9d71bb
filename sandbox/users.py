"""What the simulated people do: write, send media, edit, tap buttons, block the bot, make groups.

Each action changes the world as a Telegram client would and queues the update the bot would get.
Misuse that no real client allows (writing in a group one is not in, pressing a button that is not
there, writing to a bot one blocked) raises at once, in the test, instead of producing an update
Telegram could never send.
"""

import copy
import secrets
import time
from collections.abc import Callable
from typing import Any

from sandbox.files import FileStore, sample_png
from sandbox.formatting import CAPTION_LIMIT, TEXT_LIMIT, plain, utf16_len
from sandbox.markup import inline_buttons
from sandbox.updates import UpdateQueue
from sandbox.world import CallbackQuery, Chat, Message, Settings, StoredMessage, User, World

DEFAULT_LOCATION = (11.9404, 108.4583)  # Đà Lạt, Lâm Đồng
# Who Telegram names as the sender of what a group says as itself (the upgrade's message in the
# new supergroup, an anonymous admin's posts).
GROUP_ANONYMOUS_BOT = {
    "id": 1087968824,
    "is_bot": True,
    "first_name": "Group",
    "username": "GroupAnonymousBot",
}


class UserActions:
    def __init__(
        self,
        world: World,
        updates: UpdateQueue,
        files: FileStore,
        settings: Settings,
        clock: Callable[[], float],
    ):
        self.world = world
        self.updates = updates
        self.files = files
        self.settings = settings
        self.clock = clock

    # --- people and groups -------------------------------------------------------------------

    def add_group(
        self, title: str, members: list[User], bot_status: str, username: str | None = None
    ) -> Chat:
        """A group its first member created and added the bot to, as Telegram reports it."""
        if not members:
            raise ValueError("a group needs at least one member, who adds the bot")
        if bot_status not in ("member", "administrator"):
            raise ValueError("bot_status is 'member' or 'administrator'")
        chat = self.world.add_group(title, members, bot_status, username)
        creator = members[0]
        self._service(chat, creator, {"new_chat_members": [self.world.bot_user]})
        self._bot_status_changed(chat, creator, "left", bot_status)
        return chat

    def add_member(self, chat: Chat, user: User) -> None:
        chat.members[user.id] = user
        self._service(chat, user, {"new_chat_members": [user.to_dict()]})

    def remove_bot(self, chat: Chat, by: User) -> None:
        """A member removes the bot: from now on sending there is 403."""
        old = chat.bot_status
        self._service(chat, by, {"left_chat_member": self.world.bot_user})
        chat.bot_status = "kicked"
        self._bot_status_changed(chat, by, old, "kicked")

    def upgrade_group(
        self, group: Chat, by: User, username: str | None, *, tell_bot: bool = True
    ) -> Chat:
        """An admin turns the group into a supergroup (Telegram does it when the history is made
        visible to new members, the group made public, 200 members reached…). Telegram posts a
        service message in each chat: in the old group from that admin, naming the new id; then
        in the supergroup from the "Group" anonymous bot on behalf of the supergroup itself,
        naming the old id. Without ``tell_bot`` they are posted but the bot gets them only from
        ``tell_bot_of_upgrade`` (late, or never)."""
        if group.type != "group" or group.migrated_to is not None:
            raise ValueError(f"{group.title!r} is no basic group: only those are upgraded")
        if by.id not in group.members:
            raise ValueError(f"{by.first_name} is not a member of {group.title!r}")
        supergroup = self.world.upgrade_group(group, username)
        self.world.post(group, {"migrate_to_chat_id": supergroup.id}, sender=by.to_dict())
        self.world.post(
            supergroup,
            {"sender_chat": supergroup.to_dict(), "migrate_from_chat_id": group.id},
            sender=GROUP_ANONYMOUS_BOT,
        )
        if tell_bot:
            self.tell_bot_of_upgrade(group)
        return supergroup

    def tell_bot_of_upgrade(self, group: Chat) -> None:
        """The bot gets the two service messages of the group's upgrade, in Telegram's order."""
        if group.migrated_to is None:
            raise ValueError(f"{group.title!r} was not upgraded")
        supergroup = self.world.chats[group.migrated_to]
        for chat, field in ((group, "migrate_to_chat_id"), (supergroup, "migrate_from_chat_id")):
            if chat.bot_status == "kicked":
                continue
            for stored in chat.messages.values():
                if field in stored.message:
                    self.updates.push("message", stored.message)

    def add_channel(self, title: str, owner: User) -> Chat:
        chat = self.world.add_channel(title, owner)
        self._bot_status_changed(chat, owner, "left", "administrator")
        return chat

    def post_in_channel(self, user: User, channel: Chat, text: str) -> Message:
        """A post by one of the channel's admins: it comes from the channel, with no sender."""
        self._channel_admin(user, channel)
        stored = self.world.post(channel, self._text(text), channel_post=True)
        if channel.bot_status != "kicked":
            self.updates.push("channel_post", stored.message)
        return copy.deepcopy(stored.message)

    def edit_channel_post(
        self, user: User, channel: Chat, message_id: int, new_text: str
    ) -> Message:
        self._channel_admin(user, channel)
        stored = channel.visible(message_id)
        if stored is None or stored.from_bot or "text" not in stored.message:
            raise LookupError(f"no text post {message_id} in channel {channel.id}")
        formatted = self._text(new_text)
        self.world.edit(
            channel, stored, {"text": formatted["text"], "entities": formatted.get("entities")}
        )
        if channel.bot_status != "kicked":
            self.updates.push("edited_channel_post", stored.message)
        return copy.deepcopy(stored.message)

    def inline_query(self, user: User, query: str) -> str:
        """The user types "@bot query" in any chat; returns the inline query id. Telegram sends
        these only to bots whose inline mode is on (``Settings.inline_mode``)."""
        if not self.settings.inline_mode:
            raise ValueError("the bot has no inline mode; set sb.inline_mode = True first")
        query_id = str(secrets.randbits(63))
        user.seen_by_bot = True
        self.updates.push(
            "inline_query",
            {"id": query_id, "from": user.to_dict(), "query": query, "offset": ""},
        )
        return query_id

    def react(self, user: User, chat: Chat, message_id: int, emoji: str) -> None:
        """The user puts a reaction on a message (in a group, Telegram tells only admin bots)."""
        stored = chat.visible(message_id)
        if stored is None:
            raise LookupError(f"no message {message_id} in chat {chat.id}")
        if not chat.is_private and chat.bot_status != "administrator":
            return
        self.updates.push(
            "message_reaction",
            {
                "chat": chat.to_dict(),
                "message_id": message_id,
                "user": user.to_dict(),
                "date": int(time.time()),
                "old_reaction": [],
                "new_reaction": [{"type": "emoji", "emoji": emoji}],
            },
        )

    def block(self, user: User, *, tell_bot: bool = True) -> None:
        chat = self.world.chats[user.id]
        if not chat.blocked:
            chat.blocked = True
            if tell_bot:
                self._bot_status_changed(chat, user, "member", "kicked")

    def unblock(self, user: User) -> None:
        chat = self.world.chats[user.id]
        if chat.blocked:
            chat.blocked = False
            self._bot_status_changed(chat, user, "kicked", "member")

    # --- messages ----------------------------------------------------------------------------

    def send_text(
        self, user: User, text: str, chat: Chat | None, reply_to: int | None = None
    ) -> Message:
        """Text as a client sends it: over 4096 characters it becomes several messages (the
        last one is returned); a text equal to a one-time keyboard button hides that keyboard."""
        if not text.strip():
            raise ValueError("Telegram clients do not send empty messages")
        target = self._chat(user, chat)
        self._press_reply_keyboard(target, text)
        sent = [self._say(user, target, self._text(part), reply_to) for part in _split(text)]
        return sent[-1]

    def send_photo(
        self,
        user: User,
        image_bytes: bytes | None,
        caption: str | None,
        chat: Chat | None,
        reply_to: int | None = None,
    ) -> Message:
        target = self._chat(user, chat)
        sizes = self.files.add_photo(image_bytes or sample_png())
        content = {"photo": [size.to_dict() for size in sizes], **self._caption(caption)}
        return self._say(user, target, content, reply_to)

    def send_document(
        self,
        user: User,
        data: bytes,
        filename: str,
        caption: str | None,
        chat: Chat | None,
        reply_to: int | None = None,
    ) -> Message:
        target = self._chat(user, chat)
        stored = self.files.add("document", data, file_name=filename)
        content = {"document": stored.to_dict(), **self._caption(caption)}
        return self._say(user, target, content, reply_to)

    def send_audio(
        self,
        user: User,
        data: bytes,
        filename: str,
        tags: dict[str, str],
        chat: Chat | None,
        reply_to: int | None = None,
    ) -> Message:
        """A music file; `tags` (performer, title) as a client reads them from the file."""
        target = self._chat(user, chat)
        stored = self.files.add("audio", data, file_name=filename, duration=3, **tags)
        return self._say(user, target, {"audio": stored.to_dict()}, reply_to)

    def send_voice(
        self, user: User, data: bytes | None, chat: Chat | None, reply_to: int | None = None
    ) -> Message:
        target = self._chat(user, chat)
        data = data or b"OggS" + secrets.token_bytes(4000)
        stored = self.files.add("voice", data, duration=max(1, len(data) // 2000))
        return self._say(user, target, {"voice": stored.to_dict()}, reply_to)

    def send_video(
        self, user: User, data: bytes | None, chat: Chat | None, reply_to: int | None = None
    ) -> Message:
        target = self._chat(user, chat)
        data = data or b"\x00\x00\x00\x18ftypmp42" + secrets.token_bytes(8000)
        stored = self.files.add("video", data, width=640, height=360, duration=3)
        return self._say(user, target, {"video": stored.to_dict()}, reply_to)

    def send_location(self, user: User, lat: float, lon: float, chat: Chat | None) -> Message:
        content = {"location": {"latitude": lat, "longitude": lon}}
        return self._say(user, self._chat(user, chat), content)

    def send_contact(self, user: User, chat: Chat | None) -> Message:
        contact = {
            "phone_number": user.phone_number,
            "first_name": user.first_name,
            "user_id": user.id,
        }
        if user.last_name:
            contact["last_name"] = user.last_name
        return self._say(user, self._chat(user, chat), {"contact": contact})

    def send_sticker(self, user: User, chat: Chat | None) -> Message:
        target = self._chat(user, chat)
        stored = self.files.add("sticker", sample_png(512, 512), width=512, height=512)
        return self._say(user, target, {"sticker": stored.to_dict()})

    def press_keyboard(self, user: User, text: str, chat: Chat | None) -> Message:
        """Tap a button of the reply keyboard shown in the chat; request buttons share the
        user's own contact or location, as the client does."""
        target = self._chat(user, chat)
        keyboard = target.reply_keyboard or {"keyboard": []}
        button = next((b for row in keyboard["keyboard"] for b in row if b["text"] == text), None)
        if button is None:
            shown = [b["text"] for row in keyboard["keyboard"] for b in row]
            raise LookupError(f"no reply keyboard button {text!r} in chat {target.id}: {shown}")
        if button.get("request_contact"):
            self._press_reply_keyboard(target, text)
            return self.send_contact(user, target)
        if button.get("request_location"):
            self._press_reply_keyboard(target, text)
            return self.send_location(user, *DEFAULT_LOCATION, target)
        return self.send_text(user, text, target)

    def edit_text(self, user: User, message_id: int, new_text: str, chat: Chat | None) -> Message:
        target = self._chat(user, chat)
        stored = target.visible(message_id)
        if stored is None or stored.from_bot or stored.message["from"]["id"] != user.id:
            raise LookupError(f"{user.first_name} has no message {message_id} in chat {target.id}")
        if "text" not in stored.message:
            raise ValueError("only text messages are edited with edit_text")
        formatted = self._text(new_text)
        self.world.edit(
            target, stored, {"text": formatted["text"], "entities": formatted.get("entities")}
        )
        if self._reaches_bot(target, stored):
            self.updates.push("edited_message", stored.message)
        return copy.deepcopy(stored.message)

    # --- inline buttons ------------------------------------------------------------------------

    def press_button(self, user: User, text: str, chat: Chat | None) -> str:
        """Tap the callback button labelled ``text`` on the newest bot message that has one."""
        target = self._chat(user, chat)
        shown: list[str] = []
        for stored in reversed(list(target.messages.values())):
            if stored.deleted or not stored.from_bot:
                continue
            for button in inline_buttons(stored.message.get("reply_markup")):
                shown.append(button["text"])
                if button["text"] != text:
                    continue
                if "callback_data" not in button:
                    raise ValueError(f"button {text!r} is not a callback button: {button}")
                return self.press_callback(user, stored.message_id, button["callback_data"], target)
        raise LookupError(
            f"no inline button {text!r} in chat {target.id}; buttons shown, newest first: "
            f"{shown}; history:\n" + self.world.describe_history(target.id)
        )

    def press_callback(self, user: User, message_id: int, data: str, chat: Chat | None) -> str:
        """A callback query with any data, even data no button carries (a forged client)."""
        target = self._chat(user, chat)
        stored = target.visible(message_id)
        if stored is None:
            raise LookupError(f"no message {message_id} in chat {target.id}")
        query_id = str(secrets.randbits(63))
        self.world.queries[query_id] = CallbackQuery(
            query_id, target.id, stored.message_id, data, pressed_at=self.clock()
        )
        user.seen_by_bot = True
        self.updates.push(
            "callback_query",
            {
                "id": query_id,
                "from": user.to_dict(),
                "message": stored.message,
                "chat_instance": str(abs(hash((self.world.bot_user["id"], target.id)))),
                "data": data,
            },
        )
        return query_id

    # --- internals -----------------------------------------------------------------------------

    def _chat(self, user: User, chat: Chat | None) -> Chat:
        target = chat or self.world.chats[user.id]
        if target.type == "channel":
            raise ValueError(f"{target.title!r} is a channel: use post_in_channel")
        if target.migrated_to is not None:
            raise ValueError(f"{target.title!r} was upgraded: write in chat {target.migrated_to}")
        if target.is_private and target.user is not user:
            raise ValueError(f"chat {target.id} is the private chat of someone else")
        if not target.is_private and user.id not in target.members:
            raise ValueError(f"{user.first_name} is not a member of {target.title!r}")
        if target.is_private and target.blocked:
            raise ValueError(f"{user.first_name} blocked the bot; call sb.unblock(user) first")
        return target

    @staticmethod
    def _channel_admin(user: User, channel: Chat) -> None:
        if channel.type != "channel":
            raise ValueError(f"chat {channel.id} is not a channel")
        if user.id not in channel.members:
            raise ValueError(f"{user.first_name} is not an admin of {channel.title!r}")

    def _say(
        self, user: User, chat: Chat, content: Message, reply_to: int | None = None
    ) -> Message:
        replied = None
        if reply_to is not None:
            replied = chat.visible(reply_to)
            if replied is None:
                raise LookupError(f"no message {reply_to} to reply to in chat {chat.id}")
        if chat.is_private:
            chat.started = True
        stored = self.world.post(chat, content, sender=user.to_dict(), reply_to=replied)
        if self._reaches_bot(chat, stored):
            user.seen_by_bot = True
            self.updates.push("message", stored.message)
        return copy.deepcopy(stored.message)

    def _service(self, chat: Chat, user: User, content: Message) -> None:
        """A service message ("X added Y"): bots get these whatever their privacy mode."""
        stored = self.world.post(chat, content, sender=user.to_dict())
        if chat.bot_status != "kicked":
            user.seen_by_bot = True
            self.updates.push("message", stored.message)

    def _bot_status_changed(self, chat: Chat, by: User, old: str, new: str) -> None:
        def member(status: str) -> dict[str, Any]:
            described: dict[str, Any] = {"status": status, "user": self.world.bot_user}
            if status == "kicked":
                described["until_date"] = 0
            if status == "administrator":
                described.update(bot_admin_rights())
            return described

        self.world.changed()
        self.updates.push(
            "my_chat_member",
            {
                "chat": chat.to_dict(),
                "from": by.to_dict(),
                "date": int(time.time()),
                "old_chat_member": member(old),
                "new_chat_member": member(new),
            },
        )

    def _reaches_bot(self, chat: Chat, stored: StoredMessage) -> bool:
        """Whether Telegram delivers a group message to the bot (privacy mode rules)."""
        if chat.is_private:
            return True
        if chat.bot_status == "kicked":
            return False
        if chat.bot_status == "administrator" or not self.settings.privacy_mode:
            return True
        message = stored.message
        replied = message.get("reply_to_message")
        if replied and replied["from"]["id"] == self.world.bot_user["id"]:
            return True
        text = message.get("text", "")
        username = self.world.bot_user["username"].lower()
        for entity in message.get("entities", []):
            if entity["type"] == "bot_command":
                command = text[entity["offset"] : entity["offset"] + entity["length"]]
                addressee = command.partition("@")[2].lower()
                if addressee in ("", username):
                    return True
        return False

    def _press_reply_keyboard(self, chat: Chat, text: str) -> None:
        keyboard = chat.reply_keyboard
        if (
            keyboard
            and keyboard.get("one_time_keyboard")
            and any(b["text"] == text for row in keyboard["keyboard"] for b in row)
        ):
            self.world.set_reply_keyboard(chat, None)

    @staticmethod
    def _text(text: str) -> Message:
        formatted = plain(text)
        content: Message = {"text": formatted.text}
        if formatted.entities:
            content["entities"] = formatted.entities
        return content

    @staticmethod
    def _caption(caption: str | None) -> Message:
        if not caption:
            return {}
        if utf16_len(caption) > CAPTION_LIMIT:
            raise ValueError(f"a caption is at most {CAPTION_LIMIT} characters")
        formatted = plain(caption)
        content: Message = {"caption": formatted.text}
        if formatted.entities:
            content["caption_entities"] = formatted.entities
        return content


def _split(text: str) -> list[str]:
    """Pieces of at most TEXT_LIMIT UTF-16 code units, as a client splits a long text."""
    parts: list[str] = []
    current: list[str] = []
    units = 0
    for char in text:
        size = utf16_len(char)
        if units + size > TEXT_LIMIT:
            parts.append("".join(current))
            current, units = [], 0
        current.append(char)
        units += size
    parts.append("".join(current))
    return parts


def bot_admin_rights() -> dict[str, Any]:
    """The rights of a bot made administrator of a group (ChatMemberAdministrator fields)."""
    rights = dict.fromkeys(
        (
            "can_manage_chat", "can_delete_messages", "can_manage_video_chats",
            "can_restrict_members", "can_change_info", "can_invite_users",
            "can_post_stories", "can_edit_stories", "can_delete_stories", "can_pin_messages",
        ),
        True,
    )  # fmt: skip
    return {**rights, "can_be_edited": False, "is_anonymous": False, "can_promote_members": False}
