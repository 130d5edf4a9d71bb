"""Casework services, without Telegram: what they write to the outbox."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot import casework
from bot.communes import CommuneDirectory
from bot.config import Keys, load_config
from bot.runtime import Runtime
from storage import communes as store
from storage import officers, outbox, tips
from storage.communes import Commune
from storage.db import Database
from storage.tips import NewTip

COMMUNE, OFFICER, ADMIN = 24781, 1001, 9001
T0 = 1_750_000_000


@pytest.fixture
async def runtime(tmp_path: Path):
    db = await Database.open(tmp_path / "tipbot.sqlite3")
    communes = [Commune(COMMUNE, "Xuân Hương", "phường", "xuan huong", 68)]
    await store.replace_province(db, 68, "test", communes, [], now=T0)
    config = load_config(
        {"TIPBOT_TOKEN": "1:abc", "TIPBOT_DATA_DIR": str(tmp_path), "TIPBOT_ADMIN_IDS": str(ADMIN)}
    )
    await officers.ensure_admins(db, config.admin_ids, now=T0)
    await officers.add(db, OFFICER, "Officer", now=T0)
    await officers.add_commune(db, OFFICER, COMMUNE)
    yield Runtime(
        config, Keys(b"p" * 32, b"w" * 32), db, CommuneDirectory(communes, []), "Lâm Đồng"
    )
    await db.close()


async def test_an_answer_with_media_reaches_the_officers_with_its_kind(runtime):
    """The media answer once crashed: `kind` went to routing twice (the outbox kind and the
    media's), a TypeError that mypy reports."""
    tip = await tips.insert(
        runtime.db,
        NewTip("K7Q2M", "scrypt$r", "fraud", "…", b"sealed", commune_code=COMMUNE),
        now=T0,
    )
    await tips.add_notification(runtime.db, tip.id, OFFICER, 55)

    await casework.relay_answer(runtime, tip, "", tips.Attachment("photo", "AgAD-answer", "u1"))

    due = await outbox.claim_due(runtime.db, limit=10)
    media = [item for item in due if item.kind == "staff_answer_media"]
    assert [m.chat_id for m in media] == [OFFICER]
    stored = await tips.message_file(runtime.db, media[0].payload["message_id"])
    assert stored == tips.Attachment("photo", "AgAD-answer", "u1")
