"""Every button the bot shows, declared once: its callback data, encoded and decoded only here.

Callback data is security input. It comes back from the client as the client sends it, so any
of it can be forged, replayed from an old message, or belong to another bot: `decode` accepts
only what a declared button could carry — a known prefix, the right number of fields, each of its
type (digits of bounded length, one of a fixed set of words, a short code) — and returns None for
anything else. Handlers register with `pattern(Kind)`, so a handler only ever runs with data that
decoded to its kind, and read the fields with `received(update, Kind)`.

The wire strings are short (Telegram allows 64 bytes) and are the ones the bot has always sent:
buttons on messages already in the chats keep working. The names in the code say what they do.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import MISSING, dataclass, fields
from enum import StrEnum
from typing import Annotated, Any, ClassVar, cast, get_args, get_origin, get_type_hints

from telegram import Update

from bot.bulletin_library import TOPICS
from bot.i18n import LANGUAGES

MAX_BYTES = 64  # Telegram's limit for callback_data
SEPARATOR = ":"


# Field types ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Below:
    """An int field's bound (exclusive): a topic index, a topic mask."""

    limit: int


@dataclass(frozen=True)
class OneOf:
    """A str field that is one of these words."""

    words: frozenset[str]


@dataclass(frozen=True)
class Word:
    """A str field matching this pattern (whole)."""

    pattern: str


INT_DIGITS = 16  # a Telegram id (up to 2^53), a unix time; no sign, no space, no leading zero


def _parser(hint: Any) -> Callable[[str], Any]:
    """How one field is read from the wire; raises ValueError for anything else."""
    constraint = None
    if get_origin(hint) is Annotated:
        hint, constraint = get_args(hint)[0], get_args(hint)[1]
    if hint is int:
        limit = constraint.limit if isinstance(constraint, Below) else None

        def read_int(text: str) -> int:
            canonical = text == "0" or not text.startswith("0")  # one spelling per number
            if not (1 <= len(text) <= INT_DIGITS and text.isdigit() and canonical):
                raise ValueError(text)
            value = int(text)
            if limit is not None and value >= limit:
                raise ValueError(text)
            return value

        return read_int
    if isinstance(hint, type) and issubclass(hint, StrEnum):
        return hint  # StrEnum(value) raises ValueError for a value it does not have
    if hint is str and isinstance(constraint, OneOf):
        words = constraint.words

        def read_word(text: str) -> str:
            if text not in words:
                raise ValueError(text)
            return text

        return read_word
    if hint is str and isinstance(constraint, Word):
        compiled = re.compile(constraint.pattern)

        def read_matching(text: str) -> str:
            if not compiled.fullmatch(text):
                raise ValueError(text)
            return text

        return read_matching
    raise TypeError(f"no wire type for {hint!r}")


# Declaring callbacks ---------------------------------------------------------------------------


class Callback:
    """One kind of button: a frozen dataclass whose fields travel, in order, after its WIRE
    prefix, separated by ":". The last field takes the rest of the data (it may hold a ":").
    Trailing fields with a default may be left out, and are when they have it."""

    WIRE: ClassVar[str]
    _readers: ClassVar[tuple[tuple[str, Callable[[str], Any]], ...]]
    _required: ClassVar[int]


_BY_WIRE: dict[str, type[Callback]] = {}


def declare[C: Callback](wire: str) -> Callable[[type[C]], type[C]]:
    def register(kind: type[C]) -> type[C]:
        if wire in _BY_WIRE:
            raise ValueError(f"two callbacks with the wire prefix {wire!r}")
        hints = get_type_hints(kind, include_extras=True)
        kind.WIRE = wire
        fields_in_order = fields(cast(Any, kind))
        kind._readers = tuple((f.name, _parser(hints[f.name])) for f in fields_in_order)
        kind._required = sum(1 for f in fields_in_order if f.default is MISSING)
        _BY_WIRE[wire] = kind
        return kind

    return register


def declared() -> list[type[Callback]]:
    return list(_BY_WIRE.values())


def encode(callback: Callback) -> str:
    """The data for a button. Refuses (ValueError) what would not decode back to the same."""
    values = [getattr(callback, f.name) for f in fields(cast(Any, callback))]
    defaults = [f.default for f in fields(cast(Any, callback))]
    while len(values) > callback._required and values[-1] == defaults[len(values) - 1]:
        values.pop()
    data = SEPARATOR.join([callback.WIRE, *(str(v) for v in values)])
    if decode(data) != callback:
        raise ValueError(f"{callback!r} does not survive the wire")
    return data


