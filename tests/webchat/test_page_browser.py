"""The web chat page in Debian's Chromium, driven by Playwright, against a real Sandbox and bot."""

import re
from datetime import datetime
from zoneinfo import ZoneInfo

from playwright.async_api import Page, async_playwright, expect

from sandbox.files import sample_png
from tests.browser import ARTIFACTS, launch, needs_chromium, without_emoji_font
from tests.webchat.conftest import WebChatEnv
from tests.webchat.test_api import set_commands

pytestmark = needs_chromium

PHONE = {"width": 390, "height": 844}
HOSTILE_HTML = (
    '<b>đậm</b> <img src=x onerror="window.pwned=1"><script>window.pwned=2</script>'
    '<a href="javascript:window.pwned=3">x</a> <a href="https://vn.vn">ok</a>'
    '<span class="tg-spoiler">bí mật</span> &lt;i&gt; <i onclick="x()">nghiêng</i>'
)


async def open_page(playwright, env: WebChatEnv, viewport: dict) -> tuple[Page, list]:
    browser = await launch(playwright)
    page = await browser.new_page(viewport=viewport, locale="vi-VN")
    problems: list[str] = []
    page.on("pageerror", lambda error: problems.append(f"page error: {error}"))
    page.on(
        "console",
        lambda message: (
            problems.append(f"console: {message.text}") if message.type == "error" else None
        ),
    )
    await page.goto(env.url + "/")
    return page, problems


async def test_start_press_and_see_the_edit(webchat: WebChatEnv):
    ARTIFACTS.mkdir(exist_ok=True)
    async with async_playwright() as playwright:
        page, problems = await open_page(playwright, webchat, PHONE)
        await page.get_by_role("button", name=re.compile("Chị Lan")).click()
        await expect(page.locator("#empty")).to_contain_text("Chưa có tin nhắn")
        await page.get_by_role("button", name="Bắt đầu / Start").click()

        chat = page.locator("#messages")
        greeting = chat.locator(".row.bot").first
        await expect(greeting).to_contain_text("Xin chào, Lan!")
        await expect(greeting.locator("b")).to_have_text("Xin chào, Lan!")  # bot HTML rendered
        await expect(chat.locator(".row.user .text")).to_have_text("/start")
        await expect(page.get_by_role("link", name="Trang web")).to_have_attribute(
            "target", "_blank"
        )

        await chat.get_by_role("button", name="🌐 Ngôn ngữ").click()
        await expect(greeting).to_contain_text("Bạn đã chọn lang.")
        await expect(greeting).to_contain_text("đã sửa")
        await expect(greeting.get_by_role("button")).to_have_count(0)
        await expect(page.get_by_role("status")).to_have_text("Đã chọn lang")  # the answer
        await expect(chat.locator(".row")).to_have_count(2)  # edited in place

        await page.get_by_label("Tin nhắn", exact=True).fill("kb")
        await page.get_by_label("Tin nhắn", exact=True).press("Enter")
        keyboard = page.get_by_role("group", name="Bàn phím của bot")
        await expect(keyboard.get_by_role("button", name="Hủy")).to_be_visible()
        await expect(page.get_by_label("Tin nhắn", exact=True)).to_have_attribute(
            "placeholder", "Tên xã hoặc phường"
        )
        await keyboard.get_by_role("button", name="📍 Gửi vị trí").click()
        dialog = page.get_by_role("dialog")
        await expect(dialog.get_by_label(re.compile("Đà Lạt"))).to_be_checked()
        await dialog.get_by_role("button", name="Gửi").click()
        await expect(chat).to_contain_text("Vị trí: 11.9404, 108.4583")
        await expect(keyboard).to_be_hidden()

        await page.get_by_label("Tin nhắn", exact=True).fill("<b>không đậm</b> & <script>")
        await page.get_by_role("button", name="Gửi", exact=True).click()
        echoed = chat.locator(".row.bot").last
        await expect(echoed).to_contain_text("Bạn viết: <b>không đậm</b> & <script>")
        await expect(chat.locator(".row.user").last.locator("b")).to_have_count(0)

        await page.get_by_label("Tin nhắn", exact=True).fill("/start")
        await page.get_by_label("Tin nhắn", exact=True).press("Enter")
        await expect(chat.locator(".row.bot").last).to_contain_text("Xin chào, Lan!")
        await page.get_by_label("Tin nhắn", exact=True).fill("kb")
        await page.get_by_label("Tin nhắn", exact=True).press("Enter")
        await expect(keyboard).to_be_visible()
        await page.get_by_role("button", name="Bàn phím của bot").click()  # hide, show again
        await expect(keyboard).to_be_hidden()
        await page.get_by_role("button", name="Bàn phím của bot").click()
        await expect(keyboard).to_be_visible()
        await page.mouse.move(0, 0)
        await expect(page.get_by_role("status")).to_be_hidden()  # the answer's toast is gone
        await page.screenshot(path=ARTIFACTS / "webchat.png")
        await page.set_viewport_size({"width": 360, "height": 640})
        await page.screenshot(path=ARTIFACTS / "webchat-360.png")
        assert problems == []


