"""Broadcast: the engine's speed with Telegram's limits off and on, and its memory for 100,000
subscribers, each beside a baseline measured in the same run.

    .venv/bin/python -m bench.broadcast [--paced 10000] [--fast 10000] [--memory 100000]

Every run sends one bulletin to every subscriber through the real engine (bot/broadcast.py,
built from its settings as the bot builds it: the database rows, the pacing, its own HTTP
client) in a process of its own, to an endpoint in another process. Each subscriber must get it
exactly once. The parts, and what each is compared with (issue 7's targets):

- limits off, at the engine's set pace: ``--fast`` subscribers, TIPBOT_BROADCAST_RATE=1000,
  against bench/fast_api.py (a fake Bot API cheap enough not to be the limit; its own ceiling,
  from a bare load generator, is printed first). The engine should hold its pace.
- limits off, unpaced: ``--memory`` subscribers as fast as the engine goes (the same engine with
  no pause between requests): what one process can push (target >= 1,000 a second), its CPU
  seconds per 1,000 messages (the figure to read on a shared, noisy machine), and its peak RSS
  (target <= 150 MB) beside its RSS when ready to send (imports done, database open).
  Baselines: plain ``send_message`` calls, as many in flight, no database, no pacing, through
  the engine's own transport (what the engine adds) and through PTB's stock HTTPXRequest.
- limits on: ``--paced`` subscribers through the full sandbox (sandbox/server.py, Telegram's
  limits enforced: 30 a second overall) at the engine's default rate. Reported: messages a
  second, the share of 30/s (target >= 95 %) and of the engine's own rate, and the 429s the
  engine earned (target: none).

Figures go to bench/results/broadcast.json. ``--paced 0`` skips the 400 s limits-on part.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from bench.fast_api import FastApi, load
from bench.results import write_results

RESULTS = Path(__file__).parent / "results"
TOKEN = "4242:bench-token"
SLUG = "never-share-otp"
TOPIC = "cyber_privacy"
TELEGRAM_RATE = 30.0  # Telegram's free limit, messages a second overall
UNPACED = 1_000_000.0  # a rate no run comes near: the engine never waits for its turn
FAST_RATE = 1000  # Telegram's paid broadcast rate, the most TIPBOT_BROADCAST_RATE allows
FIRST_CHAT = 7_000_000_000  # the fast endpoint's subscribers (any private chat id will do)


def render(bulletin, language, *, channel=False):
    from bot.i18n import texts
    from handlers import bulletins_views as views

    return views.render(texts(language), bulletin, channel=channel, bot_username="tipbot_bot")


def child(mode: str, spec: dict) -> dict:
    """Runs ``python -m bench.broadcast --<mode> SPEC`` and returns the JSON it prints."""
    done = subprocess.run(
        [sys.executable, "-m", "bench.broadcast", f"--{mode}", json.dumps(spec)],
        stdout=subprocess.PIPE,
        text=True,
        check=True,
    )
    return json.loads(done.stdout.splitlines()[-1])


def memory_kb() -> dict[str, int]:
    """This process's RSS now and at its peak (VmHWM), in kB, from /proc."""
    found = {}
    for line in Path("/proc/self/status").read_text().splitlines():
        name, _, value = line.partition(":")
        if name in ("VmRSS", "VmHWM"):
            found[name] = int(value.split()[0])
    return found


def cpu_seconds() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)  # every thread: aiosqlite's too
    return usage.ru_utime + usage.ru_stime


def mb(kb: int) -> float:
    return round(kb * 1024 / 1e6, 1)


# The sandbox, in a process of its own --------------------------------------------------------


class SandboxProcess:
    """The sandbox in a process of its own, so the engine's figures are its own. It serves
    ``count`` users who opened the bot; asked on stdin, it tells how its calls went."""

    def __init__(self, count: int, *, limits: bool) -> None:
        command = [sys.executable, "-m", "bench.broadcast", "--serve", str(count)]
        self.process = subprocess.Popen(
            [*command, *(["--limits"] if limits else [])],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
        )
        self.base_url, first_user = self.process.stdout.readline().split()
        self.first = int(first_user)

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
    from sandbox.server import Sandbox

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
    chats = [int(c.params["chat_id"]) for c in sent if c.ok]
    figures = {
        "ok": len(chats),
        "chats": len(set(chats)),
        "earned_429": len(sandbox.rate_limited),
        "errors": len(sandbox.errors),
    }
    print(json.dumps(figures), flush=True)
    await sandbox.stop()


# The engine, in a process of its own ---------------------------------------------------------


