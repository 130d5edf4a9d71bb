"""Onboarding services: invite tokens, expiry and single use, the commune argument, revoking and
group links — authorised on the server and audited."""

from __future__ import annotations

import hashlib
import json
import re
from pathlib import Path

import pytest

from bot import onboarding
from bot.communes import CommuneDirectory, read_province
from bot.config import Keys, load_config
from bot.onboarding import Ambiguous, Found, NotAllowed, NotFound, Revoked
from bot.refusals import Reason, Refused
from bot.runtime import Runtime
from storage import communes as store
from storage import officers
from storage.db import Database

LAM_DONG = 68
XUAN_HUONG, LAM_VIEN, BAO_LOC_2 = 24781, 24778, 24820
ADMIN, OFFICER, OTHER = 9001, 1001, 1002
T0 = 1_750_000_000
HOUR = 3600


@pytest.fixture(scope="module")
def province():
    return read_province(LAM_DONG)


@pytest.fixture(scope="module")
def directory(province):
    return CommuneDirectory(*province)


@pytest.fixture
async def runtime(tmp_path: Path, province, directory):
    db = await Database.open(tmp_path / "tipbot.sqlite3")
    await store.replace_province(db, LAM_DONG, "test", *province)
    config = load_config(
        {
            "TIPBOT_TOKEN": "1:abc",
            "TIPBOT_DATA_DIR": str(tmp_path),
            "TIPBOT_ADMIN_IDS": str(ADMIN),
        }
    )
    await officers.ensure_admins(db, config.admin_ids)
    yield Runtime(config, Keys(b"p" * 32, b"w" * 32), db, directory, "Lâm Đồng")
    await db.close()


async def audit_rows(runtime: Runtime) -> list[tuple[str, int | None, dict]]:
    rows = await runtime.db.fetch_all("SELECT action, actor_id, detail FROM audit_log ORDER BY id")
    return [(row[0], row[1], json.loads(row[2])) for row in rows]


async def make_officer(runtime: Runtime, user_id: int, commune: int) -> None:
    invite = await onboarding.create_invite(
        runtime, commune, created_by=ADMIN, actor_id=ADMIN, via="test"
    )
    joined = await onboarding.redeem(runtime, f"inv_{invite.token}", user_id, f"Officer {user_id}")
    assert isinstance(joined, onboarding.Joined)


# Tokens and links ------------------------------------------------------------------------------


def test_tokens_are_long_random_and_fit_a_start_payload():
    tokens = {onboarding.new_token() for _ in range(200)}
    assert len(tokens) == 200
    for token in tokens:
        payload = f"inv_{token}"
        assert len(payload) <= 64 and re.fullmatch(r"[A-Za-z0-9_-]+", payload)
        assert onboarding.token_from_payload(payload) == token
    assert len(onboarding.new_token()) * 6 >= 192  # bits


def test_only_the_hash_of_a_token_is_kept():
    token = onboarding.new_token()
    assert onboarding.hash_token(token) == hashlib.sha256(token.encode()).hexdigest()
    assert token not in onboarding.hash_token(token)


@pytest.mark.parametrize(
    "payload",
    [
        "",
        "inv_",
        "inv_short",
        "x" * 36,
        "INV_" + "a" * 32,
        "inv_" + "a" * 33,
        "inv_" + "a" * 31 + "!",
    ],
)
def test_payloads_that_cannot_be_invites(payload):
    assert onboarding.token_from_payload(payload) is None


def test_invite_link():
    assert (
        onboarding.invite_link("tipbot_ld_bot", "abc") == "https://t.me/tipbot_ld_bot?start=inv_abc"
    )


# The commune argument ----------------------------------------------------------------------------


def test_a_code_or_a_unique_name_is_found(directory):
    assert onboarding.resolve_commune(directory, "24781") == Found(XUAN_HUONG)
    assert onboarding.resolve_commune(directory, " xuan huong ") == Found(XUAN_HUONG)
    assert onboarding.resolve_commune(directory, "Phường Lâm Viên - Đà Lạt") == Found(LAM_VIEN)


def test_an_exact_name_wins_over_longer_ones(directory):
    # "Đam Rông 1" also starts no other name, but "Phường 1 Bảo Lộc" vs "Phường 2 Bảo Lộc" do share
    # words: the exact one is taken without asking.
    assert onboarding.resolve_commune(directory, "Phường 2 Bảo Lộc") == Found(BAO_LOC_2)
    assert isinstance(onboarding.resolve_commune(directory, "Đam Rông 1"), Found)


def test_several_matches_are_offered(directory):
    choice = onboarding.resolve_commune(directory, "da lat")
    assert isinstance(choice, Ambiguous)
    assert {m.code for m in choice.matches} >= {XUAN_HUONG, LAM_VIEN}
    assert len(choice.matches) <= onboarding.MAX_CHOICES