async def test_personas_keep_their_conversations(webchat: WebChatEnv):
    since = webchat.sandbox.version
    await webchat.sandbox.send_text(webchat.user("tom"), "hello from Tom")
    await webchat.bot_reply("tom", since=since)
    async with async_playwright() as playwright:
        page, problems = await open_page(playwright, webchat, PHONE)
        tom = page.get_by_role("button", name=re.compile("Tom"))
        await expect(tom).to_contain_text("Bạn viết: hello from Tom")  # the last message
        await tom.click()
        await expect(page.locator("#messages")).to_contain_text("hello from Tom")
        await expect(
            page.get_by_label("Message", exact=True)
        ).to_be_visible()  # Tom's page is in English
        await page.get_by_label("Message", exact=True).fill("half-written")

        await page.get_by_role("button", name="Personas").click()
        await page.get_by_role("button", name=re.compile("Cán bộ Minh")).click()
        await expect(page.get_by_role("button", name="Bắt đầu / Start")).to_be_visible()
        await expect(page.locator("#messages .row")).to_have_count(0)

        await page.get_by_role("button", name="Danh sách người dùng").click()
        await page.get_by_role("button", name=re.compile("Tom")).click()
        await expect(page.locator("#messages")).to_contain_text("hello from Tom")
        await expect(page.get_by_label("Message", exact=True)).to_have_value("half-written")

        await page.get_by_label("Message", exact=True).fill("kb")
        await page.get_by_role("button", name="Send", exact=True).click()
        await page.get_by_role("button", name="☎️ Gửi số điện thoại").click()
        dialog = page.get_by_role("dialog")
        await expect(dialog).to_contain_text("Share your phone number with the bot?")
        await dialog.get_by_role("button", name="OK").click()
        phone = webchat.user("tom").phone_number
        await expect(page.locator("#messages")).to_contain_text(f"Số điện thoại: {phone}")
        assert problems == []


async def test_desktop_layout_and_safe_html(webchat: WebChatEnv):
    since = webchat.sandbox.version
    await webchat.sandbox.send_text(webchat.user("lan"), "/start")
    await webchat.bot_reply("lan", since=since)
    async with async_playwright() as playwright:
        page, problems = await open_page(playwright, webchat, {"width": 1280, "height": 800})
        await page.get_by_role("button", name=re.compile("Chị Lan")).click()
        await expect(page.locator("#messages")).to_contain_text("Xin chào, Lan!")
        await expect(page.get_by_role("button", name=re.compile("Tom"))).to_be_visible()

        await page.locator("#file").set_input_files(
            {"name": "rung.png", "mimeType": "image/png", "buffer": sample_png()}
        )
        dialog = page.get_by_role("dialog")
        await dialog.get_by_label("Chú thích").fill("Phá rừng <ở đây>")
        await dialog.get_by_role("button", name="Gửi").click()
        photos = page.locator("#messages .photo img")
        await expect(photos).to_have_count(2)  # the person's, and the bot's copy
        await expect(page.locator("#messages")).to_contain_text("Đã nhận ảnh Phá rừng <ở đây>")
        for index in range(2):
            loaded = await photos.nth(index).evaluate("img => img.complete && img.naturalWidth")
            assert loaded == 320
        await page.mouse.move(0, 0)
        await page.screenshot(path=ARTIFACTS / "webchat-desktop.png")

        rendered = await page.evaluate(
            """(html) => {
                const box = document.createElement("div");
                box.append(TelegramHtml.render(html));
                document.body.append(box);
                return {html: box.innerHTML, pwned: window.pwned ?? null};
            }""",
            HOSTILE_HTML,
        )
        assert rendered["pwned"] is None
        assert rendered["html"] == (
            '<b>đậm</b> &lt;img src=x onerror="window.pwned=1"&gt;&lt;script&gt;window.pwned=2'
            "&lt;/script&gt;<span>x</span> "
            '<a href="https://vn.vn" target="_blank" rel="noopener noreferrer">ok</a>'
            '<span class="spoiler" tabindex="0" role="button" aria-pressed="false">bí mật</span>'
            " &lt;i&gt; <i>nghiêng</i>"
        )
        assert problems == []


