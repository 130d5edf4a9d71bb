"""Telegram's text formatting: source text + parse_mode -> the visible text and its entities.

Telegram measures text and entity offsets in UTF-16 code units and reports parse errors with UTF-8
byte offsets; both are reproduced, so a bot sees here the error it would see on Telegram.

The HTML and Markdown parsers follow tdlib's (td/telegram/MessageEntity.cpp), with one deliberate
difference: tdlib keeps an "&" that starts no known entity as a literal character, while the Bot API
documentation requires every "&" outside a tag or entity to be escaped. The sandbox enforces the
documented rule, so a bot that forgets ``html.escape()`` on user text fails here instead of
silently turning a user's "&lt;" into "<" on Telegram. Simplified: links (``tg://user?id=`` ones
included) always become text_link entities, never text_mention.
"""

import re
from dataclasses import dataclass, field
from typing import Any

from sandbox.errors import bad_request

TEXT_LIMIT = 4096  # UTF-16 code units of visible text
CAPTION_LIMIT = 1024

_SPACES = " \t\r\n\v\0"
_HTML_TAGS = frozenset(
    {
        "a", "b", "strong", "i", "em", "s", "strike", "del", "u", "ins",
        "tg-spoiler", "tg-emoji", "span", "pre", "code", "blockquote",
    }
)  # fmt: skip
_HTML_TAG_TYPES = {
    "b": "bold",
    "strong": "bold",
    "i": "italic",
    "em": "italic",
    "u": "underline",
    "ins": "underline",
    "s": "strikethrough",
    "strike": "strikethrough",
    "del": "strikethrough",
    "tg-spoiler": "spoiler",
    "span": "spoiler",
}
_HTML_ENTITY = re.compile(r"&(?:#([0-9]{1,7})|#[xX]([0-9a-fA-F]{1,6})|(lt|gt|amp|quot));")
_NAMED_ENTITIES = {"lt": "<", "gt": ">", "amp": "&", "quot": '"'}
_LINK_SCHEMES = frozenset({"http", "https", "tg", "ton", "tonsite"})
ENTITY_TYPES = frozenset(
    {
        "mention", "hashtag", "cashtag", "bot_command", "url", "email", "phone_number", "bold",
        "italic", "underline", "strikethrough", "spoiler", "blockquote", "expandable_blockquote",
        "code", "pre", "text_link", "text_mention", "custom_emoji",
    }
)  # fmt: skip

# What Telegram highlights by itself in any message; not inside code, pre or links.
_AUTO_ENTITIES = (
    ("url", re.compile(r"\bhttps?://[^\s<>\"]+")),
    (
        "bot_command",
        re.compile(r"(?<![\w/@])/[A-Za-z0-9_]{1,64}(?:@[A-Za-z0-9_]{3,32})?(?![\w/@])"),
    ),
    ("mention", re.compile(r"(?<![\w@])@[A-Za-z0-9_]{5,32}(?![\w@])")),
    ("hashtag", re.compile(r"(?<![\w#])#\w*[^\W\d_]\w*")),
)
_NO_AUTO_INSIDE = frozenset({"code", "pre", "text_link", "url"})


@dataclass
class FormattedText:
    """Visible text plus MessageEntity dicts (offsets and lengths in UTF-16 code units)."""

    text: str
    entities: list[dict[str, Any]] = field(default_factory=list)

    @property
    def length(self) -> int:
        return utf16_len(self.text)


class EntityParseError(Exception):
    """A parse failure in Telegram's words, without the "can't parse entities: " prefix."""


def utf16_len(text: str) -> int:
    return len(text.encode("utf-16-le")) // 2


def _is_ascii_alnum(char: str) -> bool:
    return char.isascii() and char.isalnum()


def _byte_offset(source: str, index: int) -> int:
    return len(source[:index].encode("utf-8"))


