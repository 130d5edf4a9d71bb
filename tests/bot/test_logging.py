import io
import logging

from bot.logging_setup import REDACTED, configure_logging, secrets_of_token

TOKEN = "987654:SECRETsecretSECRETsecret_-x"


def test_token_redacted_in_message_args_and_traceback():
    stream = io.StringIO()
    configure_logging("DEBUG", secrets_of_token(TOKEN), stream=stream)
    log = logging.getLogger("httpx")
    log.info('HTTP Request: POST https://api.telegram.org/bot%s/getMe "200 OK"', TOKEN)
    log.debug("secret half alone: %s", TOKEN.split(":")[1])
    try:
        raise RuntimeError(f"connect failed for https://api.telegram.org/bot{TOKEN}/getUpdates")
    except RuntimeError:
        logging.getLogger("telegram.ext").exception("network error")
    output = stream.getvalue()
    assert TOKEN not in output
    assert TOKEN.split(":")[1] not in output
    assert output.count(REDACTED) >= 3
    assert "level=INFO logger=httpx" in output
