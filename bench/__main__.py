"""Every benchmark in turn, each printing its figures beside its baseline (`make bench`).

    .venv/bin/python -m bench [name ...]

Each runs as a process of its own (`python -m bench.<name>`), so that one's memory, threads and
leftovers cannot colour the next one's figures. They run at the issue's sizes, in under 15
minutes on two cores; the longest part is the broadcast with Telegram's limits on, 10,000
subscribers at the engine's default 29/s (about 350 s). The storage benchmark generates its
million tips on the first run only (a few minutes) and reuses the file after.

The figures depend on what else the machine is doing: the load average is printed before and
after each benchmark. Ctrl+C, a failure or a SIGTERM stops the running benchmark and everything
it started (each runs in a process group of its own, which is signalled as a whole).
"""

from __future__ import annotations

import argparse
import contextlib
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

from bench.results import write_results

RESULTS = Path(__file__).parent / "results"
BENCHMARKS = {
    "commune_search": [],
    "intake": ["--residents", "500"],
    "broadcast": ["--paced", "10000", "--fast", "10000", "--memory", "100000"],
    "storage": ["--tips", "1000000"],
    "webdoor": ["--residents", "200"],
}
GRACE = 20  # seconds a benchmark gets to stop its own processes after SIGINT


class Stop(Exception):
    """SIGTERM: stop like Ctrl+C does."""


def _stop(_signum, _frame) -> None:
    raise Stop


def load() -> str:
    return " ".join(f"{x:.2f}" for x in os.getloadavg())


def _signal_group(process: subprocess.Popen, signum: int) -> None:
    with contextlib.suppress(ProcessLookupError):  # the group is gone: all of it has exited
        os.killpg(process.pid, signum)


def run(name: str, args: list[str]) -> int:
    """One benchmark; its whole process group is gone when this returns, however it ends."""
    process = subprocess.Popen(
        [sys.executable, "-m", f"bench.{name}", *args], start_new_session=True
    )
    try:
        return process.wait()
    except BaseException:
        # Ctrl+C reaches only this process (the benchmark has a session of its own): pass it on
        # so the benchmark's own `finally` blocks stop what it started, then insist.
        _signal_group(process, signal.SIGINT)
        try:
            process.wait(GRACE)
        except subprocess.TimeoutExpired:
            _signal_group(process, signal.SIGTERM)
            with contextlib.suppress(subprocess.TimeoutExpired):
                process.wait(5)
        raise
    finally:
        _signal_group(process, signal.SIGKILL)  # anything left behind (a bot, a sandbox)
        process.wait()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("names", nargs="*", metavar="name", help=", ".join(BENCHMARKS))
    options = parser.parse_args()
    names = options.names or list(BENCHMARKS)
    if unknown := [name for name in names if name not in BENCHMARKS]:
        parser.error(f"no benchmark {', '.join(unknown)}; there are {', '.join(BENCHMARKS)}")
    signal.signal(signal.SIGTERM, _stop)

    print(f"bench: {', '.join(names)} on {os.cpu_count()} CPUs; load average {load()}", flush=True)
    started = time.perf_counter()
    runs = {}
    try:
        for name in names:
            args = BENCHMARKS[name]
            print(f"\n== {name} {' '.join(args)}".rstrip(), flush=True)
            began = time.perf_counter()
            code = run(name, args)
            seconds = round(time.perf_counter() - began, 1)
            runs[name] = {"exit": code, "seconds": seconds, "load_after": load()}
            status = "ok" if code == 0 else f"FAILED (exit {code})"
            print(f"-- {name}: {status} in {seconds} s; load average {load()}", flush=True)
    except (KeyboardInterrupt, Stop):
        print("\nbench: stopped", file=sys.stderr)
        return 130
    total = round(time.perf_counter() - started, 1)
    write_results("run", {"benchmarks": runs, "seconds": total}, RESULTS)
    failed = [name for name, run_ in runs.items() if run_["exit"] != 0]
    print(f"\nbench: done in {total / 60:.1f} min", end="")
    print(f"; FAILED: {', '.join(failed)}" if failed else "", flush=True)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
