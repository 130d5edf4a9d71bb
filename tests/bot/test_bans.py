"""Banning a tip's sender by its code: each answer of /ban and /unban, a refusal among them, is one
result the admin's view has one text for."""

from __future__ import annotations

import pytest

from bot import bans
from bot.anonymity import seal_way_back
from bot.authz import Staff
from bot.i18n import texts
from bot.refusals import Reason, Refused
from handlers.admin_views import ban_result
from storage import bans as store
from storage import tips
from tests.bot.test_destinations import ADMIN, XUAN_HUONG, province, runtime  # noqa: F401

CODE = "T-7K3Q9X"
PSEUDONYM = "p" * 64
STAFF = Staff(ADMIN, "Admin", True, frozenset())
BAN_REFUSALS = (Reason.NOT_BANNED, Reason.UNKNOWN, Reason.SENDER_GONE, Reason.SENDER_UNREADABLE)


async def sent_tip(runtime, way_back: bytes) -> tips.Tip:  # noqa: F811
    async with runtime.db.transaction():
        return await tips.insert(
            runtime.db,
            tips.NewTip(
                code=CODE, receipt_hash="h", category="crime", description="x",
                way_back=way_back, commune_code=XUAN_HUONG,
            ),
        )  # fmt: skip


async def test_ban_and_unban_by_the_tips_code(runtime):  # noqa: F811
    await sent_tip(runtime, seal_way_back(runtime.keys.way_back, 42, PSEUDONYM, tip_code=CODE))
    assert await bans.ban_sender(runtime, STAFF, "t 7k3q9x", "spam") == bans.Banned(CODE, False)
    assert await store.is_banned(runtime.db, PSEUDONYM)
    assert await bans.ban_sender(runtime, STAFF, CODE, "spam again") == bans.Banned(CODE, True)
    assert await bans.unban_sender(runtime, STAFF, CODE) == bans.Unbanned(CODE)
    assert await bans.unban_sender(runtime, STAFF, CODE) == Refused(Reason.NOT_BANNED, CODE)


async def test_a_sender_nobody_can_name_is_refused(runtime):  # noqa: F811
    assert await bans.ban_sender(runtime, STAFF, "T-AAAAAA", "x") == Refused(
        Reason.UNKNOWN, "T-AAAAAA"
    )
    assert await bans.ban_sender(runtime, STAFF, "nonsense", "x") == Refused(Reason.UNKNOWN)
    await sent_tip(runtime, seal_way_back(b"k" * 32, 42, PSEUDONYM, tip_code=CODE))
    assert await bans.ban_sender(runtime, STAFF, CODE, "x") == Refused(
        Reason.SENDER_UNREADABLE, CODE
    )
    async with runtime.db.transaction():  # as retention leaves a tip closed long ago
        await runtime.db.execute("DELETE FROM tip_way_back")
    assert await bans.unban_sender(runtime, STAFF, CODE) == Refused(Reason.SENDER_GONE, CODE)
    assert not await store.is_banned(runtime.db, PSEUDONYM)


@pytest.mark.parametrize(
    "result",
    [
        bans.Banned(CODE, False),
        bans.Banned(CODE, True),
        bans.Unbanned(CODE),
        *(Refused(reason, CODE) for reason in BAN_REFUSALS),
    ],
)
def test_each_answer_has_its_own_text(result):
    t = texts("en")
    assert CODE in ban_result(t, result)


def test_no_two_answers_share_a_text():
    t = texts("en")
    answers = [bans.Banned(CODE, False), bans.Banned(CODE, True), bans.Unbanned(CODE)]
    answers += [Refused(reason, CODE) for reason in BAN_REFUSALS]
    assert len({ban_result(t, answer) for answer in answers}) == len(answers)
    assert ban_result(t, Refused(Reason.UNKNOWN)) == "There is no tip with the code —."
