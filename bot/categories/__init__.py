"""The categories of a tip, one module each in this package: a new category is one new file.

Each module defines ``CATEGORY = Category(...)``; the package finds them at import (pkgutil), so
nothing else lists them. The key is what tips store, and the database's categories table must
hold the same keys (migration 0009 and later): the bot refuses to start when the two differ
(bot/app.py). Labels, names, kinds and questions are msgids (N_), translated where shown.
"""

from __future__ import annotations

import importlib
import pkgutil
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from types import MappingProxyType

from bot.steps import Step


@dataclass(frozen=True)
class Category:
    key: str  # stored with each tip and exported: never changes
    label: str  # the intake's button, with its emoji
    name: str  # plain, no emoji: statistics, the chart (whose font has none) and exports
    order: int  # place among the buttons, smallest first
    colour: str  # of its bars in the statistics chart
    steps: tuple[Step, ...]  # its own questions, after the category and before the commune
    kinds: Mapping[str, str] = field(default_factory=dict)  # key (stored) -> label
    kind_question: str | None = None  # asks for the kind (Step.KIND)
    asks_location: bool = True  # the review offers a map pin
    location_prompt: str | None = None  # instead of the usual question for the pin
    urgency_required: bool = True  # a tip cannot be sent before urgency is answered
    confirms_indicators: bool = False  # resolving asks officers to confirm phones, accounts, links

    def __post_init__(self) -> None:
        if (Step.KIND in self.steps) != bool(self.kinds and self.kind_question):
            raise ValueError(f"category {self.key!r}: Step.KIND needs kinds and a kind_question")


_registry: dict[str, Category] = {}
# Ordered by `order`: the buttons, the chart's bars and the statistics list them this way.
CATEGORIES: Mapping[str, Category] = MappingProxyType(_registry)


def load() -> None:
    """(Re)reads the modules of this package. At import; a test adds a directory to __path__."""
    found: list[Category] = []
    for module in pkgutil.iter_modules(__path__):
        category = importlib.import_module(f"{__name__}.{module.name}").CATEGORY
        if not isinstance(category, Category) or category.key != module.name:
            raise ValueError(f"{__name__}.{module.name}: CATEGORY must be its Category")
        found.append(category)
    _registry.clear()
    _registry.update((c.key, c) for c in sorted(found, key=lambda c: (c.order, c.key)))


def get(key: str | None) -> Category | None:
    return _registry.get(key or "")


def label_of(key: str) -> str:
    """The button label's msgid; the key itself for a category this code does not know."""
    category = get(key)
    return category.label if category else key


def name_of(key: str) -> str:
    """The plain name's msgid; the key itself for a category this code does not know."""
    category = get(key)
    return category.name if category else key


def kind_label(key: str | None, kind: str | None) -> str | None:
    """The msgid of a kind of the category, None when either is unknown."""
    category = get(key)
    return category.kinds.get(kind or "") if category else None


def confirmed_kind_label(kind: str) -> str:
    """A kind of the tips whose indicators officers confirm (what /check tells of a scam)."""
    for category in _registry.values():
        if category.confirms_indicators and kind in category.kinds:
            return category.kinds[kind]
    return kind


def mismatch(stored: Iterable[str]) -> str | None:
    """Why the database's categories table and this package disagree, or None. A key only in
    the code would fail every tip of it; one only in the database has no questions or labels."""
    stored_keys, known = set(stored), set(_registry)
    problems = []
    if missing := sorted(known - stored_keys):
        problems.append(
            f"not in the database's categories table: {', '.join(missing)}"
            " (a migration must insert them)"
        )
    if unknown := sorted(stored_keys - known):
        problems.append(f"no module in bot/categories/ for: {', '.join(unknown)}")
    return "; ".join(problems) or None


load()