def decode(data: object) -> Callback | None:
    """The declared callback this data is, or None for anything malformed or foreign."""
    if not isinstance(data, str) or not data.isascii() or len(data) > MAX_BYTES:
        return None
    # The most specific prefix decides ("t:cancel:yes" is the discard question, not a step).
    wire, kind = "", None
    for candidate, declared_kind in _BY_WIRE.items():
        fits = data == candidate or data.startswith(candidate + SEPARATOR)
        if fits and len(candidate) > len(wire):
            wire, kind = candidate, declared_kind
    if kind is None:
        return None
    readers = kind._readers
    parts = [] if data == wire else data[len(wire) + 1 :].split(SEPARATOR, len(readers) - 1)
    if not kind._required <= len(parts) <= len(readers):
        return None
    try:
        # Not strict: the trailing fields left out keep their defaults.
        values = {name: read(part) for (name, read), part in zip(readers, parts)}  # noqa: B905
    except ValueError:
        return None
    last = len(parts) - 1
    if last >= kind._required and values[readers[last][0]] == fields(cast(Any, kind))[last].default:
        return None  # a default is left out, never spelled: one spelling per button
    return kind(**values)


def pattern(*kinds: type[Callback], **fixed: Any) -> Callable[[object], bool]:
    """A CallbackQueryHandler pattern: data that decodes to one of `kinds` (with these field
    values)."""

    def matches(data: object) -> bool:
        callback = decode(data)
        return isinstance(callback, kinds) and all(
            getattr(callback, name) == value for name, value in fixed.items()
        )

    return matches


def received[C: Callback](update: Update, kind: type[C]) -> C:
    """The callback a handler registered with `pattern(kind)` was called for."""
    callback = tapped_as(update, kind)
    if callback is None:
        raise LookupError(f"the handler of {kind.__name__} got other data")
    return callback


def tapped_as[C: Callback](update: Update, kind: type[C]) -> C | None:
    """The button of this update if it is one of `kind` (for a handler registered for several)."""
    callback = decode(update.callback_query.data if update.callback_query else None)
    return callback if isinstance(callback, kind) else None


# The buttons -----------------------------------------------------------------------------------

Language = Annotated[str, OneOf(frozenset(LANGUAGES))]
TopicIndex = Annotated[int, Below(len(TOPICS))]
TopicMask = Annotated[int, Below(1 << len(TOPICS))]
# A choice whose meaning depends on the question it answers; the handler checks it there.
Choice = Annotated[str, Word(r"[a-z0-9_-]{1,24}(?::[a-z_]{1,16})?")]
TipCode = Annotated[str, Word(r"[A-Za-z0-9-]{1,16}")]
BulletinTarget = Annotated[str, Word(r"[a-z0-9_-]{1,40}")]  # a topic key or a bulletin's slug
# A preset ("this_month") or first:last days ("2026-07-01:2026-07-31").
PeriodKey = Annotated[str, Word(r"[a-z_]{1,16}|\d{4}-\d{2}-\d{2}:\d{4}-\d{2}-\d{2}")]


class MenuEntry(StrEnum):
    REPORT = "report"
    STATUS = "status"
    HELP = "help"
    LANGUAGE = "language"
    CHECK = "check"
    BULLETINS = "bulletins"


@declare("menu")
@dataclass(frozen=True)
class Menu(Callback):
    entry: MenuEntry


@declare("lang")
@dataclass(frozen=True)
class ChooseLanguage(Callback):
    language: Language


@declare("ck:wd")
@dataclass(frozen=True)
class WithdrawConfirmation(Callback):
    """An officer takes back a fraud confirmation shown by /check."""

    confirmation_id: int


# A resident's tip: the answer to the current question ("t:kind:impersonation"), the discard
# question, the choice for a description that was too long.
@declare("t")
@dataclass(frozen=True)
class IntakeAnswer(Callback):
    step: Annotated[str, Word(r"[a-z_]{1,16}")]
    value: Choice


class Discard(StrEnum):
    YES = "yes"
    NO = "no"


@declare("t:cancel")
@dataclass(frozen=True)
class DiscardDraft(Callback):
    answer: Discard


# Officers on a tip card: the action, the tip, and for some a value (a status, a commune, an
# indicator). Every one is authorised again on the server (bot/authz.py).
class TipAction(StrEnum):
    ACKNOWLEDGE = "ack"
    ASK_TIPSTER = "ask"
    ADD_NOTE = "note"
    STATUS_MENU = "status"
    BACK_TO_CARD = "back"
    SET_STATUS = "set"
    WRITE_REPLY = "reply"
    NO_REPLY = "noreply"
    TRANSFER_MENU = "transfer"
    TRANSFER_TO = "to"
    SHOW = "show"
    CONFIRM_INDICATOR = "cf"
    CONFIRMATIONS_DONE = "cfdone"


@declare("o")
@dataclass(frozen=True)
class OnTip(Callback):
    action: TipAction
    tip_id: int
    value: Annotated[str, Word(r"[a-z0-9_]{1,24}")] = ""


# Under a receipt: that tip's status in one tap. The button holds the receipt, which the
# message's own text already shows (Telegram keeps both in that chat; the bot stores neither).
Receipt = Annotated[str, Word(r"[0-9A-HJKMNP-TV-Z]{4}(?:-[0-9A-HJKMNP-TV-Z]{4}){4}")]


