"""The web door beside the Telegram door, in one run of `tipbot run` (both doors on).

    .venv/bin/python -m bench.webdoor [--residents 200]

First `--residents` Telegram residents (through the sandbox) each send a whole tip at once, then
as many web browsers (HTTP to the web door) send the same tip at once. Printed for each door:
answers per second, p50/p95 latency of an answer, and the bot process's peak RSS with both doors
running. Each browser solves its proof of work before the clock starts: that second is the
client's, not the server's. Targets: web p95 at most 1.5 x Telegram's; RSS at most 150 MB.
"""

from __future__ import annotations

import argparse
import asyncio
import hashlib
import json
import secrets
import socket
import statistics
import sys
import tempfile
import time
from collections import Counter

import aiohttp

from bench.intake import (
    RESULTS,
    TIP_STEPS,
    TOKEN,
    peak_rss_mb,
    percentile,
    run_people,
    with_process,
)
from sandbox.server import Sandbox


def solve(challenge: str) -> str:
    bits = int(challenge.split(".")[2])
    prefix = hashlib.sha256(f"{challenge}:".encode())
    counter = 0
    while True:
        digest = prefix.copy()
        digest.update(str(counter).encode())
        if int.from_bytes(digest.digest()[:8], "big") >> (64 - bits) == 0:
            return str(counter)
        counter += 1


class Browser:
    def __init__(self, session: aiohttp.ClientSession, base: str) -> None:
        self.session, self.base = session, base
        self.headers = {"X-Tipbot-Key": secrets.token_hex(16), "Origin": base}
        self.view: dict = {"messages": []}

    async def unlock(self) -> None:
        async with self.session.get(f"{self.base}/api/challenge") as response:
            challenge = (await response.json())["challenge"]
        body = {"challenge": challenge, "nonce": await asyncio.to_thread(solve, challenge)}
        async with self.session.post(f"{self.base}/api/unlock", json=body, headers=self.headers):
            pass

    async def act(self, action: str, argument: str, expect: str) -> float:
        started = time.perf_counter()
        if action == "send":
            path, body = "/api/send", {"text": argument, "language": "vi"}
        else:
            message, data = self.button(argument)
            path, body = "/api/press", {"message_id": message, "data": data, "language": "vi"}
        async with self.session.post(self.base + path, json=body, headers=self.headers) as r:
            if r.status != 200:
                raise LookupError(f"HTTP {r.status}")
            self.view = await r.json()
        # The answer is a new message or the question edited in place, a few messages back.
        if not any(expect in m["html"] for m in self.view["messages"][-6:]):
            raise LookupError(f"no {expect!r}")
        return time.perf_counter() - started

    def button(self, label: str) -> tuple[int, str]:
        for message in reversed(self.view["messages"]):
            for row in message["buttons"]:
                for button in row:
                    if button["text"] == label:
                        return message["id"], button["data"]
        raise LookupError(label)


async def run_browsers(base: str, count: int) -> dict:
    connector = aiohttp.TCPConnector(limit=count)
    async with aiohttp.ClientSession(connector=connector) as session:
        browsers = [Browser(session, base) for _ in range(count)]
        await asyncio.gather(*(b.unlock() for b in browsers))
        latencies: list[float] = []
        unfinished: Counter[str] = Counter()

        async def browse(browser: Browser) -> None:
            for action, argument, expect in TIP_STEPS:
                try:
                    latencies.append(await browser.act(action, argument, expect))
                except (LookupError, aiohttp.ClientError) as error:
                    unfinished[str(error)] += 1
                    return

        started = time.perf_counter()
        await asyncio.gather(*(browse(b) for b in browsers))
        elapsed = time.perf_counter() - started
    return {
        "people": count,
        "unfinished": sum(unfinished.values()),
        "why_unfinished": dict(unfinished),
        "updates": len(latencies),
        "seconds": round(elapsed, 2),
        "updates_per_second": round(len(latencies) / elapsed, 1),
        "p50_ms": round(statistics.median(latencies) * 1000, 1),
        "p95_ms": round(percentile(latencies, 0.95) * 1000, 1),
    }


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


async def main(residents: int) -> dict:
    sandbox = Sandbox(token=TOKEN, bot_username="tipbot_bench_bot")
    await sandbox.start()
    port = free_port()
    figures: dict = {}
    try:
        with tempfile.TemporaryDirectory() as data:
            env = {
                "TIPBOT_TOKEN": TOKEN,
                "TIPBOT_API_URL": sandbox.base_url,
                "TIPBOT_MAX_MESSAGES_PER_SECOND": "1000",
                "TIPBOT_DATA_DIR": data,
                "TIPBOT_LOG_LEVEL": "WARNING",
                "TIPBOT_MAX_TIPS_PER_DAY": "1000",
                "TIPBOT_WEB_LISTEN": f"127.0.0.1:{port}",
            }

            pids: list[int] = []

            async def work() -> dict:
                figures["telegram"] = await run_people(sandbox, residents, TIP_STEPS, "t")
                figures["peak_rss_mb_telegram_phase"] = peak_rss_mb(pids[0])
                figures["web"] = await run_browsers(f"http://127.0.0.1:{port}", residents)
                return {"updates": figures["telegram"]["updates"] + figures["web"]["updates"]}

            process_figures = await with_process(
                sandbox, [sys.executable, "-m", "bot.cli", "run"], env, work, pids.append
            )
            figures["cpu_ms_per_update_both"] = process_figures["cpu_ms_per_update"]
            figures["peak_rss_mb"] = process_figures.get("peak_rss_mb")
    finally:
        await sandbox.stop()
    figures["p95_ratio"] = round(figures["web"]["p95_ms"] / figures["telegram"]["p95_ms"], 2)
    figures["targets"] = {"p95_ratio": "<= 1.5", "peak_rss_mb": "<= 150"}
    return figures


def report(figures: dict) -> None:
    for door in ("telegram", "web"):
        f = figures[door]
        print(
            f"{door:>8} door: {f['people']} people, {f['updates']} answers in {f['seconds']} s: "
            f"{f['updates_per_second']}/s, p50 {f['p50_ms']} ms, p95 {f['p95_ms']} ms, "
            f"unfinished {f['unfinished']} {f.get('why_unfinished') or ''}"
        )
    print(
        f"web p95 / Telegram p95: {figures['p95_ratio']} (target <= 1.5); peak RSS of the bot "
        f"with both doors: {figures['peak_rss_mb']} MB (target <= 150; after the Telegram "
        f"door's run alone: {figures['peak_rss_mb_telegram_phase']} MB); CPU per answer "
        f"{figures['cpu_ms_per_update_both']} ms"
    )


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--residents", type=int, default=200)
    args = parser.parse_args()
    result = asyncio.run(main(args.residents))
    report(result)
    RESULTS.mkdir(parents=True, exist_ok=True)
    (RESULTS / "webdoor.json").write_text(json.dumps(result, indent=2))
