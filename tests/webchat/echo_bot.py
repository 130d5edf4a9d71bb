"""A tiny python-telegram-bot bot that exercises what the web chat shows.

/start -> HTML greeting with an inline keyboard (and a deep link's payload); a button -> answer +
edit in place; "kb" -> a reply keyboard (location, contact, plain); "Hủy" removes it; "link" ->
links that start the bot; locations, contacts, photos and documents are acknowledged (a photo is
sent back by file_id); any other text is echoed, escaped.
"""

from html import escape

from telegram import (
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    KeyboardButton,
    ReplyKeyboardMarkup,
    ReplyKeyboardRemove,
    Update,
)
from telegram.constants import ParseMode
from telegram.ext import (
    Application,
    CallbackQueryHandler,
    CommandHandler,
    ContextTypes,
    Defaults,
    MessageHandler,
    filters,
)

START_TEXT = "Xin chào"
INVITE_LINK = "https://t.me/tipbot_demo_bot?start=inv_A1"
INVITE_TG = "tg://resolve?domain=tipbot_demo_bot&start=inv_B2"


def start_keyboard() -> InlineKeyboardMarkup:
    return InlineKeyboardMarkup(
        [
            [InlineKeyboardButton("📝 Gửi tin báo", callback_data="tip")],
            [
                InlineKeyboardButton("🌐 Ngôn ngữ", callback_data="lang"),
                InlineKeyboardButton("❓ Trợ giúp", callback_data="help"),
            ],
            [InlineKeyboardButton("Trang web", url="https://example.org/")],
        ]
    )


def reply_keyboard() -> ReplyKeyboardMarkup:
    return ReplyKeyboardMarkup(
        [
            [KeyboardButton("📍 Gửi vị trí", request_location=True)],
            [KeyboardButton("☎️ Gửi số điện thoại", request_contact=True), "Hủy"],
        ],
        resize_keyboard=True,
        one_time_keyboard=True,
        input_field_placeholder="Tên xã hoặc phường",
    )


async def start(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    name = escape(update.effective_user.first_name)
    opened = f"\nMở bằng liên kết: <code>{escape(context.args[0])}</code>" if context.args else ""
    await update.effective_message.reply_text(
        f"<b>{START_TEXT}, {name}!</b>\nĐây là bot thử: chọn một mục <i>bên dưới</i>.{opened}",
        reply_markup=start_keyboard(),
    )


async def pressed(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    query = update.callback_query
    await query.answer(f"Đã chọn {query.data}", show_alert=query.data == "help")
    await query.edit_message_text(f"Bạn đã chọn <b>{escape(query.data)}</b>.")


async def text(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    message = update.effective_message
    if message.text == "kb":
        await message.reply_text("Bạn ở đâu?", reply_markup=reply_keyboard())
    elif message.text == "link":  # an invite, as the bot's /invite gives one
        await message.reply_text(
            f'Lời mời: <a href="{INVITE_LINK}">mở bot</a>',
            reply_markup=InlineKeyboardMarkup(
                [[InlineKeyboardButton("Mở trong Telegram", url=INVITE_TG)]]
            ),
        )
    elif message.text == "Hủy":
        await message.reply_text("Đã hủy.", reply_markup=ReplyKeyboardRemove())
    else:
        await message.reply_text(f"Bạn viết: {escape(message.text)}")


async def location(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    where = update.effective_message.location
    await update.effective_message.reply_text(
        f"Vị trí: {where.latitude:.4f}, {where.longitude:.4f}", reply_markup=ReplyKeyboardRemove()
    )


async def contact(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    phone = update.effective_message.contact.phone_number
    await update.effective_message.reply_text(f"Số điện thoại: {escape(phone)}")


async def photo(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    message = update.effective_message
    caption = escape(message.caption or "")
    await message.reply_photo(message.photo[-1].file_id, caption=f"Đã nhận ảnh <i>{caption}</i>")


async def document(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    name = escape(update.effective_message.document.file_name or "?")
    await update.effective_message.reply_text(f"Đã nhận tệp {name}")


def build(token: str, base_url: str, base_file_url: str) -> Application:
    app = (
        Application.builder()
        .token(token)
        .base_url(base_url)
        .base_file_url(base_file_url)
        .defaults(Defaults(parse_mode=ParseMode.HTML))
        .build()
    )
    app.add_handler(CommandHandler("start", start))
    app.add_handler(CallbackQueryHandler(pressed))
    app.add_handler(MessageHandler(filters.LOCATION, location))
    app.add_handler(MessageHandler(filters.CONTACT, contact))
    app.add_handler(MessageHandler(filters.PHOTO, photo))
    app.add_handler(MessageHandler(filters.Document.ALL, document))
    app.add_handler(MessageHandler(filters.TEXT & ~filters.COMMAND, text))
    return app