def engine_env(data_dir: str, api_url: str, rate: int | None) -> dict[str, str]:
    """The bot's settings for a run; without ``rate``, the engine's default rate."""
    env = {
        "TIPBOT_TOKEN": TOKEN,
        "TIPBOT_API_URL": api_url,
        "TIPBOT_DATA_DIR": data_dir,
        "TIPBOT_QUIET_HOURS": "off",
    }
    if rate is None:
        return env
    # A rate above Telegram's free 30 a second is the paid tier: the overall limit goes up too.
    overall = max(rate, 30)
    return env | {
        "TIPBOT_BROADCAST_RATE": str(rate),
        "TIPBOT_MAX_MESSAGES_PER_SECOND": str(overall),
    }


async def prepare(env: dict[str, str], first_chat: int, count: int) -> None:
    """The database the engine will open: the library, and ``count`` subscribers to the topic
    (here, so that inserting them does not count in the engine's memory)."""
    from bot import bulletins as services
    from bot.config import Keys, load_config
    from bot.runtime import Runtime
    from storage import subscribers
    from storage.db import Database

    config = load_config(env)
    db = await Database.open(config.db_path)
    try:
        runtime = Runtime(config, Keys(b"p" * 32, b"w" * 32), db, None, "Lâm Đồng")
        await services.load_library_into_db(runtime)
        chats = ((first_chat + n, "vi" if n % 3 else "en") for n in range(count))
        await subscribers.subscribe_many(db, chats, [TOPIC])
    finally:
        await db.close()


async def run_engine(spec: dict) -> dict:
    """The child: the engine as the bot builds it sends one bulletin to every subscriber."""
    from bot import bulletins as services
    from bot.broadcast import Broadcaster, engine_for
    from bot.config import Keys, load_config
    from bot.runtime import Runtime
    from storage import broadcasts
    from storage.db import Database

    config = load_config(spec["env"])
    db = await Database.open(config.db_path)
    runtime = Runtime(config, Keys(b"p" * 32, b"w" * 32), db, None, "Lâm Đồng")
    engine, sender = engine_for(runtime, render, quiet=None)
    if spec["unpaced"]:
        engine = Broadcaster(
            runtime, sender, render, rate=UNPACED, max_in_flight=engine.max_in_flight
        )
    ready = memory_kb()["VmRSS"]
    cpu, started = cpu_seconds(), time.perf_counter()
    broadcast_id = await services.start_broadcast(
        runtime, SLUG, TOPIC, actor_id=None, created_by=None, run_key=None, why="bench"
    )
    task = asyncio.create_task(engine.run())
    while (await broadcasts.get(db, broadcast_id)).status == "sending":  # noqa: ASYNC110
        await asyncio.sleep(0.02)
    seconds = time.perf_counter() - started
    cpu = cpu_seconds() - cpu
    engine.stop()
    await task
    await sender.close()
    done = await broadcasts.get(db, broadcast_id)
    await db.close()
    return {
        "rate_setting": None if spec["unpaced"] else engine.rate,
        "in_flight": engine.max_in_flight,
        "sent": done.sent_count,
        "seconds": round(seconds, 2),
        "per_second": round(done.sent_count / seconds, 1),
        "cpu_seconds_per_1000": round(cpu / done.sent_count * 1000, 3),
        "rss_ready_mb": mb(ready),
        "peak_rss_mb": mb(memory_kb()["VmHWM"]),
        "rate_limited": engine.counters.rate_limited,
    }


async def engine_run(
    count: int, api_url: str, *, rate: int | None, unpaced: bool = False, first_chat: int
) -> dict:
    with tempfile.TemporaryDirectory() as data_dir:
        env = engine_env(data_dir, api_url, rate)
        await prepare(env, first_chat, count)
        return child("engine", {"env": env, "unpaced": unpaced})


# The baseline: bare sends, in a process of its own -------------------------------------------


