"""Updates that are not a user's message or button: channel posts and their edits, inline
queries (only with inline mode on), reactions."""

import pytest
import telegram

from tests.sandbox.conftest import drain


async def test_channel_posts_come_from_the_channel(sb, tg: telegram.Bot):
    owner = sb.add_user("Chủ kênh")
    channel = sb.add_channel("Tin An ninh Lâm Đồng", owner)
    [added] = await tg.get_updates()
    assert added.my_chat_member.new_chat_member.status == "administrator"
    assert added.my_chat_member.chat.type == "channel"
    await drain(tg)

    post = await sb.post_in_channel(owner, channel, "Cảnh báo lừa đảo /start")
    await sb.edit_channel_post(owner, channel, post["message_id"], "Cảnh báo lừa đảo (sửa)")
    first, second = await tg.get_updates()
    assert first.channel_post.text == "Cảnh báo lừa đảo /start"
    assert first.channel_post.from_user is None
    assert first.channel_post.sender_chat.id == channel.id
    assert first.effective_user is None and first.effective_chat.type == "channel"
    assert second.edited_channel_post.text == "Cảnh báo lừa đảo (sửa)"

    # The bot, an administrator, may post there; a forward of a post names the channel.
    await tg.send_message(channel.id, "Bản tin")
    lan = sb.add_user("Lan")
    await sb.send_text(lan, "/start")
    forwarded = await tg.forward_message(lan.id, channel.id, post["message_id"])
    assert forwarded.forward_origin.type == "channel"
    assert "Bản tin" in sb.world.describe_history(channel.id)


async def test_channels_refuse_what_clients_cannot_do(sb):
    owner, stranger = sb.add_user("Chủ kênh"), sb.add_user("Người lạ")
    channel = sb.add_channel("Kênh", owner)
    with pytest.raises(ValueError, match="not an admin"):
        await sb.post_in_channel(stranger, channel, "x")
    with pytest.raises(ValueError, match="is a channel"):
        await sb.send_text(owner, "x", chat=channel)
    group = sb.add_group("Nhóm", [owner])
    with pytest.raises(ValueError, match="not a channel"):
        await sb.post_in_channel(owner, group, "x")


async def test_inline_queries_need_inline_mode(sb, tg: telegram.Bot):
    lan = sb.add_user("Lan", language_code="vi")
    assert not (await tg.get_me()).supports_inline_queries
    with pytest.raises(ValueError, match="inline mode"):
        await sb.inline_query(lan, "ma túy")
    sb.inline_mode = True
    assert (await tg.get_me()).supports_inline_queries
    query_id = await sb.inline_query(lan, "ma túy")
    [update] = await tg.get_updates()
    assert (update.inline_query.id, update.inline_query.query) == (query_id, "ma túy")
    assert update.effective_user.id == lan.id


async def test_reactions_in_private_chats_and_admin_groups(sb, tg: telegram.Bot, lan):
    sent = await tg.send_message(lan.id, "Chào")
    await drain(tg)
    await tg.get_updates(allowed_updates=["message_reaction", "message"])  # bots must ask
    await sb.react(lan, sent.message_id, "👍")
    [update] = await tg.get_updates()
    assert update.message_reaction.new_reaction[0].emoji == "👍"
    await drain(tg)
    member_group = sb.add_group("Nhóm", [lan])
    said = await sb.send_text(lan, "/start@tipbot_demo_bot", chat=member_group)
    await drain(tg)
    await sb.react(lan, said["message_id"], "🔥", chat=member_group)
    assert await tg.get_updates() == ()  # only admin bots hear of reactions in groups
