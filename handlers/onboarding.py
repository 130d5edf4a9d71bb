"""Onboarding staff: invites, joining, the officers list and revocation, commune groups.

Admins: /invite <commune> and /officers, in a private chat. Anyone holding an invite link:
/start inv_<token>. Officers: /mycommunes (private chat); /linkgroup and /unlinkgroup in the
commune's Telegram group. A button's data only says what was pressed: who pressed it is checked
again by bot/onboarding.py and bot/authz.py every time.
"""

from __future__ import annotations

import logging
import re
from html import unescape
from typing import cast

from telegram import (
    Bot,
    BotCommandScopeAllGroupChats,
    BotCommandScopeChat,
    ChatMember,
    ChatMemberRestricted,
    ChatMemberUpdated,
    Update,
)
from telegram.error import TelegramError
from telegram.ext import (
    Application,
    CallbackQueryHandler,
    ChatMemberHandler,
    CommandHandler,
    MessageHandler,
    filters,
)

from bot import authz, bulletins, onboarding
from bot.authz import Role, Staff
from bot.context import RUNTIME_KEY, TipbotContext
from bot.i18n import LANGUAGES, Texts, texts
from bot.language import language_of
from bot.onboarding import Ambiguous, Found, NotAllowed, NotFound
from bot.refusals import Refused
from bot.runtime import Runtime
from bot.telegram_errors import Verdict, classify
from handlers import onboarding_views as views
from handlers.access import staff_only
from handlers.callbacks import (
    AskRevokeOfficer,
    InviteCommune,
    LinkCommune,
    OfficersPage,
    RevokeOfficer,
    pattern,
    received,
)
from handlers.common import (
    answer_callback,
    chat_of,
    edit_callback_message,
    message_of,
    query_of,
    user_of,
    user_texts,
)

log = logging.getLogger(__name__)

PRIVATE = filters.ChatType.PRIVATE
GROUPS = filters.ChatType.GROUPS
INVITE_PAYLOAD = filters.Regex(r"^/start(?:@\w+)?\s+inv_")
_TAG = re.compile(r"</?[a-z]+>")


def _argument(context: TipbotContext) -> str:
    return " ".join(context.args or []).strip()


async def _refuse_callback(update: Update, text: str) -> None:
    await query_of(update).answer(text, show_alert=True)


# /invite ---------------------------------------------------------------------------------------


@staff_only(Role.ADMIN, "officer.invite")
async def invite_cmd(update: Update, context: TipbotContext, staff: Staff) -> None:
    runtime, t, user = context.runtime, await user_texts(update, context), user_of(update)
    reply = message_of(update).reply_text
    await onboarding.remember_staff(runtime, staff, user.full_name, user.language_code)
    query = _argument(context)
    if not query:
        await reply(views.invite_usage(t))
        return
    match onboarding.resolve_commune(runtime.communes, query):
        case Found(code):
            await reply(await _new_invite(context, user.id, code, t))
        case Ambiguous(matches):
            await reply(
                views.pick_commune(t),
                reply_markup=views.commune_buttons(matches, InviteCommune),
            )
        case _:
            await reply(views.commune_not_found(t, query))


@staff_only(Role.ADMIN, "officer.invite")
async def invite_pick_callback(update: Update, context: TipbotContext, staff: Staff) -> None:
    runtime, t = context.runtime, await user_texts(update, context)
    code = received(update, InviteCommune).commune_code
    if runtime.communes.get(code) is None:
        await _refuse_callback(update, t.gettext("This button no longer works. Send /start."))
        return
    await answer_callback(update)
    await edit_callback_message(update, await _new_invite(context, user_of(update).id, code, t))


async def _new_invite(context: TipbotContext, admin_id: int, code: int, t: Texts) -> str:
    runtime = context.runtime
    invite = await onboarding.create_invite(
        runtime, code, created_by=admin_id, actor_id=admin_id, via="telegram"
    )
    expires = t.datetime_from_timestamp(invite.expires_at, runtime.config.timezone)
    link = invite.link(context.bot.username)
    return views.invite_text(t, runtime.communes.name(code), link, expires)


# /start inv_<token> ----------------------------------------------------------------------------


async def join_cmd(update: Update, context: TipbotContext) -> None:
    runtime, t, user = context.runtime, await user_texts(update, context), user_of(update)
    result = await onboarding.redeem(runtime, _argument(context), user.id, user.full_name)
    if isinstance(result, Refused):
        await message_of(update).reply_text(views.join_refused(t, result.reason))
        return
    commune = runtime.communes.name(result.commune_code)
    await onboarding.remember_language(runtime, user.id, user.language_code)
    await set_chat_commands(context.bot, runtime, user.id)  # the menu is ready with the welcome
    await message_of(update).reply_text(
        views.welcome_officer(t, user.full_name, commune, runtime.is_admin(user.id))
    )
    inviter = texts(await language_of(runtime, result.invited_by, None))
    await _tell(
        context.bot,
        result.invited_by,
        views.joined_notice(inviter, user.full_name, user.id, commune),
    )


