"""Bulletins on PTB's JobQueue.

At start (a one-off job, right after the application starts): the library files into the
database, the broadcast engine as a task of the application, a cron job per active schedule
(APScheduler's CronTrigger, in the province's time zone), and the catch-up of a schedule slot or
planned send missed while the bot was down. Then every TICK seconds, the planned one-off sends
that are due. Everything is read from the database, so a restart loses nothing.
"""

from __future__ import annotations

import asyncio
import logging
from typing import cast

from telegram.ext import Application, Job

from bot import bulletins as services
from bot.broadcast import Broadcaster, TelegramSender, engine_for
from bot.context import TipbotContext, job_queue
from bot.cron import CronError, cron_rule
from bot.quiet_hours import quiet_hours_of
from storage import bulletins as store
from storage.bulletins import Schedule

log = logging.getLogger(__name__)

BROADCASTER = "broadcaster"  # application.bot_data: the running engine
RENDERER = "bulletin_renderer"  # application.bot_data: how bulletins look (set by handlers/)
START_JOB = "bulletins_start"
TICK_JOB = "bulletins"
TICK = 30  # seconds between two looks at planned sends


def schedule_bulletin_jobs(application: Application) -> None:
    jobs = job_queue(application)
    jobs.run_once(start, when=0, name=START_JOB)
    jobs.run_repeating(tick, interval=TICK, first=TICK, name=TICK_JOB)


async def start(context: TipbotContext) -> None:
    application, runtime = context.application, context.runtime
    await services.load_library_into_db(runtime)
    if not application.running:  # stopped meanwhile (a very short run)
        return
    engine, sender = engine_for(
        runtime, application.bot_data[RENDERER], quiet=quiet_hours_of(runtime.config)
    )
    application.bot_data[BROADCASTER] = engine
    application.create_task(_run(application, engine, sender), name="broadcasts")
    for schedule in await store.list_schedules(runtime.db):
        if not schedule.paused:
            register(application, schedule)
            await fire(application, schedule.id)  # a slot missed while the bot was down
    await services.start_due_planned(runtime)
    engine.wake()


async def _run(application: Application, engine: Broadcaster, sender: TelegramSender) -> None:
    """The engine until the application stops (PTB's stop() waits for this task)."""

    async def stop_with_application() -> None:
        # PTB signals its stop with nothing but its `running` flag: look at it often.
        while application.running:  # noqa: ASYNC110
            await asyncio.sleep(0.2)
        engine.stop()

    watcher = asyncio.create_task(stop_with_application())
    try:
        await engine.run()
    finally:
        watcher.cancel()
        await sender.close()


def wake(application: Application) -> None:
    """A broadcast was created: the engine looks now rather than at its next poll."""
    engine = application.bot_data.get(BROADCASTER)
    if engine is not None:
        engine.wake()


async def tick(context: TipbotContext) -> None:
    if await services.start_due_planned(context.runtime):
        wake(context.application)


# Schedules -------------------------------------------------------------------------------------


def job_name(schedule_id: int) -> str:
    return f"schedule:{schedule_id}"


def register(application: Application, schedule: Schedule | None) -> None:
    """The schedule's cron job (replacing any it had); None (deleted meanwhile) has none."""
    if schedule is None:
        return
    unregister(application, schedule.id)
    try:
        rule = cron_rule(schedule.cron, application.bot_data["runtime"].config.timezone)
    except CronError as error:
        log.error("event=schedule_invalid schedule=%d error=%s", schedule.id, error)
        return
    job_queue(application).run_custom(
        fire_job,
        job_kwargs={"trigger": rule.trigger, "misfire_grace_time": 3600, "coalesce": True},
        name=job_name(schedule.id),
        data=schedule.id,
    )


def unregister(application: Application, schedule_id: int) -> None:
    for job in job_queue(application).get_jobs_by_name(job_name(schedule_id)):
        job.schedule_removal()


async def fire_job(context: TipbotContext) -> None:
    job = cast(Job, context.job)  # a job's own callback always has its job
    await fire(context.application, cast(int, job.data))  # the schedule id (`register`)


async def fire(application: Application, schedule_id: int) -> int | None:
    runtime = application.bot_data["runtime"]
    schedule = await store.get_schedule(runtime.db, schedule_id)
    if schedule is None:
        unregister(application, schedule_id)
        return None
    try:
        rule = cron_rule(schedule.cron, runtime.config.timezone)
    except CronError:
        return None
    broadcast_id = await services.fire_schedule(runtime, schedule_id, rule)
    if broadcast_id is not None:
        wake(application)
    return broadcast_id
