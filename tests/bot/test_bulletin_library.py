"""The bulletin library: its texts (locales/bulletins) and its loader (bot/bulletin_library.py)."""

from __future__ import annotations

import html
import re
import unicodedata
from collections import defaultdict
from html.parser import HTMLParser
from pathlib import Path

import pytest

from bot.bulletin_library import (
    DEFAULT_PATH,
    LANGUAGES,
    TOPICS,
    BulletinFormatError,
    LibraryBulletin,
    load_library,
)

LIBRARY_DIR = Path(__file__).resolve().parents[2] / "locales" / "bulletins"
MAX_VISIBLE = 900
TELEGRAM_LIMIT = 4096
# Articles of the Criminal Code (as amended by Law 86/2025/QH15) the library may cite; a new
# citation must be checked and added. locales/bulletins/README.md says which bulletin cites which.
KNOWN_ARTICLES = frozenset(
    {"150", "159", "174", "185", "195", "201", "227", "232", "234", "242", "243", "244"}
    | {"249", "250", "251", "255", "256a", "260", "288", "290", "313", "321", "322"}
)
# The only phone numbers a bulletin may give: free national hotlines, checked (README.md).
EMERGENCY_NUMBERS = frozenset({"111", "112", "113", "114", "115"})
PLACEHOLDERS = re.compile(r"\b(?:todo|fixme|tbd|lorem|ipsum|xxx+)\b|\?\?\?", re.IGNORECASE)


# --- a small, independent Telegram HTML validator (the spec the loader is held to) ---------------


class TelegramHtml(HTMLParser):
    """Collects everything Telegram's HTML parse mode (restricted to b, i, u, a) would reject."""

    ALLOWED = frozenset({"b", "i", "u", "a"})
    ENTITIES = frozenset({"lt", "gt", "amp", "quot"})

    def __init__(self) -> None:
        super().__init__(convert_charrefs=False)
        self.stack: list[str] = []
        self.errors: list[str] = []

    def handle_starttag(self, tag, attrs):
        if tag not in self.ALLOWED:
            self.errors.append(f"tag <{tag}>")
        elif tag == "a":
            if (
                len(attrs) != 1
                or attrs[0][0] != "href"
                or not (attrs[0][1] or "").startswith("https://")
            ):
                self.errors.append(f"link attributes {attrs}")
        elif attrs:
            self.errors.append(f"attributes on <{tag}>")
        self.stack.append(tag)

    def handle_startendtag(self, tag, attrs):
        self.errors.append(f"self-closing <{tag}/>")

    def handle_endtag(self, tag):
        if not self.stack or self.stack.pop() != tag:
            self.errors.append(f"unbalanced </{tag}>")

    def handle_data(self, data):
        if "<" in data or ">" in data:
            self.errors.append(f"unescaped < or > in {data!r}")

    def handle_entityref(self, name):
        if name not in self.ENTITIES:
            self.errors.append(f"entity &{name};")

    def handle_comment(self, data):
        self.errors.append("comment")

    def handle_decl(self, decl):
        self.errors.append("declaration")


def html_errors(text: str) -> list[str]:
    parser = TelegramHtml()
    errors = [
        f"bare & at {m.start()}"
        for m in re.finditer(r"&(?!(?:lt|gt|amp|quot|#\d+|#x[0-9a-fA-F]+);)", text)
    ]
    parser.feed(text)
    parser.close()
    errors += parser.errors
    errors += [f"unclosed <{tag}>" for tag in parser.stack]
    return errors


def visible(text_html: str) -> str:
    return html.unescape(re.sub(r"<[^>]+>", "", text_html))


@pytest.mark.parametrize(
    "bad",
    [
        "<p>x</p>",
        "<b>x",
        "x</b>",
        "<b><i>x</b></i>",
        "a & b",
        "a < b",
        "a > b",
        "&nbsp;",
        '<a href="http://x.vn">x</a>',
        '<a href="https://x.vn" target="_blank">x</a>',
        "<br/>",
        "<!-- x -->",
        '<b class="x">x</b>',
    ],
)
def test_validator_rejects(bad):
    assert html_errors(bad), bad


def test_validator_accepts():
    good = '<b>Chú ý</b> &amp; &lt;3 &#39; <i><u>x</u></i>\n<a href="https://vneid.gov.vn">y</a>'
    assert html_errors(good) == []


