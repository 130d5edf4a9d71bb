"""The web door hardened like a public site: headers, same origin, bounded bodies, the proof of
work, only the resident's endpoints, and no trace of the client anywhere."""

from __future__ import annotations

import io
import logging
import secrets

import pytest
from PIL import Image

from bot.webdoor import WEB_DOOR
from bot.webdoor.server import SECURITY_HEADERS
from tests.e2e.test_officers import XUAN_HUONG, register
from tests.webdoor.test_door_e2e import web_tip
from tests.webdoor.visitor import jpeg_with_gps


@pytest.fixture
def bot_settings(admin_user):
    # DEBUG logs too: they must hold nothing about the visitor either.
    return {
        "TIPBOT_WEB_LISTEN": "127.0.0.1:0",
        "TIPBOT_ADMIN_IDS": str(admin_user.id),
        "TIPBOT_LOG_LEVEL": "DEBUG",
    }


PATHS = [
    ("GET", "/"), ("GET", "/static/app.js"), ("GET", "/static/style.css"),
    ("GET", "/static/nothing.js"), ("GET", "/api/chat"), ("GET", "/api/challenge"),
    ("POST", "/api/send"), ("GET", "/nowhere"), ("PUT", "/api/send"),
    ("GET", "/bot4242:test-token-SECRET-value_xyz/getMe"), ("GET", "/api/personas"),
    ("GET", "/api/chat/1"), ("POST", "/_test/users"), ("GET", "/file/bot1/x"),
]  # fmt: skip


async def test_headers_on_every_response_and_no_sandbox_endpoints(bot, session, door_url):
    for method, path in PATHS:
        async with session.request(method, door_url + path) as response:
            for name, value in SECURITY_HEADERS.items():
                assert response.headers.get(name) == value, (method, path, name)
            assert "Set-Cookie" not in response.headers and "Server" not in response.headers
            body = await response.text()
            assert "Traceback" not in body
            if path.startswith(("/bot", "/api/personas", "/api/chat/", "/_test", "/file")):
                assert response.status in (403, 404, 405), path
    async with session.get(door_url + "/") as response:
        page = await response.text()
    assert "<script>" not in page and "http://" not in page and "https://" not in page
    assert "113" in page and "114" in page and "115" in page and "112" in page
    assert "{{" not in page and '<html lang="vi">' in page and "Quên máy này" in page
    async with session.get(door_url + "/api/texts") as response:
        texts = await response.json()
    assert texts["en"]["forget"] == "Forget this device" and texts["vi"]["forget"] == "Quên máy này"


async def test_first_load_is_small(bot, session, door_url):
    total = 0
    for path in ("/", "/static/app.js", "/static/style.css", "/static/pow-worker.js"):
        async with session.get(door_url + path) as response:
            total += len(await response.read())
    assert total < 150 * 1024


async def test_cross_origin_oversized_and_unproven_posts_are_refused(bot, visitor):
    web = visitor()
    url = f"{web.base}/api/send"
    body = {"text": "/start", "language": "vi"}
    for origin in ("https://evil.example", None, "null"):
        headers = {"X-Tipbot-Key": web.secret}
        if origin:
            headers["Origin"] = origin
        async with web.session.post(url, json=body, headers=headers) as response:
            assert response.status == 403
    # No proof of work yet: nothing is taken.
    async with web.session.post(url, json=body, headers=web.headers) as response:
        assert response.status == 428
    # A wrong answer, a replayed one, and no key at all.
    async with web.session.get(f"{web.base}/api/challenge") as response:
        challenge = (await response.json())["challenge"]
    from bot.webdoor.pow import solve, solves

    wrong = next(str(n) for n in range(10**6) if not solves(challenge, str(n), 17))
    async with web.session.post(
        f"{web.base}/api/unlock", json={"challenge": challenge, "nonce": wrong}, headers=web.headers
    ) as response:
        assert response.status == 400
    right = {"challenge": challenge, "nonce": solve(challenge)}
    async with web.session.post(f"{web.base}/api/unlock", json=right, headers=web.headers) as r:
        assert r.status == 200
    async with web.session.post(f"{web.base}/api/unlock", json=right, headers=web.headers) as r:
        assert r.status == 400  # taken once
    async with web.session.post(url, json=body, headers={"Origin": web.base}) as response:
        assert response.status == 401
    big = {"text": "x" * 20_000, "language": "vi"}
    async with web.session.post(url, json=big, headers=web.headers) as response:
        assert response.status == 413
    async with web.session.post(
        f"{web.base}/api/upload", data=b"x" * (51 * 1024 * 1024),
        headers={**web.headers, "Content-Type": "multipart/form-data; boundary=x"},
    ) as response:  # fmt: skip
        assert response.status == 413
    async with web.session.post(url, json=body, headers=web.headers) as response:
        assert response.status == 200