@pytest.mark.parametrize("text", ["", "   ", "zzzz", "99999", "0", "²", "٣", "9" * 5000])
def test_nothing_found(directory, text):
    assert onboarding.resolve_commune(directory, text) == NotFound()


def test_allowed_communes_narrow_the_choice(directory):
    assert onboarding.resolve_commune(directory, "da lat", {XUAN_HUONG}) == Found(XUAN_HUONG)
    assert onboarding.resolve_commune(directory, "24781", {BAO_LOC_2}) == NotAllowed((XUAN_HUONG,))
    refused = onboarding.resolve_commune(directory, "da lat", {BAO_LOC_2})
    assert isinstance(refused, NotAllowed) and XUAN_HUONG in refused.codes
    both = onboarding.resolve_commune(directory, "da lat", {XUAN_HUONG, LAM_VIEN})
    assert isinstance(both, Ambiguous) and {m.code for m in both.matches} == {XUAN_HUONG, LAM_VIEN}


# Invites ------------------------------------------------------------------------------------------


async def test_an_invite_expires_after_72_hours(runtime):
    invite = await onboarding.create_invite(
        runtime, XUAN_HUONG, created_by=ADMIN, actor_id=ADMIN, via="telegram", now=T0
    )
    assert invite.expires_at == T0 + 72 * HOUR
    stored = await officers.get_invite(runtime.db, onboarding.hash_token(invite.token))
    assert stored.commune_code == XUAN_HUONG and stored.created_by == ADMIN
    late = T0 + 72 * HOUR
    payload = f"inv_{invite.token}"
    assert await onboarding.redeem(runtime, payload, OFFICER, "Minh", now=late) == Refused(
        Reason.EXPIRED
    )
    assert await officers.get(runtime.db, OFFICER) is None
    joined = await onboarding.redeem(runtime, payload, OFFICER, "Minh", now=late - 1)
    assert joined == onboarding.Joined(XUAN_HUONG, ADMIN)


async def test_an_invite_is_used_once(runtime):
    invite = await onboarding.create_invite(
        runtime, XUAN_HUONG, created_by=ADMIN, actor_id=ADMIN, via="telegram"
    )
    payload = f"inv_{invite.token}"
    assert isinstance(await onboarding.redeem(runtime, payload, OFFICER, "Minh"), onboarding.Joined)
    assert await onboarding.redeem(runtime, payload, OTHER, "Lan") == Refused(Reason.USED)
    assert await onboarding.redeem(runtime, payload, OFFICER, "Minh") == Refused(Reason.USED_BY_YOU)
    assert await onboarding.redeem(runtime, "inv_" + "A" * 32, OTHER, "Lan") == Refused(
        Reason.UNKNOWN
    )
    assert await onboarding.redeem(runtime, "inv_bad", OTHER, "Lan") == Refused(Reason.UNKNOWN)
    assert await officers.communes_of(runtime.db, OFFICER) == [XUAN_HUONG]
    assert await officers.get(runtime.db, OTHER) is None
    assert await audit_rows(runtime) == [
        ("officer.invite", ADMIN, {"commune": XUAN_HUONG, "via": "telegram"}),
        ("officer.join", OFFICER, {"commune": XUAN_HUONG, "invited_by": ADMIN}),
        # Someone who is not staff is logged without their id (bot/authz.record).
        ("denied.officer.redeem", None, {"reason": "used", "actor": "outsider"}),
        ("denied.officer.redeem", OFFICER, {"reason": "used_by_you"}),
        ("denied.officer.redeem", None, {"reason": "unknown", "actor": "outsider"}),
        ("denied.officer.redeem", None, {"reason": "unknown", "actor": "outsider"}),
    ]


async def test_an_officer_may_hold_several_communes(runtime):
    await make_officer(runtime, OFFICER, XUAN_HUONG)
    await make_officer(runtime, OFFICER, BAO_LOC_2)
    assert await officers.communes_of(runtime.db, OFFICER) == [XUAN_HUONG, BAO_LOC_2]


async def test_an_invite_for_an_unknown_commune_is_not_created(runtime):
    with pytest.raises(ValueError, match="99999"):
        await onboarding.create_invite(runtime, 99999, created_by=ADMIN, actor_id=None, via="cli")
    assert await runtime.db.fetch_value("SELECT count(*) FROM invites") == 0


# Revoking -----------------------------------------------------------------------------------------


