"""The import contracts of `make lint` (lint-imports, [tool.importlinter] in pyproject.toml) catch
an import across the layers.

Each test copies the four packages and the configuration beside each other in a temporary
directory, adds the import a careless change would add, and runs `lint-imports` there.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
PACKAGES = ("bot", "handlers", "storage", "sandbox")
LINT_IMPORTS = Path(sys.executable).with_name("lint-imports")

pytestmark = pytest.mark.slow  # a subprocess per test


@pytest.fixture
def lint(tmp_path: Path):
    """`lint(module, line)` adds `line` to a copy of `module`, then runs the contracts:
    (exit status, report)."""
    for package in PACKAGES:
        shutil.copytree(
            ROOT / package, tmp_path / package, ignore=shutil.ignore_patterns("__pycache__")
        )
    shutil.copy(ROOT / "pyproject.toml", tmp_path)

    def run(module: str | None = None, line: str = "") -> tuple[int, str]:
        if module is not None:
            path = tmp_path / (module.replace(".", "/") + ".py")
            path.write_text(path.read_text() + f"\n{line}\n")
        done = subprocess.run(
            [str(LINT_IMPORTS), "--no-cache"],
            cwd=tmp_path,
            env={"PYTHONPATH": str(tmp_path), "PATH": "/usr/bin:/bin"},
            capture_output=True,
            text=True,
            timeout=120,
        )
        return done.returncode, done.stdout + done.stderr

    return run


def test_the_layers_hold_today(lint):
    status, report = lint()
    assert status == 0, report
    assert "5 kept, 0 broken" in report


def test_storage_importing_a_service_is_refused(lint):
    status, report = lint("storage.tips", "from bot import routing  # noqa")
    assert status == 1
    assert "storage (SQL) imports neither the services nor the handlers BROKEN" in report
    assert "storage.tips -> bot.routing" in report


def test_a_service_importing_a_handler_is_refused(lint):
    status, report = lint("bot.casework", "from handlers import common  # noqa")
    assert status == 1
    assert "services import handlers only in the composition root, bot/app.py BROKEN" in report


def test_the_composition_root_may_import_the_handlers(lint):
    status, report = lint("bot.app", "from handlers import common  # noqa")
    assert status == 0, report


def test_the_sandbox_importing_storage_is_refused(lint):
    status, report = lint("sandbox.world", "import storage.db  # noqa")
    assert status == 1
    assert "the sandbox (a fake Telegram) knows nothing of the bot BROKEN" in report


def test_a_view_querying_storage_is_refused(lint):
    status, report = lint("handlers.officer_views", "from storage import tips  # noqa")
    assert status == 1
    assert "handlers read and write storage only through bot/ services BROKEN" in report
    assert "handlers.officer_views -> storage.tips" in report


def test_a_handler_querying_storage_is_refused(lint):
    status, report = lint("handlers.desk", "from storage.tips import Tip  # noqa")
    assert status == 1
    assert "handlers read and write storage only through bot/ services BROKEN" in report


def test_a_handler_opening_the_way_back_is_refused(lint):
    status, report = lint(
        "handlers.notifications", "from bot.anonymity import open_way_back  # noqa"
    )
    assert status == 1
    assert (
        "only services open the sealed way back (bot/tipster.py for the handlers) BROKEN" in report
    )
