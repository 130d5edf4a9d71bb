"""`python -m sandbox` serves the Bot API on its own."""

import asyncio
import socket
import sys

import httpx
import pytest


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.mark.slow
async def test_standalone_server_answers_get_me():
    port = free_port()
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "sandbox",
        "--port",
        str(port),
        "--token",
        "77:standalone",
        "--bot-username",
        "alone_bot",
        stdout=asyncio.subprocess.PIPE,
    )
    try:
        banner = await asyncio.wait_for(process.stdout.readline(), 10)
        assert f"base_url=http://127.0.0.1:{port}/bot" in banner.decode()
        async with httpx.AsyncClient() as client:
            response = await client.get(f"http://127.0.0.1:{port}/bot77:standalone/getMe")
        assert response.json()["result"]["username"] == "alone_bot"
    finally:
        process.terminate()
        await process.wait()