async def test_only_an_admin_revokes_and_only_officers(runtime):
    await make_officer(runtime, OFFICER, XUAN_HUONG)
    await make_officer(runtime, OTHER, XUAN_HUONG)
    assert await onboarding.revoke(runtime, OTHER, OFFICER) == Refused(Reason.NOT_ADMIN)
    assert (await officers.get(runtime.db, OFFICER)).active
    assert await onboarding.revoke(runtime, ADMIN, ADMIN) == Refused(Reason.IS_ADMIN)
    assert await onboarding.revoke(runtime, ADMIN, 4242) == Refused(Reason.UNKNOWN)
    assert isinstance(await onboarding.revoke(runtime, ADMIN, OFFICER), Revoked)
    assert await onboarding.revoke(runtime, ADMIN, OFFICER) == Refused(Reason.ALREADY)
    assert not (await officers.get(runtime.db, OFFICER)).active
    actions = [(action, actor) for action, actor, _ in await audit_rows(runtime)]
    assert ("denied.officer.revoke", OTHER) in actions
    assert actions.count(("officer.revoke", ADMIN)) == 1
    assert await onboarding.staff_ids(runtime) == [OTHER, ADMIN]


async def test_a_revoked_officer_invited_again_serves_the_new_commune_only(runtime):
    await make_officer(runtime, OFFICER, XUAN_HUONG)
    await make_officer(runtime, OFFICER, LAM_VIEN)
    await onboarding.revoke(runtime, ADMIN, OFFICER)
    await make_officer(runtime, OFFICER, BAO_LOC_2)
    assert (await officers.get(runtime.db, OFFICER)).active
    assert await officers.communes_of(runtime.db, OFFICER) == [BAO_LOC_2]


async def test_the_officers_list(runtime):
    await make_officer(runtime, OFFICER, XUAN_HUONG)
    entries = {e.officer.user_id: e for e in await onboarding.officer_entries(runtime)}
    assert entries[OFFICER].communes == (XUAN_HUONG,) and entries[OFFICER].revocable
    assert entries[ADMIN].is_admin and not entries[ADMIN].revocable


# Groups -------------------------------------------------------------------------------------------


async def test_only_the_communes_officers_or_an_admin_link_a_group(runtime):
    group = -100123
    await make_officer(runtime, OFFICER, XUAN_HUONG)
    await make_officer(runtime, OTHER, BAO_LOC_2)
    assert not await onboarding.link_group(runtime, OTHER, group, "CA", XUAN_HUONG, "supergroup")
    assert not await onboarding.link_group(runtime, 555, group, "CA", XUAN_HUONG, "supergroup")
    assert await onboarding.link_group(runtime, OFFICER, group, "CA", XUAN_HUONG, "supergroup")
    assert await onboarding.link_group(runtime, ADMIN, group, "CA", BAO_LOC_2, "supergroup")
    assert await onboarding.groups_of_communes(runtime, [XUAN_HUONG]) == {
        XUAN_HUONG: [(group, "CA")]
    }
    result = await onboarding.unlink_group(runtime, OTHER, group, [XUAN_HUONG, BAO_LOC_2])
    assert result == onboarding.Unlinked(done=(BAO_LOC_2,), kept=(XUAN_HUONG,))
    assert await onboarding.communes_of_group(runtime, group) == [XUAN_HUONG]
    await onboarding.revoke(runtime, ADMIN, OFFICER)
    assert not await onboarding.link_group(runtime, OFFICER, group, "CA", XUAN_HUONG, "supergroup")
    actions = [(a, actor) for a, actor, _ in await audit_rows(runtime) if "group" in a]
    assert actions == [
        ("denied.group.link", OTHER),
        ("denied.group.link", None),  # not staff: no id kept
        ("group.link", OFFICER),
        ("group.link", ADMIN),
        ("denied.group.unlink", OTHER),
        ("group.unlink", OTHER),
        ("group.unlink", ADMIN),  # nobody vouches for the revoked officer's link any more
        ("denied.group.link", OFFICER),
    ]


async def test_staff_language_and_admins_names_are_remembered(runtime):
    from bot import authz
    from bot.language import choose_language, language_of

    staff = await authz.staff_member(runtime, ADMIN)
    await onboarding.remember_staff(runtime, staff, "Hùng", "en-GB")
    assert (await officers.get(runtime.db, ADMIN)).name == "Hùng"
    assert await language_of(runtime, ADMIN, None) == "en"
    await make_officer(runtime, OFFICER, XUAN_HUONG)
    await choose_language(runtime, OFFICER, "en")
    officer = await authz.staff_member(runtime, OFFICER)
    await onboarding.remember_staff(runtime, officer, "New name", "vi")
    assert (await officers.get(runtime.db, OFFICER)).name == f"Officer {OFFICER}"
    assert await language_of(runtime, OFFICER, None) == "en"  # their own choice stands


