"""PTB's CallbackContext with a typed door to our Runtime."""

from __future__ import annotations

from typing import cast

from telegram.ext import Application, CallbackContext, ExtBot, JobQueue

from bot.runtime import Runtime

RUNTIME_KEY = "runtime"


class TipbotContext(CallbackContext[ExtBot, dict, dict, dict]):
    @property
    def runtime(self) -> Runtime:
        return self.application.bot_data[RUNTIME_KEY]


def job_queue(application: Application) -> JobQueue:
    """PTB's job queue is optional; tipbot installs PTB with its job-queue extra (pyproject.toml),
    so the application always has one."""
    return cast(JobQueue, application.job_queue)


def attach_runtime(application: Application, runtime: Runtime) -> None:
    application.bot_data[RUNTIME_KEY] = runtime
