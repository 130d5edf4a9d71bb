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
    def __init__(self, sandbox: Sandbox, env: dict[str, str], log_path: Path) -> None:
        self.sandbox, self.env, self.log_path = sandbox, env, log_path
        self.process: subprocess.Popen | None = None

    async def start(self) -> None:
        seen = len(self.sandbox.calls)
        environment = {k: v for k, v in os.environ.items() if not k.startswith("TIPBOT_")}
        environment.update(self.env)
        log = self.log_path.open("ab")
        self.process = subprocess.Popen(
            [sys.executable, "-m", "bot.cli", "run"],
            env=environment,
            cwd=self.log_path.parent,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        log.close()
        for _ in range(600):
            if any(c.method == "getUpdates" for c in self.sandbox.calls[seen:]):
                return
            if self.process.poll() is not None:
                raise RuntimeError(f"the bot exited: {self.log_path.read_text()[-2000:]}")
            await asyncio.sleep(0.05)
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
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            for _ in range(400):
                if self.process.poll() is not None:
                    break
                await asyncio.sleep(0.05)
            else:
                self.process.kill()
                self.process.wait(10)
        self.process = None
