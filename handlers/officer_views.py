"""The tip as officers see it: one message with everything, and its buttons.

Pure functions of plain data: what a card shows beyond the tip (the tipster's language and
shared phone from the sealed way back, earlier reports, names) is gathered by bot/tip_facts.py.

Callback data is `o:<action>:<tip id>[:<value>]`; it only names the tip and the action — who may
act is decided on the server each time (bot/authz.py).
"""

from __future__ import annotations

from html import escape
from zoneinfo import ZoneInfo

from telegram import InlineKeyboardButton, InlineKeyboardMarkup

from bot import categories
from bot.i18n import N_, Texts
from bot.indicators import display_link, format_phone, link_spans
from bot.intake import CHANNELS, MAX_ANSWER, WHEN
from bot.tip_facts import (
    CARD_INDICATORS,
    CardFacts,
    EarlierReports,
    Indicator,
    Tip,
    TipFacts,
    TipStatus,
)
from handlers.callbacks import OnTip, TipAction, decode, encode
from handlers.common import utf16_len

MESSAGE_LIMIT = 4096
ANSWER_CHARS = 120  # each indicator, in the card
LINK_CHARS = 300  # a link is shown whole, path included, up to this
INDICATORS_ROOM = 2400  # UTF-16 units all indicator lines may take together

STATUS_LABELS = {
    TipStatus.NEW: N_("🆕 New — not yet acknowledged"),
    TipStatus.ACKNOWLEDGED: N_("✅ Acknowledged"),
    TipStatus.INVESTIGATING: N_("🔎 Investigating"),
    TipStatus.RESOLVED: N_("✔️ Resolved"),
    TipStatus.NOT_ACTIONABLE: N_("🚫 Not actionable"),
}
BANNERS = {
    "reminder": N_("⏰ <b>Reminder:</b> this tip is still waiting to be acknowledged."),
    "escalation": N_(
        "⚠️ <b>Escalated to the province:</b> no officer acknowledged this tip in time."
    ),
    "transfer": N_("🔁 <b>Transferred to your commune.</b>"),
}
# The language the tipster chose, so the officer asks in it.
TIPSTER_LANGUAGES = {"vi": N_("🇻🇳 Vietnamese"), "en": N_("🇬🇧 English")}
INDICATOR_LABELS = {
    "phone": N_("Phone"),
    "account": N_("Account"),
    "link": N_("Link"),
    "app": N_("App or page"),
    "amount": N_("Money lost"),
}


def data(action: TipAction, tip_id: int, value: str = "") -> str:
    return encode(OnTip(action, tip_id, value))


def link_html(url: str) -> str:
    """A link from a tipster, as staff see it: whole, path included, as code, so that a tap
    copies it instead of opening a scammer's page (Telegram links no URL inside <code>)."""
    return f"<code>{escape(url)}</code>"


def escape_with_links(text: str) -> str:
    """A tipster's free text for HTML: escaped, and every link in it rendered by link_html."""
    pieces, done = [], 0
    for start, end in link_spans(text):
        pieces += [escape(text[done:start]), link_html(text[start:end])]
        done = end
    return "".join([*pieces, escape(text[done:])])


def tipster_language(t: Texts, language: str | None) -> str | None:
    """The language the tipster chose, named for staff ("🇬🇧 English"); None when not known
    (an older tip, or its way back is gone)."""
    name = TIPSTER_LANGUAGES.get(language or "")
    return t.gettext(name) if name else None


def reply_offer_keyboard(t: Texts, tip: Tip) -> InlineKeyboardMarkup:
    """Asked after a status change: a public reply for the tipster, or none."""
    _ = t.gettext
    return InlineKeyboardMarkup(
        [
            [
                InlineKeyboardButton(
                    _("✍️ Write a reply"), callback_data=data(TipAction.WRITE_REPLY, tip.id)
                )
            ],
            [InlineKeyboardButton(_("No reply"), callback_data=data(TipAction.NO_REPLY, tip.id))],
        ]
    )