async def test_photo_reaches_officers_without_metadata_and_no_client_trace(
    sandbox, bot, visitor, caplog
):
    caplog.set_level(logging.DEBUG)
    minh_user = sandbox.add_user("Minh", language_code="vi")
    await register(bot, minh_user, XUAN_HUONG)
    hoa_user = sandbox.add_user("Hoa", language_code="vi")
    await register(bot, hoa_user, XUAN_HUONG)
    web = visitor()
    user_agent = "Mozilla/5.0 (Linux; Android 10; SM-A105F) TipsterPhone/" + secrets.token_hex(4)
    web.session.headers["User-Agent"] = user_agent
    code = await web_tip(web, photo=jpeg_with_gps())
    photo = await sandbox.wait_for_message(
        minh_user.id, timeout=15, predicate=lambda m: "photo" in m
    )
    data = sandbox.file_bytes(photo["photo"][-1]["file_id"])
    assert data.startswith(b"\xff\xd8")
    for needle in (b"Exif", b"SecretCam", b"SERIAL-123456", b"GPS"):
        assert needle not in data
    with Image.open(io.BytesIO(data)) as seen:
        assert not seen.getexif() and (seen.width, seen.height) == (64, 48)
    assert code
    # The second officer gets it too, by the file id Telegram gave the first upload.
    await sandbox.wait_for_message(hoa_user.id, timeout=15, predicate=lambda m: "photo" in m)
    sends = [c.params.get("photo") for c in sandbox.calls if c.method == "sendPhoto"]
    assert len(sends) == 2 and [isinstance(p, dict) and "upload" in p for p in sends] == [
        True,
        False,
    ]

    await bot.stop()  # everything written and closed, WAL included
    files = [bot.config.db_path, *bot.config.db_path.parent.glob("*.sqlite3-*")]
    blobs = b"".join(path.read_bytes() for path in files if path.exists())
    logs = "\n".join(record.getMessage() for record in caplog.records)
    for needle in (user_agent, web.secret, "TipsterPhone"):
        assert needle.encode() not in blobs, needle
        assert needle not in logs, needle


def test_the_door_never_reads_the_peer_address_or_agent():
    """In tests the visitor's address is 127.0.0.1, like the sandbox's, so the bytes above
    cannot tell it apart: the code itself must never ask for it."""
    from pathlib import Path

    import bot.webdoor

    source = "".join(p.read_text() for p in Path(bot.webdoor.__file__).parent.glob("*.py"))
    for reading in ("request.remote", "peername", "User-Agent", "X-Forwarded-For", "X-Real-IP"):
        assert reading not in source


def test_web_door_settings():
    from bot.config import ConfigError, load_config

    base = {"TIPBOT_TOKEN": "1:abc"}
    assert load_config(base).web_listen is None
    config = load_config(base | {"TIPBOT_WEB_LISTEN": "127.0.0.1:8090"})
    assert config.web_listen == ("127.0.0.1", 8090)
    for name, bad in (("TIPBOT_WEB_LISTEN", "8090"), ("TIPBOT_WEB_LISTEN", "host:http"),
                      ("TIPBOT_WEB_PUBLIC_URL", "tin.example.vn"),
                      ("TIPBOT_WEB_PUBLIC_URL", "ftp://x/")):  # fmt: skip
        with pytest.raises(ConfigError) as error:
            load_config(base | {name: bad})
        assert str(error.value).startswith(name) and "\n" not in str(error.value)


async def test_reading_with_free_keys_keeps_nothing(bot, visitor):
    """Keys cost nothing to make: without a proof of work they may read, never write or make
    the door remember them (which could push a tipster's waiting question out of memory)."""
    door = bot.application.bot_data[WEB_DOOR].door
    before = len(door.mailboxes)
    for _ in range(50):
        web = visitor()
        view = await web.refresh()
        assert view["messages"] == []
        async with web.session.post(
            f"{web.base}/api/language", json={"language": "en"}, headers=web.headers
        ) as response:
            assert response.status == 428
    assert len(door.mailboxes) == before
    with bot.db() as conn:
        assert conn.execute("SELECT count(*) FROM resident_prefs").fetchone()[0] == 0
