"""The web door's HTTP side: the page, its script and styles, and the visitor's few endpoints.

Hardened like a public site: every response carries a strict Content-Security-Policy (no inline
script, nothing from elsewhere), X-Frame-Options DENY and Referrer-Policy no-referrer; every POST
must come from the page's own origin; bodies are bounded; there are no cookies; an error is a
short JSON answer, never a traceback. Nothing about the client is logged or stored: aiohttp's
access log is off, and no handler here reads the peer's address or its user agent.
"""

from __future__ import annotations

import json
import logging
import re
from html import escape
from importlib import resources
from typing import Any

from aiohttp import web

from bot.webdoor.door import LANGUAGES, Refused, WebDoor
from bot.webdoor.identity import HEADER, visitor_id
from bot.webdoor.media import MAX_FILE_BYTES
from bot.webdoor.render import render
from bot.webdoor.texts import page_texts
from storage import bulletins, web_files

log = logging.getLogger(__name__)

JSON_BODY_LIMIT = 16 * 1024
UPLOAD_LIMIT = MAX_FILE_BYTES + 64 * 1024  # the file and its form around it
LONG_POLL_SECONDS = 25.0
STATIC = {
    "app.js": "text/javascript",
    "style.css": "text/css",
    "pow-worker.js": "text/javascript",
}
SECURITY_HEADERS = {
    "Content-Security-Policy": (
        "default-src 'none'; script-src 'self'; worker-src 'self'; style-src 'self'; "
        "img-src 'self' blob:; connect-src 'self'; form-action 'none'; "
        "frame-ancestors 'none'; base-uri 'none'"
    ),
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "no-referrer",
    "X-Content-Type-Options": "nosniff",
    "Cross-Origin-Opener-Policy": "same-origin",
    "Cross-Origin-Resource-Policy": "same-origin",
    "Permissions-Policy": "geolocation=(), microphone=(), camera=(), interest-cohort=()",
}


def _static(name: str) -> bytes:
    return (resources.files("bot.webdoor") / "static" / name).read_bytes()


def error(status: int, reason: str) -> web.Response:
    return web.json_response({"error": reason}, status=status)


@web.middleware
async def guard(request: web.Request, handler: Any) -> web.StreamResponse:
    """Same origin for every POST; every failure a short answer."""
    try:
        if request.method not in ("GET", "HEAD", "POST"):
            return error(405, "method not allowed")
        if request.method == "POST" and not same_origin(request):
            return error(403, "cross-origin request refused")
        return await handler(request)
    except Refused as refused:
        return error(refused.status, refused.reason)
    except web.HTTPException as http:
        return error(http.status, http.reason or "error")
    except Exception as unexpected:
        log.error("event=web_door_error error=%s", type(unexpected).__name__)
        return error(500, "internal error")


def same_origin(request: web.Request) -> bool:
    """The Origin's host and port must be the address the request came to (Host), whatever the
    scheme: behind nginx the door itself sees http. An onion address works the same."""
    origin = request.headers.get("Origin")
    host = request.headers.get("Host")
    if not origin or not host:
        return False
    return origin.partition("://")[2].rstrip("/") == host


async def add_headers(request: web.Request, response: web.StreamResponse) -> None:
    response.headers.update(SECURITY_HEADERS)
    response.headers.pop("Server", None)
    if request.path.startswith("/api/"):
        response.headers["Cache-Control"] = "no-store"


