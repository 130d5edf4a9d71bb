"""The bot as a separate process (`tipbot run`), for tests that kill it with SIGKILL."""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
from pathlib import Path

from sandbox.server import Sandbox


class BotProcess:
    POLL = 0.05  # seconds between looks at whether the bot polls yet

    def __init__(self, sandbox: Sandbox, env: dict[str, str], log_path: Path) -> None:
        self.sandbox, self.env, self.log_path = sandbox, env, log_path
        self.process: subprocess.Popen | None = None

    def _spawn(self, argv: list[str], **options) -> subprocess.Popen:
        """A Python process with the bot's environment (none of the test runner's TIPBOT_*),
        writing to the log."""
        environment = {k: v for k, v in os.environ.items() if not k.startswith("TIPBOT_")}
        environment.update(self.env)
        with self.log_path.open("ab") as log:
            return subprocess.Popen(
                [sys.executable, *argv],
                env=environment,
                cwd=self.log_path.parent,
                stdout=log,
                stderr=subprocess.STDOUT,
                **options,
            )

    def _launch(self) -> subprocess.Popen:
        return self._spawn(["-m", "bot.cli", "run"])

    async def start(self) -> None:
        seen = len(self.sandbox.calls)
        self.process = self._launch()
        for _ in range(int(30 / self.POLL)):
            if any(c.method == "getUpdates" for c in self.sandbox.calls[seen:]):
                return
            if self.process.poll() is not None:
                raise RuntimeError(f"the bot exited: {self.log_path.read_text()[-2000:]}")
            await asyncio.sleep(self.POLL)
        raise TimeoutError("the bot process did not start polling")

    def kill(self) -> None:
        """SIGKILL: no shutdown code runs, like a power cut or the OOM killer."""
        if self.process is not None and self.process.poll() is None:
            self.process.send_signal(signal.SIGKILL)
            self.process.wait(10)
        self.process = None

    async def terminate(self) -> None:
        """SIGTERM and a wait that keeps the event loop turning: the sandbox runs in it and must
        answer the bot's last calls while it shuts down."""
        running, self.process = self.process, None
        if running is None or running.poll() is not None:
            return
        running.terminate()
        for _ in range(400):
            if running.poll() is not None:
                return
            await asyncio.sleep(0.05)
        running.kill()
        running.wait(10)


class WarmBotProcess(BotProcess):
    """Like BotProcess, with one difference: the next process is started ahead, has imported the
    bot, and waits for its turn on stdin. A restart then costs the bot's start-up, not Python's
    imports — many kills fit in a test. It runs the same `bot.cli.main(["run"])`."""

    POLL = 0.02
    _CODE = (
        "import sys; import bot.cli, bot.runner; "
        "sys.exit(bot.cli.main(['run']) if sys.stdin.readline() else 0)"
    )

    def __init__(self, sandbox: Sandbox, env: dict[str, str], log_path: Path) -> None:
        super().__init__(sandbox, env, log_path)
        self._standby: subprocess.Popen | None = None

    def _launch(self) -> subprocess.Popen:
        process, self._standby = self._standby or self._warm(), None
        process.stdin.write(b"run\n")
        process.stdin.flush()
        self._standby = self._warm()  # warms up while this one runs
        return process

    def _warm(self) -> subprocess.Popen:
        return self._spawn(["-c", self._CODE], stdin=subprocess.PIPE)

    async def terminate(self) -> None:
        """The running bot stops cleanly; the standby is told to exit without running."""
        if self._standby is not None:
            self._standby.stdin.close()  # an empty line: exit without running
            self._standby.wait(10)
            self._standby = None
        await super().terminate()
