"""Where a tip may go, checked again at the moment of sending: a row queued for an officer who was
revoked since (or for a group nobody vouches for any more) is not sent, and the tip reaches whoever
covers it now — the admins' queue when nobody else does."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot import casework, onboarding, routing
from bot.authz import staff_member
from bot.communes import CommuneDirectory, read_province
from bot.config import Keys, load_config
from bot.outbox_worker import Undeliverable
from bot.runtime import Runtime
from handlers.notifications import Notifier
from storage import communes as store
from storage import officers, outbox, tips
from storage.db import Database

LAM_DONG, XUAN_HUONG, LANG_BIANG = 68, 24781, 24846
ADMIN, MINH, NGA = 9001, 1001, 1002
GROUP = -100500


class Application:
    """What Notifier takes from a PTB Application: its bot (never called in these tests)."""

    bot = None


@pytest.fixture(scope="module")
def province():
    return read_province(LAM_DONG)


@pytest.fixture
async def runtime(tmp_path: Path, province):
    db = await Database.open(tmp_path / "tipbot.sqlite3")
    await store.replace_province(db, LAM_DONG, "test", *province)
    config = load_config(
        {"TIPBOT_TOKEN": "1:abc", "TIPBOT_DATA_DIR": str(tmp_path), "TIPBOT_ADMIN_IDS": str(ADMIN)}
    )
    await officers.ensure_admins(db, config.admin_ids)
    yield Runtime(config, Keys(b"p" * 32, b"w" * 32), db, CommuneDirectory(*province), "Lâm Đồng")
    await db.close()


async def officer(runtime: Runtime, user_id: int) -> None:
    await officers.add(runtime.db, user_id, f"Officer {user_id}")
    await officers.add_commune(runtime.db, user_id, XUAN_HUONG)


async def new_tip(runtime: Runtime) -> tips.Tip:
    async with runtime.db.transaction():
        tip = await tips.insert(
            runtime.db,
            tips.NewTip(
                code="K7Q2M", receipt_hash="h", category="crime", description="x",
                way_back=b"sealed", commune_code=XUAN_HUONG,
            ),
        )  # fmt: skip
        await routing.route(runtime, tip)
    return tip


async def rows_for(runtime: Runtime, chat_id: int) -> list[outbox.OutboxItem]:
    items = await outbox.claim_due(runtime.db, limit=100, lease=60)
    await outbox.release_claims(runtime.db)
    return [item for item in items if item.chat_id == chat_id]


async def test_a_card_queued_before_a_revocation_goes_to_the_admins_instead(runtime):
    await officer(runtime, MINH)
    tip = await new_tip(runtime)
    [queued] = await rows_for(runtime, MINH)
    assert await rows_for(runtime, ADMIN) == []
    assert isinstance(await onboarding.revoke(runtime, ADMIN, MINH), onboarding.Revoked)
    # Revoking already re-routed the open tip, and the row for Minh is refused when its turn comes.
    assert [item.kind for item in await rows_for(runtime, ADMIN)] == ["tip"]
    notifier = Notifier(Application(), runtime)
    with pytest.raises(Undeliverable):
        await notifier.tip(queued)
    assert not await routing.covers(runtime, MINH, tip)


async def test_follow_ups_and_card_edits_never_reach_a_revoked_officer(runtime):
    await officer(runtime, MINH)
    await officer(runtime, NGA)
    tip = await new_tip(runtime)
    for chat_id in (MINH, NGA):
        await tips.add_notification(runtime.db, tip.id, chat_id, 77)
    await onboarding.revoke(runtime, ADMIN, MINH)
    nga = await staff_member(runtime, NGA)
    # Queued while Minh still counted (as a relay queued before the revocation would be).
    await outbox.enqueue(
        runtime.db, "staff_text", {"tip_id": tip.id, "template": "note"}, chat_id=MINH,
        dedupe_key="old",
    )  # fmt: skip
    await outbox.enqueue(
        runtime.db, "refresh", {"tip_id": tip.id, "message_id": 77}, chat_id=MINH,
        dedupe_key="old-refresh",
    )  # fmt: skip
    await casework.note(runtime, nga, tip, "ghi chú", chat_id=NGA)
    notifier = Notifier(Application(), runtime)
    for item in await rows_for(runtime, MINH):
        handler = notifier.deliverers()[item.kind]
        with pytest.raises(Undeliverable):
            await handler(item)


async def test_a_group_nobody_vouches_for_gets_nothing(runtime):
    await officer(runtime, MINH)
    await officers.link_group(runtime.db, GROUP, XUAN_HUONG, title="CA", linked_by=MINH)
    tip = await new_tip(runtime)
    assert [i.kind for i in await rows_for(runtime, GROUP)] == ["tip"]
    await officers.set_active(runtime.db, MINH, False)  # even without the revoke's clean-up
    assert await routing.recipients(runtime, XUAN_HUONG) == [ADMIN]
    assert not await routing.is_staff_chat(runtime, GROUP)
    notifier = Notifier(Application(), runtime)
    [queued] = await rows_for(runtime, GROUP)
    with pytest.raises(Undeliverable):
        await notifier.tip(queued)
    assert not await routing.covers(runtime, GROUP, tip)


class RecordingBot:
    """Takes the one message a test lets through (the news of a transfer)."""

    def __init__(self) -> None:
        self.sent: list[tuple[int, str]] = []

    async def send_message(self, chat_id: int, text: str, **_kwargs):
        self.sent.append((chat_id, text))
        return type("Sent", (), {"message_id": len(self.sent)})()


async def test_rows_queued_for_a_chat_that_no_longer_covers_the_tip_are_not_sent(runtime):
    """Minh moved from Xuân Hương to Lang Biang, the group unlinked from Xuân Hương but linked to
    Lang Biang: both still read by staff, neither covers the tip any more. Its queued text,
    files, location and answers are refused; the news of a transfer still reaches them."""
    await officer(runtime, MINH)
    await officer(runtime, NGA)
    await officers.link_group(runtime.db, GROUP, XUAN_HUONG, title="CA", linked_by=MINH)
    tip = await new_tip(runtime)
    queued = []
    for chat_id in (MINH, GROUP):
        await tips.add_notification(runtime.db, tip.id, chat_id, 77)
        for kind, payload in (
            ("tip_text", {"text": "phần sau", "reply_to": 77}),
            ("tip_media", {"kind": "photo", "file_id": "f", "reply_to": 77}),
            ("tip_location", {"reply_to": 77}),
            ("staff_text", {"template": "note", "message_id": 1}),
            ("staff_answer_media", {"message_id": 1}),
        ):
            key = f"{kind}:{chat_id}"
            await outbox.enqueue(
                runtime.db, kind, {"tip_id": tip.id, **payload}, chat_id=chat_id, dedupe_key=key
            )
            queued.append(key)
    await officers.remove_commune(runtime.db, MINH, XUAN_HUONG)
    await officers.add_commune(runtime.db, MINH, LANG_BIANG)
    await officers.unlink_group(runtime.db, GROUP, XUAN_HUONG)
    await officers.link_group(runtime.db, GROUP, LANG_BIANG, title="CA", linked_by=MINH)
    for chat_id in (MINH, GROUP):
        assert await routing.is_staff_chat(runtime, chat_id)

    bot = RecordingBot()
    application = Application()
    application.bot = bot  # type: ignore[assignment]
    notifier = Notifier(application, runtime)
    rows = await rows_for(runtime, MINH) + await rows_for(runtime, GROUP)
    items = [i for i in rows if i.dedupe_key in queued]
    assert sorted(i.dedupe_key for i in items) == sorted(queued)
    for item in items:
        with pytest.raises(Undeliverable):
            await notifier.deliverers()[item.kind](item)
    assert bot.sent == []

    transferred = {"template": "transferred", "officer_id": NGA, "commune": LANG_BIANG}
    await outbox.enqueue(
        runtime.db, "staff_text", {"tip_id": tip.id, **transferred}, chat_id=MINH,
        dedupe_key="transferred",
    )  # fmt: skip
    [news] = [i for i in await rows_for(runtime, MINH) if i.dedupe_key == "transferred"]
    await notifier.staff_text(news)
    assert [chat for chat, _text in bot.sent] == [MINH]
