"""Nothing secret reaches the log, even at DEBUG: the whole story of a tip (sent with a receipt,
acknowledged, a question, the tipster's answer) with PTB, its HTTP client and our own code
logging everything they log, then a scan of the captured output.

Logging is set up with the token as its only known secret: the keys, the receipt and what the
tipster wrote must never be logged at all, not merely be redacted.
"""

from __future__ import annotations

import base64
import io
import logging

import pytest

from bot.config import load_config, load_keys
from bot.logging_setup import configure_logging, secrets_of_token
from tests.conftest import RunningBot, bot_env
from tests.e2e.driver import Person
from tests.e2e.test_intake import send_reviewed, start_tip
from tests.e2e.test_officers import XUAN_HUONG, arrives, card, register

DESCRIPTION = "Nhóm người lạ chở gỗ lậu qua đèo Prenn lúc nửa đêm"
QUESTION = "Xe tải màu gì, biển số bao nhiêu?"
ANSWER = "Xe Hyundai xanh dương, biển 49C-123.45"


@pytest.fixture
def debug_log():
    stream = io.StringIO()
    yield stream
    root = logging.getLogger()
    root.handlers.clear()
    root.setLevel(logging.WARNING)
    for name in ("httpx", "httpcore", "apscheduler", "aiosqlite"):
        logging.getLogger(name).setLevel(logging.NOTSET)


async def test_a_tip_told_at_debug_leaves_no_secret_in_the_log(sandbox, tmp_path, debug_log):
    env = bot_env(sandbox, tmp_path / "data", TIPBOT_LOG_LEVEL="DEBUG")
    config = load_config(env)
    keys = load_keys(config, env)
    configure_logging(config.log_level, secrets_of_token(config.token), stream=debug_log)
    bot = RunningBot(sandbox, config, keys, env)
    await bot.start()
    try:
        tipster_user = sandbox.add_user("Hạnh", last_name="Vũ", username="hanh_vu_dl")
        tipster = Person(sandbox, tipster_user, timeout=15)
        officer_user = sandbox.add_user("Minh")
        await register(bot, officer_user, XUAN_HUONG)
        officer = Person(sandbox, officer_user, timeout=15)

        await start_tip(tipster, "🌲 Vi phạm về rừng")
        await tipster.tap("Vận chuyển gỗ lậu", expect="đang diễn ra")
        await tipster.tap("Không", expect="xã, phường")
        await tipster.send("xuan huong", expect="kể lại sự việc")
        await tipster.send(DESCRIPTION, expect="Bạn kiểm tra")
        code, receipt = await send_reviewed(tipster)
        await card(sandbox, officer_user.id, code)

        since = sandbox.version
        await officer.tap("✅ Tiếp nhận", expect="Minh tiếp nhận lúc")
        await arrives(sandbox, tipster_user.id, "Cán bộ đã tiếp nhận tin báo", since)
        await officer.tap("❓ Hỏi người báo tin", expect="Nhập câu hỏi")
        since = sandbox.version
        await officer.send(QUESTION, expect="Đã gửi câu hỏi")
        await arrives(sandbox, tipster_user.id, QUESTION, since)
        since = sandbox.version  # typed without replying: the newest question takes it
        await tipster.send(ANSWER, expect="đã được chuyển tới cán bộ")
        await arrives(sandbox, officer_user.id, ANSWER, since)
        await tipster.send(f"/status {receipt}", expect=code)
        await bot.run_job("retention")
        pseudonym = bot.runtime.pseudonym_of(tipster_user.id)
    finally:
        await bot.stop()

    output = debug_log.getvalue()
    # It is a DEBUG log indeed: PTB's API calls and our events, all there. (The bot talks HTTP
    # through aiohttp, which logs no request URL, the token's usual way into a log; the
    # formatter's redaction of it is tested in tests/bot/test_logging.py.)
    assert "Calling Bot API endpoint `sendMessage`" in output
    assert "event=started" in output and "event=retention" in output
    assert all(line.startswith("time=") for line in output.splitlines())

    secrets = {
        "the token": config.token,
        "the token's secret half": config.token.split(":")[1],
        "the pseudonym key (base64)": base64.urlsafe_b64encode(keys.pseudonym).decode(),
        "the pseudonym key (hex)": keys.pseudonym.hex(),
        "the way-back key (base64)": base64.urlsafe_b64encode(keys.way_back).decode(),
        "the way-back key (hex)": keys.way_back.hex(),
        "the receipt": receipt,
        "the receipt without dashes": receipt.replace("-", ""),
        "the tip's description": DESCRIPTION,
        "a piece of the description": "gỗ lậu qua đèo",
        "the officer's question": QUESTION,
        "the tipster's answer": ANSWER,
        "the tipster's user id": str(tipster_user.id),
        "the tipster's username": "hanh_vu_dl",
        "the tipster's pseudonym": pseudonym[:24],
    }
    leaked = [what for what, value in secrets.items() if value in output]
    assert leaked == [], f"found in the DEBUG log: {', '.join(leaked)}"
    assert not sandbox.errors
