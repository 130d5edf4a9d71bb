"""Telegram's HTML and MarkdownV2 rules: visible text, entities in UTF-16 units, parse errors."""

import pytest
import telegram
from telegram.error import BadRequest

from sandbox.errors import ApiError
from sandbox.formatting import format_text, utf16_len


def html(source: str):
    return format_text(source, "HTML")


def html_error(source: str) -> str:
    with pytest.raises(ApiError) as caught:
        html(source)
    assert caught.value.status == 400
    return caught.value.description


def test_tags_become_entities_and_entities_are_decoded():
    formatted = html("<b>Tip</b> <i>received</i> &lt;A&amp;B&gt; &quot;x&quot; &#128512;&#x41;")
    assert formatted.text == 'Tip received <A&B> "x" 😀A'
    assert formatted.entities == [
        {"type": "bold", "offset": 0, "length": 3},
        {"type": "italic", "offset": 4, "length": 8},
    ]


def test_every_telegram_tag_is_accepted():
    source = (
        "<b>a</b><strong>a</strong><i>a</i><em>a</em><u>a</u><ins>a</ins><s>a</s>"
        '<strike>a</strike><del>a</del><span class="tg-spoiler">a</span><tg-spoiler>a'
        '</tg-spoiler><a href="https://t.me/x">a</a><code>a</code><pre>a</pre>'
        '<blockquote>a</blockquote><blockquote expandable>a</blockquote><tg-emoji emoji-id="5">'
        "a</tg-emoji>"
    )
    types = [e["type"] for e in html(source).entities]
    assert types == [
        *["bold"] * 2, *["italic"] * 2, *["underline"] * 2, *["strikethrough"] * 3,
        *["spoiler"] * 2, "text_link", "code", "pre", "blockquote", "expandable_blockquote",
        "custom_emoji",
    ]  # fmt: skip


def test_pre_with_a_language_is_one_entity():
    formatted = html('<pre><code class="language-python">x = 1</code></pre>')
    assert formatted.entities == [{"type": "pre", "offset": 0, "length": 5, "language": "python"}]


def test_offsets_and_lengths_count_utf16_code_units():
    formatted = html("😀 <b>Đà Lạt 🌲</b>")
    assert formatted.entities == [{"type": "bold", "offset": 3, "length": 9}]
    assert utf16_len("😀") == 2


def test_unsupported_tag_reports_tag_and_byte_offset():
    assert html_error("Tin báo <script>x</script>") == (
        'Bad Request: can\'t parse entities: Unsupported start tag "script" at byte offset 9'
    )


def test_unclosed_tag():
    assert html_error("<b>bold") == (
        "Bad Request: can't parse entities: Can't find end tag corresponding to start tag \"b\""
    )


def test_stray_less_than_sign():
    assert html_error("1 < 2") == (
        'Bad Request: can\'t parse entities: Unsupported start tag "" at byte offset 2'
    )
    assert "Unclosed start tag at byte offset 1" in html_error("1<2")


def test_bare_ampersand_is_rejected_as_the_documentation_requires():
    assert "&amp;" in html_error("Tom & Jerry")
    assert "byte offset 4" in html_error("Tom &lt Jerry")  # tdlib would decode it silently


def test_mismatched_and_unexpected_end_tags():
    assert html_error("<b>x</i>").endswith('expected "</b>", found "</i>"')
    assert html_error("x</b>").endswith("Unexpected end tag at byte offset 1")


def test_span_needs_the_spoiler_class_and_attribute_values_need_quotes_for_urls():
    assert 'Tag "span" must have class "tg-spoiler"' in html_error('<span class="red">x</span>')
    assert "Unexpected end of name token" in html_error("<a href=https://t.me>x</a>")


def test_a_lone_ampersand_inside_an_attribute_is_kept():
    formatted = html('<a href="https://x.vn/?a=1&b=2">link</a>')
    assert formatted.entities[0]["url"] == "https://x.vn/?a=1&b=2"


def test_text_is_trimmed_and_entities_follow():
    formatted = html("\n  <b> hi </b>  \n")
    assert formatted.text == "hi"
    assert formatted.entities == [{"type": "bold", "offset": 0, "length": 2}]


def test_commands_urls_mentions_and_hashtags_are_detected_outside_code():
    formatted = format_text("/status ABC @lan_dl #tip https://t.me/x. <code>/no</code>", "HTML")
    assert [(e["type"], e["offset"], e["length"]) for e in formatted.entities] == [
        ("bot_command", 0, 7),
        ("mention", 12, 7),
        ("hashtag", 20, 4),
        ("url", 25, 14),
        ("code", 41, 3),
    ]


def test_plain_text_is_not_parsed():
    assert format_text("<b>1 < 2 & 3</b>").text == "<b>1 < 2 & 3</b>"


def test_markdown_v2_entities_and_reserved_characters():
    formatted = format_text(
        "*Tip* _now_ __u__ ~s~ ||sp|| `c` [x](https://t.me) 1\\.5", "MarkdownV2"
    )
    assert formatted.text == "Tip now u s sp c x 1.5"
    assert [e["type"] for e in formatted.entities] == [
        "bold", "italic", "underline", "strikethrough", "spoiler", "code", "text_link",
    ]  # fmt: skip
    with pytest.raises(ApiError, match=r"Character '\.' is reserved"):
        format_text("Done.", "MarkdownV2")
    with pytest.raises(ApiError, match="Can't find end of Bold entity at byte offset 0"):
        format_text("*open", "MarkdownV2")


def test_markdown_v2_quotes_and_pre_languages():
    formatted = format_text(">one\n>two\nafter\n```python\nx\n```", "MarkdownV2")
    assert formatted.text == "one\ntwo\nafter\nx"
    assert formatted.entities == [
        {"type": "blockquote", "offset": 0, "length": 7},
        {"type": "pre", "offset": 14, "length": 1, "language": "python"},
    ]


def test_legacy_markdown_and_unknown_modes():
    assert format_text("*b* _i_ `c`", "Markdown").text == "b i c"
    with pytest.raises(ApiError, match="Can't find end of the entity starting at byte offset 0"):
        format_text("*b", "Markdown")
    with pytest.raises(ApiError, match="unsupported parse_mode"):
        format_text("x", "BBCode")


def test_explicit_entities_win_over_parse_mode_and_are_checked():
    formatted = format_text("<b>", "HTML", [{"type": "bold", "offset": 0, "length": 3}])
    assert formatted.text == "<b>"
    with pytest.raises(ApiError, match="Entity beyond the end"):
        format_text("ab", None, [{"type": "bold", "offset": 1, "length": 5}])


async def test_ptb_sees_the_parse_error_as_bad_request(tg: telegram.Bot, lan):
    with pytest.raises(BadRequest, match=r'(?i)unsupported start tag "br" at byte offset 4'):
        await tg.send_message(lan.id, "line<br>line", parse_mode="HTML")
    sent = await tg.send_message(lan.id, "<b>Tip</b> &amp; more", parse_mode="HTML")
    assert sent.text == "Tip & more"
    assert sent.entities[0].type == "bold"
