"""PTB's HTTP transport on aiohttp, for the broadcast engine's own Bot.

PTB's default transport (HTTPXRequest) costs about 2.3 ms of CPU per sendMessage with 64
requests in flight, most of it in httpcore's connection pool, which scans every connection and
every waiting request on each request (measured with bench/broadcast.py's endpoint: 395 messages
a second at most, CPU-bound). On aiohttp, a direct dependency already (the webhook server and
the sandbox run on it), the same call costs about 0.34 ms: the engine can keep up with
Telegram's paid broadcast rate (1,000 a second) on one core.

Errors are PTB's: a timeout is ``TimedOut``, any other transport failure ``NetworkError``, and
PTB's BaseRequest turns the answer's status into RetryAfter, Forbidden, BadRequest, and so on.
A POST is never retried here (aiohttp retries only idempotent methods): a message cannot go
twice because a connection dropped.
"""

from __future__ import annotations

from urllib.parse import urlsplit
from urllib.request import getproxies, proxy_bypass

import aiohttp
from telegram.error import NetworkError, TimedOut
from telegram.request import BaseRequest, RequestData


class AiohttpRequest(BaseRequest):
    """``connections`` keep-alive connections at most; timeouts in seconds as HTTPXRequest's."""

    def __init__(
        self,
        *,
        connections: int,
        connect_timeout: float = 10.0,
        read_timeout: float = 15.0,
        write_timeout: float = 15.0,
        pool_timeout: float = 10.0,
    ) -> None:
        self.connections = connections
        self._connect_timeout, self._read_timeout = connect_timeout, read_timeout
        self._write_timeout, self._pool_timeout = write_timeout, pool_timeout
        self._session: aiohttp.ClientSession | None = None
        self._proxies: dict[str | None, str | None] = {}  # host -> its proxy, looked up once

    @property
    def read_timeout(self) -> float:
        return self._read_timeout

    async def initialize(self) -> None:
        self._opened()

    def _opened(self) -> aiohttp.ClientSession:
        if self._session is None or self._session.closed:
            self._session = aiohttp.ClientSession(
                connector=aiohttp.TCPConnector(limit=self.connections),
                headers={"User-Agent": self.USER_AGENT},
            )
            self._proxies = {}
        return self._session

    async def shutdown(self) -> None:
        if self._session is not None:
            await self._session.close()
            self._session = None

    async def do_request(
        self,
        url: str,
        method: str,
        request_data: RequestData | None = None,
        read_timeout=BaseRequest.DEFAULT_NONE,
        write_timeout=BaseRequest.DEFAULT_NONE,
        connect_timeout=BaseRequest.DEFAULT_NONE,
        pool_timeout=BaseRequest.DEFAULT_NONE,
    ) -> tuple[int, bytes]:
        session = self._opened()
        # aiohttp has no write timeout of its own: the connection's (pool wait and connect
        # together) and the read's bound the call; a write that stalls shows as a read timeout.
        pool = _given(pool_timeout, self._pool_timeout)
        connect = _given(connect_timeout, self._connect_timeout)
        read = _given(read_timeout, self._read_timeout)
        write = _given(write_timeout, self._write_timeout)
        uploading = request_data is not None and request_data.contains_files
        timeout = aiohttp.ClientTimeout(
            # An upload to a peer that stopped reading would wait for ever: bound the whole call.
            total=_sum(connect, write, read) if uploading else None,
            connect=_sum(pool, connect),
            sock_connect=connect,
            sock_read=read,
        )
        data, headers = _body(request_data)
        try:
            # No redirects: Telegram never redirects, and following one would turn the POST into
            # a GET somewhere else, with the token in its address.
            async with session.request(
                method,
                url,
                data=data,
                headers=headers,
                timeout=timeout,
                allow_redirects=False,
                proxy=self._proxy_for(url),
            ) as response:
                return response.status, await response.read()
        except TimeoutError as error:
            raise TimedOut from error
        except aiohttp.ClientError as error:
            # The address holds the token: it must not reach a log or the database.
            reason = str(error).replace(url, "[the Bot API address]")
            raise NetworkError(f"aiohttp.{type(error).__name__}: {reason}") from error

    def _proxy_for(self, url: str) -> str | None:
        """The proxy HTTPS_PROXY (or HTTP_PROXY) names for the address, unless NO_PROXY covers
        its host, as PTB's default transport honours them. Looked up once per host: aiohttp's
        own trust_env reads the environment on every request, which doubled a message's CPU."""
        parts = urlsplit(url)
        if parts.hostname not in self._proxies:
            proxy = getproxies().get(parts.scheme)
            bypass = proxy is None or proxy_bypass(parts.hostname or "")
            self._proxies[parts.hostname] = None if bypass else proxy
        return self._proxies[parts.hostname]


def _sum(*parts: float | None) -> float | None:
    known = [part for part in parts if part is not None]
    return sum(known) if len(known) == len(parts) else None


def _given(value, default: float | None) -> float | None:
    return default if isinstance(value, type(BaseRequest.DEFAULT_NONE)) else value


_FORM = {"Content-Type": "application/x-www-form-urlencoded"}


def _body(request_data: RequestData | None) -> tuple[object, dict[str, str] | None]:
    """A form (what PTB sends without files: encoded here at once, which costs less than
    aiohttp's FormData), or multipart when there are files."""
    if request_data is None:
        return None, None
    if not request_data.contains_files:
        return request_data.url_encoded_parameters().encode(), _FORM
    form = aiohttp.FormData()
    for name, value in request_data.json_parameters.items():
        form.add_field(name, value)
    for name, (filename, content, mime_type) in request_data.multipart_data.items():
        form.add_field(name, content, filename=filename, content_type=mime_type)
    return form, None
