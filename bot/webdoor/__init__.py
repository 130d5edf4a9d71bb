"""The web door: residents without Telegram send the same tips from any browser.

One conversation, two doors. `tipbot run` starts a second PTB Application (bot/app.py,
`build_web_application`) with the resident's handlers and the same Runtime and database; its Bot
API is this package, which turns a visitor's actions into updates and the bot's answers into the
page's conversation. Officers stay in Telegram: a tip from the web reaches them like any other,
and their questions come back through the door the sealed way back names (bot/doors.py).

    identity.py  a browser's secret -> a web user id (never a Telegram id)
    botapi.py    the Bot API subset the handlers use, and the visitors' mailboxes in memory
    door.py      a visitor's action -> an update; proof of work and bounds on work
    media.py     uploads: images re-encoded without metadata, neutral file names
    server.py    the page and the visitor's endpoints, with a public site's hardening
    static/      the page
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import TYPE_CHECKING

from bot.runtime import Runtime

if TYPE_CHECKING:
    from bot.webdoor.door import WebDoor
    from bot.webdoor.server import DoorServer

log = logging.getLogger(__name__)

WEB_DOOR = "web_door"  # the running door, in the Telegram Application's bot_data (tests)


@dataclass
class RunningDoor:
    door: WebDoor
    server: DoorServer

    @property
    def port(self) -> int:
        assert self.server.port is not None
        return self.server.port

    async def stop(self) -> None:
        await self.server.stop()
        await self.door.stop()


async def start_web_door(runtime: Runtime, host: str, port: int) -> RunningDoor:
    from bot.app import build_web_application
    from bot.webdoor.botapi import DoorRequest
    from bot.webdoor.door import WebDoor
    from bot.webdoor.server import DoorServer

    door = WebDoor(runtime, lambda api: build_web_application(DoorRequest(api)))
    await door.start()
    server = DoorServer(door)
    try:
        await server.start(host, port)
    except BaseException:
        await door.stop()
        raise
    public = runtime.config.web_public_url or f"http://{host}:{server.port}/"
    log.info("event=web_door_started url=%s", public)
    return RunningDoor(door, server)
