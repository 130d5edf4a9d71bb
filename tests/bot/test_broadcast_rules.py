"""The rules around bulletins: cron expressions read like cron, quiet hours, when a planned send
goes, what an admin's message becomes, the settings, and how a bulletin looks to subscribers."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

import pytest

from bot.bulletin_library import TOPICS, load_library, telegram_html_problem, visible_text
from bot.bulletins import ComposeError, compose, guess_language, message_html, parse_when, slugify
from bot.config import ConfigError, load_config
from bot.cron import CronError, parse_cron
from bot.i18n import texts
from bot.quiet_hours import QuietHours, parse_quiet_hours
from handlers import bulletins_views as views
from handlers.callbacks import ToggleTopic, decode
from handlers.menu import main_menu
from storage.bulletins import Bulletin

TZ = ZoneInfo("Asia/Ho_Chi_Minh")


def local(*fields: int) -> int:
    return int(datetime(*fields, tzinfo=TZ).timestamp())


def wall(moment: int) -> str:
    return datetime.fromtimestamp(moment, TZ).strftime("%a %Y-%m-%d %H:%M")


# Cron ------------------------------------------------------------------------------------------

NOW = local(2025, 9, 10, 12, 0)  # a Wednesday


@pytest.mark.parametrize(
    ("expression", "expected"),
    [
        ("0 8 * * 1", ["Mon 2025-09-15 08:00", "Mon 2025-09-22 08:00"]),
        ("0 8 * * 0", ["Sun 2025-09-14 08:00", "Sun 2025-09-21 08:00"]),  # cron: 0 is Sunday
        ("0 8 * * 7", ["Sun 2025-09-14 08:00", "Sun 2025-09-21 08:00"]),
        ("30 18 * * 1-5", ["Wed 2025-09-10 18:30", "Thu 2025-09-11 18:30"]),
        ("0 9 * * sat,sun", ["Sat 2025-09-13 09:00", "Sun 2025-09-14 09:00"]),
        ("0 7 1 * *", ["Wed 2025-10-01 07:00", "Sat 2025-11-01 07:00"]),
        ("0 20 * * */3", ["Wed 2025-09-10 20:00", "Sat 2025-09-13 20:00"]),  # sun, wed, sat
    ],
)
def test_cron_reads_like_cron_in_the_province_time(expression, expected):
    rule = parse_cron(expression, TZ, now=NOW)
    assert [wall(t) for t in rule.next_times(NOW, 2)] == expected


@pytest.mark.parametrize(
    ("expression", "reason"),
    [
        ("0 8 * *", "fields"),
        ("0 8 * * 1 2", "fields"),
        ("0 8 1 * 1", "both_days"),
        ("61 8 * * *", "field"),
        ("0 8 * * 8", "field"),
        ("0 8 * * 5-1", "field"),
        ("0 8 31 2 *", "never"),
        ("*/30 * * * *", "too_often"),
        ("* 8 * * *", "too_often"),
    ],
)
def test_cron_refuses_what_cannot_be_a_schedule(expression, reason):
    with pytest.raises(CronError) as refused:
        parse_cron(expression, TZ, now=NOW)
    assert refused.value.reason == reason


def test_the_latest_slot_of_a_rule():
    rule = parse_cron("0 8 * * *", TZ, now=NOW)
    assert rule.latest_slot(at=local(2025, 9, 10, 8, 0), since=local(2025, 9, 9, 9)) == local(
        2025, 9, 10, 8
    )
    assert rule.latest_slot(at=local(2025, 9, 10, 7, 59), since=local(2025, 9, 9, 9)) is None
    assert rule.latest_slot(at=local(2025, 9, 12, 9), since=local(2025, 9, 9, 9)) == local(
        2025, 9, 12, 8
    )


# Quiet hours -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("21-7", (21 * 60, 7 * 60)),
        ("21:30-06:45", (21 * 60 + 30, 6 * 60 + 45)),
        ("12–14", (12 * 60, 14 * 60)),
        ("off", None),
    ],
)
def test_quiet_hours_are_read(text, expected):
    assert parse_quiet_hours(text) == expected


@pytest.mark.parametrize("text", ["21", "25-7", "21-21", "nine-five", "21:61-7"])
def test_quiet_hours_refused(text):
    with pytest.raises(ValueError):
        parse_quiet_hours(text)


def test_quiet_hours_over_midnight():
    quiet = QuietHours(21 * 60, 7 * 60, TZ)
    assert not quiet.contains(local(2025, 9, 10, 20, 59))
    assert quiet.contains(local(2025, 9, 10, 21, 0))
    assert quiet.contains(local(2025, 9, 11, 6, 59))
    assert not quiet.contains(local(2025, 9, 11, 7, 0))
    assert quiet.ends_at(local(2025, 9, 10, 22)) == local(2025, 9, 11, 7)
    assert quiet.ends_at(local(2025, 9, 11, 3)) == local(2025, 9, 11, 7)
    assert quiet.ends_at(local(2025, 9, 11, 9)) == local(2025, 9, 11, 9)
    # An hour of sending from 20:30 pauses at 21:00 and ends at 07:30.
    assert quiet.finish_time(local(2025, 9, 10, 20, 30), 3600) == local(2025, 9, 11, 7, 30)
    assert quiet.finish_time(local(2025, 9, 10, 23), 60) == local(2025, 9, 11, 7, 1)
    assert quiet.label() == "21:00–07:00"


def test_quiet_hours_within_a_day():
    quiet = QuietHours(12 * 60, 14 * 60, TZ)
    assert quiet.contains(local(2025, 9, 10, 13)) and not quiet.contains(local(2025, 9, 10, 14))
    assert quiet.ends_at(local(2025, 9, 10, 12, 30)) == local(2025, 9, 10, 14)


# When a planned send goes ----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("words", "expected"),
    [
        ("08:00 drugs", "Thu 2025-09-11 08:00"),  # 08:00 has passed today: tomorrow
        ("18:30 drugs", "Wed 2025-09-10 18:30"),
        ("25/12 19:30 fire", "Thu 2025-12-25 19:30"),
        ("01/03 07:00 fire", "Sun 2026-03-01 07:00"),  # passed this year: next year
        ("2026-01-31 08:00 fire", "Sat 2026-01-31 08:00"),
        ("31/01/2026 8h05 fire", "Sat 2026-01-31 08:05"),
    ],
)
def test_when_a_planned_send_goes(words, expected):
    moment, rest = parse_when(words.split(), TZ, NOW)
    assert wall(moment) == expected and rest == [words.split()[-1]]


@pytest.mark.parametrize(
    ("words", "reason"),
    [("drugs", "when"), ("31/02 08:00 x", "when"), ("2025-09-01 08:00 x", "past"),
     ("2027-01-01 08:00 x", "far"), ("", "when")],
)  # fmt: skip
def test_when_refused(words, reason):
    with pytest.raises(ValueError, match=reason):
        parse_when(words.split(), TZ, NOW)


# An admin's message ----------------------------------------------------------------------------


def test_a_composed_bulletin():
    made = compose("/newbulletin\nCảnh báo mới\n\n<b>Nội dung</b> về lừa đảo\ndòng hai\n")
    assert (made.slug, made.title, made.body, made.language) == (
        None, "Cảnh báo mới", "<b>Nội dung</b> về lừa đảo\ndòng hai", "vi",
    )  # fmt: skip
    assert compose("/newbulletin@tipbot never-share-otp\nTitle\nBody").slug == "never-share-otp"
    assert compose("/newbulletin A title on the command line\nBody").title == (
        "A title on the command line"
    )
    assert compose("/newbulletin\n<b>Bold title</b>\nBody").title == "Bold title"


@pytest.mark.parametrize(
    ("message", "reason"),
    [
        ("/newbulletin", "empty"),
        ("/newbulletin\nOnly a title", "empty"),
        ("/newbulletin\n" + "x" * 121 + "\nbody", "title_long"),
        ("/newbulletin\nT\n<code>x</code>", "html"),
        ("/newbulletin\nT\n<a href='http://x.vn'>x</a>", "html"),
        ("/newbulletin\nT\n" + "ả" * 3800, "too_long"),
    ],
)
def test_what_an_admin_cannot_send(message, reason):
    with pytest.raises(ComposeError) as refused:
        compose(message)
    assert refused.value.reason == reason


def test_typed_tags_or_telegram_formatting():
    typed = "/newbulletin\nT\n<b>Chú ý</b> a < b & c"
    assert message_html(typed, "ignored", formatted=False).endswith("<b>Chú ý</b> a &lt; b &amp; c")
    assert message_html("plain <3 text", "plain &lt;3 text", formatted=False) == "plain &lt;3 text"
    assert message_html(typed, "<i>x</i>", formatted=True) == "<i>x</i>"


def test_slugs_and_language_guesses():
    assert (
        slugify("Cảnh giác cuộc gọi giả danh Điện lực!") == "canh-giac-cuoc-goi-gia-danh-dien-luc"
    )
    assert slugify("!!!") == "bulletin"
    assert len(slugify("word " * 40)) <= 40
    assert guess_language("Cảnh giác với cuộc gọi lạ") == "vi"
    assert guess_language("Beware of strange calls, café owners") == "en"


# Settings --------------------------------------------------------------------------------------

BASE = {"TIPBOT_TOKEN": "1:abc"}


def test_bulletin_settings_and_their_defaults():
    config = load_config(BASE)
    assert (config.broadcast_rate, config.quiet_hours, config.channel_id) == (
        29.0, (21 * 60, 7 * 60), None,
    )  # fmt: skip
    # By default one below the overall limit, whatever that is (paid broadcasts: up to 1000).
    assert load_config(BASE | {"TIPBOT_MAX_MESSAGES_PER_SECOND": "1000"}).broadcast_rate == 999
    config = load_config(
        BASE
        | {
            "TIPBOT_BROADCAST_RATE": "12.5",
            "TIPBOT_QUIET_HOURS": "off",
            "TIPBOT_CHANNEL_ID": "-1001234567890",
        }
    )
    assert (config.broadcast_rate, config.quiet_hours, config.channel_id) == (
        12.5, None, -1001234567890,
    )  # fmt: skip
    assert load_config(BASE | {"TIPBOT_CHANNEL_ID": "@lamdong_news"}).channel_id == "@lamdong_news"


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("TIPBOT_BROADCAST_RATE", "0"),
        ("TIPBOT_BROADCAST_RATE", "fast"),
        ("TIPBOT_BROADCAST_RATE", "5000"),
        ("TIPBOT_BROADCAST_RATE", "31"),  # above the overall limit (30 by default)
        ("TIPBOT_QUIET_HOURS", "21"),
        ("TIPBOT_CHANNEL_ID", "12345"),
        ("TIPBOT_CHANNEL_ID", "@ab"),
        ("TIPBOT_CHANNEL_ID", "https://t.me/news"),
    ],
)
def test_bad_bulletin_settings_name_the_variable(name, value):
    with pytest.raises(ConfigError, match=f"^{name}: ") as refused:
        load_config(BASE | {name: value})
    assert "\n" not in str(refused.value)


# How bulletins look ----------------------------------------------------------------------------


@pytest.mark.parametrize("language", ["vi", "en"])
def test_every_library_bulletin_fits_telegram_as_sent(language):
    """The frame (topic line, bold title) included, in both languages, to subscribers and the
    channel: valid Telegram HTML within 4096 characters."""
    for item in load_library():
        bulletin = Bulletin(
            1, item.slug, item.language, item.topic, item.title, item.body_html,
            "library", None, 0, 0,
        )  # fmt: skip
        for channel in (False, True):
            text, _markup = views.render(
                texts(language), bulletin, channel=channel, bot_username="tipbot_bot"
            )
            assert telegram_html_problem(text) is None, item.slug
            assert len(visible_text(text).encode("utf-16-le")) // 2 <= 4096


def test_topic_screen_state_survives_in_its_buttons():
    mask = views.mask_of(["drugs", "fire"])
    assert views.topics_of(mask) == ["drugs", "fire"]
    _text, markup = views.topics_screen(texts("vi"), mask, "en", subscribed=True, quiet=None)
    data = [b.callback_data for row in markup.inline_keyboard for b in row]
    assert all(len(d.encode()) <= 64 for d in data)
    assert f"bs:save:{mask}:en" in data and "bs:stop" in data
    assert decode(f"bs:t:{mask}:en:3") == ToggleTopic(mask, "en", 3)
    for forged in ("bs:t:x:en:1", f"bs:t:{1 << len(TOPICS)}:en:1", "bs:t:1:de:1", "bs:t:1"):
        assert decode(forged) is None


def test_the_receipt_offers_bulletins_once():
    labels = [b.text for row in views.receipt_keyboard(texts("vi")).inline_keyboard for b in row]
    menu = [b.text for row in main_menu(texts("vi")).inline_keyboard for b in row]
    assert labels[0] == "📬 Nhận bản tin cảnh giác" and "📬 Bản tin" in menu
    assert labels[1:] == [label for label in menu if label != "📬 Bản tin"]
