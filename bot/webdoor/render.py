"""Telegram's HTML, as the handlers write it, made safe for the web page.

The handlers write the HTML subset Telegram accepts (parse_mode HTML). The page must not trust
it blindly: a resident's own text is escaped by the handlers, but one slip would put markup from
a stranger into another visitor's page. So the text is parsed and written out again: only
Telegram's formatting tags survive (as a fixed set of our own tags), links only with an http(s)
address, every text escaped again. What the bot sees back (Message.text) is the plain text.
"""

from __future__ import annotations

from html import escape
from html.parser import HTMLParser
from urllib.parse import urlsplit

TAGS = {
    "b": "b", "strong": "b", "i": "i", "em": "i", "u": "u", "ins": "u",
    "s": "s", "strike": "s", "del": "s", "code": "code", "pre": "pre", "blockquote": "blockquote",
}  # fmt: skip


class _Rewriter(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.html: list[str] = []
        self.text: list[str] = []
        self.open: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in TAGS:
            self._open(TAGS[tag], f"<{TAGS[tag]}>")
        elif tag == "a":
            href = dict(attrs).get("href") or ""
            if urlsplit(href).scheme in ("http", "https"):
                safe = escape(href, quote=True)
                self._open("a", f'<a href="{safe}" rel="noopener noreferrer nofollow">')
            else:
                self._open("span", "<span>")
        elif tag in ("tg-spoiler", "span"):
            self._open("span", '<span class="spoiler">')
        else:
            self.open.append("")  # unknown tag: its text stays, the tag goes

    def _open(self, name: str, markup: str) -> None:
        self.open.append(name)
        self.html.append(markup)

    def handle_endtag(self, tag: str) -> None:
        if self.open:
            name = self.open.pop()
            if name:
                self.html.append(f"</{name}>")

    def handle_data(self, data: str) -> None:
        self.text.append(data)
        self.html.append(escape(data, quote=False))

    def result(self) -> tuple[str, str]:
        self.close()
        while self.open:
            self.handle_endtag("")
        return "".join(self.html), "".join(self.text)


def render(text: str, parse_mode: str | None) -> tuple[str, str]:
    """(safe HTML for the page, plain text for the bot) of a message text."""
    if (parse_mode or "").upper() != "HTML":
        return escape(text, quote=False), text
    rewriter = _Rewriter()
    rewriter.feed(text)
    return rewriter.result()
