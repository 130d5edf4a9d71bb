"""Intake under load: N residents at once each send a whole tip through the sandbox, beside a bare
PTB echo bot answering the same number of messages on the same sandbox, in the same run.

    .venv/bin/python -m bench.intake [--residents 500]

Both bots run as separate processes (`tipbot run`, and bench/echo_bot.py), so each has a core of
its own like in production, and the sandbox with the simulated residents runs here. Each resident
does the 6 actions of a tip whose commune they do not know (a command, taps and texts) and waits
for the bot's answer before the next, like a person; the echo bot gets as many texts per
resident. Reported: updates handled per second, and p50/p95 latency from an action to the bot's
answer. A test (tests/e2e/test_bench_steps.py) walks these steps through the real bot, so a
change of the conversation cannot leave the benchmark measuring timeouts.
Targets (issue 7): tipbot ≥ half the echo bot's throughput; p95 ≤ 2 × the echo bot's.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Awaitable, Callable
from pathlib import Path

from bench.results import write_results
from sandbox.server import Sandbox

RESULTS = Path(__file__).parent / "results"
TOKEN = "5555:bench-token-not-a-secret"
# TIPBOT_BENCH_PROFILE=FILE runs tipbot under cProfile and writes its profile there.
PROFILE = (
    ["-m", "cProfile", "-o", os.environ["TIPBOT_BENCH_PROFILE"]]
    if os.environ.get("TIPBOT_BENCH_PROFILE")
    else []
)

# One resident's tip, as (action, argument, a fragment of the bot's answer to wait for).
TIP_STEPS = [
    ("send", "/report", "Bạn muốn báo tin về việc gì?"),
    ("tap", "📝 Việc khác", "đang diễn ra"),
    ("tap", "Không", "xã, phường"),
    ("tap", "Tôi không rõ", "kể lại sự việc"),
    ("send", "Có người đốt rác thải nhựa ở bãi đất trống cuối thôn 3 mỗi tối", "kiểm tra lại"),
    ("tap", "✅ Gửi tin báo", "Tin báo đã được gửi"),
]


def cpu_seconds(pid: int) -> float:
    """User + system CPU seconds a process (all its threads) has used so far (Linux)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def peak_rss_mb(pid: int) -> float:
    """The process's peak resident memory so far (Linux's VmHWM), in MB."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return round(int(line.split()[1]) / 1024, 1)
    return 0.0


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(share * len(ordered)))]


async def act(sandbox: Sandbox, user, action: str, argument: str, expect: str) -> float:
    """Does one action and returns the seconds until the bot's answer containing `expect`."""
    since = sandbox.version
    started = time.perf_counter()
    if action == "send":
        await sandbox.send_text(user, argument)
    else:
        await sandbox.press_button(user, argument)
    await sandbox.wait_for_message(
        user.id,
        timeout=120,
        predicate=lambda m: expect in (m.get("text") or ""),
        since=since,
    )
    return time.perf_counter() - started


async def run_people(
    sandbox: Sandbox, count: int, steps: list[tuple[str, str, str]], tag: str
) -> dict[str, float]:
    users = [sandbox.add_user(f"{tag}{n}", language_code="vi") for n in range(count)]
    latencies: list[float] = []
    unfinished = 0

    async def person(user) -> None:
        nonlocal unfinished
        for action, argument, expect in steps:
            try:
                latencies.append(await act(sandbox, user, action, argument, expect))
            except (TimeoutError, LookupError):
                # No answer within the timeout, or the button to tap never came: this person
                # gives up, counted, rather than the whole run stopping.
                unfinished += 1
                return

    started = time.perf_counter()
    await asyncio.gather(*(person(user) for user in users))
    elapsed = time.perf_counter() - started
    return {
        "people": count,
        "unfinished": unfinished,
        "updates": len(latencies),
        "seconds": round(elapsed, 2),
        "updates_per_second": round(len(latencies) / elapsed, 1),
        "p50_ms": round(statistics.median(latencies) * 1000, 1),
        "p95_ms": round(percentile(latencies, 0.95) * 1000, 1),
    }


