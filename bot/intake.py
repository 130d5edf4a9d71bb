"""The resident's tip, step by step: what each step asks, what it accepts, where it leads.

Pure logic, no Telegram and no SQL: handlers/intake.py turns updates into calls here and renders
the prompts; storage/drafts.py keeps the `Draft` (as JSON) after every step, so a resident can
continue after any crash or restart, and storage/tips.py commits the finished tip.
"""

from __future__ import annotations

import unicodedata
from dataclasses import asdict, dataclass, field
from typing import Any

from bot import categories
from bot.i18n import N_
from bot.indicators import strip_accents
from bot.normalize import normalize_text
from bot.steps import Step as Step  # re-exported: callers of the intake name steps through it

MAX_DESCRIPTION = 3000
MAX_ATTACHMENTS = 10
MAX_ANSWER = 500  # a phone list, an account, a link list: longer is not an answer but a story


# Choices shown as buttons: key -> label (translated where shown). Keys are stored and exported,
# so they never change; labels may. The categories and their kinds are in bot/categories/.
WHEN = {
    "now": N_("Happening now / someone in danger"),
    "today": N_("Earlier today"),
    "earlier": N_("Before today"),
    "unknown": N_("I don't know"),
}
CHANNELS = {
    "call": N_("Phone call"),
    "sms": N_("SMS"),
    "zalo": N_("Zalo"),
    "facebook": N_("Facebook"),
    "telegram": N_("Telegram"),
    "website": N_("Website"),
    "app": N_("App"),
}

# Every tip: the category, its own steps (bot/categories/), then these, then the review. The
# shortest tip is category, kind, commune, description, Send. Urgency comes early among a
# category's own steps (crime's "when" answers it), so "happening now" sends the resident to 113
# at once. Location and attachments are offered on the review (files are taken at any step
# anyway). The scam details are optional, skipped all at once with one tap.
_COMMON = (Step.COMMUNE, Step.DESCRIPTION)
FRAUD_DETAILS = (Step.CHANNELS, Step.PHONES, Step.ACCOUNTS, Step.LINKS, Step.LOSS)

# What "Edit" on the review re-asks: a part is a run of steps; after its last, back to review.
EDIT_PARTS: dict[str, tuple[Step, ...] | None] = {
    "category": None,  # the category's own steps: computed per draft
    "place": (Step.COMMUNE,),
    "location": (Step.LOCATION,),
    "description": (Step.DESCRIPTION,),
    "attachments": (Step.ATTACHMENTS,),
    "urgency": (Step.URGENT,),
    "contact": (Step.CONTACT,),
}


@dataclass
class Attachment:
    kind: str
    file_id: str
    file_unique_id: str


