"""`make demo` as a person uses it: the web chat in Debian's Chromium, the real bot behind it."""

from __future__ import annotations

import asyncio
import re

from playwright.async_api import async_playwright, expect

from bot.demo import running_demo
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
