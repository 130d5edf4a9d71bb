"""`make demo` as a person uses it: the web chat in Debian's Chromium, the real bot behind it."""

from __future__ import annotations

import asyncio
import re

from playwright.async_api import async_playwright, expect

from bot.demo import DEMO_COMMUNE, running_demo
from tests.browser import ARTIFACTS, launch, needs_chromium

pytestmark = needs_chromium


async def test_resident_taps_through_start_to_the_first_question(tmp_path):
    ARTIFACTS.mkdir(exist_ok=True)
    async with running_demo("127.0.0.1", 0, tmp_path / "demo") as demo:
        async with async_playwright() as playwright:
            browser = await launch(playwright)
            page = await browser.new_page(viewport={"width": 390, "height": 844})
            await page.goto(demo.url)
            await page.get_by_role("button", name=re.compile("Chị Lan")).click()
            await page.get_by_role("button", name="Bắt đầu / Start").click()

            chat = page.locator("#messages")
            welcome = chat.locator(".row.bot").first
            await expect(welcome).to_contain_text("an toàn và ẩn danh")
            await chat.get_by_role("button", name="📝 Gửi tin báo").click()
            await expect(chat).to_contain_text("Bạn muốn báo tin về việc gì?")
            await expect(chat.get_by_role("button", name="🌲 Vi phạm về rừng")).to_be_visible()
            await page.screenshot(path=str(ARTIFACTS / "demo-start.png"), full_page=True)

            # The English resident gets English, in the same running demo.
            await page.get_by_role("button", name="Danh sách người dùng").click()
            await page.get_by_role("button", name=re.compile("Tom")).click()
            await page.get_by_role("button", name="Bắt đầu / Start").click()
            await expect(chat.locator(".row.bot").first).to_contain_text("anonymously")
            await expect(chat.get_by_role("button", name="📝 Send a tip")).to_be_visible()
            await browser.close()
        await asyncio.sleep(0)
    assert not demo.sandbox.errors


async def test_the_admins_invite_opens_in_the_web_chat(tmp_path):
    """The demo's invite link stays in the sandbox: the admin makes one, Tom pastes it and
    becomes an officer, as on Telegram. Each persona's "/" menu is the one the bot set for them,
    the page says who you are, and the times are the province's."""
    ARTIFACTS.mkdir(exist_ok=True)
    async with running_demo("127.0.0.1", 0, tmp_path / "demo") as demo:
        async with async_playwright() as playwright:
            browser = await launch(playwright)
            page = await browser.new_page(viewport={"width": 360, "height": 740})
            await page.goto(demo.url)
            await page.get_by_role("button", name=re.compile("Ban Chỉ đạo 138")).click()
            identity = page.get_by_role("note")
            await expect(identity).to_contain_text("Bạn đang là Ban Chỉ đạo 138")
            await expect(identity.locator(".role-badge")).to_have_text("Quản trị viên tỉnh")
            await page.get_by_role("button", name="Bắt đầu / Start").click()
            chat = page.locator("#messages")
            await expect(chat.locator(".row.bot").first).to_contain_text("ẩn danh")
            await page.get_by_role("button", name="Lệnh của bot").click()
            menu = page.get_by_role("group", name="Lệnh của bot")
            await expect(menu.get_by_role("button", name="/stats")).to_be_visible()
            await menu.get_by_role("button", name="/invite").click()  # usage, as on Telegram
            await expect(chat.locator(".row.bot").last).to_contain_text("/invite")
            composer = page.get_by_label("Tin nhắn", exact=True)
            await composer.fill(f"/invite {DEMO_COMMUNE}")
            await composer.press("Enter")
            link = chat.locator('a[href^="https://t.me/tipbot_demo_bot?start=inv_"]')
            invite = await link.get_attribute("href")
            await expect(chat.locator("time").last).to_have_attribute(
                "title", re.compile(r"\(Asia/Ho_Chi_Minh\)")
            )
            await page.screenshot(path=str(ARTIFACTS / "demo-admin-invite-360.png"))

            await page.get_by_role("button", name="Danh sách người dùng").click()
            await page.get_by_role("button", name=re.compile("Tom")).click()
            await expect(identity).to_contain_text("You are Tom")
            await expect(identity.locator(".role-badge")).to_have_text("Resident")
            await page.get_by_role("button", name="Bắt đầu / Start").click()
            await expect(chat.locator(".row.bot").first).to_contain_text("anonymously")
            await page.get_by_role("button", name="Bot commands").click()
            menu = page.get_by_role("group", name="Bot commands")
            await expect(menu.get_by_role("button", name="/report")).to_be_visible()
            await expect(menu.get_by_role("button", name="/queue")).to_have_count(0)
            await expect(menu.get_by_role("button", name="/stats")).to_have_count(0)
            await page.get_by_label("Message", exact=True).fill(invite)  # pasted
            await page.get_by_label("Message", exact=True).press("Enter")
            await expect(chat.locator(".row.user .text").last).to_have_text(
                "/start " + invite.split("start=")[1]
            )
            await expect(chat.locator(".row.bot").last).to_contain_text("You are now an officer")
            await expect(identity.locator(".role-badge")).to_have_text("Police officer")
            await page.get_by_role("button", name="Bot commands").click()
            await expect(menu.get_by_role("button", name="/queue")).to_be_visible()
            await page.screenshot(path=str(ARTIFACTS / "demo-officer-menu-360.png"))
            await browser.close()
        await asyncio.sleep(0)
    # A browser pastes faster than a person: the courtesy notice "Tom joined" to the admin may
    # meet Telegram's one message a second per chat, and is then left out (by design).
    errors = [e for e in demo.sandbox.errors if "Too Many Requests" not in (e.description or "")]
    assert not errors