# --- the library as shipped --------------------------------------------------------------------


@pytest.fixture(scope="module")
def library() -> list[LibraryBulletin]:
    return load_library()


def test_default_path_is_the_repository_folder():
    assert DEFAULT_PATH == LIBRARY_DIR


def test_topics_are_the_stable_keys():
    assert TOPICS == (
        "online_fraud",
        "forest",
        "drugs",
        "traffic",
        "fire",
        "cyber_privacy",
        "reporting",
    )
    assert LANGUAGES == ("vi", "en")


def test_every_file_is_loaded(library):
    files = sorted(p.name for p in LIBRARY_DIR.glob("*.md") if p.name != "README.md")
    assert sorted(f"{b.slug}.{b.language}.md" for b in library) == files


def test_at_least_16_bulletins_each_in_both_languages(library):
    languages = defaultdict(set)
    for b in library:
        languages[b.slug].add(b.language)
    assert len(languages) >= 16
    missing = {
        slug: set(LANGUAGES) - langs for slug, langs in languages.items() if langs != {"vi", "en"}
    }
    assert not missing, f"slugs without both vi and en: {missing}"


def test_topics_valid_and_each_topic_has_both_languages(library):
    seen = defaultdict(set)
    for b in library:
        assert b.topic in TOPICS, b
        seen[b.topic].add(b.language)
    for topic in TOPICS:
        assert seen[topic] == {"vi", "en"}, f"topic {topic} lacks a language: {seen[topic]}"


def test_one_slug_one_topic(library):
    topics = defaultdict(set)
    for b in library:
        topics[b.slug].add(b.topic)
    assert all(len(t) == 1 for t in topics.values()), topics


def test_online_fraud_covers_at_least_five_scams(library):
    assert len({b.slug for b in library if b.topic == "online_fraud"}) >= 5


def test_ordered_by_topic_then_slug_then_language(library):
    keys = [(TOPICS.index(b.topic), b.slug, LANGUAGES.index(b.language)) for b in library]
    assert keys == sorted(keys)


def test_titles(library):
    for b in library:
        assert b.title.strip() == b.title and b.title, b.slug
        assert len(b.title) <= 80, (b.slug, b.language, len(b.title))
        assert "<" not in b.title and ">" not in b.title, b.slug


@pytest.mark.parametrize("language", LANGUAGES)
def test_titles_differ_within_a_language(library, language):
    titles = [b.title for b in library if b.language == language]
    assert len(titles) == len(set(titles))


def test_bodies_are_valid_telegram_html(library):
    for b in library:
        assert html_errors(b.body_html) == [], f"{b.slug}.{b.language}.md"


def test_visible_text_is_short(library):
    for b in library:
        body = visible(b.body_html)
        assert 200 <= len(body) <= MAX_VISIBLE, (b.slug, b.language, len(body))
        whole = visible(b.message_html())
        assert whole.startswith(b.title)
        # Telegram counts UTF-16 code units; the whole message must be well under its limit.
        assert len(whole.encode("utf-16-le")) // 2 <= TELEGRAM_LIMIT // 4, (b.slug, b.language)


def test_no_placeholders(library):
    for b in library:
        for text in (b.title, b.body_html):
            assert not PLACEHOLDERS.search(text), (b.slug, b.language, PLACEHOLDERS.search(text))


CITATION = re.compile(
    r"(?:Điều|Articles?)\s+(\d+[a-z]?(?:\s*(?:,|or|and|hoặc|và)\s*(?:Điều\s+)?\d+[a-z]?)*)"
    # not an article of another law ("Điều 10 Luật Trật tự…", "Article 10 of the 2024 Law on…")
    r"(?![\w])(?!\s+(?:Luật|of the (?:\d{4} )?Law))"
)
# A three-digit hotline, not the number of a legal text ("Luật số 116/2025/QH15").
HOTLINE = re.compile(r"\b11\d\b(?!/)")