async def test_links_that_start_the_bot_open_in_the_chat(webchat: WebChatEnv):
    """A t.me or tg://resolve link to the bot, tapped or pasted, sends /start <payload> from the
    persona who opens it, as Telegram's app does — it does not leave the sandbox."""
    async with async_playwright() as playwright:
        page, problems = await open_page(playwright, webchat, PHONE)
        await page.get_by_role("button", name=re.compile("Tom")).click()
        await page.get_by_role("button", name="Bắt đầu / Start").click()
        chat = page.locator("#messages")
        await expect(chat.locator(".row.bot").first).to_contain_text("Xin chào, Tom!")
        composer = page.get_by_label("Message", exact=True)
        await composer.fill("link")
        await composer.press("Enter")
        await chat.get_by_role("link", name="mở bot").click()
        await expect(chat.locator(".row.user .text").last).to_have_text("/start inv_A1")
        await expect(chat.locator(".row.bot").last).to_contain_text("Mở bằng liên kết: inv_A1")
        await chat.get_by_role("link", name="Mở trong Telegram").click()
        await expect(chat.locator(".row.bot").last).to_contain_text("Mở bằng liên kết: inv_B2")

        await composer.fill("https://t.me/tipbot_demo_bot?start=inv_C3")  # pasted as text
        await composer.press("Enter")
        await expect(chat.locator(".row.user .text").last).to_have_text("/start inv_C3")
        await expect(chat.locator(".row.bot").last).to_contain_text("Mở bằng liên kết: inv_C3")
        assert len(page.context.pages) == 1  # nothing opened outside the web chat
        assert problems == []