def format_text(
    text: str, parse_mode: str | None = None, entities: list[Any] | None = None
) -> FormattedText:
    """The message as Telegram stores it: parsed, trimmed, with automatic entities.

    Explicit ``entities`` win over ``parse_mode``, as in the Bot API.
    """
    if entities is not None:
        formatted = _explicit_entities(text, entities)
    else:
        formatted = _parse(text, parse_mode)
    return _with_auto_entities(_trimmed(formatted))


def _parse(text: str, parse_mode: str | None) -> FormattedText:
    mode = (parse_mode or "").lower()
    try:
        if not mode:
            return FormattedText(text)
        if mode == "html":
            return _HtmlParser(text).parse()
        if mode == "markdownv2":
            return _MarkdownV2Parser(text).parse()
        if mode == "markdown":
            return _parse_markdown_legacy(text)
    except EntityParseError as exc:
        raise bad_request(f"can't parse entities: {exc}") from None
    raise bad_request("unsupported parse_mode")


def plain(text: str) -> FormattedText:
    """A user's typed text: no markup, only what Telegram detects by itself."""
    return _with_auto_entities(FormattedText(text))


def _explicit_entities(text: str, raw: list[Any]) -> FormattedText:
    length = utf16_len(text)
    entities = []
    for item in raw:
        if not isinstance(item, dict) or item.get("type") not in ENTITY_TYPES:
            raise bad_request("can't parse entities: Unsupported entity type specified")
        offset, size = item.get("offset"), item.get("length")
        if not isinstance(offset, int) or not isinstance(size, int) or offset < 0 or size <= 0:
            raise bad_request("can't parse entities: Wrong entity offset or length specified")
        if offset + size > length:
            raise bad_request("can't parse entities: Entity beyond the end of the text")
        if item["type"] == "text_link" and _checked_link(str(item.get("url", ""))) is None:
            raise bad_request("can't parse entities: Wrong URL specified")
        entities.append(dict(item))
    return FormattedText(text, entities)


def _trimmed(formatted: FormattedText) -> FormattedText:
    """Telegram strips leading and trailing white space; entities are clipped to what is left."""
    text = formatted.text
    stripped = text.strip()
    if stripped == text:
        return formatted
    lead = utf16_len(text[: len(text) - len(text.lstrip())])
    new_length = utf16_len(stripped)
    entities = []
    for entity in formatted.entities:
        start = max(0, entity["offset"] - lead)
        end = min(new_length, entity["offset"] + entity["length"] - lead)
        if end > start:
            entities.append({**entity, "offset": start, "length": end - start})
    return FormattedText(stripped, entities)


def _with_auto_entities(formatted: FormattedText) -> FormattedText:
    text = formatted.text
    taken = [
        (e["offset"], e["offset"] + e["length"])
        for e in formatted.entities
        if e["type"] in _NO_AUTO_INSIDE
    ]
    entities = [_public(e) for e in formatted.entities]
    for kind, pattern in _AUTO_ENTITIES:
        for match in pattern.finditer(text):
            found = match.group().rstrip(".,;:!?)'") if kind == "url" else match.group()
            start = utf16_len(text[: match.start()])
            end = start + utf16_len(found)
            if any(start < t_end and t_start < end for t_start, t_end in taken):
                continue
            taken.append((start, end))
            entities.append({"type": kind, "offset": start, "length": end - start})
    entities.sort(key=lambda e: (e["offset"], -e["length"]))
    return FormattedText(text, entities)


def _public(entity: dict[str, Any]) -> dict[str, Any]:
    """Drop the language a <code> tag carried while it waited to merge into a <pre>."""
    if entity["type"] == "code" and "language" in entity:
        return {k: v for k, v in entity.items() if k != "language"}
    return entity


