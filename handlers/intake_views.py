"""What the resident sees at each step of a tip: the prompt text and its buttons.

Callback data is `t:<step>:<value>`: the step in it tells a tap on an old message from a tap on
the current prompt. Every user-typed string is escaped before it goes into HTML.
"""

from __future__ import annotations

from html import escape

from telegram import (
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    KeyboardButton,
    ReplyKeyboardMarkup,
)

from bot import categories
from bot.communes import CommuneDirectory, CommuneMatch
from bot.i18n import N_, Texts
from bot.intake import (
    CHANNELS,
    MAX_ATTACHMENTS,
    MAX_DESCRIPTION,
    WHEN,
    Draft,
    Step,
)
from handlers.callbacks import IntakeAnswer, encode

SKIP_DETAILS = "rest"  # t:<scam detail step>:rest — skips all the optional scam details
CHANGE_PLACE = "fix"  # t:fix:place — under a commune taken as the only match
Markup = InlineKeyboardMarkup | ReplyKeyboardMarkup | None
SUMMARY_DESCRIPTION_CHARS = 1500  # the review must stay well under Telegram's 4096


def data(step: str, value: str) -> str:
    return encode(IntakeAnswer(step, value))


def button(label: str, step: str, value: str) -> InlineKeyboardButton:
    return InlineKeyboardButton(label, callback_data=data(step, value))


def skip_label(t: Texts) -> str:
    return t.gettext("Skip")


def contact_keyboard(t: Texts) -> ReplyKeyboardMarkup:
    return ReplyKeyboardMarkup(
        [
            [KeyboardButton(t.gettext("📱 Share my phone number"), request_contact=True)],
            [KeyboardButton(stay_anonymous_label(t))],
        ],
        resize_keyboard=True,
        one_time_keyboard=True,
    )


def stay_anonymous_label(t: Texts) -> str:
    return t.gettext("🔒 Stay anonymous")


def location_keyboard(t: Texts) -> ReplyKeyboardMarkup:
    return ReplyKeyboardMarkup(
        [
            [KeyboardButton(t.gettext("📍 Send my location"), request_location=True)],
            [KeyboardButton(skip_label(t))],
        ],
        resize_keyboard=True,
        one_time_keyboard=True,
        input_field_placeholder=t.gettext("Send a location or tap Skip"),
    )


def emergency_text(t: Texts) -> str:
    """The first answer to "happening now / someone in danger". The numbers stand alone as plain
    text: Telegram apps make phone numbers in a message tappable (a button cannot dial)."""
    _ = t.gettext
    return "\n".join(
        [
            _("🚨 <b>If it is happening now or someone is in danger, call right away:</b>"),
            "",
            _("📞 113 — police"),
            _("📞 114 — fire and rescue"),
            _("📞 115 — ambulance"),
            _("📞 112 — disasters, search and rescue"),
            "",
            _(
                "This tip is not a call for help: officers read it later. When you are safe, "
                "you can continue it here — what you entered is kept, and it will be marked "
                "urgent."
            ),
        ]
    )


def place_taken_keyboard(match: CommuneMatch, t: Texts) -> tuple[str, InlineKeyboardMarkup]:
    """The only commune found, taken, with a way to change it."""
    _ = t.gettext
    text = _("✓ <b>{place}</b> — the only commune or ward matching what you typed.").format(
        place=escape(commune_label(match, t))
    )
    change = InlineKeyboardButton(
        _("✏️ Not this one — change"), callback_data=data(CHANGE_PLACE, "place")
    )
    return text, InlineKeyboardMarkup([[change]])


def details_skip(t: Texts, step: Step) -> list[InlineKeyboardButton]:
    return [button(t.gettext("⏭ Skip the scam details"), step, SKIP_DETAILS)]


def anonymity_note(t: Texts) -> str:
    return t.gettext(
        "🔒 <b>Your tip is anonymous.</b> Officers see what you write and send, never who you are. "
        "Don't write your name or phone number unless you want to be contacted. Photos, videos "
        "and files can reveal you (a face, a place, a voice; a photo sent as a file, and a "
        "video, may keep where and when it was taken): send pictures as photos, and only what "
        "you are comfortable sharing."
    )


