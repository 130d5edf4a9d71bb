"""The web chat's pure parts: entities to safe HTML, and messages and keyboards for the page."""

import pytest

from sandbox.webchat import (
    entities_to_html,
    image_type,
    message_view,
    reply_keyboard_view,
    safe_url,
)

BOT = {"id": 1, "is_bot": True, "first_name": "tipbot"}
LAN = {"id": 42, "is_bot": False, "first_name": "Lan"}


def entity(kind: str, offset: int, length: int, **extra):
    return {"type": kind, "offset": offset, "length": length, **extra}


def test_text_is_escaped_even_without_entities():
    assert entities_to_html('<script>alert("x")</script> & co', None) == (
        "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt; &amp; co"
    )


def test_entities_become_telegram_tags():
    text = "Báo tin ẩn danh: gọi 113"
    html = entities_to_html(
        text, [entity("bold", 0, 15), entity("italic", 8, 7), entity("code", 21, 3)]
    )
    assert html == "<b>Báo tin <i>ẩn danh</i></b>: gọi <code>113</code>"


def test_offsets_count_utf16_code_units():
    text = "🌐 Language and 🚨 now"  # each emoji is two UTF-16 units
    html = entities_to_html(text, [entity("bold", 3, 8), entity("underline", 19, 3)])
    assert html == "🌐 <b>Language</b> and 🚨 <u>now</u>"


def test_links_keep_only_safe_addresses():
    text = "site evil mail"
    html = entities_to_html(
        text,
        [
            entity("text_link", 0, 4, url="https://congan.lamdong.gov.vn/?a=1&b=2"),
            entity("text_link", 5, 4, url="javascript:alert(1)"),
            entity("email", 10, 4),
        ],
    )
    assert html == (
        '<a href="https://congan.lamdong.gov.vn/?a=1&amp;b=2">site</a> evil '
        '<a href="mailto:mail">mail</a>'
    )
    assert safe_url(" JavaScript:alert(1)") is None
    assert safe_url("tg://resolve?domain=x") == "tg://resolve?domain=x"


def test_url_entity_without_scheme_links_to_http():
    html = entities_to_html("see example.org", [entity("url", 4, 11)])
    assert html == 'see <a href="http://example.org">example.org</a>'


def test_crossing_entities_still_balance():
    html = entities_to_html("abcdef", [entity("bold", 0, 4), entity("italic", 2, 4)])
    assert html == "<b>ab<i>cd</i></b>ef"


def test_spoiler_blockquote_pre_and_unknown_types():
    html = entities_to_html(
        "secret quote code #tag",
        [
            entity("spoiler", 0, 6),
            entity("blockquote", 7, 5),
            entity("pre", 13, 4, language="python"),
            entity("hashtag", 18, 4),
        ],
    )
    assert html == (
        "<tg-spoiler>secret</tg-spoiler> <blockquote>quote</blockquote> <pre>code</pre> #tag"
    )


def test_message_view_of_a_bot_message_with_buttons_and_edit():
    message = {
        "message_id": 7,
        "from": BOT,
        "date": 1_700_000_000,
        "edit_date": 1_700_000_050,
        "text": "Chọn <một>",
        "entities": [entity("bold", 0, 4)],
        "reply_markup": {
            "inline_keyboard": [
                [{"text": "Có", "callback_data": "yes"}, {"text": "Web", "url": "https://x.vn"}],
                [{"text": "Inline", "switch_inline_query": ""}],
            ]
        },
    }
    view = message_view(message, user_id=42)
    assert view["id"] == 7
    assert view["side"] == "bot"
    assert view["html"] == "<b>Chọn</b> &lt;một&gt;"
    assert view["edited"] is True
    assert view["date"] == 1_700_000_000
    assert view["buttons"] == [
        [{"text": "Có", "callback_data": "yes"}, {"text": "Web", "url": "https://x.vn"}],
        [{"text": "Inline", "unsupported": "switch_inline_query"}],
    ]


