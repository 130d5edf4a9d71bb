"""The bulletin library: ready-made legal-awareness bulletins, one file per bulletin and language.

Files live in ``locales/bulletins/<slug>.<lang>.md`` (``lang`` is ``vi`` or ``en``)::

    ---
    topic: online_fraud
    title: Công an không bao giờ gọi điện bắt chuyển tiền
    ---
    <body in Telegram HTML>

The header is plain ``key: value`` lines between two ``---`` lines; ``topic`` and ``title`` are
required. The title is plain text (escape it when you render it). The body is Telegram HTML, sent
as it is written: line breaks are kept, and only ``<b>``, ``<i>``, ``<u>`` and
``<a href="https://...">`` are allowed, with ``&``, ``<`` and ``>`` in the text escaped.

Pure Python: no telegram, no SQL. :func:`load_library` reads every file into
:class:`LibraryBulletin` records and raises :class:`BulletinFormatError` naming the file and what is
wrong with it.
"""

from __future__ import annotations

import html
import re
import unicodedata
from dataclasses import dataclass
from html.parser import HTMLParser
from pathlib import Path

from bot.i18n import LOCALES_DIR

TOPICS: tuple[str, ...] = (
    "online_fraud",
    "forest",
    "drugs",
    "traffic",
    "fire",
    "cyber_privacy",
    "reporting",
)
LANGUAGES: tuple[str, ...] = ("vi", "en")

DEFAULT_PATH = LOCALES_DIR / "bulletins"

#: Telegram's hard limit for a message's text (after entities are parsed).
TELEGRAM_MESSAGE_LIMIT = 4096

_FILE_NAME = re.compile(r"^(?P<slug>[a-z0-9]+(?:-[a-z0-9]+)*)\.(?P<lang>[a-z]{2})\.md$")
_HEADER_LINE = re.compile(r"^(?P<key>[a-z_]+):(?P<value>.*)$")
_HEADER_KEYS = ("topic", "title")
_ALLOWED_TAGS = frozenset({"b", "i", "u", "a"})
# Telegram knows only these named entities; numeric ones are fine too.
_BARE_AMPERSAND = re.compile(r"&(?!(?:lt|gt|amp|quot);|#[0-9]+;|#x[0-9a-fA-F]+;)")
_ENTITY_LIKE = re.compile(r"&#?[0-9A-Za-z]+;")


class BulletinFormatError(ValueError):
    """A bulletin file that cannot be loaded; the message names the file and the problem."""

    def __init__(self, path: Path, problem: str) -> None:
        super().__init__(f"{path.name}: {problem}")
        self.path = path
        self.problem = problem


@dataclass(frozen=True)
class LibraryBulletin:
    slug: str
    language: str
    topic: str
    title: str  # plain text
    body_html: str  # Telegram HTML

    def message_html(self) -> str:
        """The bulletin as one Telegram HTML message: the title in bold, then the body."""
        return f"<b>{html.escape(self.title, quote=False)}</b>\n\n{self.body_html}"


def visible_text(body_html: str) -> str:
    """What a reader sees of Telegram HTML: tags removed, entities decoded."""
    return html.unescape(re.sub(r"<[^>]*>", "", body_html))


def load_library(path: Path | str = DEFAULT_PATH) -> list[LibraryBulletin]:
    """Every bulletin in ``path``, ordered by topic (as in :data:`TOPICS`), slug and language.

    A ``README.md`` and files not ending in ``.md`` are skipped; every other file must be a valid
    bulletin, or :class:`BulletinFormatError` says which file is wrong and why.
    """
    folder = Path(path)
    if not folder.is_dir():
        raise FileNotFoundError(f"bulletin library folder not found: {folder}")
    bulletins = [
        load_bulletin(file)
        for file in sorted(folder.iterdir())
        if file.suffix == ".md" and file.name != "README.md"
    ]
    _check_languages_agree(bulletins, folder)
    return sorted(
        bulletins,
        key=lambda b: (TOPICS.index(b.topic), b.slug, LANGUAGES.index(b.language)),
    )


def load_bulletin(file: Path) -> LibraryBulletin:
    """Read and check one bulletin file."""
    match = _FILE_NAME.match(file.name)
    if not match:
        raise BulletinFormatError(
            file,
            "file name must be <slug>.<lang>.md, the slug in lower-case a-z, 0-9 and hyphens",
        )
    slug, language = match["slug"], match["lang"]
    if language not in LANGUAGES:
        raise BulletinFormatError(
            file, f"unknown language {language!r}; expected one of {', '.join(LANGUAGES)}"
        )
    try:
        text = file.read_bytes().decode("utf-8")
    except UnicodeDecodeError as exc:
        raise BulletinFormatError(
            file, f"not UTF-8 text ({exc.reason} at byte {exc.start})"
        ) from None
    text = unicodedata.normalize("NFC", text.removeprefix("\ufeff")).replace("\r\n", "\n")

    header, body, body_line = _split(file, text)
    topic = header["topic"]
    if topic not in TOPICS:
        raise BulletinFormatError(
            file, f"unknown topic {topic!r}; expected one of {', '.join(TOPICS)}"
        )
    title = header["title"]
    if "<" in title or ">" in title:
        raise BulletinFormatError(file, "the title is plain text: it must not contain < or >")

    problem = telegram_html_problem(body, first_line=body_line)
    if problem:
        raise BulletinFormatError(file, problem)
    bulletin = LibraryBulletin(slug, language, topic, title, body)
    # Telegram measures text in UTF-16 code units.
    if len(visible_text(bulletin.message_html()).encode("utf-16-le")) // 2 > TELEGRAM_MESSAGE_LIMIT:
        raise BulletinFormatError(
            file, f"title and body are longer than Telegram's {TELEGRAM_MESSAGE_LIMIT} characters"
        )
    return bulletin


