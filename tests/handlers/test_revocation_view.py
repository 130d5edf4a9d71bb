"""Lists cut to one message as Telegram counts it (UTF-16): the revocation's, the bulletins'."""

from bot.communes import CommuneDirectory, read_province
from bot.i18n import texts
from bot.onboarding import OfficerEntry
from handlers.common import utf16_len
from handlers.onboarding_views import revoked
from storage.officers import GroupLink, Officer

XUAN_HUONG = 24781


def test_the_confirmation_fits_with_many_long_group_titles():
    communes = CommuneDirectory(*read_province(68))
    entry = OfficerEntry(Officer(1001, "😀" * 64, "officer", False, 0), (XUAN_HUONG,), False)
    title = "Nhóm 😀" + "😀" * 122  # 128 characters, 250 UTF-16 units
    ended = [GroupLink(-100 - n, XUAN_HUONG, title) for n in range(25)]
    still_in = [(XUAN_HUONG, -200 - n, title) for n in range(25)]
    for language in ("vi", "en"):
        text = revoked(texts(language), communes, entry, ended, still_in)
        assert utf16_len(text) <= 4096
        assert text.count("<b>") == text.count("</b>") and text.endswith("…")


def test_the_bulletin_lists_fit_as_telegram_counts():
    from handlers.bulletins_views import fit

    text = fit(["• <b>" + "😀" * 100 + "</b>"] * 40)
    assert utf16_len(text) <= 4096 and text.endswith("…")
