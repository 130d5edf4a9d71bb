"""A fake Bot API endpoint cheap enough never to be the bottleneck: sendMessage answered at once.

    .venv/bin/python -m bench.fast_api [--workers 2] [--check SECONDS]

The full sandbox (sandbox/server.py) checks everything Telegram would, at a few hundred requests a
second in one Python process; that is its own ceiling, well below the engine's. This one does the
least a Bot API endpoint must: HTTP/1.1 with keep-alive, the token in the path, ``chat_id`` and
``text`` from the form or JSON body, and a valid Message in the answer. No HTML checks, no limits.

It runs in processes of its own (``FastApi``): ``workers`` processes accept on one port
(SO_REUSEPORT, the kernel spreads connections over them); one is plenty for the broadcast
benchmark (7,500-15,500 requests a second here, against the engine's 1,000-2,000). Asked with
a line on stdin, each worker prints how its calls went as JSON; ``FastApi.report()`` adds them
up, with the time from the first sendMessage to the last.

``--check`` is its own test: a bare load generator (raw HTTP over 64 keep-alive connections, in
this process) against it, to show it serves far more than the 1,000 requests/s it must not limit.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import socket
import subprocess
import sys
import time
from collections import Counter
from urllib.parse import parse_qsl

TOKEN = "4242:bench-token"
BOT_USER = {"id": 4242, "is_bot": True, "first_name": "Bench", "username": "bench_bot"}
_HEADERS_END = b"\r\n\r\n"


class Calls:
    """What one worker answered: sendMessage calls and how often each chat got one."""

    def __init__(self) -> None:
        self.requests = 0
        self.sent = 0
        self.refused = 0  # a wrong token, another method, a body without chat_id
        self.per_chat: Counter[str] = Counter()
        self.first_at = self.last_at = None  # time.time() of the first and last sendMessage

    def report(self) -> dict:
        return {
            "requests": self.requests,
            "sent": self.sent,
            "refused": self.refused,
            "first_at": self.first_at,
            "last_at": self.last_at,
            "per_chat": dict(self.per_chat),
        }


def _answer(status: int, payload: dict) -> bytes:
    body = json.dumps(payload, ensure_ascii=False, separators=(",", ":")).encode()
    reason = {200: "OK", 400: "Bad Request", 401: "Unauthorized", 404: "Not Found"}[status]
    head = (
        f"HTTP/1.1 {status} {reason}\r\nContent-Type: application/json\r\n"
        f"Content-Length: {len(body)}\r\n\r\n"
    )
    return head.encode() + body


def _error(status: int, description: str) -> bytes:
    return _answer(status, {"ok": False, "error_code": status, "description": description})


def _parameters(headers: bytes, body: bytes) -> dict:
    if b"application/json" in headers.lower():
        return json.loads(body or b"{}")
    return dict(parse_qsl(body.decode()))


class Endpoint(asyncio.Protocol):
    """One keep-alive connection: requests parsed as they arrive, answered in order."""

    def __init__(self, calls: Calls, token: str) -> None:
        self.calls = calls
        self.prefix = f"/bot{token}/".encode()
        self.buffer = b""
        self.transport: asyncio.Transport | None = None

    def connection_made(self, transport) -> None:
        self.transport = transport

    def data_received(self, data: bytes) -> None:
        self.buffer += data
        while True:
            end = self.buffer.find(_HEADERS_END)
            if end < 0:
                return
            head = self.buffer[:end]
            length = 0
            for line in head.split(b"\r\n")[1:]:
                name, _, value = line.partition(b":")
                if name.strip().lower() == b"content-length":
                    length = int(value)
            start = end + len(_HEADERS_END)
            if len(self.buffer) < start + length:
                return
            body = self.buffer[start : start + length]
            self.buffer = self.buffer[start + length :]
            self.transport.write(self.handle(head, body))

    def handle(self, head: bytes, body: bytes) -> bytes:
        self.calls.requests += 1
        request_line = head.split(b"\r\n", 1)[0]
        try:
            _method, path, _version = request_line.split(b" ")
        except ValueError:
            self.calls.refused += 1
            return _error(400, "Bad Request: malformed request line")
        if not path.startswith(self.prefix):
            self.calls.refused += 1
            return _error(401, "Unauthorized")
        method = path[len(self.prefix) :].decode()
        if method.lower() == "getme":
            return _answer(200, {"ok": True, "result": BOT_USER})
        if method.lower() != "sendmessage":
            self.calls.refused += 1
            return _error(404, "Not Found")
        parameters = _parameters(head, body)
        chat_id, text = parameters.get("chat_id"), parameters.get("text")
        if chat_id is None or not text:
            self.calls.refused += 1
            return _error(400, "Bad Request: chat_id and text are required")
        self.calls.sent += 1
        self.calls.per_chat[str(chat_id)] += 1
        self.calls.last_at = now = time.time()
        if self.calls.first_at is None:
            self.calls.first_at = now
        chat_key = str(chat_id)
        if chat_key.lstrip("-").isdigit():
            chat = {"id": int(chat_key), "type": "private", "first_name": "Subscriber"}
        else:
            chat = {"id": -1001000000001, "type": "channel", "title": "News", "username": chat_key}
        message = {
            "message_id": self.calls.sent,
            "from": BOT_USER,
            "chat": chat,
            "date": int(now),
            "text": text,
        }
        return _answer(200, {"ok": True, "result": message})


def listening_socket(port: int) -> socket.socket:
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT, 1)
    sock.bind(("127.0.0.1", port))
    sock.listen(1024)
    return sock


async def serve(port: int, token: str) -> None:
    """One worker: prints its base URL, answers until a line arrives on stdin, then reports."""
    calls = Calls()
    sock = listening_socket(port)
    loop = asyncio.get_running_loop()
    server = await loop.create_server(lambda: Endpoint(calls, token), sock=sock)
    print(f"http://127.0.0.1:{sock.getsockname()[1]}/bot", flush=True)
    await loop.run_in_executor(None, sys.stdin.readline)
    print(json.dumps(calls.report()), flush=True)
    server.close()


class FastApi:
    """The endpoint in ``workers`` processes of their own, all on one port."""

    def __init__(self, workers: int = 1, token: str = TOKEN) -> None:
        # The first worker picks a free port; the others join it through SO_REUSEPORT.
        self.processes: list[subprocess.Popen] = []
        try:
            self.base_url = self._start(0, token)
            port = int(self.base_url.rsplit(":", 1)[1].split("/")[0])
            for _ in range(workers - 1):
                self._start(port, token)
        except BaseException:
            self.stop()
            raise

    def _start(self, port: int, token: str) -> str:
        process = subprocess.Popen(
            [sys.executable, "-m", "bench.fast_api", "--serve", str(port), "--token", token],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
        )
        self.processes.append(process)
        return process.stdout.readline().strip()

    def report(self) -> dict:
        """Every worker's calls added up: requests, sent, refused, and each chat's count."""
        total = {"requests": 0, "sent": 0, "refused": 0}
        per_chat: Counter[str] = Counter()
        firsts, lasts = [], []
        try:
            for process in self.processes:
                process.stdin.write("report\n")
                process.stdin.flush()
            for process in self.processes:
                figures = json.loads(process.stdout.readline())
                per_chat.update(figures.pop("per_chat"))
                firsts.append(figures.pop("first_at"))
                lasts.append(figures.pop("last_at"))
                for key, value in figures.items():
                    total[key] += value
                process.stdin.close()
                process.wait(10)
        finally:
            self.stop()
        total["chats"] = len(per_chat)
        total["chats_twice"] = sum(1 for n in per_chat.values() if n > 1)
        # From the first message to the last: the pace while sending, without the start and end.
        firsts, lasts = [t for t in firsts if t], [t for t in lasts if t]
        total["sending_seconds"] = max(lasts) - min(firsts) if firsts else None
        return total

    def stop(self) -> None:
        """Makes sure every worker is gone, whatever happened."""
        for process in self.processes:
            if process.poll() is None:
                process.terminate()
                try:
                    process.wait(5)
                except subprocess.TimeoutExpired:
                    process.kill()
                    process.wait()


async def load(base_url: str, seconds: float, connections: int = 64) -> float:
    """Raw HTTP keep-alive requests, one in flight per connection: requests answered a second."""
    host, port = base_url.split("//")[1].split("/")[0].split(":")
    body = b"chat_id=1001&text=%3Cb%3EOTP%3C%2Fb%3E+" + b"x" * 800 + b"&parse_mode=HTML"
    request = (
        f"POST /bot{TOKEN}/sendMessage HTTP/1.1\r\nHost: {host}\r\n"
        "Content-Type: application/x-www-form-urlencoded\r\n"
        f"Content-Length: {len(body)}\r\n\r\n"
    ).encode() + body
    done = 0
    deadline = time.perf_counter() + seconds

    async def connection() -> None:
        nonlocal done
        reader, writer = await asyncio.open_connection(host, int(port))
        while time.perf_counter() < deadline:
            writer.write(request)
            head = await reader.readuntil(_HEADERS_END)
            length = int(head.lower().split(b"content-length:")[1].split(b"\r\n")[0])
            await reader.readexactly(length)
            done += 1
        writer.close()

    started = time.perf_counter()
    await asyncio.gather(*(connection() for _ in range(connections)))
    return done / (time.perf_counter() - started)


def check(workers: int, seconds: float) -> None:
    api = FastApi(workers)
    try:
        rate = asyncio.run(load(api.base_url, seconds))
    finally:
        figures = api.report()
    print(
        f"fast_api, {workers} worker(s): {rate:,.0f} requests/s from a bare load generator "
        f"({figures['sent']} sendMessage answered, {figures['refused']} refused)"
    )


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--serve", type=int, metavar="PORT", help=argparse.SUPPRESS)
    parser.add_argument("--token", default=TOKEN, help=argparse.SUPPRESS)
    parser.add_argument("--workers", type=int, default=1)
    parser.add_argument("--check", type=float, default=5.0, metavar="SECONDS")
    options = parser.parse_args()
    if options.serve is not None:
        os.environ.setdefault("PYTHONUNBUFFERED", "1")
        asyncio.run(serve(options.serve, options.token))
    else:
        check(options.workers, options.check)
