"""The page's own words, through the catalogs like every other string the bot shows.

The server writes them into the page in the default language (no flash of another language on a
slow link) and gives the script both languages at once for the switch (GET /api/texts).
"""

from __future__ import annotations

from bot.i18n import LANGUAGES, N_, texts

PAGE_TEXTS = {
    "page_title": N_("Report to the police — anonymously"),
    "emergency": N_("Emergency numbers"),
    "police": N_("Police"),
    "fire": N_("Fire"),
    "ambulance": N_("Ambulance"),
    "rescue": N_("Rescue"),
    "title": N_("Report anonymously"),
    "chat": N_("Chat"),
    "library": N_("Bulletins"),
    "conversation": N_("Conversation"),
    "notice": N_(
        "Nobody can notify you when officers ask or answer. Open this page again on this "
        "device, or send /status with your receipt, to see it."
    ),
    "message": N_("Message"),
    "placeholder": N_("Type a message…"),
    "answerPlaceholder": N_("Type your answer to the question…"),
    "attach": N_("Photo, file"),
    "send": N_("Send"),
    "receipts": N_("Tips you sent from this device"),
    "open": N_("Open"),
    "privacy": N_(
        "This page uses no cookies and records no IP address. Photos are stripped of hidden "
        "data (GPS position, camera serial) before they are kept. Your network still sees that "
        "you visit; use Tor to hide that too."
    ),
    "forget": N_("Forget this device"),
    "confirmForget": N_("Remove this device's key, its list of tips and the unfinished tip?"),
    "working": N_("Checking your device (a few seconds)…"),
    "busy": N_("The service is busy. Please try again in a moment."),
    "failed": N_("That did not go through. Please try again."),
    "tooLarge": N_("The file is too large."),
}


def page_texts() -> dict[str, dict[str, str]]:
    """Every page text in every language, by key."""
    return {
        language: {key: texts(language).gettext(text) for key, text in PAGE_TEXTS.items()}
        for language in LANGUAGES
    }
