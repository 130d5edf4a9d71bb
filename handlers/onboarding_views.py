"""What onboarding says and shows: texts and keyboards, in the reader's language.

Names of people and group titles come from Telegram and are escaped; so are commune names, which
carry apostrophes ("B'Lao").
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from html import escape

from telegram import InlineKeyboardButton, InlineKeyboardMarkup

from bot.authz import Role
from bot.communes import CommuneDirectory, CommuneMatch
from bot.i18n import Texts
from bot.normalize import plain_name
from bot.onboarding import GroupLink, OfficerEntry
from bot.refusals import Reason
from handlers.access import REFUSALS
from handlers.callbacks import (
    AskRevokeOfficer,
    InviteCommune,
    LinkCommune,
    OfficersPage,
    RevokeOfficer,
    encode,
)
from handlers.common import fit_lines

PAGE_SIZE = 8
EXAMPLE_COMMUNE = "Xuân Hương"
COMMUNES_PER_OFFICER = 4  # in the officers list; the rest as "+N"


def esc(text: str) -> str:
    """Escaped for HTML, and without the bidirectional controls and invisible characters a
    Telegram name or title may carry (they could reorder what an admin reads)."""
    return escape(plain_name(text) or "", quote=False)


def person(name: str | None, user_id: int) -> str:
    return f"<b>{esc(name or '—')}</b> (<code>{user_id}</code>)"


def commune_list(communes: CommuneDirectory, codes: Iterable[int], limit: int | None = None) -> str:
    codes = list(codes)
    shown = codes if limit is None else codes[:limit]
    text = ", ".join(esc(communes.name(code)) for code in shown)
    return text + (f" +{len(codes) - len(shown)}" if len(codes) > len(shown) else "")


def commune_buttons(
    matches: Sequence[CommuneMatch], pick: type[InviteCommune | LinkCommune]
) -> InlineKeyboardMarkup:
    """The communes to choose from: for a new invite (admins) or a group's link (officers)."""
    rows = []
    for match in matches:
        label = match.name if match.via is None else f"{match.name} ← {match.via}"
        rows.append([InlineKeyboardButton(label[:64], callback_data=encode(pick(match.code)))])
    return InlineKeyboardMarkup(rows)


# Refusals and hints -------------------------------------------------------------------------------


def private_only(t: Texts) -> str:
    return t.gettext(
        "Please send this command to me in a private chat, not in a group: what it shows is for "
        "you only."
    )


def group_only(t: Texts) -> str:
    return t.gettext(
        "Send this command in your commune's Telegram group, after adding me to the group — "
        "for example <code>/linkgroup {example}</code>."
    ).format(example=EXAMPLE_COMMUNE)


def commune_not_found(t: Texts, query: str) -> str:
    return t.gettext(
        "No commune or ward matches “{query}”. Check the spelling, or use the official code "
        "(5 digits)."
    ).format(query=esc(query[:100]))


def pick_commune(t: Texts) -> str:
    return t.gettext("Several communes match. Which one?")


# Invites ------------------------------------------------------------------------------------------


def invite_usage(t: Texts) -> str:
    return t.gettext(
        "Send /invite followed by the commune or ward the officer will serve, by name or "
        "official code — for example <code>/invite {example}</code>."
    ).format(example=EXAMPLE_COMMUNE)


def invite_text(t: Texts, commune: str, link: str, expires: str) -> str:
    _ = t.gettext
    return "\n\n".join(
        [
            _("🔑 <b>Invite for an officer of {commune}</b>").format(commune=esc(commune)),
            link,
            _(
                "Give this link to the officer yourself — in person, or through a channel you "
                "trust. Don't post it in a group: whoever opens it first becomes an officer of "
                "this commune."
            ),
            _("It works once and expires at {expires} (72 hours).").format(expires=expires),
        ]
    )


def welcome_officer(t: Texts, name: str, commune: str, is_admin: bool) -> str:
    _ = t.gettext
    lines = [
        _("👮 <b>Welcome, {name}!</b> You are now an officer of <b>{commune}</b>.").format(
            name=esc(name), commune=esc(commune)
        ),
        "",
        _(
            "Residents' tips about your communes will arrive in this chat, with buttons to "
            "acknowledge them and to ask the tipster questions. You never see who sent a tip."
        ),
        "",
        _("<b>What you can do</b>"),
        _("/queue — open tips of your communes"),
        _("/tip — show one tip by its code"),
        _("/mycommunes — your communes and their groups"),
        _("/linkgroup — send it in your commune's group so the group receives the tips too"),
    ]
    if is_admin:
        lines.append(_("/invite, /officers — invite officers and manage them"))
    lines += ["", _("Tips are confidential: don't share them outside the police.")]
    return "\n".join(lines)


