"""The web chat's JSON API against a real Sandbox with the echo bot polling it."""

import asyncio
import json
import struct
import zlib

import pytest

from sandbox.webchat import DA_LAT, start_payload
from tests.webchat.conftest import TOKEN, WebChatEnv


def png(width: int = 4, height: int = 3) -> bytes:
    """A small valid PNG."""

    def chunk(tag: bytes, body: bytes) -> bytes:
        crc = struct.pack(">I", zlib.crc32(tag + body) & 0xFFFFFFFF)
        return struct.pack(">I", len(body)) + tag + body + crc

    rows = b"".join(b"\x00" + b"\x10\x80\x40" * width for _ in range(height))
    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(rows))
        + chunk(b"IEND", b"")
    )


async def start(env: WebChatEnv, key: str = "lan") -> dict:
    """/start from the page; returns the bot's greeting as the page sees it."""
    await env.post(f"/webchat/chats/{key}/messages", {"text": "/start"})
    reply = await env.bot_reply(key)
    chat = await env.get(f"/webchat/chats/{key}")
    return next(m for m in chat["messages"] if m["id"] == reply["message_id"])


async def test_page_and_assets_are_served(webchat: WebChatEnv):
    async with webchat.http.get(webchat.url + "/") as response:
        assert response.status == 200
        assert "script-src 'self'" in response.headers["Content-Security-Policy"]
        page = await response.text()
    assert '<script src="/static/app.js"' in page
    for asset, kind in [("app.js", "javascript"), ("telegram-html.js", "javascript")]:
        async with webchat.http.get(f"{webchat.url}/static/{asset}") as response:
            assert response.status == 200
            assert kind in response.content_type
    async with webchat.http.get(webchat.url + "/static/style.css") as response:
        assert response.content_type == "text/css"


async def test_personas_listed_with_their_chat_summary(webchat: WebChatEnv):
    data = await webchat.get("/webchat/personas")
    assert data["bot"]["username"] == "tipbot_demo_bot"
    assert data["default_location"] == {"latitude": DA_LAT[0], "longitude": DA_LAT[1]}
    assert [p["key"] for p in data["personas"]] == ["lan", "tom", "minh"]
    lan = data["personas"][0]
    assert lan["label"] == "Chị Lan"
    assert lan["description"] == "người dân (tiếng Việt)"
    assert lan["language"] == "vi"
    assert lan["user_id"] == webchat.user("lan").id
    assert (lan["count"], lan["last"], lan["last_bot_id"]) == (0, None, 0)

    await start(webchat)
    lan = (await webchat.get("/webchat/personas"))["personas"][0]
    assert lan["count"] == 2
    assert lan["last"]["side"] == "bot"
    assert lan["last"]["preview"].startswith("Xin chào, Lan!")
    assert lan["last_bot_id"] == 2


async def test_history_shape_after_start(webchat: WebChatEnv):
    greeting = await start(webchat)
    chat = await webchat.get("/webchat/chats/lan")
    assert chat["key"] == "lan"
    assert chat["reply_keyboard"] is None
    sent, _ = chat["messages"]
    assert sent["side"] == "user"
    assert sent["html"] == "/start"
    assert sent["edited"] is False
    assert isinstance(sent["date"], int)
    assert greeting["side"] == "bot"
    assert greeting["html"] == (
        "<b>Xin chào, Lan!</b>\nĐây là bot thử: chọn một mục <i>bên dưới</i>."
    )
    assert greeting["buttons"] == [
        [{"text": "📝 Gửi tin báo", "callback_data": "tip"}],
        [
            {"text": "🌐 Ngôn ngữ", "callback_data": "lang"},
            {"text": "❓ Trợ giúp", "callback_data": "help"},
        ],
        [{"text": "Trang web", "url": "https://example.org/"}],
    ]


async def test_typed_text_never_becomes_markup(webchat: WebChatEnv):
    typed = '<script>alert("x")</script> & <b>not bold</b>'
    await webchat.post("/webchat/chats/lan/messages", {"text": typed})
    await webchat.bot_reply("lan")
    sent, echoed = (await webchat.get("/webchat/chats/lan"))["messages"]
    escaped = "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt; &amp; &lt;b&gt;not bold&lt;/b&gt;"
    assert sent["html"] == escaped
    assert echoed["html"] == "Bạn viết: " + escaped


