"""What every handler needs, built once at start: settings, keys, database, commune directory.

Handlers reach it as `context.runtime` (see bot/context.py); services take it, or the parts they
need, as plain arguments so they can be tested without Telegram.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from bot.anonymity import pseudonym
from bot.communes import CommuneDirectory
from bot.config import Config, Keys
from bot.doors import TELEGRAM, door_of
from bot.send_budget import SendBudget
from storage.db import Database


@dataclass
class Runtime:
    config: Config
    keys: Keys
    db: Database
    communes: CommuneDirectory
    province_name: str  # "Lâm Đồng", without the "Tỉnh" prefix
    # Residents' chosen languages by pseudonym (None: never chose), so that a reply does not
    # cost a database read; written through by bot/language.py.
    languages: dict[str, str | None] = field(default_factory=dict)
    # The time, in unix seconds; tests replace it to move the clock.
    clock: Callable[[], float] = field(default=time.time)
    # Set by the outbox worker: rows were written, deliver them now rather than at the next tick.
    wake_outbox: Callable[[], None] = field(default=lambda: None)
    # Telegram's overall limit, shared by the application's messages and broadcasts.
    send_budget: SendBudget = field(init=False)
    # The Bot of each door besides Telegram's (the web door, bot/webdoor/), by door name: a
    # message to a tipster goes out through the door their way back names.
    doors: dict[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self.send_budget = SendBudget(self.config.max_messages_per_second)

    def pseudonym_of(self, user_id: int) -> str:
        """The only name under which the bot remembers a resident (HMAC of the user id)."""
        return pseudonym(self.keys.pseudonym, user_id, door_of(user_id))

    def now(self) -> int:
        return int(self.clock())

    def is_admin(self, user_id: int) -> bool:
        # Admins are Telegram accounts: an id of another door is never one, whatever the list.
        return user_id in self.config.admin_ids and door_of(user_id) == TELEGRAM
