"""`tipbot` command line: run the bot, or the local demo with its web chat."""

from __future__ import annotations

import argparse
import asyncio
import signal
import sys

from bot.config import ConfigError, environment, load_config, load_keys
from bot.logging_setup import configure_logging, secrets_of_token


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="tipbot", description=__doc__)
    commands = parser.add_subparsers(dest="command", required=True)
    commands.add_parser("run", help="run the bot (long polling), configured by TIPBOT_* variables")
    demo = commands.add_parser("demo", help="the bot, a local Telegram sandbox and a web chat")
    demo.add_argument("--host", default="127.0.0.1")
    demo.add_argument("--port", type=int, default=8080)
    args = parser.parse_args(argv)

    try:
        if args.command == "run":
            return _run()
        if args.command == "demo":
            from bot.demo import run_demo

            return asyncio.run(_until_signal(lambda stop: run_demo(args.host, args.port, stop)))
    except ConfigError as error:
        print(f"tipbot: configuration error: {error}", file=sys.stderr)
        return 2
    return 0


def _run() -> int:
    from bot.runner import serve

    env = environment()
    config = load_config(env)
    keys = load_keys(config, env)
    configure_logging(config.log_level, secrets_of_token(config.token))
    asyncio.run(_until_signal(lambda stop: serve(config, keys, stop)))
    return 0


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
