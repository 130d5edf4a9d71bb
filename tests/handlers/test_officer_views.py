"""Links a tipster wrote reach officers whole and as code, never as a tappable link."""

from html import unescape

from handlers.notifications import chunks
from handlers.officer_views import escape_with_links, link_html, split_description


def test_links_become_code_and_the_rest_is_escaped():
    text = "Họ gửi <link> https://vcb-xac-minh.top/otp?id=9&x=1, và hxxp://scam[.]vn/a nữa"
    html = escape_with_links(text)
    assert "<code>https://vcb-xac-minh.top/otp?id=9&amp;x=1</code>" in html
    assert "<code>hxxp://scam[.]vn/a</code>" in html  # defanged, still not tappable
    assert "&lt;link&gt;" in html
    assert unescape(html.replace("<code>", "").replace("</code>", "")) == text


def test_link_html_keeps_the_whole_path():
    url = "https://example-scam.vn/" + "a/" * 200 + "?q=<x>"
    assert link_html(url) == "<code>" + url.replace("<", "&lt;").replace(">", "&gt;") + "</code>"


def test_a_text_full_of_links_still_splits_into_fitting_pieces():
    text = "xem https://lua-dao.vn/p/12345 " * 400
    head, rest = split_description(text, 3000)
    pieces = [head, *chunks(rest)]
    assert all(len(p.encode("utf-16-le")) // 2 <= 4096 for p in pieces)
    assert all(p.count("<code>") == p.count("</code>") for p in pieces)
    joined = "".join(unescape(p.removesuffix(" …")).replace("<code>", "").replace("</code>", "")
                     for p in pieces)  # fmt: skip
    assert "".join(joined.split()) == "".join(text.split())