@declare("rs")
@dataclass(frozen=True)
class ReceiptStatus(Callback):
    receipt: Receipt


@declare("r")
@dataclass(frozen=True)
class TipsterReply(Callback):
    """The tipster's "Reply" under an officer's question; the code is checked against the way
    back, so a forged one reaches nothing."""

    tip_code: TipCode


@declare("onb:inv")
@dataclass(frozen=True)
class InviteCommune(Callback):
    commune_code: int


@declare("onb:link")
@dataclass(frozen=True)
class LinkCommune(Callback):
    commune_code: int


@declare("onb:of")
@dataclass(frozen=True)
class OfficersPage(Callback):
    page: int


@declare("onb:rv")
@dataclass(frozen=True)
class AskRevokeOfficer(Callback):
    officer_id: int


@declare("onb:rvy")
@dataclass(frozen=True)
class RevokeOfficer(Callback):
    officer_id: int


@declare("adm:s")
@dataclass(frozen=True)
class StatsPeriod(Callback):
    period: PeriodKey


@declare("adm:x")
@dataclass(frozen=True)
class ExportPeriod(Callback):
    period: PeriodKey


@declare("adm:u")
@dataclass(frozen=True)
class Unban(Callback):
    ban_id: int
    created_at: int  # with the id: a ban lifted and made again is another button


# Residents' bulletin topics: the screen's state (topic mask, language) travels in the buttons.
@declare("bs:open")
@dataclass(frozen=True)
class OpenTopics(Callback):
    """The topic screen as a new message."""


@declare("bs:edit")
@dataclass(frozen=True)
class EditTopics(Callback):
    """The topic screen in place of the message tapped."""


@declare("bs:stop")
@dataclass(frozen=True)
class StopBulletins(Callback):
    pass


@declare("bs:t")
@dataclass(frozen=True)
class ToggleTopic(Callback):
    mask: TopicMask
    language: Language
    topic: TopicIndex


@declare("bs:l")
@dataclass(frozen=True)
class TopicsLanguage(Callback):
    mask: TopicMask
    language: Language


@declare("bs:save")
@dataclass(frozen=True)
class SaveTopics(Callback):
    mask: TopicMask
    language: Language


# Admins' bulletins: the draft of a new one, sending, schedules, broadcasts under way.
@declare("bb:nl")
@dataclass(frozen=True)
class DraftLanguage(Callback):
    language: Language


@declare("bb:nt")
@dataclass(frozen=True)
class DraftTopic(Callback):
    topic: TopicIndex


@declare("bb:ns")
@dataclass(frozen=True)
class SaveDraft(Callback):
    pass


@declare("bb:nx")
@dataclass(frozen=True)
class DiscardDraftBulletin(Callback):
    pass


# `picker`: the picker message the confirmation came from (0 from a typed name), so that a send
# is confirmed once per picker.
@declare("bb:now")
@dataclass(frozen=True)
class SendNow(Callback):
    target: BulletinTarget
    picker: int = 0


@declare("bb:at")
@dataclass(frozen=True)
class SendAt(Callback):
    send_at: int
    target: BulletinTarget
    picker: int = 0


@declare("bb:no")
@dataclass(frozen=True)
class CancelSend(Callback):
    pass


# The picker of /sendnow and /sendat without a name: topics, one topic's bulletins, a preview.
# Each carries the moment to send (0: now).
@declare("bb:pk")
@dataclass(frozen=True)
class PickTopics(Callback):
    send_at: int


@declare("bb:pt")
@dataclass(frozen=True)
class PickTopic(Callback):
    send_at: int
    topic: TopicIndex


@declare("bb:pv")
@dataclass(frozen=True)
class PreviewBulletin(Callback):
    send_at: int
    target: BulletinTarget  # a bulletin's slug, or a topic for "its next one"


@declare("bb:sp")
@dataclass(frozen=True)
class PauseSchedule(Callback):
    schedule_id: int


@declare("bb:sr")
@dataclass(frozen=True)
class ResumeSchedule(Callback):
    schedule_id: int


@declare("bb:sd")
@dataclass(frozen=True)
class AskDeleteSchedule(Callback):
    schedule_id: int


@declare("bb:sdy")
@dataclass(frozen=True)
class DeleteSchedule(Callback):
    schedule_id: int


@declare("bb:sl")
@dataclass(frozen=True)
class ListSchedules(Callback):
    pass


@declare("bb:pc")
@dataclass(frozen=True)
class CancelPlannedSend(Callback):
    planned_id: int


@declare("bb:br")
@dataclass(frozen=True)
class ListBroadcasts(Callback):
    pass


@declare("bb:bx")
@dataclass(frozen=True)
class AskStopBroadcast(Callback):
    broadcast_id: int


@declare("bb:bxy")
@dataclass(frozen=True)
class StopBroadcast(Callback):
    broadcast_id: int
