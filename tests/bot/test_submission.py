"""The resident's services say no with one result type, Refused(reason), never a bare string."""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from bot import submission
from bot.communes import CommuneDirectory
from bot.config import Keys, load_config
from bot.receipts import new_receipt
from bot.refusals import Reason, Refused
from bot.runtime import Runtime
from storage import bans
from storage.db import Database


@pytest.fixture
async def runtime(tmp_path: Path):
    db = await Database.open(tmp_path / "tipbot.sqlite3")
    config = load_config({"TIPBOT_TOKEN": "1:abc", "TIPBOT_DATA_DIR": str(tmp_path)})
    yield Runtime(config, Keys(b"p" * 32, b"w" * 32), db, CommuneDirectory([], []), "Lâm Đồng")
    await db.close()


async def test_a_banned_resident_is_refused_before_starting(runtime):
    assert await submission.refusal_before_start(runtime, "someone") is None
    await bans.ban(runtime.db, "someone", "spam", banned_by=None)
    assert await submission.refusal_before_start(runtime, "someone") == Refused(Reason.BANNED)


async def test_wrong_receipts_are_refused_with_their_reason_then_throttled(runtime):
    status = submission.status_for_receipt
    assert await status(runtime, "guesser", "not a receipt") == Refused(Reason.MALFORMED)
    for _ in range(submission.STATUS_FAILURES_PER_HOUR - 1):
        assert await status(runtime, "guesser", new_receipt()) == Refused(Reason.UNKNOWN)
    assert await status(runtime, "guesser", new_receipt()) == Refused(Reason.THROTTLED)
    assert await status(runtime, "someone else", new_receipt()) == Refused(Reason.UNKNOWN)


async def test_an_unshown_receipt_expires_at_a_day_boundary(runtime):
    """Not 30 days to the second after its tip: a database copy would tie the two by the time."""
    day = 24 * 3600
    before = int(time.time())
    await submission.keep_receipt(runtime, "pseudonym", "AB12CD", "receipt-text")
    after = int(time.time())
    expires_at = await runtime.db.fetch_value("SELECT expires_at FROM pending_inputs")
    assert expires_at % day == 0
    assert before + submission.RECEIPT_KEPT <= expires_at < after + submission.RECEIPT_KEPT + day
    [shown] = await submission.unshown_receipts(runtime, "pseudonym")
    assert shown.code == "AB12CD"
