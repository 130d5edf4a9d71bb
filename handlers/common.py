"""Small helpers every handler module shares."""

from __future__ import annotations

from collections import OrderedDict
from typing import cast

from telegram import CallbackQuery, Chat, Message, Update, User
from telegram.error import BadRequest, TelegramError

from bot.context import TipbotContext
from bot.i18n import Texts, texts
from bot.language import language_of
from bot.telegram_errors import Verdict, classify, is_stale_query

# PTB types every part of an Update as optional, because an Update carries one of many kinds of
# event. A handler's filter already decides which kind it receives (a CommandHandler gets a message
# from a user in a chat, a CallbackQueryHandler a query), so these accessors state that once
# instead of a check in every handler (as python-telegram-bot's own rules-bot does with cast).


def user_of(update: Update) -> User:
    return cast(User, update.effective_user)


def chat_of(update: Update) -> Chat:
    return cast(Chat, update.effective_chat)


def message_of(update: Update) -> Message:
    return cast(Message, update.effective_message)


def query_of(update: Update) -> CallbackQuery:
    return cast(CallbackQuery, update.callback_query)


def tapped_message(update: Update) -> Message:
    """The message whose button was tapped: the bot's own, in a chat with the bot."""
    return cast(Message, query_of(update).message)


async def user_texts(update: Update, context: TipbotContext) -> Texts:
    """The texts in the language of the user behind this update."""
    user = update.effective_user
    if user is None:
        return texts(context.runtime.config.default_language)
    return texts(await language_of(context.runtime, user.id, user.language_code))


MESSAGE_LIMIT = 4096


def utf16_len(text: str) -> int:
    """Telegram counts message length in UTF-16 code units (an emoji can count two)."""
    return len(text.encode("utf-16-le")) // 2


def fit_lines(lines: list[str], more: str, limit: int = MESSAGE_LIMIT - 96) -> str:
    """As many whole lines as fit one message (never cut inside a tag or an entity), then
    `more` with {count} the lines left out."""
    kept: list[str] = []
    size = 0
    for number, line in enumerate(lines):
        size += utf16_len(line) + 1
        if size > limit:
            return "\n".join([*kept, more.format(count=len(lines) - number)])
        kept.append(line)
    return "\n".join(kept)


async def answer_callback(update: Update, text: str | None = None, **kwargs) -> None:
    """Every callback query is answered once, so the client stops its spinner. Under heavy load
    Telegram may refuse an answer given after 15 seconds; the tap itself still counts, so the
    handler goes on rather than failing on the courtesy."""
    if update.callback_query is None:
        return
    try:
        await query_of(update).answer(text, **kwargs)
    except BadRequest as error:
        if not is_stale_query(error):
            raise


async def edit_callback_message(update: Update, text: str, **kwargs) -> None:
    """Edits the message a button belongs to; a repeated tap that changes nothing is no error."""
    try:
        await query_of(update).edit_message_text(text, **kwargs)
    except BadRequest as error:
        if classify(error) is not Verdict.UNCHANGED:
            raise


async def edit_buttons(update: Update, markup) -> None:
    """Replaces the buttons of the tapped message; the same buttons again is no error."""
    try:
        await query_of(update).edit_message_reply_markup(markup)
    except BadRequest as error:
        if classify(error) is not Verdict.UNCHANGED:
            raise


async def remove_buttons(update: Update, context: TipbotContext) -> None:
    """Takes the buttons off the message a tap came from. The tap's copy of the message can be
    stale: a tap made while another tap on the same message was being handled (a double tap on a
    slow connection, Send tapped again while the receipt is retried) shows the buttons the first
    one took off. Telegram would refuse the edit as "message is not modified": the bot remembers
    the messages whose buttons it took off, as they looked, and makes no such call."""
    message = query_of(update).message
    if not isinstance(message, Message) or not message.reply_markup:
        return
    taken_off = context.bot_data.setdefault(BUTTONS_TAKEN_OFF, OrderedDict())
    key = (message.chat.id, message.message_id)
    # A hash, not the text: a tip's words are not kept in memory for this.
    buttons = message.reply_markup.to_json()
    looked = hash((message.edit_date, message.text, message.caption, buttons))
    if taken_off.get(key) == looked:
        return
    taken_off[key] = looked  # before the call: a tap handled meanwhile makes none
    taken_off.move_to_end(key)
    while len(taken_off) > BUTTONS_REMEMBERED:
        taken_off.popitem(last=False)
    try:
        await query_of(update).edit_message_reply_markup(None)
    except TelegramError as error:
        if classify(error) is not Verdict.UNCHANGED:
            taken_off.pop(key, None)  # still shown: a later tap tries again
            raise


# The messages whose buttons the bot took off (by chat and message id), newest last: in the
# application's memory only, a few thousand at most, as the stale copies are seconds old.
BUTTONS_TAKEN_OFF = "buttons_taken_off"
BUTTONS_REMEMBERED = 4096