async def test_pressing_an_inline_button_edits_the_message(webchat: WebChatEnv):
    greeting = await start(webchat)
    answer = await webchat.post(
        "/webchat/chats/lan/callback", {"message_id": greeting["id"], "data": "lang"}
    )
    assert answer["ok"] is True
    edited = await webchat.bot_reply("lan", predicate=lambda m: "edit_date" in m)
    assert edited["message_id"] == greeting["id"]
    chat = await webchat.get("/webchat/chats/lan")
    view = next(m for m in chat["messages"] if m["id"] == greeting["id"])
    assert view["edited"] is True
    assert view["html"] == "Bạn đã chọn <b>lang</b>."
    assert view["buttons"] == []
    assert len(chat["messages"]) == 2  # edited in place, nothing added


async def test_reply_keyboard_buttons(webchat: WebChatEnv):
    await webchat.post("/webchat/chats/lan/messages", {"text": "kb"})
    await webchat.bot_reply("lan")
    keyboard = (await webchat.get("/webchat/chats/lan"))["reply_keyboard"]
    assert keyboard == {
        "rows": [
            [{"text": "📍 Gửi vị trí", "kind": "location"}],
            [
                {"text": "☎️ Gửi số điện thoại", "kind": "contact"},
                {"text": "Hủy", "kind": "text"},
            ],
        ],
        "resize": True,
        "one_time": True,
        "placeholder": "Tên xã hoặc phường",
    }

    await webchat.post("/webchat/chats/lan/reply-button", {"text": "📍 Gửi vị trí"})
    reply = await webchat.bot_reply("lan")
    assert reply["text"] == f"Vị trí: {DA_LAT[0]:.4f}, {DA_LAT[1]:.4f}"
    chat = await webchat.get("/webchat/chats/lan")
    assert chat["messages"][-2]["location"] == {"latitude": DA_LAT[0], "longitude": DA_LAT[1]}
    assert chat["reply_keyboard"] is None  # the bot removed it

    await webchat.post("/webchat/chats/lan/messages", {"text": "kb"})
    await webchat.bot_reply("lan")
    await webchat.post(
        "/webchat/chats/lan/reply-button",
        {"text": "📍 Gửi vị trí", "latitude": 11.5479, "longitude": 107.8077},
    )
    assert (await webchat.bot_reply("lan"))["text"] == "Vị trí: 11.5479, 107.8077"

    await webchat.post("/webchat/chats/lan/messages", {"text": "kb"})
    await webchat.bot_reply("lan")
    await webchat.post("/webchat/chats/lan/reply-button", {"text": "☎️ Gửi số điện thoại"})
    reply = await webchat.bot_reply("lan")
    assert reply["text"].startswith("Số điện thoại: +84")
    contact = (await webchat.get("/webchat/chats/lan"))["messages"][-2]["contact"]
    assert contact["name"] == "Lan"
    assert reply["text"].endswith(contact["phone"])

    assert (await webchat.get("/webchat/chats/lan"))["reply_keyboard"] is None  # one-time

    await webchat.post("/webchat/chats/lan/messages", {"text": "kb"})
    await webchat.bot_reply("lan")
    await webchat.post("/webchat/chats/lan/reply-button", {"text": "Hủy"})
    assert (await webchat.bot_reply("lan"))["text"] == "Đã hủy."
    assert (await webchat.get("/webchat/chats/lan"))["reply_keyboard"] is None
    error = await webchat.post("/webchat/chats/lan/reply-button", {"text": "Hủy"}, status=409)
    assert error["ok"] is False


async def test_location_button_of_the_composer(webchat: WebChatEnv):
    await webchat.post("/webchat/chats/tom/location", {"latitude": 10.9289, "longitude": 108.1021})
    assert (await webchat.bot_reply("tom"))["text"] == "Vị trí: 10.9289, 108.1021"
    for bad in [{}, {"latitude": 91, "longitude": 0}, {"latitude": "x", "longitude": 1}]:
        await webchat.post("/webchat/chats/tom/location", bad, status=400)


async def test_uploading_a_photo_and_seeing_the_bots_photo(webchat: WebChatEnv):
    image = png()
    await webchat.upload("lan", image, "hien-truong.png", caption="Chặt cây <trái phép>")
    await webchat.bot_reply("lan")
    sent, reply = (await webchat.get("/webchat/chats/lan"))["messages"]
    assert sent["side"] == "user"
    assert sent["kind"] == "photo"
    assert sent["html"] == "Chặt cây &lt;trái phép&gt;"
    assert reply["side"] == "bot"
    assert reply["html"] == "Đã nhận ảnh <i>Chặt cây &lt;trái phép&gt;</i>"
    for url in (sent["photo"], reply["photo"]):
        async with webchat.http.get(webchat.url + url) as response:
            assert response.status == 200
            assert response.content_type == "image/png"
            assert await response.read() == image


