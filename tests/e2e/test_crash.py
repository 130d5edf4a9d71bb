"""`kill -9` of the bot process at every step of a tip: the resident continues where they were,
and a tip whose receipt was shown is in the database."""

from __future__ import annotations

import pytest

from tests.conftest import bot_env
from tests.e2e.bot_process import BotProcess
from tests.e2e.driver import Person, text_of
from tests.e2e.test_intake import CODE, SENT, start_tip
from tests.e2e.test_intake_robustness import RESUME, STEPS, act

pytestmark = pytest.mark.slow  # the bot runs as `tipbot run` in a subprocess


@pytest.fixture
async def bot_process(sandbox, tmp_path):
    process = BotProcess(sandbox, bot_env(sandbox, tmp_path / "data"), tmp_path / "bot.log")
    await process.start()
    try:
        yield process
    finally:
        await process.terminate()
        log = (tmp_path / "bot.log").read_text(errors="replace")
        assert "Traceback" not in log, log[-3000:]


async def test_sigkill_at_every_step_loses_nothing(sandbox, bot_process, tmp_path):
    lan = Person(sandbox, sandbox.add_user("Lan", language_code="vi"), timeout=20)
    await start_tip(lan, "🚨 Tội phạm")
    for _step, actions in STEPS:
        for how, what, expect in actions:
            await act(lan, how, what, expect)
        bot_process.kill()
        await bot_process.start()
    await lan.send("/report", expect=RESUME)
    done = await lan.tap("✅ Gửi tin báo", expect=SENT)
    code = CODE.search(text_of(done))[0]
    bot_process.kill()  # right after the receipt: the tip must already be stored

    import sqlite3

    with sqlite3.connect(tmp_path / "data" / "tipbot.sqlite3") as conn:
        row = conn.execute("SELECT kind, description FROM tips WHERE code = ?", (code,)).fetchone()
        attachments = conn.execute("SELECT COUNT(*) FROM tip_attachments").fetchone()[0]
        drafts = conn.execute("SELECT COUNT(*) FROM drafts").fetchone()[0]
    assert row == ("drugs", "Có người bán ma túy")
    assert (attachments, drafts) == (1, 0)
    assert not [c for c in sandbox.calls if c.method == "forwardMessage"]