def _checked_link(url: str) -> str | None:
    """The link Telegram keeps for a text_link, or None when Telegram would drop the entity."""
    url = url.strip()
    if not url or any(c in url for c in " \t\n"):
        return None
    scheme, sep, rest = url.partition("://")
    if not sep:
        scheme, colon, rest = url.partition(":")
        if not (colon and scheme.lower() in ("tg", "ton")):
            scheme, rest, url = "http", url, "http://" + url
    if scheme.lower() not in _LINK_SCHEMES:
        return None
    if scheme.lower() in ("http", "https") and not re.match(r"[^/?#]+", rest):
        return None
    return url


@dataclass
class _Open:
    """A tag or Markdown marker waiting for its end."""

    kind: str
    argument: str
    utf16_start: int
    text_start: int
    source_index: int


class _Builder:
    """The visible text being built, with its UTF-16 length and entities."""

    def __init__(self) -> None:
        self.chars: list[str] = []
        self.units = 0
        self.entities: list[dict[str, Any]] = []

    def append(self, text: str) -> None:
        self.chars.append(text)
        self.units += utf16_len(text)

    def text_since(self, opened: _Open) -> str:
        return "".join(self.chars[opened.text_start :])

    def add(self, opened: _Open, kind: str, **extra: Any) -> None:
        length = self.units - opened.utf16_start
        if length > 0:
            self.entities.append(
                {"type": kind, "offset": opened.utf16_start, "length": length, **extra}
            )

    def add_link(self, opened: _Open, url: str) -> None:
        link = _checked_link(url or self.text_since(opened))
        if link is not None:
            self.add(opened, "text_link", url=link)

    def result(self) -> FormattedText:
        return FormattedText("".join(self.chars), self.entities)