async def test_uploading_another_file_sends_a_document(webchat: WebChatEnv):
    await webchat.upload("lan", b"<html><script>alert(1)</script>", "x.html")
    assert (await webchat.bot_reply("lan"))["text"] == "Đã nhận tệp x.html"
    sent = (await webchat.get("/webchat/chats/lan"))["messages"][0]
    assert sent["document"]["name"] == "x.html"
    async with webchat.http.get(webchat.url + sent["document"]["url"]) as response:
        assert response.status == 200
        assert response.content_type == "application/octet-stream"  # never rendered as a page
        assert response.headers["Content-Disposition"] == "attachment"


async def test_long_poll_waits_for_a_change_and_returns_on_it(webchat: WebChatEnv):
    first = await webchat.get("/webchat/updates", chat="lan")
    assert first["chat"]["messages"] == []
    assert {p["key"] for p in first["personas"]} == {"lan", "tom", "minh"}

    poll = asyncio.create_task(
        webchat.get("/webchat/updates", since=first["version"], wait=10, chat="lan")
    )
    await asyncio.sleep(0.3)
    assert not poll.done()
    started = asyncio.get_running_loop().time()
    await webchat.sandbox.send_text(webchat.user("lan"), "xin chào")
    changed = await asyncio.wait_for(poll, 5)
    assert asyncio.get_running_loop().time() - started < 2
    assert changed["version"] > first["version"]
    assert changed["chat"]["messages"][0]["html"] == "xin chào"


async def test_long_poll_answers_after_its_wait_without_change(webchat: WebChatEnv):
    version = (await webchat.get("/webchat/personas"))["version"]
    started = asyncio.get_running_loop().time()
    data = await webchat.get("/webchat/updates", since=version, wait=0.3)
    assert 0.25 < asyncio.get_running_loop().time() - started < 3
    assert data["version"] == version
    assert data["chat"] is None


async def test_bad_requests(webchat: WebChatEnv):
    for path, body in [
        ("/webchat/chats/nobody/messages", {"text": "hi"}),
        ("/webchat/chats/nobody/callback", {"message_id": 1, "data": "x"}),
    ]:
        assert (await webchat.post(path, body, status=404))["ok"] is False
    await webchat.post("/webchat/chats/lan/messages", {"text": "   "}, status=400)
    await webchat.post("/webchat/chats/lan/messages", ["not", "an", "object"], status=400)
    await webchat.post("/webchat/chats/lan/callback", {"message_id": "1"}, status=400)
    async with webchat.http.get(webchat.url + "/webchat/updates?chat=nobody") as response:
        assert response.status == 404
    async with webchat.http.get(webchat.url + "/webchat/files/nope") as response:
        assert response.status == 404


@pytest.mark.parametrize(
    ("link", "payload"),
    [
        ("https://t.me/tipbot_demo_bot?start=inv_AbC-12_x", "inv_AbC-12_x"),
        ("http://t.me/TipBot_Demo_Bot?start=inv_1", "inv_1"),  # usernames ignore case
        ("t.me/tipbot_demo_bot?start=inv_1", "inv_1"),  # pasted without the scheme
        ("  https://telegram.me/tipbot_demo_bot/?start=x\n", "x"),
        ("tg://resolve?domain=tipbot_demo_bot&start=inv_2", "inv_2"),
        ("https://t.me/tipbot_demo_bot?start=", ""),
        ("https://t.me/other_bot?start=inv_1", None),  # another bot
        ("https://t.me/tipbot_demo_bot", None),  # opens the chat, starts nothing
        ("https://t.me/tipbot_demo_bot?start=a b", None),
        ("https://t.me/tipbot_demo_bot?start=" + "x" * 65, None),  # Telegram's limit is 64
        ("https://evil.example/tipbot_demo_bot?start=inv_1", None),
        ("tg://resolve?domain=other_bot&start=1", None),
        ("see https://t.me/tipbot_demo_bot?start=inv_1", None),  # text around it: a message
        ("/start inv_1", None),
    ],
)
def test_start_links(link, payload):
    assert start_payload(link, "tipbot_demo_bot") == payload


