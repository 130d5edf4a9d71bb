"""The unshown receipt's row does not carry its tip's second (a database copy would match it)."""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from bot import submission
from bot.communes import CommuneDirectory
from bot.config import Keys, load_config
from bot.runtime import Runtime
from storage.db import Database

DAY = 24 * 3600


@pytest.fixture
async def runtime(tmp_path: Path):
    db = await Database.open(tmp_path / "tipbot.sqlite3")
    config = load_config({"TIPBOT_TOKEN": "1:abc", "TIPBOT_DATA_DIR": str(tmp_path)})
    yield Runtime(config, Keys(b"p" * 32, b"w" * 32), db, CommuneDirectory([], []), "Lâm Đồng")
    await db.close()


async def test_an_unshown_receipt_expires_at_a_day_boundary(runtime):
    before = int(time.time())
    await submission.keep_receipt(runtime, "pseudonym", "AB12CD", "receipt-text")
    after = int(time.time())
    expires_at = await runtime.db.fetch_value("SELECT expires_at FROM pending_inputs")
    assert expires_at % DAY == 0
    assert before + submission.RECEIPT_KEPT <= expires_at < after + submission.RECEIPT_KEPT + DAY
    [shown] = await submission.unshown_receipts(runtime, "pseudonym")
    assert shown.code == "AB12CD"