async def _tell(bot: Bot, chat_id: int, text: str) -> None:
    """A courtesy message (to an inviter, to a revoked officer): its failure changes nothing."""
    try:
        await bot.send_message(chat_id, text)
    except TelegramError as error:
        log.info("event=notice_not_sent error=%s", type(error).__name__)


# /officers and revoking ------------------------------------------------------------------------


@staff_only(Role.ADMIN, "officer.list")
async def officers_cmd(update: Update, context: TipbotContext, staff: Staff) -> None:
    runtime, t, user = context.runtime, await user_texts(update, context), user_of(update)
    await onboarding.remember_staff(runtime, staff, user.full_name, user.language_code)
    entries = await onboarding.officer_entries(runtime)
    text, markup = views.officers_page(t, runtime.communes, entries, 0)
    await message_of(update).reply_text(text, reply_markup=markup)


@staff_only(Role.ADMIN, "officer.list")
async def officers_page_callback(update: Update, context: TipbotContext, staff: Staff) -> None:
    runtime, t = context.runtime, await user_texts(update, context)
    await answer_callback(update)
    page = received(update, OfficersPage).page
    entries = await onboarding.officer_entries(runtime)
    text, markup = views.officers_page(t, runtime.communes, entries, page)
    await edit_callback_message(update, text, reply_markup=markup)


@staff_only(Role.ADMIN, "officer.revoke")
async def revoke_ask_callback(update: Update, context: TipbotContext, staff: Staff) -> None:
    runtime, t = context.runtime, await user_texts(update, context)
    officer_id = received(update, AskRevokeOfficer).officer_id
    entry = await onboarding.officer_entry(runtime, officer_id)
    if refused := onboarding.revocation_refused(entry):
        await _refuse_callback(update, _plain(views.revoke_refused(t, refused.reason, entry)))
        return
    assert entry is not None  # (a missing one was refused just above)
    await answer_callback(update)
    text, markup = views.confirm_revoke(t, runtime.communes, entry)
    await edit_callback_message(update, text, reply_markup=markup)


async def revoke_yes_callback(update: Update, context: TipbotContext) -> None:
    runtime, t = context.runtime, await user_texts(update, context)
    officer_id = received(update, RevokeOfficer).officer_id
    entry = await onboarding.officer_entry(runtime, officer_id)
    result = await onboarding.revoke(runtime, user_of(update).id, officer_id)
    if isinstance(result, Refused):
        await _refuse_callback(update, _plain(views.revoke_refused(t, result.reason, entry)))
        return
    await answer_callback(update)
    assert entry is not None  # revoke() found them
    still_in = await groups_still_holding(context.bot, runtime, entry)
    if still_in:
        await authz.record(
            runtime, "officer.revoke.still_member", user_of(update).id,
            officer=officer_id, chats=[chat_id for _code, chat_id, _title in still_in],
        )  # fmt: skip
    await edit_callback_message(
        update,
        views.revoked(t, runtime.communes, entry, result.ended, still_in),
        reply_markup=views.back_to_list(t),
    )
    await set_chat_commands(context.bot, runtime, officer_id)
    officer_texts = texts(await language_of(runtime, officer_id, None))
    await _tell(context.bot, officer_id, views.revoked_notice(officer_texts))


async def groups_still_holding(
    bot: Bot, runtime: Runtime, entry: onboarding.OfficerEntry
) -> list[tuple[int, int, str | None]]:
    """The groups of a revoked officer's communes (linked by other officers, so they still get
    the tips) that Telegram says he is still a member of, as (commune, chat id, title). A group
    Telegram won't answer about is listed too: better one check too many for the admin.
    The bot does not remove him itself: it is rarely an admin of the group, and whom a commune
    keeps in its own group is for its officers to decide once the admin tells them."""
    found = []
    for code, links in (await onboarding.groups_of_communes(runtime, entry.communes)).items():
        for chat_id, title in links:
            try:
                member = await bot.get_chat_member(chat_id, entry.officer.user_id)
            except TelegramError as error:
                log.warning(
                    "no answer on a revoked officer's membership (%s)", type(error).__name__
                )
            else:
                if not is_member(member):
                    continue
            found.append((code, chat_id, title))
    return found