async def run_bare(spec: dict) -> dict:
    """The child: ``send_message`` to ``count`` chats, ``in_flight`` at once, no database."""
    from telegram import Bot
    from telegram.request import HTTPXRequest

    from bot.broadcast import TelegramSender, in_flight_for
    from bot.bulletin_library import load_library
    from bot.config import load_config
    from storage.bulletins import Bulletin

    config = load_config(engine_env(tempfile.gettempdir(), spec["api_url"], FAST_RATE))
    in_flight = in_flight_for(config.broadcast_rate)
    item = next(b for b in load_library() if b.slug == SLUG and b.language == "vi")
    bulletin = Bulletin(
        1, item.slug, item.language, item.topic, item.title, item.body_html, "library",
        None, 0, 0,
    )  # fmt: skip
    text, markup = render(bulletin, "vi")
    if spec["transport"] == "engine":
        sender = TelegramSender(config, connections=in_flight + 2)
        send, close = sender, sender.close
    else:  # PTB's stock transport, as the engine had it before
        request = HTTPXRequest(connection_pool_size=in_flight + 2)
        bot = Bot(TOKEN, base_url=config.api_url, request=request)

        async def send(chat, text, markup):
            await bot.send_message(chat, text, parse_mode="HTML", reply_markup=markup)

        close = request.shutdown
    slots = asyncio.Semaphore(in_flight)

    async def one(chat: int) -> None:
        async with slots:
            await send(chat, text, markup)

    ready = memory_kb()["VmRSS"]
    cpu, started = cpu_seconds(), time.perf_counter()
    first, count = spec["first_chat"], spec["count"]
    await asyncio.gather(*(one(chat) for chat in range(first, first + count)))
    seconds = time.perf_counter() - started
    cpu = cpu_seconds() - cpu
    await close()
    return {
        "in_flight": in_flight,
        "sent": count,
        "seconds": round(seconds, 2),
        "per_second": round(count / seconds, 1),
        "cpu_seconds_per_1000": round(cpu / count * 1000, 3),
        "rss_ready_mb": mb(ready),
        "peak_rss_mb": mb(memory_kb()["VmHWM"]),
    }


# The parts -----------------------------------------------------------------------------------


def check_exactly_once(label: str, sent: int, calls: dict, count: int) -> None:
    if not sent == calls["sent"] == calls["chats"] == count or calls["chats_twice"]:
        raise SystemExit(f"{label}: {count} subscribers, engine sent {sent}, endpoint saw {calls}")