class _HtmlParser:
    """Telegram's HTML dialect; error texts and byte offsets as tdlib reports them."""

    def __init__(self, source: str):
        self.source = source
        self.i = 0
        self.out = _Builder()
        self.open: list[_Open] = []

    def at(self, index: int) -> int:
        return _byte_offset(self.source, index)

    def char(self) -> str:
        """The current character, or "" past the end (tdlib's terminating zero)."""
        return self.source[self.i] if self.i < len(self.source) else ""

    def skip_spaces(self) -> None:
        while self.char() and self.char() in _SPACES:
            self.i += 1

    def parse(self) -> FormattedText:
        while self.i < len(self.source):
            c = self.source[self.i]
            if c == "&":
                self.out.append(self.entity_in_text())
            elif c == "<":
                begin = self.i
                self.i += 1
                if self.char() == "/":
                    self.end_tag(begin)
                else:
                    self.start_tag(begin)
            else:
                self.out.append(c)
                self.i += 1
        if self.open:
            raise EntityParseError(
                f'Can\'t find end tag corresponding to start tag "{self.open[-1].kind}"'
            )
        return self.out.result()

    def entity_in_text(self) -> str:
        match = _HTML_ENTITY.match(self.source, self.i)
        decoded = _decode_entity(match) if match else None
        if match is None or decoded is None:
            raise EntityParseError(
                f'Character "&" at byte offset {self.at(self.i)} starts no HTML entity; '
                "write it as &amp;"
            )
        self.i = match.end()
        return decoded

    def start_tag(self, begin: int) -> None:
        name_start = self.i
        while self.char() and self.char() not in _SPACES and self.char() != ">":
            self.i += 1
        if not self.char():
            raise EntityParseError(f"Unclosed start tag at byte offset {self.at(begin)}")
        tag = self.source[name_start : self.i].lower()
        if tag not in _HTML_TAGS:
            raise EntityParseError(f'Unsupported start tag "{tag}" at byte offset {self.at(begin)}')
        attributes = self.attributes(tag, begin)
        self.i += 1  # ">"
        argument = ""
        if tag == "a":
            argument = attributes.get("href") or ""
        elif tag == "code":
            language = attributes.get("class") or ""
            argument = (
                language.removeprefix("language-") if language.startswith("language-") else ""
            )
        elif tag == "span":
            if attributes.get("class") != "tg-spoiler":
                raise EntityParseError(
                    f'Tag "span" must have class "tg-spoiler" at byte offset {self.at(begin)}'
                )
        elif tag == "tg-emoji":
            argument = attributes.get("emoji-id") or ""
        elif tag == "blockquote" and "expandable" in attributes:
            argument = "expandable"
        self.open.append(_Open(tag, argument, self.out.units, len(self.out.chars), begin))

    def attributes(self, tag: str, begin: int) -> dict[str, str | None]:
        found: dict[str, str | None] = {}
        while True:
            self.skip_spaces()
            if not self.char():
                raise EntityParseError(
                    f'Unclosed start tag "{tag}" at byte offset {self.at(begin)}'
                )
            if self.char() == ">":
                return found
            name_start = self.i
            while self.char() and self.char() not in _SPACES and self.char() not in "=>":
                self.i += 1
            name = self.source[name_start : self.i].lower()
            if not name:
                raise EntityParseError(
                    f'Empty attribute name in the tag "{tag}" at byte offset {self.at(begin)}'
                )
            self.skip_spaces()
            if self.char() != "=":
                found[name] = None
                continue
            self.i += 1
            self.skip_spaces()
            if not self.char():
                raise EntityParseError(
                    f'Unclosed start tag "{tag}" at byte offset {self.at(begin)}'
                )
            found[name] = self.attribute_value(begin)

    def attribute_value(self, begin: int) -> str:
        quote = self.char()
        if quote not in "'\"":
            token_start = self.i
            while self.char() and (_is_ascii_alnum(self.char()) or self.char() in ".-"):
                self.i += 1
            if not self.char() or (self.char() not in _SPACES and self.char() != ">"):
                raise EntityParseError(
                    f"Unexpected end of name token at byte offset {self.at(token_start)}"
                )
            return self.source[token_start : self.i].lower()
        self.i += 1
        value: list[str] = []
        while self.char() and self.char() != quote:
            match = _HTML_ENTITY.match(self.source, self.i) if self.char() == "&" else None
            decoded = _decode_entity(match) if match else None
            if match is not None and decoded is not None:
                value.append(decoded)
                self.i = match.end()
            else:  # inside a tag tdlib keeps a lone "&" as it is (URLs with query strings)
                value.append(self.char())
                self.i += 1
        if not self.char():
            raise EntityParseError(f"Unclosed start tag at byte offset {self.at(begin)}")
        self.i += 1
        return "".join(value)

    def end_tag(self, begin: int) -> None:
        if not self.open:
            raise EntityParseError(f"Unexpected end tag at byte offset {self.at(begin)}")
        self.i += 1  # "/"
        name_start = self.i
        while self.char() and self.char() not in _SPACES and self.char() != ">":
            self.i += 1
        name = self.source[name_start : self.i]
        self.skip_spaces()
        if self.char() != ">":
            raise EntityParseError(f"Unclosed end tag at byte offset {self.at(begin)}")
        self.i += 1
        opened = self.open.pop()
        if name and name != opened.kind:
            raise EntityParseError(
                f'Unmatched end tag at byte offset {self.at(begin)}, expected "</{opened.kind}>", '
                f'found "</{name}>"'
            )
        self.close(opened)

    def close(self, opened: _Open) -> None:
        out, tag = self.out, opened.kind
        if tag in _HTML_TAG_TYPES:
            out.add(opened, _HTML_TAG_TYPES[tag])
        elif tag == "a":
            out.add_link(opened, opened.argument)
        elif tag == "blockquote":
            out.add(opened, "expandable_blockquote" if opened.argument else "blockquote")
        elif tag == "tg-emoji":
            if not opened.argument.isdigit():
                raise EntityParseError("Invalid custom emoji identifier specified")
            out.add(opened, "custom_emoji", custom_emoji_id=opened.argument)
        elif tag in ("pre", "code"):
            self.close_code(opened)

    def close_code(self, opened: _Open) -> None:
        """<pre><code class="language-x"> (in either nesting) makes one pre entity."""
        out = self.out
        last = out.entities[-1] if out.entities else None
        same_range = (
            last is not None
            and last["offset"] == opened.utf16_start
            and last["length"] == out.units - opened.utf16_start
        )
        if last is not None and same_range and {last["type"], opened.kind} == {"pre", "code"}:
            language = opened.argument or last.pop("language", "")
            last["type"] = "pre"
            if language:
                last["language"] = language
        elif opened.kind == "pre":
            out.add(opened, "pre")
        elif opened.argument:
            out.add(opened, "code", language=opened.argument)
        else:
            out.add(opened, "code")