def is_member(member: ChatMember) -> bool:
    """Still in the group, as Telegram reports it (a restricted member may have left)."""
    if isinstance(member, ChatMemberRestricted):
        return member.is_member
    return member.status in (ChatMember.MEMBER, ChatMember.ADMINISTRATOR, ChatMember.OWNER)


def _plain(html: str) -> str:
    """Callback alerts show plain text, at most 200 characters."""
    return unescape(_TAG.sub("", html))[:200]


# /mycommunes -----------------------------------------------------------------------------------


@staff_only(Role.OFFICER, "officer.mycommunes")
async def mycommunes_cmd(update: Update, context: TipbotContext, staff: Staff) -> None:
    runtime, t, user = context.runtime, await user_texts(update, context), user_of(update)
    await onboarding.remember_staff(runtime, staff, user.full_name, user.language_code)
    groups = await onboarding.groups_of_communes(runtime, sorted(staff.communes))
    await message_of(update).reply_text(
        views.my_communes(t, runtime.communes, groups, staff.is_admin)
    )


# /linkgroup and /unlinkgroup, in a group -------------------------------------------------------


@staff_only(Role.OFFICER, "group.link")
async def linkgroup_cmd(update: Update, context: TipbotContext, staff: Staff) -> None:
    runtime, t, user = context.runtime, await user_texts(update, context), user_of(update)
    user_id = user.id
    reply = message_of(update).reply_text
    chat_id = chat_of(update).id
    query = _argument(context)
    choice = onboarding.commune_for_staff(runtime.communes, staff, query)
    match choice:
        case Found(code):
            await reply((await _link(update, context, code, t))[1])
        case Ambiguous(matches):
            await reply(
                views.pick_commune(t), reply_markup=views.commune_buttons(matches, LinkCommune)
            )
        case NotAllowed(codes):
            await authz.record(
                runtime, "denied.group.link", user_id, communes=list(codes), chat=chat_id
            )
            await reply(views.link_refused(t, runtime.communes, sorted(staff.communes)))
        case NotFound():
            await reply(views.commune_not_found(t, query) if query else views.link_usage(t))


async def link_pick_callback(update: Update, context: TipbotContext) -> None:
    t = await user_texts(update, context)
    code = received(update, LinkCommune).commune_code
    if context.runtime.communes.get(code) is None:
        await _refuse_callback(update, t.gettext("This button no longer works. Send /start."))
        return
    done, text = await _link(update, context, code, t)
    if not done:
        await _refuse_callback(update, _plain(text))
        return
    await answer_callback(update)
    await edit_callback_message(update, text)


async def _link(update: Update, context: TipbotContext, code: int, t: Texts) -> tuple[bool, str]:
    """Links the group (the service checks the sender); the text for the group either way."""
    runtime, chat, user_id = context.runtime, chat_of(update), user_of(update).id
    public = bool(chat.username)
    if await onboarding.link_group(
        runtime, user_id, chat.id, chat.title, code, chat.type, public=public
    ):
        return True, views.linked(t, runtime.communes.name(code))
    staff = await authz.staff_member(runtime, user_id)
    if public and staff is not None and staff.covers(code):
        return False, views.link_public(t)
    return False, views.link_refused(t, runtime.communes, sorted(staff.communes) if staff else ())


@staff_only(Role.OFFICER, "group.unlink")
async def unlinkgroup_cmd(update: Update, context: TipbotContext, staff: Staff) -> None:
    runtime, t, user = context.runtime, await user_texts(update, context), user_of(update)
    user_id = user.id
    reply = message_of(update).reply_text
    chat_id = chat_of(update).id
    linked = await onboarding.communes_of_group(runtime, chat_id)
    if not linked:
        await reply(views.not_linked(t))
        return
    # Without a commune: the sender's own communes; if none is linked here, the refusal says so.
    targets = [code for code in linked if staff.covers(code)] or linked
    if query := _argument(context):
        choice = onboarding.resolve_commune(runtime.communes, query, linked)
        if not isinstance(choice, Found):
            await reply(views.not_linked_to(t, runtime.communes, linked))
            return
        targets = [choice.code]
    result = await onboarding.unlink_group(runtime, user_id, chat_id, targets)
    await reply(views.unlinked(t, runtime.communes, result.done, result.kept))


async def wrong_chat_cmd(update: Update, context: TipbotContext) -> None:
    t = await user_texts(update, context)
    private = chat_of(update).type == "private"
    await message_of(update).reply_text(views.group_only(t) if private else views.private_only(t))


# Command menus ---------------------------------------------------------------------------------