def is_reply_offer(message) -> bool:
    """The tapped message is that offer (not a card, whose buttons stay)."""
    markup = getattr(message, "reply_markup", None)
    rows = markup.inline_keyboard if markup is not None else ()
    return any(
        isinstance(tapped := decode(button.callback_data), OnTip)
        and tapped.action is TipAction.NO_REPLY
        for row in rows
        for button in row
    )


def card_keyboard(
    t: Texts, tip: Tip, *, ask_label: str = N_("❓ Ask the tipster")
) -> InlineKeyboardMarkup | None:
    """The tip's actions. Also under each message about the tip (an answer: "Ask again"), so
    an officer on a phone acts from there instead of scrolling back to the card."""
    _ = t.gettext
    if tip.closed:
        # What is left to do on a closed tip is a public reply: offered after closing too, but
        # that offer is a message of its own, and the card is where an officer looks later.
        return InlineKeyboardMarkup(
            [
                [
                    InlineKeyboardButton(
                        _("✍️ Write a reply"), callback_data=data(TipAction.WRITE_REPLY, tip.id)
                    )
                ]
            ]
        )
    first_row = [
        InlineKeyboardButton(_(ask_label), callback_data=data(TipAction.ASK_TIPSTER, tip.id))
    ]
    if tip.status == TipStatus.NEW:
        first_row.insert(
            0,
            InlineKeyboardButton(
                _("✅ Acknowledge"), callback_data=data(TipAction.ACKNOWLEDGE, tip.id)
            ),
        )
    return InlineKeyboardMarkup(
        [
            first_row,
            [
                InlineKeyboardButton(
                    _("📋 Status ▸"), callback_data=data(TipAction.STATUS_MENU, tip.id)
                ),
                InlineKeyboardButton(
                    _("📝 Add a note"), callback_data=data(TipAction.ADD_NOTE, tip.id)
                ),
            ],
        ]
    )


def answer_keyboard(t: Texts, tip: Tip) -> InlineKeyboardMarkup | None:
    """Under "The tipster answered…": ask again, and the tip's other actions."""
    return card_keyboard(t, tip, ask_label=N_("❓ Ask again"))


def status_keyboard(t: Texts, tip: Tip) -> InlineKeyboardMarkup:
    _ = t.gettext
    choices = [
        (_("🔎 Investigating"), data(TipAction.SET_STATUS, tip.id, TipStatus.INVESTIGATING)),
        (_("✔️ Resolved"), data(TipAction.SET_STATUS, tip.id, TipStatus.RESOLVED)),
        (_("🚫 Not actionable"), data(TipAction.SET_STATUS, tip.id, TipStatus.NOT_ACTIONABLE)),
        (_("🔁 Transfer to another commune"), data(TipAction.TRANSFER_MENU, tip.id)),
        (_("⬅️ Back"), data(TipAction.BACK_TO_CARD, tip.id)),
    ]
    return InlineKeyboardMarkup(
        [[InlineKeyboardButton(label, callback_data=value)] for label, value in choices]
    )


def tip_card(facts: CardFacts, t: Texts, banner: str | None = None) -> str:
    return tip_card_parts(facts, t, banner)[0]


