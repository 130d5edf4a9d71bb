"""Broadcast throughput at the sandbox, with Telegram's limits on and off, and the engine's memory
for a small and a ten times larger audience.

    .venv/bin/python -m bench.broadcast [subscribers [subscribers_with_limits_on]]

Each run sends one bulletin to every subscriber through the real engine (bot/broadcast.py: the
database rows, the pacing, a Bot of its own over HTTP) to a sandbox in another process. The
baseline is what the transport alone allows: the same sandbox, the same number of requests in
flight, plain `send_message` calls with no database and no pacing.

- limits on: the sandbox enforces Telegram's limits (30/s overall); the engine runs at its
  default 25/s. The figure to read is that it holds 25/s and earns no 429.
- limits off: the engine is allowed 1000/s; the figure is what one process can push.
- memory: Python's peak allocation while sending (tracemalloc), N vs 10 N subscribers.
"""

from __future__ import annotations

import asyncio
import json
import subprocess
import sys
import tempfile
import time
import tracemalloc
from pathlib import Path

from telegram import Bot
from telegram.request import HTTPXRequest

from bot import bulletins as services
from bot.broadcast import Broadcaster, TelegramSender, in_flight_for
from bot.config import Keys, load_config
from bot.i18n import texts
from bot.runtime import Runtime
from handlers import bulletins_views as views
from sandbox.server import Sandbox
from storage import broadcasts, subscribers
from storage.db import Database

TOKEN = "4242:bench-token"
SLUG = "never-share-otp"


def render(bulletin, language, *, channel=False):
    return views.render(texts(language), bulletin, channel=channel, bot_username="tipbot_bot")


class SandboxProcess:
    """The sandbox in a process of its own, so the engine's figures (and memory) are its own.
    It serves ``count`` users who opened the bot; asked on stdin, it tells how its calls went."""

    def __init__(self, count: int, *, limits: bool) -> None:
        command = [sys.executable, "-m", "bench.broadcast", "--serve", str(count)]
        self.process = subprocess.Popen(
            [*command, *(["--limits"] if limits else [])],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
        )
        self.base_url, first_user = self.process.stdout.readline().split()
        self.chats = range(int(first_user), int(first_user) + count)

    def report(self) -> dict:
        try:
            self.process.stdin.write("report\n")
            self.process.stdin.flush()
            figures = json.loads(self.process.stdout.readline())
            self.process.stdin.close()
            self.process.wait(10)
        finally:
            self.stop()
        return figures

    def stop(self) -> None:
        """Makes sure the process is gone, whatever happened (it reports first if it can)."""
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(5)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()


async def serve_sandbox(count: int, limits: bool) -> None:
    sandbox = Sandbox(token=TOKEN, rate_limits=limits)
    await sandbox.start()
    first = None
    for n in range(count):
        user = sandbox.add_user(f"u{n}")
        sandbox.chats[user.id].started = True
        first = first or user.id
    print(sandbox.base_url, first, flush=True)
    await asyncio.get_running_loop().run_in_executor(None, sys.stdin.readline)
    sent = [c for c in sandbox.calls if c.method == "sendMessage"]
    figures = {"ok": sum(c.ok for c in sent), "earned_429": len(sandbox.rate_limited)}
    print(json.dumps(figures), flush=True)
    await sandbox.stop()