@dataclass
class Draft:
    """Everything a resident has entered so far. No name, id or phone: keyed by pseudonym."""

    step: Step = Step.CATEGORY
    category: str | None = None
    kind: str | None = None
    when: str | None = None
    channels: list[str] = field(default_factory=list)
    phones: str | None = None
    accounts: str | None = None
    links: str | None = None
    loss: str | None = None
    commune_code: int | None = None
    commune_unknown: bool = False
    commune_query: str | None = None
    latitude: float | None = None
    longitude: float | None = None
    location_skipped: bool = False
    # What the resident typed about the place where a location was asked ("nhà số 12 …").
    place_detail: str | None = None
    description: str = ""
    # Text that would have made the description too long, kept so the resident retypes nothing.
    overflow: str | None = None
    attachments: list[Attachment] = field(default_factory=list)
    urgent: bool | None = None
    # The phone number the resident chose to share with officers, sealed (bot/anonymity.py).
    contact_sealed: str | None = None
    # While editing from the review, the last step of the part being edited.
    edit_until: Step | None = None
    # "Edit description" from the review: the next text replaces the old description.
    replacing_description: bool = False
    # The last Telegram update applied to this draft. After a crash Telegram hands the bot the
    # updates it had not confirmed yet: one already applied must not be applied twice.
    last_update: int = 0

    def to_json(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Draft:
        known = {f for f in cls.__dataclass_fields__}
        values = {k: v for k, v in data.items() if k in known}
        values["step"] = Step(values.get("step", Step.CATEGORY))
        if values.get("edit_until"):
            values["edit_until"] = Step(values["edit_until"])
        values["attachments"] = [Attachment(**a) for a in values.get("attachments", [])]
        return cls(**values)

    # --- the path through the steps -------------------------------------------------------

    def _category(self) -> categories.Category | None:
        return categories.get(self.category)

    def _own_steps(self) -> tuple[Step, ...]:
        category = self._category()
        return category.steps if category else ()

    def sequence(self) -> tuple[Step, ...]:
        return (Step.CATEGORY, *self._own_steps(), *_COMMON, Step.REVIEW)

    def advance(self) -> Step:
        """Moves to the step after the current one (or back to the review when editing). The
        urgency question is never asked once the resident has answered it (or "when" has)."""
        if self.edit_until is not None and self.step == self.edit_until:
            self.edit_until = None
            self.step = Step.REVIEW
            return self.step
        steps = self.sequence()
        if self.step not in steps:
            # A step asked only from the review (or a draft saved by an older version at a step
            # the path no longer has): on to the description if it is missing, else the review.
            self.step = Step.REVIEW if self.description.strip() else Step.DESCRIPTION
            return self.step
        position = steps.index(self.step)
        self.step = steps[min(position + 1, len(steps) - 1)]
        if self.step is Step.URGENT and self.urgent is not None and self.edit_until is None:
            return self.advance()
        return self.step

    def skip_fraud_details(self) -> Step:
        """ "Skip the rest" on any scam-detail question: past all of them in one tap."""
        self.step = Step.LOSS
        if self.edit_until in FRAUD_DETAILS:
            self.edit_until = Step.LOSS
        return self.advance()

    def answer_when(self, when: str) -> None:
        """For crime "when" also answers urgency: happening now means urgent (and 113)."""
        if when not in WHEN:
            raise ValueError(when)
        self.when = when
        self.urgent = when == "now"

    def start_edit(self, part: str) -> Step:
        if part == "category":
            steps: tuple[Step, ...] = (Step.CATEGORY, *self._own_steps())
        elif (parts := EDIT_PARTS.get(part)) is not None:
            steps = parts
            if (category := self._category()) and not category.asks_location:
                steps = tuple(s for s in steps if s is not Step.LOCATION)
        else:
            raise ValueError(f"unknown part {part!r}")
        self.step, self.edit_until = steps[0], steps[-1]
        self.replacing_description = part == "description"
        return self.step

    # --- answers ---------------------------------------------------------------------------

    def choose_category(self, category: str) -> None:
        if categories.get(category) is None:
            raise ValueError(category)
        if category != self.category:
            # A new category: its own questions start over, the rest (place, text) is kept.
            self.kind = self.when = None
            self.channels = []
            self.phones = self.accounts = self.links = self.loss = None
            self.category = category
            if self.edit_until is not None:
                own = self._own_steps()
                self.edit_until = own[-1] if own else Step.CATEGORY

    def toggle_channel(self, channel: str) -> None:
        if channel not in CHANNELS:
            raise ValueError(channel)
        if channel in self.channels:
            self.channels.remove(channel)
        else:
            self.channels.append(channel)

    def add_description(self, text: str) -> bool:
        """Appends text; False (and the text kept in `overflow`) when it would pass the limit.

        While an overflow waits for the resident's decision, more text joins it: Telegram apps
        split a long paste into several messages, and none of them may be lost.
        """
        if self.overflow is not None:
            self.overflow = f"{self.overflow}\n{text}"
            return False
        if self.replacing_description:
            self.description, self.replacing_description = "", False
        combined = f"{self.description}\n{text}" if self.description else text
        if len(combined) > MAX_DESCRIPTION:
            self.overflow = text
            return False
        self.description = combined
        return True

    def description_length_with_overflow(self) -> int:
        if self.overflow is None:
            return len(self.description)
        return len(self.description) + (1 if self.description else 0) + len(self.overflow)

    def drop_overflow(self) -> None:
        """The resident will send a shorter text instead."""
        self.overflow = None

    def keep_overflow_start(self) -> None:
        """The resident chose to keep as much of the long text as fits."""
        overflow, self.overflow = self.overflow, None
        if overflow is None:
            return
        room = max(0, MAX_DESCRIPTION - len(self.description) - (1 if self.description else 0))
        kept = overflow[:room]
        if len(overflow) > room and " " in kept[room // 2 :]:
            kept = kept[: kept.rindex(" ")]  # end at a word, not in the middle of one
        if kept.strip():
            self.add_description(kept.rstrip())

    def add_attachment(self, attachment: Attachment) -> bool:
        if any(a.file_unique_id == attachment.file_unique_id for a in self.attachments):
            return True  # the same file twice (a resend after a bad connection) counts once
        if len(self.attachments) >= MAX_ATTACHMENTS:
            return False
        self.attachments.append(attachment)
        return True

    def missing(self) -> list[Step]:
        """Steps whose answer a tip cannot do without (the review refuses to send without them)."""
        gaps = []
        if self.category is None:
            gaps.append(Step.CATEGORY)
        category = self._category()
        if category and Step.KIND in category.steps and self.kind is None:
            gaps.append(Step.KIND)
        if self.commune_code is None and not self.commune_unknown:
            gaps.append(Step.COMMUNE)
        if not self.description.strip():
            gaps.append(Step.DESCRIPTION)
        if self.urgent is None and (category is None or category.urgency_required):
            gaps.append(Step.URGENT)
        if self.overflow is not None:
            gaps.append(Step.DESCRIPTION)  # text waiting for "keep what fits" or "shorter"
        return list(dict.fromkeys(gaps))


# What people type instead of tapping Skip ("I don't know", "none"), accents and case folded.
DONT_KNOW = frozenset(
    {
        "khong biet", "ko biet", "k biet", "kbiet", "khong ro", "ko ro", "khong nho", "ko nho",
        "chua biet", "khong co", "ko co", "khong", "ko", "k", "bo qua", "khong can",
        "no", "none", "nothing", "n/a", "na", "dont know", "don't know", "i don't know",
        "i dont know", "unknown", "skip", "-", "?",
    }
)  # fmt: skip


def means_dont_know(text: str) -> bool:
    folded = strip_accents(text).lower().strip(" .!…").replace("’", "'")
    return " ".join(folded.split()) in DONT_KNOW


def is_meaningful_text(text: str) -> bool:
    """False for text with no letter or digit at all: emoji only, punctuation, invisible marks."""
    return any(unicodedata.category(ch)[0] in "LN" for ch in text)


def clean_text(text: str) -> str:
    """What a person typed, through the bot's one normaliser (bot/normalize.py: NFKC, zero-width
    and bidirectional controls removed, which hide or reorder what is shown); lines are kept."""
    return normalize_text(text).strip()
