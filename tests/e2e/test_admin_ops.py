"""The operators' commands against a running bot, as separate processes the way an operator (or
Docker's HEALTHCHECK, or cron) runs them: check, stats --png, export, backup; restore refused
while the bot runs and done once it is stopped, the bot then starting on the restored data."""

from __future__ import annotations

import asyncio
import csv
import io
import os
import sys
from pathlib import Path

import pytest

from bot.chart import SIZE
from tests.e2e.driver import Person
from tests.e2e.test_admin import png_size
from tests.e2e.test_officers import send_tip

pytestmark = pytest.mark.slow


async def tipbot(bot, *args: str, env: dict[str, str] | None = None) -> tuple[int, str, str]:
    """`python -m bot.cli ARGS` with the bot's environment, without blocking the event loop
    (the sandbox the command talks to runs in it)."""
    environment = {k: v for k, v in os.environ.items() if not k.startswith("TIPBOT_")}
    environment.update(bot.env if env is None else env)
    process = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "bot.cli", *args, env=environment, cwd=Path(__file__).parents[2],
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE,
    )  # fmt: skip
    out, err = await asyncio.wait_for(process.communicate(), 120)
    return process.returncode, out.decode(), err.decode()


async def test_operators_commands_beside_the_running_bot(sandbox, bot, tmp_path):
    resident = Person(sandbox, sandbox.add_user("Lan"), timeout=15)
    first = await send_tip(resident)

    code, out, err = await tipbot(bot, "check", "--running")
    lines = out.splitlines()
    assert code == 0, out + err
    assert [line.split(":")[0] for line in lines] == [
        "ok   configuration", "ok   keys", "ok   database", "ok   bot api", "ok   bot",
    ]  # fmt: skip
    assert "@tipbot_test_bot" in out and f"pid {os.getpid()}" in out
    assert bot.config.token not in out + err

    png = tmp_path / "chart.png"
    code, out, err = await tipbot(bot, "stats", "--png", str(png), "--language", "en")
    assert code == 0, err
    assert "1 tips, 1 of them urgent" in out and "(this month)" in out
    assert png_size(png.read_bytes()) == SIZE

    csv_path = tmp_path / "tips.csv"
    code, out, err = await tipbot(bot, "export", "--from", "2020-01-01", "--out", str(csv_path))
    assert code == 0 and "1 tips written" in out, err
    rows = list(csv.DictReader(io.StringIO(csv_path.read_text(encoding="utf-8-sig"))))
    assert [row["Mã tin báo"] for row in rows] == [first]

    code, out, err = await tipbot(bot, "backup")
    assert code == 0, err
    backup = Path(out.split(" (")[0])
    assert backup.parent == bot.config.data_dir / "backups" and backup.exists()

    code, out, err = await tipbot(bot, "restore", str(backup))
    assert code == 1 and "the bot is running (pid" in err and "stop it first" in err
    code, out, err = await tipbot(bot, "run")  # a second bot on the same data: refused at once
    assert code == 1 and f"tipbot: run: the bot is running (pid {os.getpid()})" in err

    second = await send_tip(resident)  # after the backup
    await bot.stop()
    code, out, err = await tipbot(bot, "check", "--running")
    assert code == 1 and "FAIL bot: not running" in out
    code, out, err = await tipbot(bot, "restore", str(backup))
    assert code == 0, err
    assert "1 tips" in out and "before-restore-" in out
    await bot.start()
    with bot.db() as conn:
        codes = [row[0] for row in conn.execute("SELECT code FROM tips")]
    assert codes == [first] and second not in codes
    await Person(sandbox, sandbox.add_user("Bảy"), timeout=15).send("/start", expect="ẩn danh")


async def test_check_says_what_is_wrong(sandbox, tmp_path):
    from tests.conftest import bot_env

    class Fake:
        env = bot_env(sandbox, tmp_path / "data")

    code, out, _ = await tipbot(Fake, "check")
    assert code == 1
    assert "FAIL keys:" in out and "FAIL database:" in out and "ok   bot api:" in out
    assert "ok   bot: not running" in out  # only --running makes that a failure
    code, out, _ = await tipbot(Fake, "check", env={**Fake.env, "TIPBOT_TOKEN": "nonsense"})
    assert code == 1 and out.startswith("FAIL configuration: TIPBOT_TOKEN")
    bad_token = {**Fake.env, "TIPBOT_TOKEN": "4242:wrong-token"}
    code, out, _ = await tipbot(Fake, "check", env=bad_token)
    assert "FAIL bot api: the Bot API rejected TIPBOT_TOKEN" in out
    assert "wrong-token" not in out
