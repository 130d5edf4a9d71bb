"""The type checker of `make lint` catches the mistakes it is there for.

mypy runs with the project's own configuration (pyproject.toml) on a small module beside the
project that imports it; the module is written the way a careless change would be.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from mypy import api

ROOT = Path(__file__).resolve().parents[2]

pytestmark = pytest.mark.slow  # mypy analyses the imported project: seconds, not milliseconds


@pytest.fixture
def typecheck(tmp_path: Path, monkeypatch):
    monkeypatch.chdir(ROOT)  # the project's packages and mypy's cache are found from here

    def run(source: str) -> tuple[int, str]:
        module = tmp_path / "careless_change.py"
        module.write_text(source)
        out, err, status = api.run(["--config-file", str(ROOT / "pyproject.toml"), str(module)])
        return status, out + err

    return run


def test_a_keyword_given_twice_fails_the_check(typecheck):
    """The crash of the tipster's media answer: a keyword that routing already takes."""
    status, report = typecheck(
        "from bot import routing\n"
        "async def relay(runtime, tip) -> None:\n"
        "    await routing.to_tip_chats(\n"
        '        runtime, tip, "staff_answer_media", "key", outbox_kind="photo"\n'
        "    )\n",
    )
    assert status == 1
    assert 'gets multiple values for keyword argument "outbox_kind"' in report


def test_an_unchecked_optional_in_a_handler_fails_the_check(typecheck):
    status, report = typecheck(
        "from telegram import Update\n"
        "async def handler(update: Update) -> int:\n"
        "    return update.effective_user.id\n",
    )
    assert status == 1
    assert "[union-attr]" in report


def test_the_same_code_written_right_passes(typecheck):
    status, report = typecheck(
        "from telegram import Update\n"
        "from handlers.common import user_of\n"
        "async def handler(update: Update) -> int:\n"
        "    return user_of(update).id\n",
    )
    assert status == 0, report