def prompt(step: Step, draft: Draft, t: Texts, communes: CommuneDirectory) -> tuple[str, Markup]:
    """The question of `step` and its keyboard."""
    _ = t.gettext
    if step is Step.CATEGORY:
        rows = [[button(_(c.label), step, key)] for key, c in categories.CATEGORIES.items()]
        return _("What do you want to report?"), InlineKeyboardMarkup(rows)
    category = categories.get(draft.category)
    if step is Step.KIND:
        if category is None or category.kind_question is None:  # no kinds to ask: choose again
            return prompt(Step.CATEGORY, draft, t, communes)
        rows = [[button(_(label), step, key)] for key, label in category.kinds.items()]
        return _(category.kind_question), InlineKeyboardMarkup(rows)
    if step is Step.WHEN:
        rows = [
            [button(("🚨 " if key == "now" else "") + _(label), step, key)]
            for key, label in WHEN.items()
        ]
        return _("When did it happen?"), InlineKeyboardMarkup(rows)
    if step is Step.CHANNELS:
        rows = [
            [button(("✓ " if key in draft.channels else "") + _(label), step, key)]
            for key, label in CHANNELS.items()
        ]
        rows.append([button(_("Next ➡️"), step, "next")])
        rows.append(details_skip(t, step))
        return _(
            "How did the scammer reach you? Tap all that apply, then <b>Next</b>."
        ), InlineKeyboardMarkup(rows)
    if step is Step.PHONES:
        return _(
            "Which phone numbers did the scammer use? Type them, one or more "
            "(for example 0912 345 678). Or tap <b>Skip</b>."
        ), InlineKeyboardMarkup([[button(skip_label(t), step, "skip")], details_skip(t, step)])
    if step is Step.ACCOUNTS:
        return _(
            "Which bank accounts or e-wallets did they ask you to pay into? Type the number and "
            "the bank (for example 0071001234567 Vietcombank). Or tap <b>Skip</b>."
        ), InlineKeyboardMarkup([[button(skip_label(t), step, "skip")], details_skip(t, step)])
    if step is Step.LINKS:
        return _(
            "Which links, websites, apps or social media pages did they use? "
            "Type or paste them. Or tap <b>Skip</b>."
        ), InlineKeyboardMarkup([[button(skip_label(t), step, "skip")], details_skip(t, step)])
    if step is Step.LOSS:
        return _(
            "How much money was lost? For example <i>2 triệu</i>, <i>500k</i> or <i>1.500.000đ</i>."
        ), InlineKeyboardMarkup(
            [[button(_("No money was lost"), step, "none")], [button(skip_label(t), step, "skip")]]
        )
    if step is Step.COMMUNE:
        return _(
            "Where did it happen? Type part of the name of the commune or ward — old names "
            "work too (for example <i>Liên Nghĩa</i>, <i>Lộc Phát</i>, <i>Bảo Lộc</i> or "
            "<i>Di Linh</i>)."
        ), InlineKeyboardMarkup([[button(_("I don't know"), step, "unknown")]])
    if step is Step.LOCATION:
        text = _(
            "If you are at the place now, you can share your location so officers find it "
            "quickly. It shows where your phone is, so share it only if that is safe. "
            "You can also type an address or a landmark. Or tap <b>Skip</b>."
        )
        if category and category.location_prompt:
            text = _(category.location_prompt)
        return text, location_keyboard(t)
    if step is Step.DESCRIPTION and draft.replacing_description:
        return _(
            "Send the new description. It replaces the old one, which was:\n<i>{old}</i>"
        ).format(old=escape(draft.description[:SUMMARY_DESCRIPTION_CHARS])), None
    if step is Step.DESCRIPTION and draft.description.strip():
        # Words typed earlier (at a button question) already started it.
        return _(
            "Your description so far:\n<i>{so_far}</i>\n\nSend more about what happened, or "
            "tap <b>That's all</b>."
        ).format(
            so_far=escape(draft.description[:SUMMARY_DESCRIPTION_CHARS])
        ), InlineKeyboardMarkup([[button(_("✅ That's all"), step, "done")]])
    if step is Step.DESCRIPTION:
        return _(
            "Now describe what happened: what you saw, where exactly, who, vehicles, times. "
            "Up to {limit} characters."
        ).format(limit=t.number(MAX_DESCRIPTION)), None
    if step is Step.ATTACHMENTS:
        return _(
            "You can add photos, videos, voice messages or documents (up to {limit}). "
            "When you have finished, tap <b>Done</b>."
        ).format(limit=MAX_ATTACHMENTS), InlineKeyboardMarkup(
            [[button(_("✅ Done"), step, "done")]]
        )
    if step is Step.URGENT:
        return _("Is it happening right now, or is someone in danger?"), InlineKeyboardMarkup(
            [
                [button(_("🚨 Yes, urgent"), step, "yes")],
                [button(_("No"), step, "no")],
            ]
        )
    if step is Step.CONTACT:
        return _(
            "⚠️ <b>Only if you want to be called.</b> If you share your phone number, the "
            "officers handling this tip will see it, and you are no longer anonymous to them. "
            "You don't need it for them to ask you questions: they can do that here, anonymously."
        ), contact_keyboard(t)
    return review_text(draft, t, communes), review_keyboard(t, draft)