async def set_chat_commands(bot: Bot, runtime: Runtime, user_id: int) -> bool:
    """The user's own command menu, in their chat only: an officer's or an admin's, or none (they
    see the residents' menu again). Telegram picks the list of the user's app language, else the
    one without a language, which is in the language the bot speaks to them."""
    from handlers import admin_commands, officer_commands  # handlers/__init__ imports this module

    staff = await authz.staff_member(runtime, user_id)
    scope = BotCommandScopeChat(user_id)
    own = await language_of(runtime, user_id, None)
    try:
        for code, language in ((None, own), *((lang, lang) for lang in LANGUAGES)):
            if staff is None:
                await bot.delete_my_commands(scope=scope, language_code=code)
                continue
            commands = admin_commands if staff.is_admin else officer_commands
            await bot.set_my_commands(commands(texts(language)), scope=scope, language_code=code)
    except TelegramError as error:
        if classify(error) in (Verdict.WAIT, Verdict.RETRY):
            log.warning("event=chat_commands_failed error=%s", type(error).__name__)
        else:  # mostly "chat not found": they never opened the bot; they will, through an invite
            log.debug("event=chat_commands_skipped error=%s", error.message)
        return False
    return True


async def publish_staff_commands(application: Application) -> None:
    """At start-up: the menus of every active officer and admin, and the menu in groups.

    One chat that cannot be reached is skipped; start-up never fails on a menu.
    """
    from handlers import group_commands  # handlers/__init__ imports this module

    bot, runtime = application.bot, application.bot_data[RUNTIME_KEY]
    try:
        scope = BotCommandScopeAllGroupChats()
        await bot.set_my_commands(group_commands(texts(runtime.config.default_language)), scope)
        for language in LANGUAGES:
            await bot.set_my_commands(group_commands(texts(language)), scope, language)
    except TelegramError as error:
        log.warning("event=group_commands_failed error=%s", type(error).__name__)
    done = skipped = 0
    for user_id in await onboarding.staff_ids(runtime):
        if await set_chat_commands(bot, runtime, user_id):
            done += 1
        else:
            skipped += 1
    log.info("event=staff_commands_published staff=%d skipped=%d", done, skipped)


async def membership_changed(update: Update, context: TipbotContext) -> None:
    """The bot's own membership in a chat changed. In a group, removed or kicked means unlinked.
    In a private chat, "kicked" means the person blocked the bot: their bulletins stop now
    rather than at the next broadcast's refusal (unblocking does not subscribe them again)."""
    change = cast(ChatMemberUpdated, update.my_chat_member)  # what MY_CHAT_MEMBER handles
    status = change.new_chat_member.status
    if change.chat.type == "private":
        if status == "kicked":
            await bulletins.bot_blocked(context.runtime, change.chat.id)
    elif change.chat.type in ("group", "supergroup") and status in ("left", "kicked"):
        await onboarding.bot_left_group(context.runtime, change.chat.id)


async def group_migrated(update: Update, context: TipbotContext) -> None:
    """A group was upgraded to a supergroup, which has a new id. Telegram posts a service
    message in each: the old group's names the new id, the supergroup's the old one. Whichever
    comes (first, or alone), the group's links move to the new id."""
    message = message_of(update)
    if message.migrate_to_chat_id:
        old, new = message.chat.id, message.migrate_to_chat_id
    elif message.migrate_from_chat_id:
        old, new = message.migrate_from_chat_id, message.chat.id
    else:
        return
    await onboarding.group_moved(context.runtime, old, new)


HANDLERS = [
    ChatMemberHandler(membership_changed, ChatMemberHandler.MY_CHAT_MEMBER),
    MessageHandler(filters.StatusUpdate.MIGRATE, group_migrated),
    CommandHandler("start", join_cmd, filters=PRIVATE & INVITE_PAYLOAD),
    CommandHandler("invite", invite_cmd, filters=PRIVATE),
    CommandHandler("officers", officers_cmd, filters=PRIVATE),
    CommandHandler("mycommunes", mycommunes_cmd, filters=PRIVATE),
    CommandHandler("linkgroup", linkgroup_cmd, filters=GROUPS),
    CommandHandler("unlinkgroup", unlinkgroup_cmd, filters=GROUPS),
    CommandHandler(["invite", "officers", "mycommunes"], wrong_chat_cmd, filters=GROUPS),
    CommandHandler(["linkgroup", "unlinkgroup"], wrong_chat_cmd, filters=PRIVATE),
    CallbackQueryHandler(invite_pick_callback, pattern=pattern(InviteCommune)),
    CallbackQueryHandler(link_pick_callback, pattern=pattern(LinkCommune)),
    CallbackQueryHandler(officers_page_callback, pattern=pattern(OfficersPage)),
    CallbackQueryHandler(revoke_yes_callback, pattern=pattern(RevokeOfficer)),
    CallbackQueryHandler(revoke_ask_callback, pattern=pattern(AskRevokeOfficer)),
]
