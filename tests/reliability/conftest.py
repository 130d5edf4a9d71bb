"""Fixtures of the reliability suite: DEBUG logs captured as production would write them, and the
trail of every database and log the suite produced, which the anonymity audit reads last."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from bot.logging_setup import configure_logging, secrets_of_token
from sandbox.world import User
from tests.conftest import TOKEN

AUDIT_TEST = "test_anonymity_audit.py"


def pytest_collection_modifyitems(config, items):
    """The anonymity audit reads what the other reliability tests left: it runs last."""
    items.sort(key=lambda item: item.nodeid.split("::")[0].endswith(AUDIT_TEST))


@dataclass
class Trail:
    """What one test left behind: its database, its logs, and who the residents were."""

    name: str
    db_path: Path
    logs: list[Path] = field(default_factory=list)
    residents: list[User] = field(default_factory=list)
    receipts: list[str] = field(default_factory=list)
    texts: list[str] = field(default_factory=list)  # what residents and officers typed about tips


@dataclass
class AuditTrail:
    trails: list[Trail] = field(default_factory=list)

    def add(self, name: str, db_path: Path, logs: list[Path] | None = None) -> Trail:
        trail = Trail(name, db_path, list(logs or []))
        self.trails.append(trail)
        return trail


@pytest.fixture(scope="session")
def audit_trail() -> AuditTrail:
    return AuditTrail()


LIBRARIES = ("httpx", "httpcore", "apscheduler", "aiosqlite")  # configure_logging sets these


@contextmanager
def log_to(path: Path, level: str = "DEBUG") -> Iterator[Path]:
    """The in-process bot's log at `level`, set up by production's own `configure_logging`
    (bot/logging_setup.py: its format, redaction, payload filter and library levels) into a file
    the audit scans. DEBUG is what an operator turns on to investigate; the tests that need speed
    keep production's INFO. pytest's own log capture is kept beside it."""
    root = logging.getLogger()
    saved_handlers, saved_level = list(root.handlers), root.level
    saved_levels = {name: logging.getLogger(name).level for name in LIBRARIES}
    with path.open("a", encoding="utf-8") as stream:
        configure_logging(level, secrets_of_token(TOKEN), stream=stream)
        for handler in saved_handlers:
            root.addHandler(handler)
        try:
            yield path
        finally:
            for handler in list(root.handlers):
                root.removeHandler(handler)
            for handler in saved_handlers:
                root.addHandler(handler)
            root.setLevel(saved_level)
            for name, old in saved_levels.items():
                logging.getLogger(name).setLevel(old)


@pytest.fixture
def debug_log(tmp_path) -> Iterator[Path]:
    with log_to(tmp_path / "debug.log") as path:
        yield path


@pytest.fixture
def admin_user(sandbox):
    """A province admin (a module gives TIPBOT_ADMIN_IDS through its `bot_settings`)."""
    return sandbox.add_user("Quản trị", language_code="vi")