def commune_results(
    matches: list[CommuneMatch], query: str, t: Texts
) -> tuple[str, InlineKeyboardMarkup]:
    _ = t.gettext
    rows = [[button(commune_label(m, t), Step.COMMUNE, str(m.code))] for m in matches]
    rows.append([button(_("I don't know"), Step.COMMUNE, "unknown")])
    if not matches:
        text = _(
            "I found no commune or ward matching “{query}”. Try another spelling or part of the "
            "name, or tap <b>I don't know</b>."
        )
    else:
        text = _("Tap your commune or ward — or type another name to search again.")
    return text.format(query=escape(query)), InlineKeyboardMarkup(rows)


def commune_label(match: CommuneMatch, t: Texts) -> str:
    # Found through an old name: show it, so "Bảo Lâm" visibly leads to today's commune.
    if match.via is None:
        return match.name
    return t.gettext("{name} (formerly: {old_name})").format(name=match.name, old_name=match.via)


def review_keyboard(t: Texts, draft: Draft) -> InlineKeyboardMarkup:
    _ = t.gettext
    step = Step.REVIEW
    contact = (
        button(_("🔒 Don't share my phone number"), step, "nocontact")
        if draft.contact_sealed
        else button(_("📞 Let officers call me (optional)"), step, "edit:contact")
    )
    optional = [button(_("📎 Add photos or files"), step, "edit:attachments")]
    category = categories.get(draft.category)
    if category is None or category.asks_location:  # fraud: a pin would only show the resident
        optional.append(button(_("📍 Add the exact place"), step, "edit:location"))
    return InlineKeyboardMarkup(
        [
            [button(_("✅ Send"), step, "send")],
            optional,
            [button(_("✏️ Type and details"), step, "edit:category")],
            [
                button(_("✏️ Place"), step, "edit:place"),
                button(_("✏️ Description"), step, "edit:description"),
            ],
            [button(_("✏️ Urgency"), step, "edit:urgency")],
            [contact],
            [button(_("🗑 Cancel"), step, "cancel")],
        ]
    )


def review_text(draft: Draft, t: Texts, communes: CommuneDirectory) -> str:
    _ = t.gettext
    lines = [_("<b>Please check your tip before sending:</b>"), ""]
    category = _(categories.label_of(draft.category)) if draft.category else "—"
    kind = categories.kind_label(draft.category, draft.kind)
    lines.append(
        _("<b>Type:</b> {value}").format(value=category + (f" · {_(kind)}" if kind else ""))
    )
    if draft.when:
        lines.append(_("<b>When:</b> {value}").format(value=_(WHEN[draft.when])))
    if draft.channels:
        value = ", ".join(_(CHANNELS[c]) for c in draft.channels)
        lines.append(_("<b>Contacted by:</b> {value}").format(value=value))
    for label, answer in (
        (N_("<b>Scammer's phone numbers:</b> {value}"), draft.phones),
        (N_("<b>Accounts they asked to be paid into:</b> {value}"), draft.accounts),
        (N_("<b>Links or apps:</b> {value}"), draft.links),
        (N_("<b>Money lost:</b> {value}"), draft.loss),
    ):
        if answer:
            lines.append(_(label).format(value=escape(answer)))
    lines.append(_("<b>Place:</b> {value}").format(value=place_text(draft, t, communes)))
    description = draft.description
    if len(description) > SUMMARY_DESCRIPTION_CHARS:
        description = description[:SUMMARY_DESCRIPTION_CHARS].rstrip() + " …"
    lines.append(_("<b>What happened:</b> {value}").format(value=escape(description) or "—"))
    attachments = t.number(len(draft.attachments)) if draft.attachments else _("none")
    lines.append(_("<b>Attachments:</b> {value}").format(value=attachments))
    urgent = _("yes — happening now or someone in danger") if draft.urgent else _("no")
    lines.append(_("<b>Urgent:</b> {value}").format(value=urgent))
    if draft.contact_sealed:
        lines.append(_("📞 Officers will see the phone number you shared and may call you."))
    lines += [
        "",
        _(
            "Nothing is sent until you tap <b>Send</b>. Until then you can still send photos, "
            "videos or voice messages here: they go with the tip."
        ),
    ]
    return "\n".join(lines)


def place_text(draft: Draft, t: Texts, communes: CommuneDirectory) -> str:
    _ = t.gettext
    if draft.commune_unknown or draft.commune_code is None:
        place = _("not known")
    else:
        place = escape(communes.name(draft.commune_code) or str(draft.commune_code))
    if draft.latitude is not None:
        place += " · " + _("📍 location shared")
    if draft.place_detail:
        place += " · " + escape(draft.place_detail)
    return place