def _split(file: Path, text: str) -> tuple[dict[str, str], str, int]:
    """The header, the body and the body's first line number in the file."""
    lines = text.split("\n")
    if not lines or lines[0].strip() != "---":
        raise BulletinFormatError(file, "must start with a '---' line opening the header")
    try:
        end = next(i for i, line in enumerate(lines[1:], start=1) if line.strip() == "---")
    except StopIteration:
        raise BulletinFormatError(file, "the header is not closed by a '---' line") from None

    header: dict[str, str] = {}
    for number, line in enumerate(lines[1:end], start=2):
        if not line.strip():
            continue
        found = _HEADER_LINE.match(line)
        if not found:
            raise BulletinFormatError(file, f"line {number}: expected 'key: value', got {line!r}")
        key, value = found["key"], found["value"].strip()
        if key not in _HEADER_KEYS:
            raise BulletinFormatError(
                file,
                f"line {number}: unknown header key {key!r}; expected {', '.join(_HEADER_KEYS)}",
            )
        if key in header:
            raise BulletinFormatError(file, f"line {number}: {key!r} is given twice")
        if not value:
            raise BulletinFormatError(file, f"line {number}: {key!r} is empty")
        header[key] = value
    for key in _HEADER_KEYS:
        if key not in header:
            raise BulletinFormatError(file, f"the header has no {key!r}")

    rest = lines[end + 1 :]
    skipped = next((i for i, line in enumerate(rest) if line.strip()), len(rest))
    body = "\n".join(rest[skipped:]).rstrip()
    if not body:
        raise BulletinFormatError(file, "the body is empty")
    return header, body, end + 2 + skipped


def _check_languages_agree(bulletins: list[LibraryBulletin], folder: Path) -> None:
    topics: dict[str, LibraryBulletin] = {}
    for bulletin in bulletins:
        first = topics.setdefault(bulletin.slug, bulletin)
        if first.topic != bulletin.topic:
            raise BulletinFormatError(
                folder / f"{bulletin.slug}.{bulletin.language}.md",
                f"topic {bulletin.topic!r} differs from {first.topic!r} in "
                f"{first.slug}.{first.language}.md",
            )


class _TelegramHtmlChecker(HTMLParser):
    """Finds the first thing in a body that Telegram (or this library) would not accept."""

    def __init__(self, first_line: int) -> None:
        super().__init__(convert_charrefs=False)
        self.first_line = first_line
        self.open: list[str] = []
        self.problem: str | None = None

    def _fail(self, problem: str) -> None:
        if self.problem is None:
            line, column = self.getpos()
            self.problem = f"line {self.first_line + line - 1}, column {column + 1}: {problem}"

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag not in _ALLOWED_TAGS:
            self._fail(f"tag <{tag}> is not allowed (only b, i, u, a)")
            return
        if tag == "a":
            if "a" in self.open:
                self._fail("a link inside a link")
            href = dict(attrs).get("href") or ""
            if [name for name, _ in attrs] != ["href"] or not href.startswith("https://"):
                self._fail('a link must be <a href="https://...">, with no other attribute')
        elif attrs:
            self._fail(f"<{tag}> takes no attributes")
        self.open.append(tag)

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self._fail(f"self-closing <{tag}/> is not allowed; use a plain line break")

    def handle_endtag(self, tag: str) -> None:
        if not self.open or self.open[-1] != tag:
            expected = f"</{self.open[-1]}>" if self.open else "no closing tag"
            self._fail(f"</{tag}> does not match: expected {expected}")
            return
        self.open.pop()

    def handle_data(self, data: str) -> None:
        for char in "<>":
            if char in data:
                self._fail(f"a bare {char!r} in the text: write {html.escape(char)}")

    def handle_entityref(self, name: str) -> None:
        if name not in {"lt", "gt", "amp", "quot"}:
            self._fail(f"&{name}; is not an entity Telegram knows (only &lt; &gt; &amp; &quot;)")

    def handle_comment(self, data: str) -> None:
        self._fail("HTML comments are not allowed")

    def handle_decl(self, decl: str) -> None:
        self._fail("declarations are not allowed")

    def handle_pi(self, data: str) -> None:
        self._fail("processing instructions are not allowed")

    def unknown_decl(self, data: str) -> None:
        self._fail("declarations are not allowed")


def telegram_html_problem(body_html: str, first_line: int = 1) -> str | None:
    """``None`` if ``body_html`` is Telegram HTML this library accepts, else what is wrong.

    Line numbers in the message count from ``first_line`` (the body's line in its file).
    """
    bare = _BARE_AMPERSAND.search(body_html)
    if bare:
        line = first_line + body_html.count("\n", 0, bare.start())
        entity = _ENTITY_LIKE.match(body_html, bare.start())
        if entity:
            return (
                f"line {line}: {entity[0]} is not an entity Telegram knows "
                "(only &lt; &gt; &amp; &quot; and numeric ones)"
            )
        return f"line {line}: a bare '&' in the text: write &amp;"
    checker = _TelegramHtmlChecker(first_line)
    checker.feed(body_html)
    checker.close()
    if checker.problem:
        return checker.problem
    if checker.open:
        return f"<{checker.open[-1]}> is never closed"
    return None
