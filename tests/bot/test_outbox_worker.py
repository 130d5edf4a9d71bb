"""The outbox worker when the bot stops: a message under way is finished and recorded within the
grace period (a restart must not send it twice); one that hangs is cut short and stays claimed,
so the next start sends it again; rows waiting their turn are left for the next start."""

from __future__ import annotations

import asyncio

from bot.outbox_worker import OutboxWorker
from storage import outbox
from storage.db import Database


class Runtime:
    """What the worker uses of bot.runtime.Runtime: the database."""

    def __init__(self, db: Database) -> None:
        self.db = db


class SlowTelegram:
    """A deliverer whose sends take as long as the test says."""

    def __init__(self) -> None:
        self.started: list[int] = []
        self.under_way = asyncio.Event()
        self.finish = asyncio.Event()

    async def deliver(self, item: outbox.OutboxItem) -> int:
        self.started.append(item.chat_id)
        self.under_way.set()
        await self.finish.wait()
        return 1000 + item.chat_id


async def statuses(db: Database) -> dict[int, str]:
    rows = await db.fetch_all("SELECT chat_id, status FROM outbox ORDER BY id")
    return {row["chat_id"]: row["status"] for row in rows}


async def started_worker(db: Database, telegram: SlowTelegram, chats: list[int]) -> OutboxWorker:
    for chat in chats:
        await outbox.enqueue(db, "alert", {}, chat_id=chat, dedupe_key=f"alert:{chat}")
    worker = OutboxWorker(Runtime(db), {"alert": telegram.deliver}, idle=0.05)
    worker.start()
    await asyncio.wait_for(telegram.under_way.wait(), 10)
    return worker


async def test_a_send_under_way_is_finished_and_recorded(db):
    telegram = SlowTelegram()
    worker = await started_worker(db, telegram, [7])
    stopping = asyncio.create_task(worker.stop(grace=10))
    await asyncio.sleep(0.2)
    assert not stopping.done()  # it waits for the send rather than cutting it short
    telegram.finish.set()
    await asyncio.wait_for(stopping, 10)
    assert await statuses(db) == {7: "sent"}


async def test_a_hanging_send_is_cut_short_and_stays_claimed(db):
    telegram = SlowTelegram()
    worker = await started_worker(db, telegram, [7])
    await asyncio.wait_for(worker.stop(grace=0.2), 10)
    assert await statuses(db) == {7: "sending"}  # the next start releases it and sends again
    assert await outbox.release_claims(db) == 1


async def test_rows_waiting_their_turn_are_left_for_the_next_start(db):
    telegram = SlowTelegram()
    # Two rows for one chat: the second waits for the first and for the chat's pace.
    await outbox.enqueue(db, "alert", {"n": 2}, chat_id=7, dedupe_key="alert:7:second")
    worker = await started_worker(db, telegram, [7])
    telegram.finish.set()
    await asyncio.wait_for(worker.stop(grace=10), 10)
    assert telegram.started == [7]  # nothing new begins once stopping
    rows = await db.fetch_all("SELECT status FROM outbox ORDER BY id")
    assert sorted(row["status"] for row in rows) == ["sending", "sent"]
