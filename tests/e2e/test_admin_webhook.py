"""Webhook mode: the bot registers its URL and secret with setWebhook, its own HTTP server
(PTB's, on tornado) answers 403 to a request without the secret, and processes an update that
carries it — the reply reaching the sandbox like any other."""

from __future__ import annotations

import asyncio

import httpx

from bot.config import load_config, load_keys
from bot.runner import serve
from bot.webhook import webhook_settings
from tests.conftest import bot_env

HEADER = "X-Telegram-Bot-Api-Secret-Token"


async def next_update(sandbox) -> dict:
    """What Telegram would POST to the webhook: the update the sandbox queued for the bot."""
    [update] = await sandbox.updates.get(offset=0, limit=1, wait=5)
    await sandbox.updates.get(offset=update["update_id"] + 1, limit=1, wait=0)  # confirm it
    return update


async def test_webhook_refuses_without_the_secret_and_serves_with_it(
    sandbox, tmp_path, unused_tcp_port
):
    env = bot_env(sandbox, tmp_path / "data")
    config = load_config(env)
    hook = webhook_settings(config, "https://tipbot.example.vn/telegram/hook", port=unused_tcp_port)
    assert hook.url_path == "telegram/hook"
    stop, started = asyncio.Event(), asyncio.Event()
    task = asyncio.create_task(
        serve(config, load_keys(config, env), stop, on_started=lambda _: started.set(),
              webhook=hook)
    )  # fmt: skip
    try:
        await asyncio.wait_for(started.wait(), 30)
        [registered] = [c for c in sandbox.calls if c.method == "setWebhook"]
        assert registered.params["url"] == "https://tipbot.example.vn/telegram/hook"
        assert registered.params["secret_token"] == hook.secret
        assert not [c for c in sandbox.calls if c.method == "getUpdates"]  # no polling

        lan = sandbox.add_user("Lan", language_code="vi")
        await sandbox.send_text(lan, "/start")
        update = await next_update(sandbox)
        url = f"http://127.0.0.1:{unused_tcp_port}/telegram/hook"
        async with httpx.AsyncClient() as client:
            seen = len(sandbox.history(lan.id))
            for headers in ({}, {HEADER: "wrong-secret-value"}):
                refused = await client.post(url, json=update, headers=headers)
                assert refused.status_code == 403
            await asyncio.sleep(0.5)
            assert len(sandbox.history(lan.id)) == seen  # nothing was processed
            accepted = await client.post(url, json=update, headers={HEADER: hook.secret})
            assert accepted.status_code == 200
        reply = await sandbox.wait_for_message(lan.id, timeout=15)
        assert "ẩn danh" in reply["text"]
        assert not sandbox.errors
    finally:
        stop.set()
        await asyncio.wait_for(task, 30)