async def with_process(
    sandbox: Sandbox,
    argv: list[str],
    env: dict[str, str],
    work: Callable[[], Awaitable[dict]],
    on_start: Callable[[int], None] = lambda pid: None,
) -> dict:
    environment = {k: v for k, v in os.environ.items() if not k.startswith("TIPBOT_")} | env
    seen = len(sandbox.calls)
    log_path = RESULTS / f"{argv[-1].replace('.', '_')}.log"
    log_path.parent.mkdir(parents=True, exist_ok=True)
    with log_path.open("wb") as log:
        process = subprocess.Popen(  # noqa: ASYNC220
            argv, env=environment, stdout=log, stderr=subprocess.STDOUT
        )
    try:
        while not any(c.method == "getUpdates" for c in sandbox.calls[seen:]):
            if process.poll() is not None:
                raise RuntimeError(f"{argv} exited with {process.returncode}")
            await asyncio.sleep(0.05)
        cpu_before = cpu_seconds(process.pid)
        on_start(process.pid)
        figures = await work()
        cpu = cpu_seconds(process.pid) - cpu_before
        # CPU time per update barely depends on what else the machine runs: the steadier figure.
        figures["cpu_ms_per_update"] = round(cpu * 1000 / max(1, figures["updates"]), 2)
        figures["peak_rss_mb"] = peak_rss_mb(process.pid)
        return figures
    finally:
        process.terminate()  # both bots stop cleanly on SIGTERM; a stuck one is killed
        try:
            process.wait(30)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


async def main(residents: int) -> dict:
    sandbox = Sandbox(token=TOKEN, bot_username="tipbot_bench_bot")
    await sandbox.start()
    try:
        # Both bots may send as fast as the paid-broadcast tier allows, so the figures show what
        # each costs per update rather than Telegram's free 30 messages a second.
        env = {
            "TIPBOT_TOKEN": TOKEN,
            "TIPBOT_API_URL": sandbox.base_url,
            "TIPBOT_MAX_MESSAGES_PER_SECOND": "1000",
        }
        echo = await with_process(
            sandbox,
            [sys.executable, "-m", "bench.echo_bot"],
            env,
            lambda: run_people(
                sandbox, residents, [("send", "xin chào", "xin chào")] * len(TIP_STEPS), "e"
            ),
        )
        with tempfile.TemporaryDirectory() as data:
            tipbot_env = env | {
                "TIPBOT_DATA_DIR": data,
                "TIPBOT_LOG_LEVEL": "WARNING",
            }
            tipbot = await with_process(
                sandbox,
                [sys.executable, *PROFILE, "-m", "bot.cli", "run"],
                tipbot_env,
                lambda: run_people(sandbox, residents, TIP_STEPS, "r"),
            )
    finally:
        await sandbox.stop()
    return {
        "echo_bot": echo,
        "tipbot": tipbot,
        "throughput_ratio": round(tipbot["updates_per_second"] / echo["updates_per_second"], 2),
        "p95_ratio": round(tipbot["p95_ms"] / echo["p95_ms"], 2),
        "cpu_ratio": round(tipbot["cpu_ms_per_update"] / echo["cpu_ms_per_update"], 2),
        "targets": {"throughput_ratio": ">= 0.5", "p95_ratio": "<= 2"},
    }


def report(figures: dict) -> None:
    print(f"{'intake':<12}{'updates/s':>12}{'p50 ms':>10}{'p95 ms':>10}{'CPU ms/update':>15}")
    for name in ("echo_bot", "tipbot"):
        row = figures[name]
        print(
            f"{name:<12}{row['updates_per_second']:>12}{row['p50_ms']:>10}{row['p95_ms']:>10}"
            f"{row['cpu_ms_per_update']:>15}"
        )
        if row["unfinished"]:
            print(f"  {row['unfinished']} of {row['people']} did not finish (no answer in time)")
    print(
        f"ratio: throughput {figures['throughput_ratio']} (target >= 0.5), "
        f"p95 {figures['p95_ratio']} (target <= 2), CPU per update {figures['cpu_ratio']}"
    )


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--residents", type=int, default=500)
    args = parser.parse_args()
    figures = asyncio.run(main(args.residents))
    report(figures)
    write_results("intake", figures, RESULTS)
