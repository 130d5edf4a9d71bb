"""The baseline of bench/intake.py: the least a PTB bot can do per update (echo the text), with
the same PTB version, defaults and rate limiter as tipbot, on the same sandbox."""

from __future__ import annotations

import os

from telegram import Update
from telegram.constants import ParseMode
from telegram.ext import AIORateLimiter, ApplicationBuilder, Defaults, MessageHandler, filters

from bot.config import file_url_for


async def echo(update: Update, _context) -> None:
    await update.effective_message.reply_text(update.effective_message.text)


def main() -> None:
    api_url = os.environ["TIPBOT_API_URL"]
    application = (
        ApplicationBuilder()
        .token(os.environ["TIPBOT_TOKEN"])
        .base_url(api_url)
        .base_file_url(file_url_for(api_url))
        .defaults(Defaults(parse_mode=ParseMode.HTML))
        .rate_limiter(
            AIORateLimiter(
                overall_max_rate=int(os.environ.get("TIPBOT_MAX_MESSAGES_PER_SECOND", "30")),
                overall_time_period=1,
                max_retries=3,
            )
        )
        .concurrent_updates(True)
        .build()
    )
    application.add_handler(MessageHandler(filters.TEXT, echo))
    application.run_polling(allowed_updates=Update.ALL_TYPES)


if __name__ == "__main__":
    main()