def _decode_entity(match: re.Match[str]) -> str | None:
    decimal, hexadecimal, name = match.groups()
    if name:
        return _NAMED_ENTITIES[name]
    code = int(decimal) if decimal else int(hexadecimal, 16)
    if code == 0 or code >= 0x10FFFF or 0xD800 <= code <= 0xDFFF:
        return None
    return chr(code)


_MDV2_RESERVED = frozenset("_*[]()~`>#+-=|{}.!")
_MDV2_TYPE_NAMES = {
    "bold": "Bold",
    "italic": "Italic",
    "underline": "Underline",
    "strikethrough": "Strikethrough",
    "spoiler": "Spoiler",
    "code": "Code",
    "pre": "Pre",
    "text_link": "TextUrl",
}


class _MarkdownV2Parser:
    """MarkdownV2 as tdlib parses it: *bold* _italic_ __underline__ ~strike~ ||spoiler||
    `code` ```pre``` [text](url) and ">" quotes at line starts; every other reserved
    character must be escaped with a backslash."""

    def __init__(self, source: str):
        self.source = source
        self.i = 0
        self.out = _Builder()
        self.open: list[_Open] = []
        self.quote: _Open | None = None

    def ahead(self, text: str) -> bool:
        return self.source.startswith(text, self.i)

    def parse(self) -> FormattedText:
        source = self.source
        while self.i < len(source):
            c = source[self.i]
            at_line_start = self.i == 0 or source[self.i - 1] == "\n"
            in_code = bool(self.open) and self.open[-1].kind in ("code", "pre")
            if at_line_start and not in_code and self.quote_line(c):
                continue
            if c == "\\" and self.i + 1 < len(source) and 0 < ord(source[self.i + 1]) <= 126:
                self.out.append(source[self.i + 1])
                self.i += 2
            elif (in_code and c != "`") or c not in _MDV2_RESERVED:
                self.out.append(c)
                self.i += 1
            elif self.closes(c):
                self.close()
            else:
                self.start(c)
        if self.open:
            opened = self.open[-1]
            raise EntityParseError(
                f"Can't find end of {_MDV2_TYPE_NAMES[opened.kind]} entity at byte offset "
                f"{_byte_offset(source, opened.source_index)}"
            )
        self.end_quote()
        return self.out.result()

    def quote_line(self, c: str) -> bool:
        """At a line start: ">" opens or continues a quote; any other character ends one."""
        if c == ">":
            if self.quote is None:
                self.quote = _Open("blockquote", "", self.out.units, len(self.out.chars), self.i)
            self.i += 1
            return True
        self.end_quote()
        return False

    def end_quote(self) -> None:
        """The quote ends with its last line's text; the line break after it is not quoted."""
        if self.quote is not None:
            length = utf16_len(self.out.text_since(self.quote).rstrip("\n"))
            if length:
                self.out.entities.append(
                    {"type": "blockquote", "offset": self.quote.utf16_start, "length": length}
                )
            self.quote = None

    def closes(self, c: str) -> bool:
        if not self.open:
            return False
        kind = self.open[-1].kind
        return {
            "bold": c == "*",
            "italic": c == "_" and not self.ahead("__"),
            "underline": self.ahead("__"),
            "strikethrough": c == "~",
            "spoiler": self.ahead("||"),
            "code": c == "`",
            "pre": self.ahead("```"),
            "text_link": c == "]",
        }[kind]

    def start(self, c: str) -> None:
        begin, argument = self.i, ""
        if c == "_" and self.ahead("__"):
            kind, self.i = "underline", self.i + 2
        elif c in "_*~[":
            kind = {"_": "italic", "*": "bold", "~": "strikethrough", "[": "text_link"}[c]
            self.i += 1
        elif c == "|" and self.ahead("||"):
            kind, self.i = "spoiler", self.i + 2
        elif c == "`" and self.ahead("```"):
            kind = "pre"
            self.i += 3
            argument = self.pre_language()
        elif c == "`":
            kind, self.i = "code", self.i + 1
        else:
            raise EntityParseError(
                f"Character '{c}' is reserved and must be escaped with the preceding '\\'"
            )
        self.open.append(_Open(kind, argument, self.out.units, len(self.out.chars), begin))

    def pre_language(self) -> str:
        source, end = self.source, self.i
        while end < len(source) and source[end] not in _SPACES and source[end] != "`":
            end += 1
        language = ""
        if end != self.i and end < len(source) and source[end] != "`":
            language, self.i = source[self.i : end], end
        if self.ahead("\r\n") or self.ahead("\n\r"):
            self.i += 2
        elif self.ahead("\n") or self.ahead("\r"):
            self.i += 1
        return language

    def close(self) -> None:
        opened = self.open.pop()
        kind = opened.kind
        self.i += {"underline": 2, "spoiler": 2, "pre": 3}.get(kind, 1)
        if kind == "text_link":
            self.out.add_link(opened, self.link_target())
        elif kind == "pre" and opened.argument:
            self.out.add(opened, "pre", language=opened.argument)
        else:
            self.out.add(opened, kind)

    def link_target(self) -> str:
        """The "(url)" after "]", or "" (the link text is the URL) when there is none."""
        if not self.ahead("("):
            return ""
        self.i += 1
        start, url = self.i, []
        while self.i < len(self.source) and self.source[self.i] != ")":
            if self.source[self.i] == "\\" and self.i + 1 < len(self.source):
                self.i += 1
            url.append(self.source[self.i])
            self.i += 1
        if self.i >= len(self.source):
            raise EntityParseError(
                f"Can't find end of a URL at byte offset {_byte_offset(self.source, start)}"
            )
        self.i += 1
        return "".join(url)