def test_message_view_of_the_users_media():
    photo = {
        "message_id": 3,
        "from": LAN,
        "date": 1,
        "photo": [
            {"file_id": "small", "width": 90, "height": 60},
            {"file_id": "big", "width": 900, "height": 600},
        ],
        "caption": "ảnh <b>",
    }
    view = message_view(photo, user_id=42)
    assert view["side"] == "user"
    assert view["kind"] == "photo"
    assert view["photo"] == "/webchat/files/big"
    assert view["photo_size"] == [900, 600]
    assert view["html"] == "ảnh &lt;b&gt;"

    located = message_view(
        {
            "message_id": 4,
            "from": LAN,
            "date": 1,
            "location": {"latitude": 11.9, "longitude": 108.4},
        },
        user_id=42,
    )
    assert located["location"] == {"latitude": 11.9, "longitude": 108.4}
    assert located["html"] == ""

    document = message_view(
        {
            "message_id": 5,
            "from": BOT,
            "date": 1,
            "document": {"file_id": "doc", "file_name": "bao-cao.pdf", "file_size": 10},
            "reply_to_message": {"message_id": 4, "from": LAN, "date": 1, "text": "  hai\n dòng "},
        },
        user_id=42,
    )
    assert document["document"] == {"name": "bao-cao.pdf", "size": 10, "url": "/webchat/files/doc"}
    assert document["reply_to"] == {"id": 4, "side": "user", "preview": "hai dòng", "kind": "text"}

    contact = message_view(
        {
            "message_id": 6,
            "from": LAN,
            "date": 1,
            "contact": {"phone_number": "+84900000001", "first_name": "Lan", "last_name": "Ng"},
        },
        user_id=42,
    )
    assert contact["contact"] == {"name": "Lan Ng", "phone": "+84900000001"}


def test_reply_keyboard_view():
    markup = {
        "keyboard": [
            [{"text": "📍 Vị trí", "request_location": True}],
            [{"text": "☎️ Số", "request_contact": True}, "Hủy"],
            [{"text": "Poll", "request_poll": {}}],
        ],
        "resize_keyboard": True,
        "one_time_keyboard": True,
        "input_field_placeholder": "Tên xã…",
    }
    assert reply_keyboard_view(markup) == {
        "rows": [
            [{"text": "📍 Vị trí", "kind": "location"}],
            [{"text": "☎️ Số", "kind": "contact"}, {"text": "Hủy", "kind": "text"}],
            [{"text": "Poll", "kind": "unsupported"}],
        ],
        "resize": True,
        "one_time": True,
        "placeholder": "Tên xã…",
    }
    assert reply_keyboard_view({"remove_keyboard": True}) is None
    assert reply_keyboard_view(None) is None


@pytest.mark.parametrize(
    ("data", "expected"),
    [
        (b"\xff\xd8\xff\xe0rest", "image/jpeg"),
        (b"\x89PNG\r\n\x1a\nrest", "image/png"),
        (b"GIF89a...", "image/gif"),
        (b"RIFF\x00\x00\x00\x00WEBPVP8 ", "image/webp"),
        (b"<html><script>", None),
        (b"%PDF-1.7", None),
    ],
)
def test_image_type(data, expected):
    assert image_type(data) == expected


def test_message_view_of_service_messages_and_odd_buttons():
    pinned = message_view(
        {"message_id": 9, "from": BOT, "date": 1, "pinned_message": {"message_id": 3}}, user_id=42
    )
    assert (pinned["kind"], pinned["service"], pinned["html"]) == ("service", "pinned_message", "")

    buttons = message_view(
        {
            "message_id": 10,
            "from": BOT,
            "date": 1,
            "text": "x",
            "reply_markup": {"inline_keyboard": [[{"text": "bad", "url": "javascript:alert(1)"}]]},
        },
        user_id=42,
    )["buttons"]
    assert buttons == [[{"text": "bad", "unsupported": "url"}]]