def cited_articles(text: str) -> set[str]:
    """Article numbers cited in a text, with a letter for articles added later ("256a")."""
    return {n for group in CITATION.findall(text) for n in re.findall(r"\d+[a-z]?", group)}


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("theo Điều 256a Bộ luật Hình sự", {"256a"}),
        ("under Article 256a of the Criminal Code", {"256a"}),
        ("Điều 243 hoặc Điều 313 Bộ luật", {"243", "313"}),
        ("(Articles 249, 250, 251)", {"249", "250", "251"}),
        ("Article 234 of the Criminal Code (2015, amended 2017 and 2025)", {"234"}),
        ("Theo Điều 10 Luật Trật tự, an toàn giao thông đường bộ 2024", set()),
        ("Under Article 10 of the 2024 Law on Road Traffic Order and Safety", set()),
    ],
)
def test_cited_articles(text, expected):
    assert cited_articles(text) == expected


def test_only_known_articles_are_cited(library):
    for b in library:
        cited = cited_articles(b.body_html)
        assert cited <= KNOWN_ARTICLES, (b.slug, b.language, cited - KNOWN_ARTICLES)


@pytest.mark.parametrize(
    ("slug", "numbers"),
    [("when-to-call-113", {"111", "112", "113", "114", "115"}), ("easy-job-task-scams", {"111"})],
)
def test_hotlines_are_given_where_they_fit(library, slug, numbers):
    for b in (b for b in library if b.slug == slug):
        assert numbers <= set(HOTLINE.findall(visible(b.body_html))), (slug, b.language)


def test_no_phone_numbers_but_the_emergency_ones(library):
    for b in library:
        text = visible(b.body_html)
        assert not re.search(r"\d[\d .-]{6,}\d", text), (b.slug, b.language)
        for number in HOTLINE.findall(text):
            assert number in EMERGENCY_NUMBERS, (b.slug, b.language, number)


def test_files_are_tidy_nfc_utf8():
    for path in LIBRARY_DIR.glob("*.md"):
        text = path.read_text(encoding="utf-8")
        assert unicodedata.is_normalized("NFC", text), path.name
        assert "\r" not in text and "\ufeff" not in text, path.name
        assert all(line == line.rstrip() for line in text.split("\n")), path.name
        assert text.endswith("\n") and not text.endswith("\n\n"), path.name


def nfd(char: str) -> str:
    return unicodedata.normalize("NFD", char)


def test_vietnamese_texts_are_vietnamese(library):
    # Diacritics everywhere (a copy that lost its accents is unreadable), and the same warm
    # address to "bà con" in every Vietnamese bulletin.
    for b in library:
        if b.language == "vi":
            marked = [c for c in b.title + b.body_html if c in "đĐ" or len(nfd(c)) > 1]
            assert len(marked) > 20, b.slug
            assert "bà con" in b.body_html.lower(), b.slug


def test_message_html_escapes_the_title():
    b = LibraryBulletin("x", "en", "fire", "Gas & fire <now>", "Body")
    assert b.message_html() == "<b>Gas &amp; fire &lt;now&gt;</b>\n\nBody"
    assert html_errors(b.message_html()) == []


# --- malformed files give clear errors ---------------------------------------------------------

GOOD = "---\ntopic: fire\ntitle: Tiêu đề\n---\nNội dung <b>đậm</b>.\n"


def write(folder: Path, name: str, text: str | bytes) -> Path:
    path = folder / name
    if isinstance(text, bytes):
        path.write_bytes(text)
    else:
        path.write_text(text, encoding="utf-8")
    return path


def test_a_good_file_loads(tmp_path):
    write(tmp_path, "ok.vi.md", GOOD)
    write(tmp_path, "README.md", "# not a bulletin")
    write(tmp_path, "notes.txt", "ignored")
    [b] = load_library(tmp_path)
    assert b == LibraryBulletin("ok", "vi", "fire", "Tiêu đề", "Nội dung <b>đậm</b>.")


def test_blank_lines_and_crlf_and_bom_are_tolerated(tmp_path):
    text = "\ufeff---\r\ntopic: fire\r\n\r\ntitle:  Tiêu đề  \r\n---\r\n\r\nMột\r\n\r\nHai\r\n\r\n"
    write(tmp_path, "ok.en.md", text)
    [b] = load_library(tmp_path)
    assert (b.title, b.body_html) == ("Tiêu đề", "Một\n\nHai")


