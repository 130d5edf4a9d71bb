"""Telegram-facing layer: each module exports its HANDLERS; `add_handlers` registers them in order.

Buttons pressed outside a private chat meet a guard first (handlers/chat_guard.py); the flood
guard sees every update next, in its own group; then the pending-input handler
(handlers/followup.py: what someone was asked to type) takes the message if it was expected. All
other handlers share one group, so for each update only the first matching handler runs: features
first, the fallback (unknown commands, dead buttons) last.
"""

from __future__ import annotations

from telegram import BotCommand
from telegram.ext import Application

from bot.i18n import Texts
from handlers import (
    admin,
    bulletins,
    chat_guard,
    check,
    desk,
    errors,
    fallback,
    flood,
    followup,
    intake,
    language,
    menu,
    notifications,
    officer,
    onboarding,
    status,
)

# onboarding first: its /start with an invite payload must win over the plain /start.
# officer before intake: an officer's typed question must not be taken as a tip answer.
# bulletins before menu: its /start with the channel's "bulletins" payload opens the topics.
FEATURES = (
    onboarding, bulletins, menu, language, status, check, officer, desk, admin, intake, fallback,
)  # fmt: skip


def add_handlers(application: Application) -> None:
    application.add_handlers(chat_guard.HANDLERS, group=chat_guard.GROUP)
    application.add_handlers(flood.HANDLERS, group=flood.GUARD_GROUP)
    application.add_handlers(followup.HANDLERS, group=followup.GROUP)
    application.add_handlers(followup.REPLY_HANDLERS)
    for module in FEATURES:
        application.add_handlers(module.HANDLERS)
    application.add_error_handler(errors.error_handler)
    bulletins.install(application)  # how the broadcast engine renders a bulletin


def deliverers(application: Application, runtime) -> dict:
    """How each kind of outbox row is rendered and sent (bot/outbox_worker.py sends them)."""
    return {
        **notifications.Notifier(application, runtime).deliverers(),
        **bulletins.Notices(application, runtime).deliverers(),
    }


def resident_commands(t: Texts) -> list[BotCommand]:
    """The command menu residents see, in their Telegram app's language."""
    _ = t.gettext
    return [
        BotCommand("report", _("Send a tip")),
        BotCommand("status", _("Check a tip you sent")),
        BotCommand("check", _("Is this number or link a scam?")),
        BotCommand("subscribe", _("Legal-awareness bulletins")),
        BotCommand("language", _("Choose language")),
        BotCommand("cancel", _("Stop what you are doing")),
        BotCommand("start", _("Main menu")),
        BotCommand("help", _("Help")),
    ]


def officer_commands(t: Texts) -> list[BotCommand]:
    """An officer's own menu (set for their chat only): their work first, then a resident's."""
    _ = t.gettext
    return [
        BotCommand("queue", _("Open tips of my communes")),
        BotCommand("tip", _("Show a tip by its code")),
        BotCommand("mycommunes", _("My communes and their groups")),
        BotCommand("linkgroup", _("Send in a group to have it receive a commune's tips")),
        *resident_commands(t),
    ]


def admin_commands(t: Texts) -> list[BotCommand]:
    _ = t.gettext
    officer = officer_commands(t)
    return [
        *officer[:2],
        BotCommand("invite", _("Invite an officer for a commune")),
        BotCommand("officers", _("Officers, their communes; revoke")),
        BotCommand("stats", _("Statistics and chart of a period")),
        BotCommand("export", _("Tips of a period as a CSV file")),
        BotCommand("ban", _("Ban the sender of a tip without revealing who they are")),
        BotCommand("unban", _("Banned senders; lift a ban")),
        BotCommand("audit", _("Audit log")),
        BotCommand("bulletins", _("Bulletins: the library, sending, writing")),
        BotCommand("sendnow", _("Send a bulletin: pick it, see it, send")),
        BotCommand("schedules", _("Bulletin schedules and planned sends")),
        BotCommand("broadcasts", _("Bulletins being sent: progress")),
        *officer[2:],
    ]


def group_commands(t: Texts) -> list[BotCommand]:
    """The menu in groups, where the bot only serves commune groups."""
    _ = t.gettext
    return [
        BotCommand("linkgroup", _("Receive a commune's tips in this group")),
        BotCommand("unlinkgroup", _("Stop a commune's tips in this group")),
    ]
