"""The device key: the same device resumes its unfinished tip, even after a restart; "Forget
this device" removes it; the page's HTML is rebuilt, never passed through."""

from __future__ import annotations

from bot.webdoor import WEB_DOOR
from bot.webdoor.render import render


async def test_same_device_resumes_and_forget_removes_the_draft(bot, visitor):
    web = visitor()
    await web.post("/api/language", {"language": "vi"})
    await web.send("/report", expect="Bạn muốn báo tin về việc gì?")
    await web.tap("🚨 Tội phạm", expect="loại tội phạm")
    await bot.restart()  # the conversation in memory is gone; the draft is not
    web.base = f"http://127.0.0.1:{bot.application.bot_data[WEB_DOOR].port}"
    web.view = await web.refresh()
    assert web.view["messages"] == []
    await web.send("/report", expect="Mời bạn làm tiếp từ chỗ đã dừng")
    assert "loại tội phạm" in web.texts()[-1]

    stranger = visitor()
    stranger.base = web.base
    await stranger.send("/report", expect="Bạn muốn báo tin về việc gì?")  # not web's draft

    async with web.session.post(f"{web.base}/api/forget", json={}, headers=web.headers) as response:
        assert response.status == 200
    with bot.db() as conn:
        assert conn.execute("SELECT count(*) FROM drafts").fetchone()[0] == 1  # the stranger's
        assert conn.execute("SELECT count(*) FROM resident_prefs").fetchone()[0] == 0
    web.view = await web.refresh()
    assert web.view["messages"] == []
    await web.send("/report", expect="Bạn muốn báo tin về việc gì?")


def test_render_keeps_telegram_formatting_and_nothing_else():
    html, text = render(
        '<b>đậm</b> <img src=x onerror="alert(1)"><script>alert(2)</script>'
        '<a href="javascript:alert(3)">x</a> <a href="https://vn.vn" onclick="y()">ok</a>'
        '<tg-spoiler>bí mật</tg-spoiler> &lt;i&gt; <i onclick="x()">nghiêng</i> <code>a<b',
        "HTML",
    )
    assert html == (
        "<b>đậm</b> alert(2)<span>x</span> "
        '<a href="https://vn.vn" rel="noopener noreferrer nofollow">ok</a>'
        '<span class="spoiler">bí mật</span> &lt;i&gt; <i>nghiêng</i> <code>a&lt;b</code>'
    )
    assert "onerror" not in html and "<script" not in html and "javascript:" not in html
    assert text == "đậm alert(2)x okbí mật <i> nghiêng a<b"
    assert render("<b>not html</b>", None) == ("&lt;b&gt;not html&lt;/b&gt;", "<b>not html</b>")
