"""Telegram-facing layer: each module exports its HANDLERS; `add_handlers` registers them in order.

The flood guard sees every update first, in its own group. All other handlers share one group, so
for each update only the first matching handler runs: features first, the fallback (unknown
commands, dead buttons) last.
"""

from __future__ import annotations

from telegram import BotCommand
from telegram.ext import Application

from bot.i18n import Texts
from handlers import errors, fallback, flood, intake, language, menu, status

FEATURES = (menu, language, status, intake, fallback)


def add_handlers(application: Application) -> None:
    application.add_handlers(flood.HANDLERS, group=flood.GUARD_GROUP)
    for module in FEATURES:
        application.add_handlers(module.HANDLERS)
    application.add_error_handler(errors.error_handler)


def resident_commands(t: Texts) -> list[BotCommand]:
    """The command menu residents see, in their Telegram app's language."""
    _ = t.gettext
    return [
        BotCommand("report", _("Send a tip")),
        BotCommand("status", _("Check a tip you sent")),
        BotCommand("language", _("Choose language")),
        BotCommand("cancel", _("Stop what you are doing")),
        BotCommand("start", _("Main menu")),
        BotCommand("help", _("Help")),
    ]
