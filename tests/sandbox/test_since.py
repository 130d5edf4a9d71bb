"""`bot_messages_since`: what the bot sent or edited in a chat after a version."""

import telegram


async def test_bot_messages_since_a_version_lists_sends_and_edits(sb, tg: telegram.Bot, lan):
    first = await tg.send_message(lan.id, "một")
    version = sb.version
    await sb.send_text(lan, "user messages are not listed")
    await tg.send_message(lan.id, "hai")
    await tg.edit_message_text("một (sửa)", chat_id=lan.id, message_id=first.message_id)
    assert [m["text"] for m in sb.bot_messages_since(lan.id, version)] == ["hai", "một (sửa)"]
    assert sb.bot_messages_since(lan.id, sb.version) == []
    assert sb.bot_messages_since(-1, 0) == []  # a chat that never existed