async def limits_off(fast: int, memory: int) -> dict:
    api = FastApi(workers=1)
    try:
        endpoint = await load(api.base_url, 2.0)
    finally:
        api.report()
    figures: dict = {"fast_api_requests_per_second": round(endpoint)}
    runs = [
        ("engine_paced", fast, {"rate": FAST_RATE}),
        ("engine_unpaced", memory, {"rate": FAST_RATE, "unpaced": True}),
    ]
    for name, count, options in runs:
        api = FastApi(workers=1)
        try:
            run = await engine_run(count, api.base_url, first_chat=FIRST_CHAT, **options)
        finally:
            calls = api.report()
        check_exactly_once(name, run["sent"], calls, count)
        # From the first message to the last, without the start (the rows written, the first
        # read) and the end (the last flush, the totals, the rows deleted).
        run["per_second_while_sending"] = round((count - 1) / calls["sending_seconds"], 1)
        figures[name] = run
    for name, transport, count in (
        ("bare_engine_transport", "engine", fast),
        ("bare_stock_httpx", "httpx", max(1000, fast // 5)),
    ):
        api = FastApi(workers=1)
        try:
            spec = {"api_url": api.base_url, "transport": transport, "count": count}
            run = child("bare", spec | {"first_chat": FIRST_CHAT})
        finally:
            calls = api.report()
        check_exactly_once(name, run["sent"], calls, count)
        figures[name] = run
    unpaced = figures["engine_unpaced"]
    figures["unpaced_to_bare_engine_transport"] = round(
        unpaced["per_second"] / figures["bare_engine_transport"]["per_second"], 2
    )
    figures["unpaced_to_bare_stock_httpx"] = round(
        unpaced["per_second"] / figures["bare_stock_httpx"]["per_second"], 2
    )
    paced = figures["engine_paced"]
    figures["paced_share_of_its_rate"] = round(paced["per_second"] / FAST_RATE, 3)
    figures["paced_share_of_its_rate_while_sending"] = round(
        paced["per_second_while_sending"] / FAST_RATE, 3
    )
    figures["target"] = ">= 1000 messages/s (unpaced)"
    figures["met"] = unpaced["per_second"] >= 1000
    figures["memory"] = {
        "subscribers": memory,
        "peak_rss_mb": unpaced["peak_rss_mb"],
        "rss_ready_mb": unpaced["rss_ready_mb"],
        "bare_engine_transport_peak_rss_mb": figures["bare_engine_transport"]["peak_rss_mb"],
        "target": "<= 150 MB",
        "met": unpaced["peak_rss_mb"] <= 150,
    }
    return figures


async def limits_on(count: int) -> dict:
    sandbox = SandboxProcess(count, limits=True)
    try:
        with tempfile.TemporaryDirectory() as data_dir:
            env = engine_env(data_dir, sandbox.base_url, None)  # the engine's default rate
            await prepare(env, sandbox.first, count)
            run = child("engine", {"env": env, "unpaced": False})
    finally:
        calls = sandbox.report()
    if not run["sent"] == calls["ok"] == calls["chats"] == count:
        raise SystemExit(f"limits on: {count} subscribers, engine sent {run}, sandbox saw {calls}")
    return run | {
        "subscribers": count,
        "earned_429": calls["earned_429"],
        "share_of_30_per_second": round(run["per_second"] / TELEGRAM_RATE, 3),
        "share_of_its_rate": round(run["per_second"] / run["rate_setting"], 3),
        "target": ">= 0.95 of 30/s, no 429 earned",
        "met": run["per_second"] >= 0.95 * TELEGRAM_RATE and calls["earned_429"] == 0,
    }


def verdict(met: bool) -> str:
    return "met" if met else "MISSED"


def report(figures: dict) -> None:
    off = figures["limits_off"]
    print(f"fast endpoint, bare load generator: {off['fast_api_requests_per_second']:,} req/s")
    print(f"{'broadcast':<44}{'messages':>9}{'s':>8}{'msg/s':>9}{'CPU s/1000':>11}{'RSS MB':>8}")
    rows = [
        (f"limits off, engine paced at {FAST_RATE}/s", off["engine_paced"]),
        ("limits off, engine unpaced", off["engine_unpaced"]),
        ("  baseline: bare sends, engine's transport", off["bare_engine_transport"]),
        ("  baseline: bare sends, PTB's stock HTTPX", off["bare_stock_httpx"]),
    ]
    if "limits_on" in figures:
        on = figures["limits_on"]
        rows.append((f"limits on (30/s), engine at {on['rate_setting']:g}/s", on))
    for label, row in rows:
        print(
            f"{label:<44}{row['sent']:>9}{row['seconds']:>8.1f}{row['per_second']:>9.1f}"
            f"{row['cpu_seconds_per_1000']:>11.3f}{row['peak_rss_mb']:>8.1f}"
        )
    print(
        f"limits off: unpaced {off['engine_unpaced']['per_second']:.0f}/s, "
        f"{off['unpaced_to_bare_engine_transport']} x bare sends on its transport, "
        f"{off['unpaced_to_bare_stock_httpx']} x on PTB's stock one; paced: "
        f"{off['paced_share_of_its_rate']:.1%} of {FAST_RATE}/s from start to done, "
        f"{off['paced_share_of_its_rate_while_sending']:.1%} from the first message to the last "
        f"(target >= 1000/s: {verdict(off['met'])})"
    )
    memory = figures["memory"]
    print(
        f"memory, {memory['subscribers']:,} subscribers: peak RSS {memory['peak_rss_mb']} MB, "
        f"{memory['rss_ready_mb']} MB when ready to send; bare sends peak "
        f"{memory['bare_engine_transport_peak_rss_mb']} MB (target <= 150 MB: "
        f"{verdict(memory['met'])})"
    )
    if "limits_on" in figures:
        on = figures["limits_on"]
        print(
            f"limits on, {on['subscribers']:,} subscribers: {on['per_second']}/s = "
            f"{on['share_of_30_per_second']:.1%} of 30/s, {on['share_of_its_rate']:.1%} of its "
            f"own {on['rate_setting']:g}/s, 429s earned: {on['earned_429']} "
            f"(target >= 95 % of 30/s and no 429: {verdict(on['met'])})"
        )


async def main(paced: int, fast: int, memory: int) -> dict:
    off = await limits_off(fast, memory)
    figures = {"limits_off": off, "memory": off.pop("memory")}
    if paced:
        figures["limits_on"] = await limits_on(paced)
    return figures


if __name__ == "__main__":
    if sys.argv[1:2] == ["--serve"]:
        asyncio.run(serve_sandbox(int(sys.argv[2]), "--limits" in sys.argv))
    elif sys.argv[1:2] in (["--engine"], ["--bare"]):
        run = run_engine if sys.argv[1] == "--engine" else run_bare
        print(json.dumps(asyncio.run(run(json.loads(sys.argv[2])))), flush=True)
    else:
        parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
        parser.add_argument(
            "--paced", type=int, default=10_000, help="subscribers with limits on (0: skip)"
        )
        parser.add_argument(
            "--fast", type=int, default=10_000, help="subscribers, limits off, paced at 1000/s"
        )
        parser.add_argument(
            "--memory", type=int, default=100_000, help="subscribers, limits off, unpaced"
        )
        options = parser.parse_args()
        figures = asyncio.run(main(options.paced, options.fast, options.memory))
        report(figures)
        write_results("broadcast", figures, RESULTS)