async def run_engine(count: int, *, limits: bool, rate: float, trace: bool = False) -> dict:
    sandbox = SandboxProcess(count, limits=limits)
    with tempfile.TemporaryDirectory() as tmp:
        config = load_config(
            {
                "TIPBOT_TOKEN": TOKEN,
                "TIPBOT_API_URL": sandbox.base_url,
                "TIPBOT_DATA_DIR": tmp,
                "TIPBOT_QUIET_HOURS": "off",
                "TIPBOT_BROADCAST_RATE": str(rate),
            }
        )
        db = await Database.open(Path(tmp) / "bench.sqlite3")
        runtime = Runtime(config, Keys(b"p" * 32, b"w" * 32), db, None, "Lâm Đồng")
        try:
            await services.load_library_into_db(runtime)
            async with db.transaction():
                for n, chat in enumerate(sandbox.chats):
                    await subscribers.subscribe(
                        db, chat, "vi" if n % 3 else "en", ["cyber_privacy"]
                    )
            in_flight = in_flight_for(rate)
            sender = TelegramSender(config, connections=in_flight + 2)
            engine = Broadcaster(
                runtime, sender, render, rate=rate, max_in_flight=in_flight, poll=0.01
            )
            broadcast_id = await services.start_broadcast(
                runtime, SLUG, "cyber_privacy", actor_id=None, created_by=None, run_key=None,
                why="bench",
            )  # fmt: skip
            if trace:
                tracemalloc.start()
            started = time.perf_counter()
            task = asyncio.create_task(engine.run())
            while (await broadcasts.get(db, broadcast_id)).status == "sending":  # noqa: ASYNC110
                await asyncio.sleep(0.01)
            elapsed = time.perf_counter() - started
            peak = tracemalloc.get_traced_memory()[1] if trace else 0
            if trace:
                tracemalloc.stop()
            engine.stop()
            await task
            await sender.close()
            done = await broadcasts.get(db, broadcast_id)
        finally:
            await db.close()
            figures = sandbox.report()
    assert figures["ok"] == done.sent_count == count
    return {
        "sent": done.sent_count,
        "seconds": elapsed,
        "per_second": done.sent_count / elapsed,
        "earned_429": figures["earned_429"],
        "peak_kib": peak / 1024,
    }


async def run_baseline(count: int, in_flight: int) -> dict:
    sandbox = SandboxProcess(count, limits=False)
    try:
        request = HTTPXRequest(connection_pool_size=in_flight + 2)
        bot = Bot(TOKEN, base_url=sandbox.base_url, request=request)
        slots = asyncio.Semaphore(in_flight)

        async def one(chat: int) -> None:
            async with slots:
                await bot.send_message(chat, "<b>OTP</b> " + "x" * 800, parse_mode="HTML")

        started = time.perf_counter()
        await asyncio.gather(*(one(chat) for chat in sandbox.chats))
        elapsed = time.perf_counter() - started
        await bot.shutdown()
        sandbox.report()
    finally:
        sandbox.stop()
    return {"sent": count, "seconds": elapsed, "per_second": count / elapsed}


def line(label: str, figures: dict) -> str:
    text = (
        f"{label:<44} {figures['sent']:>6} messages in {figures['seconds']:6.2f} s = "
        f"{figures['per_second']:7.1f}/s"
    )
    if "earned_429" in figures:
        text += f"   429s earned: {figures['earned_429']}"
    return text


async def main(count: int = 2000, paced: int | None = None) -> None:
    """`count` subscribers with limits off, `paced` (default: at most 500) with limits on."""
    paced = min(count, 500) if paced is None else paced
    print(
        line(
            f"limits on, engine at 25/s ({paced} subs)",
            await run_engine(paced, limits=True, rate=25),
        )
    )
    print(
        line("limits off, engine allowed 1000/s", await run_engine(count, limits=False, rate=1000))
    )
    print(line("baseline: bare sends, 64 in flight, no DB", await run_baseline(count, 64)))
    small = await run_engine(count // 4, limits=False, rate=1000, trace=True)
    large = await run_engine(count * 10 // 4, limits=False, rate=1000, trace=True)
    print(
        f"memory while sending (Python peak): {small['sent']} subscribers {small['peak_kib']:.0f} "
        f"KiB, {large['sent']} subscribers {large['peak_kib']:.0f} KiB"
    )


if __name__ == "__main__":
    if sys.argv[1:2] == ["--serve"]:
        asyncio.run(serve_sandbox(int(sys.argv[2]), "--limits" in sys.argv))
    else:
        asyncio.run(main(*(int(arg) for arg in sys.argv[1:3])))
