"""Run the sandbox alone: ``python -m sandbox --port 8081 --token 123:ABC``.

Point a bot at the printed base URL. Without a web chat nobody writes to the bot, so this is for
a bot under development that only needs getMe, commands and a server to talk to, or for a web
chat mounted by another entry point (``make demo`` runs the bot, the sandbox and the web chat
together).
"""

import argparse
import asyncio
import contextlib

from sandbox.server import Sandbox


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m sandbox", description=__doc__.split("\n")[0])
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8081)
    parser.add_argument("--token", default="123:ABC", help="the bot token the sandbox accepts")
    parser.add_argument("--bot-username", default="tipbot_demo_bot")
    parser.add_argument("--bot-name", default="Tipbot")
    parser.add_argument(
        "--rate-limits", action="store_true", help="enforce Telegram's flood limits (429)"
    )
    return parser.parse_args(argv)


async def serve(args: argparse.Namespace) -> None:
    sandbox = Sandbox(
        token=args.token,
        bot_username=args.bot_username,
        bot_first_name=args.bot_name,
        rate_limits=args.rate_limits,
    )
    await sandbox.start(host=args.host, port=args.port)
    print(
        f"Bot API sandbox: base_url={sandbox.base_url} base_file_url={sandbox.base_file_url}",
        flush=True,
    )
    try:
        await asyncio.Event().wait()
    finally:
        await sandbox.stop()


def main(argv: list[str] | None = None) -> None:
    with contextlib.suppress(KeyboardInterrupt):
        asyncio.run(serve(parse_args(argv)))


if __name__ == "__main__":
    main()