async def test_a_link_to_the_bot_starts_it_for_whoever_opens_it(webchat: WebChatEnv):
    """The admin's invite link, pasted or tapped by another persona, sends /start <payload> from
    that persona, as Telegram's app does; other links are not the web chat's to open."""
    link = "https://t.me/tipbot_demo_bot?start=inv_Q7x"
    sent = await webchat.post("/webchat/chats/tom/messages", {"text": link})
    assert sent["result"]["text"] == "/start inv_Q7x"
    assert sent["result"]["from"]["id"] == webchat.user("tom").id
    greeting = await webchat.bot_reply("tom")
    assert "Mở bằng liên kết: inv_Q7x" in greeting["text"]

    tapped = await webchat.post(
        "/webchat/chats/minh/open-link", {"url": "tg://resolve?domain=tipbot_demo_bot&start=inv_9"}
    )
    assert tapped["result"]["text"] == "/start inv_9"
    assert "inv_9" in (await webchat.bot_reply("minh"))["text"]
    assert (
        await webchat.post(
            "/webchat/chats/lan/open-link", {"url": "https://t.me/tipbot_demo_bot?start="}
        )
    )["result"]["text"] == "/start"

    for url in ("https://example.org/", "https://t.me/other_bot?start=x", 5):
        refused = await webchat.post("/webchat/chats/lan/open-link", {"url": url}, status=400)
        assert refused["error"] == "not a link that starts this bot"
    # A message that only mentions a link is sent as it is.
    await webchat.post("/webchat/chats/lan/messages", {"text": f"xem {link}"})
    assert (await webchat.bot_reply("lan"))["text"] == f"Bạn viết: xem {link}"


async def set_commands(env: WebChatEnv, commands: list[str], **params) -> None:
    """setMyCommands as the bot calls it, over the sandbox's Bot API."""
    body = {
        "commands": [{"command": c, "description": f"{c} ({params.get('language_code', '')})"}
                     for c in commands],
        **params,
    }  # fmt: skip
    url = f"{env.sandbox.base_url}{TOKEN}/setMyCommands"
    async with env.http.post(url, json=body) as response:
        assert (await response.json())["ok"], await response.text()


async def test_the_command_menu_follows_telegrams_scopes_and_languages(webchat: WebChatEnv):
    async def menu(key: str) -> list[str]:
        chat = await webchat.get(f"/webchat/chats/{key}")
        return [c["command"] for c in chat["commands"]]

    assert await menu("lan") == []  # the bot set none: no menu
    await set_commands(webchat, ["start", "report"])
    await set_commands(webchat, ["start", "report", "language"], language_code="en")
    assert await menu("lan") == ["start", "report"]  # vi: no vi list, so the one without language
    assert await menu("tom") == ["start", "report", "language"]  # Tom's app speaks English
    chat = await webchat.get("/webchat/chats/tom")
    assert chat["commands"][0] == {"command": "start", "description": "start (en)"}

    await set_commands(webchat, ["start", "help"], scope={"type": "all_private_chats"})
    assert await menu("lan") == ["start", "help"]  # a private-chats list comes before the default

    # Minh is an officer: the bot sets his chat's own menu, in his language and without one.
    await webchat.post("/webchat/chats/minh/messages", {"text": "/start"})
    minh = webchat.user("minh").id
    await set_commands(webchat, ["queue"], scope={"type": "chat", "chat_id": minh})
    await set_commands(webchat, ["queue", "tip"], scope={"type": "chat", "chat_id": minh},
                       language_code="vi")  # fmt: skip
    assert await menu("minh") == ["queue", "tip"]
    assert await menu("lan") == ["start", "help"]  # nobody else's menu changes
    # Tom opened an invite: the bot gives him an officer's menu, and the page shows him as one.
    await webchat.post("/webchat/chats/tom/messages", {"text": "/start"})
    tom = webchat.user("tom").id
    await set_commands(webchat, ["queue"], scope={"type": "chat", "chat_id": tom})
    roles = {p["key"]: p["role"] for p in (await webchat.get("/webchat/personas"))["personas"]}
    assert roles == {"lan": "resident", "tom": "officer", "minh": "officer"}
    polled = await webchat.get("/webchat/updates", since=-1, chat="minh")
    assert [c["command"] for c in polled["chat"]["commands"]] == ["queue", "tip"]
    assert json.dumps(polled["chat"]["commands"])  # plain JSON for the page


async def test_the_page_learns_the_time_zone(webchat: WebChatEnv):
    data = await webchat.get("/webchat/personas")
    assert data["timezone"] == "Asia/Ho_Chi_Minh"
    assert [p["role"] for p in data["personas"]] == ["resident", "resident", "officer"]