def join_refused(t: Texts, reason: Reason) -> str:
    _ = t.gettext
    first = {
        Reason.UNKNOWN: _("Sorry, this invite link is not valid."),
        Reason.USED: _("Sorry, this invite link has already been used."),
        Reason.USED_BY_YOU: _("You have already joined with this invite link."),
        Reason.EXPIRED: _("Sorry, this invite link has expired."),
    }[reason]
    if reason is Reason.USED_BY_YOU:
        return first + " " + _("Send /mycommunes to see your communes.")
    return (
        first
        + " "
        + _("Each link works once, for 72 hours. Please ask the admin who sent it for a new one.")
    )


def joined_notice(t: Texts, name: str, user_id: int, commune: str) -> str:
    return t.gettext(
        "✅ {person} opened your invite and is now an officer of {commune}. If that is not who "
        "you meant, revoke them in /officers."
    ).format(person=person(name, user_id), commune=esc(commune))


# Officers -----------------------------------------------------------------------------------------


def pages(entries: Sequence[OfficerEntry]) -> int:
    return max(1, -(-len(entries) // PAGE_SIZE))


def officers_page(
    t: Texts, communes: CommuneDirectory, entries: Sequence[OfficerEntry], page: int
) -> tuple[str, InlineKeyboardMarkup]:
    _ = t.gettext
    page = min(max(page, 0), pages(entries) - 1)
    shown = entries[page * PAGE_SIZE : (page + 1) * PAGE_SIZE]
    lines = [_("<b>Officers</b> · page {page}/{pages}").format(page=page + 1, pages=pages(entries))]
    if not entries:
        lines.append(_("No officers yet. Invite one with /invite."))
    buttons = []
    for number, entry in enumerate(shown, start=page * PAGE_SIZE + 1):
        status = _("admin") if entry.is_admin else _("active") if entry.officer.active else None
        status = status or _("revoked")
        where = commune_list(communes, entry.communes, COMMUNES_PER_OFFICER) or _("no commune")
        lines.append(f"{number}. {person(entry.officer.name, entry.officer.user_id)} · {status}")
        lines.append(f"    {where}")
        if entry.revocable:
            label = _("🚫 Revoke {name}").format(name=entry.officer.name or entry.officer.user_id)
            buttons.append(
                [
                    InlineKeyboardButton(
                        label[:64], callback_data=encode(AskRevokeOfficer(entry.officer.user_id))
                    )
                ]
            )
    nav = []
    if page > 0:
        nav.append(InlineKeyboardButton("◀️", callback_data=encode(OfficersPage(page - 1))))
    if page < pages(entries) - 1:
        nav.append(InlineKeyboardButton("▶️", callback_data=encode(OfficersPage(page + 1))))
    if nav:
        buttons.append(nav)
    return fit_lines(lines, "…"), InlineKeyboardMarkup(buttons)


def confirm_revoke(
    t: Texts, communes: CommuneDirectory, entry: OfficerEntry
) -> tuple[str, InlineKeyboardMarkup]:
    _ = t.gettext
    user_id = entry.officer.user_id
    text = _(
        "Revoke {person}? They stop receiving the tips of {communes} at once and can no longer "
        "act on any tip. To serve again they need a new invite."
    ).format(
        person=person(entry.officer.name, user_id),
        communes=commune_list(communes, entry.communes, 10) or _("no commune"),
    )
    markup = InlineKeyboardMarkup(
        [
            [
                InlineKeyboardButton(
                    _("🚫 Yes, revoke"), callback_data=encode(RevokeOfficer(user_id))
                )
            ],
            [InlineKeyboardButton(_("↩️ Back to the list"), callback_data=encode(OfficersPage(0)))],
        ]
    )
    return text, markup


def revoke_refused(t: Texts, reason: Reason, entry: OfficerEntry | None) -> str:
    _ = t.gettext
    who = person(entry.officer.name, entry.officer.user_id) if entry else ""
    return {
        Reason.UNKNOWN: _("There is no such officer."),
        Reason.IS_ADMIN: _(
            "{person} is an admin. Admins are set in TIPBOT_ADMIN_IDS on the server; remove them "
            "there."
        ),
        Reason.ALREADY: _("{person} was already revoked."),
        Reason.NOT_ADMIN: t.gettext(REFUSALS[Role.ADMIN]),
    }[reason].format(person=who)


def revoked(
    t: Texts,
    communes: CommuneDirectory,
    entry: OfficerEntry,
    ended: Sequence[GroupLink],
    still_in: Sequence[tuple[int, int, str | None]],
) -> str:
    """The admin's confirmation of a revocation: the group links it ended, and the groups that
    still get the commune's tips with the revoked officer still a member, cut to one message."""
    who = person(entry.officer.name, entry.officer.user_id)
    lines = [
        t.gettext("🚫 {person} was revoked. They no longer receive or handle tips.").format(
            person=who
        )
    ]
    if ended:
        lines += ["", t.gettext(
            "These groups no longer receive tips: no active officer of their commune linked them. "
            "An officer of the commune can link a group again with /linkgroup."
        )]  # fmt: skip
        lines += [
            group_line(communes, link.commune_code, link.chat_id, link.title) for link in ended
        ]
    if still_in:
        lines += ["", t.gettext(
            "⚠️ The revoked officer is still a member of these groups, which other officers linked "
            "and which still receive the commune's tips. Ask their officers to remove them:"
        )]  # fmt: skip
        lines += [group_line(communes, *group) for group in still_in]
    return fit_lines(lines, "…")


def group_line(communes: CommuneDirectory, code: int, chat_id: int, title: str | None) -> str:
    return "• " + esc(title or str(chat_id)) + " — " + esc(communes.name(code))


def back_to_list(t: Texts) -> InlineKeyboardMarkup:
    return InlineKeyboardMarkup(
        [
            [
                InlineKeyboardButton(
                    t.gettext("↩️ Back to the list"), callback_data=encode(OfficersPage(0))
                )
            ]
        ]
    )


def revoked_notice(t: Texts) -> str:
    return t.gettext(
        "Your officer access to this bot has been withdrawn by the province admins. You no longer "
        "receive tips. You can still use the bot like any resident."
    )


# An officer's communes and groups -----------------------------------------------------------------


def my_communes(
    t: Texts,
    communes: CommuneDirectory,
    groups: dict[int, list[tuple[int, str | None]]],
    is_admin: bool,
) -> str:
    _ = t.gettext
    lines = [_("<b>Your communes</b>")]
    if not groups:
        lines.append(_("None yet. An admin can send you an invite for a commune."))
    for code, linked in groups.items():
        lines.append(f"• <b>{esc(communes.name(code))}</b>")
        if not linked:
            lines.append("   " + _("no group — send /linkgroup in the commune's group"))
        for chat_id, title in linked:
            lines.append("   " + _("group: {title}").format(title=esc(title or str(chat_id))))
    if is_admin:
        lines += ["", _("As an admin you also receive the province queue: tips with no commune.")]
    return fit_lines(lines, "…")


# Groups -------------------------------------------------------------------------------------------


def link_usage(t: Texts) -> str:
    return t.gettext(
        "Send /linkgroup followed by the commune or ward whose tips this group should receive — "
        "for example <code>/linkgroup {example}</code>."
    ).format(example=EXAMPLE_COMMUNE)


def linked(t: Texts, commune: str) -> str:
    return t.gettext(
        "✅ This group now receives the tips of <b>{commune}</b>. Everyone in it will see them: "
        "keep its members to the commune's officers."
    ).format(commune=esc(commune))


def link_refused(t: Texts, communes: CommuneDirectory, own: Iterable[int]) -> str:
    own = list(own)
    text = t.gettext("Sorry, only an officer of that commune or an admin can link it to a group.")
    if own:
        text += " " + t.gettext("Your communes: {communes}.").format(
            communes=commune_list(communes, own)
        )
    return text


def link_public(t: Texts) -> str:
    return t.gettext(
        "Sorry, this group is public (it has an @username): anyone can join it and would read "
        "every tip. Link a private group, or make this one private first."
    )


def went_public(t: Texts) -> str:
    """Said in a linked group found public when a tip was about to go there."""
    return t.gettext(
        "This group has become public (it has an @username): anyone can join it, so it no "
        "longer receives tips. Make it private again, then send /linkgroup here."
    )


def not_linked(t: Texts) -> str:
    return t.gettext("This group does not receive any commune's tips.")


def not_linked_to(t: Texts, communes: CommuneDirectory, linked_codes: Iterable[int]) -> str:
    return t.gettext(
        "This group does not receive that commune's tips. It receives the tips of: {communes}."
    ).format(communes=commune_list(communes, linked_codes))


def unlinked(t: Texts, communes: CommuneDirectory, done: Sequence[int], kept: Sequence[int]) -> str:
    _ = t.gettext
    lines = []
    if done:
        lines.append(
            _("This group no longer receives the tips of {communes}.").format(
                communes=commune_list(communes, done)
            )
        )
    if kept:
        lines.append(
            _(
                "Sorry, only their officers or an admin can stop the tips of {communes} here."
            ).format(communes=commune_list(communes, kept))
        )
    return "\n".join(lines)