def tip_card_parts(facts: CardFacts, t: Texts, banner: str | None = None) -> tuple[str, str]:
    """Everything about the tip in one message, within Telegram's 4096 characters."""
    _ = t.gettext
    tip, tz = facts.tip, facts.timezone
    head = _("<b>Tip {code}</b>").format(code=tip.code)
    if tip.urgent:
        head += " · " + _("🚨 <b>URGENT</b>")
    lines = [head]
    if banner in BANNERS:
        lines.insert(0, _(BANNERS[banner]))
    lines += arrival_reason(facts, t)
    category = _(categories.label_of(tip.category))
    kind = categories.kind_label(tip.category, tip.kind)
    lines.append(
        _("<b>Type:</b> {value}").format(value=category + (f" · {_(kind)}" if kind else ""))
    )
    commune = facts.commune_name
    lines.append(
        _("<b>Commune:</b> {value}").format(
            value=escape(commune) if commune else _("not known — province queue")
        )
    )
    lines.append(
        _("<b>Sent:</b> {value}").format(value=t.datetime_from_timestamp(tip.created_at, tz))
    )
    if language := tipster_language(t, facts.language):
        lines.append(_("<b>Tipster's language:</b> {value}").format(value=language))
    answers = tip.answers
    if when := answers.get("when"):
        lines.append(_("<b>When:</b> {value}").format(value=_(WHEN.get(when, when))))
    if channels := answers.get("channels"):
        value = ", ".join(_(CHANNELS.get(c, c)) for c in channels)
        lines.append(_("<b>Contacted by:</b> {value}").format(value=value))
    lines += indicator_lines(facts, t)
    lines += own_words_lines(tip, t)
    if tip.location and tip.commune_code is not None:
        lines.append(location_line(t, tip.location))
    if tip.attachments:
        lines.append(
            _("<b>Attachments:</b> {count}, sent below as copies").format(
                count=len(tip.attachments)
            )
        )
    if facts.contact:
        lines.append(
            _("📞 <b>The tipster agreed to be called:</b> {phone}").format(
                phone=escape(facts.contact)
            )
        )
    lines.append(
        _("<b>Status:</b> {value}").format(value=_(STATUS_LABELS.get(tip.status, tip.status)))
    )
    if facts.acknowledged_by is not None and tip.acknowledged_at is not None:
        lines.append(
            _("Acknowledged by {name} at {when}").format(
                name=escape(facts.acknowledged_by),
                when=t.datetime_from_timestamp(tip.acknowledged_at, tz),
            )
        )
    heading = "\n".join(lines) + "\n\n" + _("<b>What happened:</b>") + "\n"
    description, rest = split_description(tip.description, MESSAGE_LIMIT - utf16_len(heading) - 40)
    if rest:
        description += "\n" + _("(continued below)")
    return heading + description, rest


def tip_summary(facts: TipFacts, t: Texts) -> str:
    """One line under each message about a tip, so it can be acted on where it is read: type,
    commune, status and the tipster's language."""
    _ = t.gettext
    tip = facts.tip
    kind = categories.kind_label(tip.category, tip.kind)
    parts = [_(categories.label_of(tip.category)) + (f" · {_(kind)}" if kind else "")]
    parts.append(escape(facts.commune_name) if facts.commune_name else _("commune not known"))
    parts.append(_(STATUS_LABELS.get(tip.status, tip.status)))
    if language := tipster_language(t, facts.language):
        parts.append(language)
    return ("🚨 " if tip.urgent else "") + "<i>" + " · ".join(parts) + "</i>"


def arrival_reason(facts: CardFacts, t: Texts) -> list[str]:
    """Why this card came to this chat, when it is not the commune's officers' own tip: the
    commune has no officer yet (the admins get it — and the command to invite one), or the
    tipster did not know the commune (then the location they shared comes first)."""
    _ = t.gettext
    tip = facts.tip
    if tip.commune_code is None:
        if tip.location is None:
            return [_("❔ <b>The tipster did not know the commune</b> and shared no location.")]
        return [
            _("❔ <b>The tipster did not know the commune</b> but shared a location:"),
            location_line(t, tip.location),
        ]
    if facts.commune_has_chats:
        return []
    return [
        _("👮 <b>No officer covers {commune} yet</b> — invite one: {command}").format(
            commune=escape(facts.commune_name or str(tip.commune_code)),
            command=f"<code>/invite {tip.commune_code}</code>",
        )
    ]


def location_line(t: Texts, location: tuple[float, float]) -> str:
    latitude, longitude = location
    return t.gettext("<b>Location:</b> {value}").format(value=f"{latitude:.5f}, {longitude:.5f} 📍")


