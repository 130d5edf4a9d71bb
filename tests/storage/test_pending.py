from storage import pending


async def test_put_get_replace_clear_and_expiry(db):
    await pending.put(db, "officer:7", "question", {"tip_id": 1}, ttl=60, now=1000)
    got = await pending.get(db, "officer:7", now=1010)
    assert (got.kind, got.data) == ("question", {"tip_id": 1})
    await pending.put(db, "officer:7", "note", {"tip_id": 2}, ttl=60, now=1020)
    assert (await pending.get(db, "officer:7", now=1030)).kind == "note"
    assert await pending.get(db, "officer:7", now=1080) is None  # expired
    assert await pending.purge_expired(db, now=1080) == 1
    await pending.put(db, "tipster:abc", "answer", {}, ttl=60, now=1000)
    await pending.clear(db, "tipster:abc")
    assert await pending.get(db, "tipster:abc", now=1000) is None