def test_decomposed_vietnamese_is_normalised(tmp_path):
    write(tmp_path, "ok.vi.md", unicodedata.normalize("NFD", GOOD))
    [b] = load_library(tmp_path)
    assert b.title == "Tiêu đề" and unicodedata.is_normalized("NFC", b.body_html)


@pytest.mark.parametrize(
    ("name", "text", "expected"),
    [
        ("Bad_Name.vi.md", GOOD, "file name must be <slug>.<lang>.md"),
        ("ok.md", GOOD, "file name must be"),
        ("ok.fr.md", GOOD, "unknown language 'fr'"),
        ("ok.vi.md", "topic: fire\ntitle: T\n---\nBody\n", "must start with a '---' line"),
        ("ok.vi.md", "---\ntopic: fire\ntitle: T\nBody\n", "header is not closed"),
        ("ok.vi.md", "---\ntopic: fire\n---\nBody\n", "the header has no 'title'"),
        ("ok.vi.md", "---\ntitle: T\n---\nBody\n", "the header has no 'topic'"),
        ("ok.vi.md", "---\ntopic: fire\ntitle:\n---\nBody\n", "line 3: 'title' is empty"),
        ("ok.vi.md", "---\ntopic: weather\ntitle: T\n---\nBody\n", "unknown topic 'weather'"),
        (
            "ok.vi.md",
            "---\ntopic: fire\ntitle: T\nauthor: X\n---\nB\n",
            "unknown header key 'author'",
        ),
        ("ok.vi.md", "---\ntopic: fire\ntopic: fire\ntitle: T\n---\nB\n", "'topic' is given twice"),
        ("ok.vi.md", "---\ntopic: fire\njust words\n---\nB\n", "line 3: expected 'key: value'"),
        ("ok.vi.md", "---\ntopic: fire\ntitle: T\n---\n\n  \n", "the body is empty"),
        ("ok.vi.md", "---\ntopic: fire\ntitle: <b>T</b>\n---\nB\n", "title is plain text"),
        ("ok.vi.md", "---\ntopic: fire\ntitle: T\n---\nA\nB & C\n", "line 6: a bare '&'"),
        ("ok.vi.md", "---\ntopic: fire\ntitle: T\n---\nA\n1 < 2\n", "line 6"),
        ("ok.vi.md", "---\ntopic: fire\ntitle: T\n---\n<p>x</p>\n", "tag <p> is not allowed"),
        ("ok.vi.md", "---\ntopic: fire\ntitle: T\n---\n<b>x\n", "<b> is never closed"),
        ("ok.vi.md", "---\ntopic: fire\ntitle: T\n---\n<b>x</i>\n", "</i> does not match"),
        ("ok.vi.md", "---\ntopic: fire\ntitle: T\n---\n&nbsp;\n", "&nbsp; is not an entity"),
        ("ok.vi.md", '---\ntopic: fire\ntitle: T\n---\n<a href="http://x">x</a>\n', "https://"),
        ("ok.vi.md", "---\ntopic: fire\ntitle: T\n---\nx<br/>y\n", "self-closing <br/>"),
        ("ok.vi.md", "---\ntopic: fire\ntitle: T\n---\n" + "x" * 4100 + "\n", "4096"),
        ("ok.vi.md", b"---\ntopic: fire\ntitle: \xff\n---\nB\n", "not UTF-8"),
    ],
)
def test_malformed_file_names_the_file_and_the_problem(tmp_path, name, text, expected):
    write(tmp_path, "fine.en.md", GOOD)
    write(tmp_path, name, text)
    with pytest.raises(BulletinFormatError) as raised:
        load_library(tmp_path)
    message = str(raised.value)
    assert message.startswith(f"{name}: "), message
    assert expected in message, message
    assert raised.value.path.name == name


def test_languages_of_one_slug_must_share_the_topic(tmp_path):
    write(tmp_path, "x.vi.md", GOOD)
    write(tmp_path, "x.en.md", GOOD.replace("topic: fire", "topic: drugs"))
    with pytest.raises(BulletinFormatError, match=r"x\.(vi|en)\.md: topic '\w+' differs from"):
        load_library(tmp_path)


def test_missing_folder(tmp_path):
    with pytest.raises(FileNotFoundError, match="bulletin library folder not found"):
        load_library(tmp_path / "nowhere")