def _parse_markdown_legacy(source: str) -> FormattedText:
    """The legacy Markdown mode: *bold* _italic_ `code` ```pre``` [text](url), no nesting."""
    out, i = _Builder(), 0
    while i < len(source):
        c = source[i]
        if c == "\\" and source[i + 1 : i + 2] in ("_", "*", "`", "["):
            out.append(source[i + 1])
            i += 2
            continue
        if c not in "_*`[":
            out.append(c)
            i += 1
            continue
        begin = i
        pre = source.startswith("```", i)
        end_marker = "```" if pre else {"[": "]"}.get(c, c)
        i += len(end_marker) if pre else 1
        opened = _Open("", "", out.units, len(out.chars), begin)
        end = source.find(end_marker, i)
        if end < 0:
            offset = _byte_offset(source, begin)
            raise EntityParseError(f"Can't find end of the entity starting at byte offset {offset}")
        out.append(source[i:end])
        i = end + len(end_marker)
        if c == "[":
            url = ""
            if source.startswith("(", i) and (close := source.find(")", i)) >= 0:
                url, i = source[i + 1 : close], close + 1
            out.add_link(opened, url)
        else:
            out.add(opened, "pre" if pre else {"*": "bold", "_": "italic", "`": "code"}[c])
    return out.result()
