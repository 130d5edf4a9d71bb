"""Lists cut to one message as Telegram counts it (UTF-16): the revocation's, the bulletins'."""

from bot.communes import CommuneDirectory, read_province
from bot.i18n import texts
from bot.onboarding import OfficerEntry
from handlers.bulletins_views import broadcasts_text, catalogue_pages
from handlers.common import utf16_len
from handlers.onboarding_views import revoked
from storage.bulletins import CatalogueEntry
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
    """40 titles of 100 emoji: about 4,400 code points but over 8,000 UTF-16 units. The library
    goes over as many messages as it needs, the broadcasts' list is cut with "…": each message
    within Telegram's 4096 units."""
    entries = [
        CatalogueEntry(f"drugs-{n}", "drugs", "admin", {"vi": "😀" * 100}, None) for n in range(40)
    ]
    pages = catalogue_pages(texts("vi"), entries, str)
    assert len(pages) > 1 and all(utf16_len(page) <= 4096 for page in pages)
    assert all(sum(f"<code>{e.slug}</code>" in page for page in pages) == 1 for e in entries)

    text = broadcasts_text(texts("vi"), ["<b>#1</b> · “" + "😀" * 100 + "”"] * 40)
    assert utf16_len(text) <= 4096 and text.endswith("…")