def test_the_commune_an_officer_means_in_a_group(directory):
    from bot.authz import Staff

    one = Staff(OFFICER, "Minh", False, frozenset({XUAN_HUONG}))
    two = Staff(OFFICER, "Minh", False, frozenset({XUAN_HUONG, BAO_LOC_2}))
    admin = Staff(ADMIN, "Hùng", True, frozenset())
    assert onboarding.commune_for_staff(directory, one, "") == Found(XUAN_HUONG)
    assert onboarding.commune_for_staff(directory, one, "da lat") == Found(XUAN_HUONG)
    assert onboarding.commune_for_staff(directory, one, "bao loc") == NotAllowed(
        tuple(m.code for m in directory.search("bao loc"))
    )
    choice = onboarding.commune_for_staff(directory, two, "")
    assert [m.code for m in choice.matches] == [BAO_LOC_2, XUAN_HUONG]  # by name
    assert onboarding.commune_for_staff(directory, admin, "") == NotFound()
    assert onboarding.commune_for_staff(directory, admin, "24820") == Found(BAO_LOC_2)


def test_long_lists_fit_in_one_message(province, directory):
    from bot.i18n import texts
    from handlers import onboarding_views as views

    every = tuple(sorted(c.code for c in province[0]))
    entries = [
        onboarding.OfficerEntry(
            officers.Officer(n, "<Cán bộ> " * 5, "officer", True, T0), every, False
        )
        for n in range(1, 30)
    ]
    text, markup = views.officers_page(texts("vi"), directory, entries, 1)
    assert len(text) <= 4096 and "trang 2/4" in text and "+120" in text
    rows = markup.inline_keyboard
    assert len(rows) == views.PAGE_SIZE + 1 and [b.text for b in rows[-1]] == ["◀️", "▶️"]
    assert rows[0][0].callback_data == "onb:rv:9"
    groups = {code: [(-100 - code, "Nhóm <b>" * 3)] for code in every}
    mine = views.my_communes(texts("en"), directory, groups, is_admin=True)
    assert len(mine) <= 4096 and mine.endswith("…")
    assert "&lt;b&gt;" in mine


async def test_only_groups_can_be_linked(runtime):
    """A crafted `onb:link:<code>` pressed in a private chat (or a channel) links nothing."""
    await make_officer(runtime, OFFICER, XUAN_HUONG)
    for chat_id, chat_type in ((OFFICER, "private"), (-100777, "channel")):
        assert not await onboarding.link_group(
            runtime, OFFICER, chat_id, None, XUAN_HUONG, chat_type
        )
    assert await onboarding.communes_of_group(runtime, OFFICER) == []
    denied = [d for a, _actor, d in await audit_rows(runtime) if a == "denied.group.link"]
    assert [d["chat_type"] for d in denied] == ["private", "channel"]
    assert await onboarding.link_group(runtime, OFFICER, -100778, "CA", XUAN_HUONG, "group")


async def test_revoking_ends_the_links_nobody_vouches_for(runtime):
    kept, ended = -100001, -100002
    await make_officer(runtime, OFFICER, XUAN_HUONG)
    await make_officer(runtime, OTHER, XUAN_HUONG)
    await onboarding.link_group(runtime, OFFICER, ended, "CA riêng", XUAN_HUONG, "supergroup")
    await onboarding.link_group(runtime, OFFICER, kept, "CA chung", XUAN_HUONG, "supergroup")
    # Another active officer of the commune renews this link: he vouches for it now.
    await onboarding.link_group(runtime, OTHER, kept, "CA chung", XUAN_HUONG, "supergroup")
    result = await onboarding.revoke(runtime, ADMIN, OFFICER)
    assert isinstance(result, Revoked)
    assert [(link.chat_id, link.commune_code, link.title) for link in result.ended] == [
        (ended, XUAN_HUONG, "CA riêng")
    ]
    assert await officers.groups_of(runtime.db, XUAN_HUONG) == [kept]
    unlinks = [(actor, d) for a, actor, d in await audit_rows(runtime) if a == "group.unlink"]
    assert unlinks == [
        (ADMIN, {"commune": XUAN_HUONG, "chat": ended, "why": "revoked", "officer": OFFICER})
    ]


async def test_a_link_whose_officer_left_the_commune_stops_receiving(runtime):
    """Routing reads only vouched links, whatever happened to the officer behind them."""
    group = -100003
    await make_officer(runtime, OFFICER, XUAN_HUONG)
    await onboarding.link_group(runtime, OFFICER, group, "CA", XUAN_HUONG, "group")
    assert await officers.groups_of(runtime.db, XUAN_HUONG) == [group]
    await officers.remove_commune(runtime.db, OFFICER, XUAN_HUONG)
    assert await officers.groups_of(runtime.db, XUAN_HUONG) == []
    # ... nor is it listed as receiving them; it can still be unlinked from the group.
    assert await onboarding.groups_of_communes(runtime, [XUAN_HUONG]) == {XUAN_HUONG: []}
    assert await onboarding.communes_of_group(runtime, group) == [XUAN_HUONG]