def split_description(description: str, room: int) -> tuple[str, str]:
    """The escaped description (its links as code) as far as it fits in `room` UTF-16 units, and
    the rest (raw) that follows in messages of its own (handlers/notifications.py), cut at a
    space when it can."""
    room = max(room, 200)
    if utf16_len(html := escape_with_links(description)) <= room:
        return html, ""
    cut = len(description)
    while cut > 1 and utf16_len(escape_with_links(description[:cut])) > room:
        cut = max(int(cut * 0.9), 1)
    space = description.rfind(" ", cut // 2, cut)
    cut = space if space > 0 else cut
    return escape_with_links(description[:cut]) + " …", description[cut:].lstrip()


def indicator_lines(facts: CardFacts, t: Texts) -> list[str]:
    """The scammer's phones, accounts, links and the money, normalised for searching, with what
    the tipster typed when it could not be read — and what earlier tips said about each."""
    _ = t.gettext
    tip = facts.tip
    lines: list[str] = []
    room = INDICATORS_ROOM
    for indicator, earlier in zip(tip.indicators[:CARD_INDICATORS], facts.earlier, strict=False):
        label = _(INDICATOR_LABELS.get(indicator.kind, indicator.kind))
        line = f"• {label}: {indicator_html(indicator, t)}"
        if earlier is not None:
            line += earlier_reports(earlier, t, facts.timezone)
        room -= utf16_len(line) + 1
        if room < 0:
            break
        lines.append(line)
    if len(tip.indicators) > len(lines):
        more = len(tip.indicators) - len(lines)
        lines.append(_("• …and {count} more").format(count=more))
    return lines


def indicator_html(indicator: Indicator, t: Texts) -> str:
    """One indicator for the card: a link whole, as code (with its decoded host when that
    differs, a hint of a look-alike domain); anything else escaped and kept short."""
    if indicator.kind == "link":
        raw = indicator.raw
        shown = link_html(raw if len(raw) <= LINK_CHARS else raw[: LINK_CHARS - 1] + "…")
        decoded = display_link(indicator.value)
        return shown + (f" ({escape(decoded)})" if decoded != indicator.value else "")
    return escape(indicator_text(indicator, t)[:ANSWER_CHARS])


OWN_WORDS_LABELS = {
    "phones": N_("Phone numbers"),
    "accounts": N_("Accounts"),
    "links": N_("Links or apps"),
    "loss": N_("Money lost"),
    "place_detail": N_("Place"),
}


def own_words_lines(tip: Tip, t: Texts) -> list[str]:
    """Each answer as the tipster typed it: a number read wrongly, the account holder's name,
    "không nhớ số" are evidence too. As code: links in it must not open with a stray tap."""
    _ = t.gettext
    words = [
        (_(label), str(tip.answers[name]))
        for name, label in OWN_WORDS_LABELS.items()
        if tip.answers.get(name) and tip.answers[name] != "0"
    ]
    if not words:
        return []
    lines = [_("✍️ <b>In the tipster's words:</b>")]
    for label, value in words:
        lines.append(f"• {label}: <code>{escape(value[:MAX_ANSWER])}</code>")
    return lines


def earlier_reports(earlier: EarlierReports, t: Texts, tz: ZoneInfo) -> str:
    _ = t.gettext
    if earlier.confirmed_tips and earlier.confirmed_last_at is not None:
        return " " + _("⚠️ <b>confirmed as fraud in {count} earlier tips</b>, last {when}").format(
            count=earlier.confirmed_tips,
            when=t.date_from_timestamp(earlier.confirmed_last_at, tz),
        )
    if earlier.named_tips and earlier.named_last_at is not None:
        return " " + _("(named in {count} earlier tips, last {when})").format(
            count=earlier.named_tips, when=t.date_from_timestamp(earlier.named_last_at, tz)
        )
    return ""


def indicator_text(indicator: Indicator, t: Texts) -> str:
    if indicator.kind == "phone" and indicator.value.startswith("+"):
        return format_phone(indicator.value)
    if indicator.kind == "account":
        bank = f" ({indicator.bank})" if indicator.bank else ""
        return indicator.value + bank
    if indicator.kind == "amount" and indicator.value.isdigit():
        return f"{t.number(int(indicator.value))} ₫"
    return indicator.raw