class DoorServer:
    def __init__(self, door: WebDoor) -> None:
        self.door = door
        self.pages = {name: _static(name) for name in STATIC}
        self.texts = page_texts()
        self.index = render_page(_static("index.html").decode(), door.runtime.config, self.texts)
        self.app = web.Application(middlewares=[guard], client_max_size=UPLOAD_LIMIT)
        self.app.on_response_prepare.append(add_headers)
        self.app.router.add_get("/", self.get_index)
        self.app.router.add_get("/static/{name}", self.get_static)
        self.app.router.add_get("/favicon.ico", self.no_icon)
        self.app.router.add_get("/api/challenge", self.challenge)
        self.app.router.add_post("/api/unlock", self.unlock)
        self.app.router.add_get("/api/chat", self.chat)
        self.app.router.add_post("/api/send", self.send)
        self.app.router.add_post("/api/press", self.press)
        self.app.router.add_post("/api/upload", self.upload)
        self.app.router.add_post("/api/language", self.language)
        self.app.router.add_post("/api/forget", self.forget)
        self.app.router.add_get("/api/file/{file_id}", self.file)
        self.app.router.add_get("/api/bulletins", self.bulletins)
        self.app.router.add_get("/api/texts", self.get_texts)
        self.runner: web.AppRunner | None = None
        self.port: int | None = None

    async def start(self, host: str, port: int) -> None:
        # access_log=None: no line per request, so no address, agent or time of a visit.
        self.runner = web.AppRunner(self.app, access_log=None, handle_signals=False)
        await self.runner.setup()
        site = web.TCPSite(self.runner, host, port)
        await site.start()
        self.port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]

    async def stop(self) -> None:
        if self.runner is not None:
            await self.runner.cleanup()

    # --- the page ------------------------------------------------------------------------------

    async def get_index(self, request: web.Request) -> web.Response:
        return web.Response(body=self.index, content_type="text/html", charset="utf-8")

    async def no_icon(self, request: web.Request) -> web.Response:
        return web.Response(status=204)  # browsers ask for one; a byte saved on slow links

    async def get_static(self, request: web.Request) -> web.Response:
        name = request.match_info["name"]
        if name not in STATIC:
            return error(404, "not found")
        return web.Response(
            body=self.pages[name],
            content_type=STATIC[name],
            charset="utf-8",
            headers={"Cache-Control": "no-cache"},
        )

    # --- the visitor's endpoints ---------------------------------------------------------------

    def visitor(self, request: web.Request) -> int:
        user_id = visitor_id(self.door.runtime.keys.pseudonym, request.headers.get(HEADER))
        if user_id is None:
            raise Refused(401, "no device key")
        return user_id

    async def challenge(self, request: web.Request) -> web.Response:
        return web.json_response({"challenge": self.door.pow.challenge()})

    async def unlock(self, request: web.Request) -> web.Response:
        user_id = self.visitor(request)
        body = await json_body(request)
        if not self.door.unlock(
            user_id, str(body.get("challenge", "")), str(body.get("nonce", ""))
        ):
            raise Refused(400, "proof of work not valid")
        return web.json_response({"ok": True})

    async def chat(self, request: web.Request) -> web.Response:
        user_id = self.visitor(request)
        since = request.query.get("since", "")
        if since.isdigit():
            view = await self.door.wait_for_change(user_id, int(since), LONG_POLL_SECONDS)
        else:
            view = self.door.view(user_id)
        return web.json_response(view)

    async def send(self, request: web.Request) -> web.Response:
        user_id = self.visitor(request)
        body = await json_body(request)
        view = await self.door.send_text(user_id, language_of(body), str(body.get("text", "")))
        return web.json_response(view)

    async def press(self, request: web.Request) -> web.Response:
        user_id = self.visitor(request)
        body = await json_body(request)
        message_id, data = body.get("message_id"), body.get("data")
        if not isinstance(message_id, int) or not isinstance(data, str):
            raise Refused(400, "bad button")
        return web.json_response(
            await self.door.press(user_id, language_of(body), message_id, data)
        )

    async def upload(self, request: web.Request) -> web.Response:
        user_id = self.visitor(request)
        if request.content_length is None or request.content_length > UPLOAD_LIMIT:
            raise Refused(413, "too large")
        form = await request.post()
        file, caption = form.get("file"), form.get("caption", "")
        if not isinstance(file, web.FileField) or not isinstance(caption, str):
            raise Refused(400, "no file")
        data = file.file.read(MAX_FILE_BYTES + 1)
        if len(data) > MAX_FILE_BYTES:
            raise Refused(413, "too large")
        language = str(form.get("language", "vi"))
        view = await self.door.send_file(user_id, language, data, file.filename, caption)
        return web.json_response(view)

    async def language(self, request: web.Request) -> web.Response:
        user_id = self.visitor(request)
        await self.door.choose_language(user_id, language_of(await json_body(request)))
        return web.json_response({"ok": True})

    async def forget(self, request: web.Request) -> web.Response:
        await self.door.forget(self.visitor(request))
        return web.json_response({"ok": True})

    async def file(self, request: web.Request) -> web.Response:
        user_id = self.visitor(request)
        file_id = request.match_info["file_id"]
        if not self.door.may_read_file(user_id, file_id):
            raise Refused(404, "not found")
        found = await web_files.get(self.door.runtime.db, file_id)
        if found is None:
            raise Refused(404, "not found")
        content_type = "image/jpeg" if found.kind == "photo" else "application/octet-stream"
        return web.Response(
            body=found.data,
            content_type=content_type,
            headers={"Content-Disposition": f'attachment; filename="{found.file_name}"'},
        )

    async def get_texts(self, request: web.Request) -> web.Response:
        return web.json_response(self.texts, headers={"Cache-Control": "no-cache"})

    async def bulletins(self, request: web.Request) -> web.Response:
        """The bulletin library to read on the page: no subscription, a browser can't be
        reached."""
        language = request.query.get("language", "vi")
        language = language if language in LANGUAGES else "vi"
        rows = await bulletins.list_bulletins(self.door.runtime.db, language=language)
        return web.json_response(
            [{"topic": b.topic, "title": b.title, "html": render(b.body, "HTML")[0]} for b in rows]
        )


SWITCH_TO = {"vi": "English", "en": "Tiếng Việt"}  # each language's name, in itself


def render_page(template: str, config: Any, texts: dict[str, dict[str, str]]) -> bytes:
    """The page in the province's default language; the script switches by the browser's."""
    language = config.default_language
    values = {**texts[language], "lang": language, "switchTo": SWITCH_TO[language]}
    page = re.sub(r"\{\{(\w+)\}\}", lambda m: escape(values[m[1]], quote=True), template)
    return page.encode("utf-8")


def language_of(body: dict[str, Any]) -> str:
    language = body.get("language")
    return language if language in LANGUAGES else "vi"


async def json_body(request: web.Request) -> dict[str, Any]:
    if request.content_length is None or request.content_length > JSON_BODY_LIMIT:
        raise Refused(413, "body too large")
    if request.content_type != "application/json":
        raise Refused(415, "JSON expected")
    try:
        body = json.loads(await request.read())
    except (ValueError, UnicodeDecodeError):
        raise Refused(400, "bad JSON") from None
    if not isinstance(body, dict):
        raise Refused(400, "bad JSON")
    return body
