"""Resident-side records keyed by pseudonym: preferences, drafts, bans, rate limits."""

from storage import bans, drafts, ratelimits, residents
from tests.storage.helpers import OFFICER, T0

P = "a3f1" * 16  # what an HMAC-SHA256 pseudonym looks like


async def test_language_preference(db):
    assert await residents.get_language(db, P) is None
    await residents.set_language(db, P, "en")
    await residents.set_language(db, P, "vi")
    assert await residents.get_language(db, P) == "vi"


async def test_draft_round_trip_and_overwrite(db):
    assert await drafts.get(db, P, now=T0) is None
    await drafts.save(db, P, "category", {"category": "fraud"}, ttl=3600, now=T0)
    data = {"category": "fraud", "description": "Gọi giả danh công an <b>", "media": [1, 2]}
    await drafts.save(db, P, "description", data, ttl=3600, now=T0 + 10)
    draft = await drafts.get(db, P, now=T0 + 20)
    assert (draft.step, draft.data, draft.updated_at, draft.expires_at) == (
        "description",
        data,
        T0 + 10,
        T0 + 3610,
    )


async def test_expired_drafts_are_gone_and_purged(db):
    await drafts.save(db, P, "where", {}, ttl=60, now=T0)
    await drafts.save(db, "other", "where", {}, ttl=600, now=T0)
    assert await drafts.get(db, P, now=T0 + 60) is None
    assert await drafts.purge_expired(db, now=T0 + 60) == 1
    assert (await drafts.get(db, "other", now=T0 + 60)).step == "where"


async def test_delete_draft(db):
    await drafts.save(db, P, "where", {}, ttl=60, now=T0)
    await drafts.delete(db, P)
    assert await drafts.get(db, P, now=T0) is None


async def test_ban_and_unban(db, staffed):
    assert not await bans.is_banned(db, P)
    await bans.ban(db, P, "spam", banned_by=OFFICER, now=T0)
    await bans.ban(db, P, "spam again", banned_by=None, now=T0 + 1)  # idempotent
    assert await bans.is_banned(db, P)
    assert await bans.unban(db, P)
    assert not await bans.is_banned(db, P)
    assert not await bans.unban(db, P)


async def test_rate_limit_within_a_window(db):
    results = [
        await ratelimits.hit(db, P, "status", limit=3, window=60, now=T0 + i) for i in range(5)
    ]
    assert results == [True, True, True, False, False]
    assert await ratelimits.hit(db, "someone else", "status", limit=3, window=60, now=T0)
    assert await ratelimits.hit(db, P, "tip", limit=3, window=60, now=T0)  # another bucket


async def test_rate_limit_resets_with_the_next_window(db):
    start = T0 - T0 % 60
    for _ in range(3):
        assert await ratelimits.hit(db, P, "status", limit=3, window=60, now=start + 59)
    assert not await ratelimits.hit(db, P, "status", limit=3, window=60, now=start + 59)
    assert await ratelimits.hit(db, P, "status", limit=3, window=60, now=start + 60)


async def test_rate_limit_count_does_not_hit(db):
    assert await ratelimits.count(db, P, "status_failures", window=3600, now=T0) == 0
    await ratelimits.hit(db, P, "status_failures", limit=5, window=3600, now=T0)
    await ratelimits.hit(db, P, "status_failures", limit=5, window=3600, now=T0)
    assert await ratelimits.count(db, P, "status_failures", window=3600, now=T0) == 2
    assert await ratelimits.count(db, P, "status_failures", window=3600, now=T0) == 2
    assert await ratelimits.count(db, P, "status_failures", window=3600, now=T0 + 3600) == 0


async def test_rate_limit_purge(db):
    await ratelimits.hit(db, P, "status", limit=3, window=60, now=T0)
    await ratelimits.hit(db, P, "status", limit=3, window=60, now=T0 + 600)
    assert await ratelimits.purge(db, before=T0 + 600 - (T0 + 600) % 60) == 1
    assert await db.fetch_value("SELECT count(*) FROM rate_limits") == 1
