"""`tipbot` command line: run the bot, the local demo with its web chat, invite an officer; and
for operators statistics, exports, backups and a health check (bot/ops_cli.py)."""

from __future__ import annotations

import argparse
import asyncio
import importlib.util
import signal
import sys

from bot import ops_cli
from bot.config import ConfigError, environment, load_config, load_keys
from bot.logging_setup import configure_logging, secrets_of_keys, secrets_of_token


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="tipbot", description=__doc__)
    commands = parser.add_subparsers(dest="command", required=True)
    run = commands.add_parser(
        "run", help="run the bot (long polling, or a webhook), configured by TIPBOT_* variables"
    )
    run.add_argument("--webhook-url", help="receive updates at this public https:// URL")
    run.add_argument("--listen", default="127.0.0.1", help="webhook server address")
    run.add_argument("--port", type=int, default=8443, help="webhook server port")
    run.add_argument("--url-path", help="webhook server path (default: the URL's path)")
    demo = commands.add_parser("demo", help="the bot, a local Telegram sandbox and a web chat")
    demo.add_argument("--host", default="127.0.0.1")
    demo.add_argument("--port", type=int, default=8080)
    invite = commands.add_parser(
        "invite-officer",
        help="print a one-time link (72 hours) that makes its opener an officer of a commune",
    )
    invite.add_argument(
        "--commune", required=True, help="official code of the commune or ward (or its exact name)"
    )
    ops_cli.add_commands(commands)
    args = parser.parse_args(argv)

    try:
        if args.command == "run":
            return _run(args)
        if args.command in ops_cli.COMMANDS:
            return ops_cli.dispatch(args)
        if args.command == "demo":
            if not _demo_installed():
                print(DEMO_NOT_INSTALLED, file=sys.stderr)
                return 2
            from bot.demo import run_demo

            return asyncio.run(_until_signal(lambda stop: run_demo(args.host, args.port, stop)))
        if args.command == "invite-officer":
            return _invite_officer(args.commune)
    except ConfigError as error:
        print(f"tipbot: configuration error: {error}", file=sys.stderr)
        return 2
    return 0


DEMO_NOT_INSTALLED = (
    "tipbot: demo: not in this installation; it runs from a checkout of tipbot: "
    "`make demo` (or `pip install -e '.[demo]'`, then `python -m bot.cli demo` there)"
)


def _demo_installed() -> bool:
    """The wheel leaves out the demo (setup.py): its personas and the sandbox."""
    return all(importlib.util.find_spec(name) is not None for name in ("bot.demo", "sandbox"))


def _run(args: argparse.Namespace) -> int:
    from bot.backup import BotRunning
    from bot.runner import serve
    from bot.webhook import webhook_settings

    env = environment()
    config = load_config(env)
    keys = load_keys(config, env)
    webhook = None
    if args.webhook_url:
        webhook = webhook_settings(
            config, args.webhook_url, listen=args.listen, port=args.port, url_path=args.url_path
        )
    secrets = secrets_of_token(config.token) + secrets_of_keys(keys.pseudonym, keys.way_back)
    configure_logging(config.log_level, [*secrets, *([webhook.secret] if webhook else [])])
    try:
        asyncio.run(_until_signal(lambda stop: serve(config, keys, stop, webhook=webhook)))
    except BotRunning as error:
        print(f"tipbot: run: {error}", file=sys.stderr)
        return 1
    return 0


class CommandError(Exception):
    """A command cannot do what was asked; the message is one line for the operator."""


def _invite_officer(commune: str) -> int:
    env = environment()
    config = load_config(env)
    if not config.admin_ids:
        raise ConfigError(
            "TIPBOT_ADMIN_IDS: required by invite-officer (an invite is recorded as created by "
            "the first admin)"
        )
    keys = load_keys(config, env)
    configure_logging(
        "DEBUG" if config.log_level == "DEBUG" else "WARNING", secrets_of_token(config.token)
    )
    try:
        print(asyncio.run(_create_invite(config, keys, commune)))
    except CommandError as error:
        print(f"tipbot: invite-officer: {error}", file=sys.stderr)
        return 2
    return 0


async def _create_invite(config, keys, text: str) -> str:
    """The invite, recorded under the first configured admin; the bot's username comes from
    Telegram (getMe) before anything is stored, so a failure leaves no unusable invite behind."""
    from datetime import datetime

    from telegram import Bot
    from telegram.error import InvalidToken, TelegramError

    from bot import onboarding
    from bot.app import open_runtime

    runtime = await open_runtime(config, keys)
    try:
        choice = onboarding.resolve_commune(runtime.communes, text)
        if isinstance(choice, onboarding.Ambiguous):
            names = "; ".join(f"{m.code} {m.name}" for m in choice.matches)
            raise CommandError(f"{text!r} matches several communes, give the code: {names}")
        if not isinstance(choice, onboarding.Found):
            raise CommandError(f"no commune or ward {text!r} in province {config.province}")
        try:
            async with Bot(config.token, base_url=config.api_url) as bot:
                username = bot.username
        except InvalidToken:
            raise CommandError("TIPBOT_TOKEN: the Bot API rejected the token") from None
        except TelegramError as error:
            raise CommandError(
                f"cannot reach the Bot API at {config.api_url} ({type(error).__name__})"
            ) from None
        invite = await onboarding.create_invite(
            runtime, choice.code, created_by=min(config.admin_ids), actor_id=None, via="cli"
        )
    finally:
        await runtime.db.close()
    expires = datetime.fromtimestamp(invite.expires_at, config.timezone)
    return "\n".join(
        [
            f"Invite for an officer of {runtime.communes.name(choice.code)} ({choice.code}):",
            invite.link(username),
            f"Single use; expires {expires:%Y-%m-%d %H:%M} ({config.timezone.key}). Give it to "
            "the officer in person or through a channel you trust, never in a group.",
        ]
    )


async def _until_signal(start) -> int:
    """Runs `start(stop_event)`; SIGINT and SIGTERM set the event for a clean shutdown."""
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    await start(stop)
    return 0


if __name__ == "__main__":
    sys.exit(main())