async def test_who_you_are_and_the_command_menu(webchat: WebChatEnv):
    await set_commands(webchat, ["start", "report", "status"])
    await set_commands(webchat, ["start", "report", "language"], language_code="en")
    async with async_playwright() as playwright:
        page, problems = await open_page(playwright, webchat, {"width": 360, "height": 640})
        minh = page.get_by_role("button", name=re.compile("Cán bộ Minh"))
        await expect(minh.locator(".role-badge")).to_have_text("Cán bộ công an")
        await minh.click()
        identity = page.get_by_role("note")
        await expect(identity.locator("p").first).to_have_text("Bạn đang là Cán bộ Minh")
        await expect(identity.locator("p").last).to_have_text("Cán bộ công an Minh · công an xã")
        await page.get_by_role("button", name="Danh sách người dùng").click()
        await page.get_by_role("button", name=re.compile("Tom")).click()
        await expect(identity.locator("p").first).to_have_text("You are Tom")
        await expect(identity.locator(".role-badge")).to_have_text("Resident")
        await page.get_by_role("button", name="Personas").click()

        await page.get_by_role("button", name=re.compile("Chị Lan")).click()
        await page.get_by_role("button", name="Bắt đầu / Start").click()
        chat = page.locator("#messages")
        await expect(chat.locator(".row.bot").first).to_contain_text("Xin chào, Lan!")
        menu = page.get_by_role("group", name="Lệnh của bot")
        await expect(menu).to_be_hidden()
        await page.get_by_role("button", name="Lệnh của bot").click()
        await expect(menu.get_by_role("button")).to_have_text(
            ["/start start ()", "/report report ()", "/status status ()"]
        )
        await page.screenshot(path=ARTIFACTS / "webchat-menu-360.png")
        await menu.get_by_role("button", name="/status").click()
        await expect(chat.locator(".row.user .text").last).to_have_text("/status")
        await expect(menu).to_be_hidden()

        composer = page.get_by_label("Tin nhắn", exact=True)
        await composer.fill("/re")  # "/" typed first opens the menu, narrowed as one types
        await expect(menu.get_by_role("button")).to_have_text(["/report report ()"])
        await composer.fill("/re ")
        await expect(menu).to_be_hidden()
        await composer.fill("/")
        await menu.get_by_role("button", name="/report").click()
        await expect(chat.locator(".row.user .text").last).to_have_text("/report")
        await expect(composer).to_have_value("")

        # Tom's app speaks English: the bot's English list.
        await page.get_by_role("button", name="Danh sách người dùng").click()
        await page.get_by_role("button", name=re.compile("Tom")).click()
        await page.get_by_role("button", name="Bắt đầu / Start").click()
        await page.get_by_role("button", name="Bot commands").click()
        await expect(
            page.get_by_role("group", name="Bot commands").get_by_role("button")
        ).to_have_text(["/start start (en)", "/report report (en)", "/language language (en)"])
        assert problems == []


async def test_times_in_the_provinces_time_zone(webchat: WebChatEnv):
    """The browser is in New York; the messages' times read as in Lâm Đồng, like the bot's."""
    since = webchat.sandbox.version
    sent = await webchat.sandbox.send_text(webchat.user("lan"), "/start")
    await webchat.bot_reply("lan", since=since)
    expected = datetime.fromtimestamp(sent["date"], ZoneInfo("Asia/Ho_Chi_Minh")).strftime("%H:%M")
    async with async_playwright() as playwright:
        browser = await launch(playwright)
        context = await browser.new_context(timezone_id="America/New_York", locale="vi-VN")
        page = await context.new_page()
        await page.goto(webchat.url + "/#lan")
        stamp = page.locator("#messages .row.user time").first
        await expect(stamp).to_have_text(expected)
        await expect(stamp).to_have_attribute("title", re.compile(r"\(Asia/Ho_Chi_Minh\)"))
        await browser.close()


async def test_missing_emoji_fall_back_to_text(webchat: WebChatEnv, tmp_path):
    """Chromium without an emoji font: no empty boxes — an emoji before words is left out (the
    words are its label), one on its own gets a label; with the font, emoji stay."""
    async with async_playwright() as playwright:
        browser = await launch(playwright, env=without_emoji_font(tmp_path))
        page = await browser.new_page(viewport=PHONE, locale="vi-VN")
        await page.goto(webchat.url + "/#lan")
        await page.get_by_role("button", name="Bắt đầu / Start").click()
        chat = page.locator("#messages")
        await expect(chat.get_by_role("button", name="Gửi tin báo", exact=True)).to_be_visible()
        await expect(chat.get_by_role("button", name="Ngôn ngữ", exact=True)).to_be_visible()
        composer = page.get_by_label("Tin nhắn", exact=True)
        await composer.fill("🚨")
        await composer.press("Enter")
        await expect(chat.locator(".row.bot").last).to_have_text(
            re.compile(r"Bạn viết: \[Khẩn cấp\]")
        )
        await expect(chat.locator(".row.user .text").last).to_contain_text("[Khẩn cấp]")
        assert "📝" not in await chat.inner_text()
        await page.screenshot(path=ARTIFACTS / "webchat-no-emoji-font.png")
        await browser.close()

        browser = await launch(playwright)
        page = await browser.new_page(viewport=PHONE, locale="vi-VN")
        await page.goto(webchat.url + "/#lan")
        await expect(chat := page.locator("#messages")).to_contain_text("Bạn viết: 🚨")
        await expect(chat.get_by_role("button", name="📝 Gửi tin báo")).to_be_visible()
        await browser.close()
