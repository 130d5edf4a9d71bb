"""Reply markup as Telegram checks it: inline and reply keyboards, their removal, force reply.

Each parser returns the markup normalised to the fields Telegram keeps, or raises the 400 Telegram
gives. Stricter than Telegram in one place: a button with two actions (say url and callback_data)
is rejected, where Telegram silently keeps the first one it looks at.
"""

from typing import Any

from sandbox.errors import bad_request

INLINE_ACTIONS = (
    "url",
    "callback_data",
    "web_app",
    "login_url",
    "switch_inline_query",
    "switch_inline_query_current_chat",
    "switch_inline_query_chosen_chat",
    "copy_text",
    "callback_game",
    "pay",
)
KEYBOARD_REQUESTS = (
    "request_contact",
    "request_location",
    "request_poll",
    "request_users",
    "request_chat",
    "web_app",
)
_BUTTON_URL_SCHEMES = ("http://", "https://", "tg://")


def parse_reply_markup(raw: Any) -> dict[str, Any] | None:
    """Any of the four markups a send method takes."""
    if raw is None:
        return None
    if not isinstance(raw, dict):
        raise bad_request("object expected as reply markup")
    if "inline_keyboard" in raw:
        return parse_inline_keyboard(raw)
    if "keyboard" in raw:
        return _reply_keyboard(raw)
    if raw.get("remove_keyboard") is True:
        return {"remove_keyboard": True, **_flags(raw, "selective")}
    if raw.get("force_reply") is True:
        return {"force_reply": True, **_placeholder(raw), **_flags(raw, "selective")}
    raise bad_request("can't parse reply keyboard markup JSON object")


def parse_inline_keyboard(raw: Any) -> dict[str, Any]:
    rows = raw.get("inline_keyboard") if isinstance(raw, dict) else None
    if not isinstance(rows, list) or not all(isinstance(row, list) for row in rows):
        raise bad_request(
            'field "inline_keyboard" of the InlineKeyboardMarkup must be an Array of Arrays'
        )
    return {"inline_keyboard": [[_inline_button(b) for b in row] for row in rows if row]}


def inline_buttons(markup: dict[str, Any] | None) -> list[dict[str, Any]]:
    if not markup or "inline_keyboard" not in markup:
        return []
    return [button for row in markup["inline_keyboard"] for button in row]


def _inline_button(button: Any) -> dict[str, Any]:
    def invalid(reason: str) -> Exception:
        return bad_request(f"can't parse inline keyboard button: {reason}")

    if not isinstance(button, dict):
        raise invalid("InlineKeyboardButton must be an Object")
    if "text" not in button:
        raise invalid('Can\'t find field "text"')
    text = button["text"]
    if not isinstance(text, str):
        raise invalid('Field "text" must be of type String')
    if not text.strip():
        raise bad_request("text buttons are unallowed in the inline keyboard")
    actions = [name for name in INLINE_ACTIONS if name in button]
    if not actions:
        raise invalid("Text buttons are unallowed in the inline keyboard")
    if len(actions) > 1:
        raise invalid(f"a button must have exactly one action, found {', '.join(actions)}")
    action = actions[0]
    value = button[action]
    if action == "callback_data" and not (
        isinstance(value, str) and 1 <= len(value.encode("utf-8")) <= 64
    ):
        raise bad_request("BUTTON_DATA_INVALID")
    if action == "url" and not _valid_button_url(value):
        raise bad_request(f"inline keyboard button URL '{value}' is invalid: Wrong HTTP URL")
    return {"text": text, action: value}


def _valid_button_url(url: Any) -> bool:
    if not isinstance(url, str) or any(c.isspace() for c in url):
        return False
    lowered = url.lower()
    scheme = next((s for s in _BUTTON_URL_SCHEMES if lowered.startswith(s)), None)
    return scheme is not None and len(url) > len(scheme)


def _reply_keyboard(raw: dict[str, Any]) -> dict[str, Any]:
    rows = raw["keyboard"]
    if not isinstance(rows, list) or not all(isinstance(row, list) for row in rows):
        raise bad_request('field "keyboard" of the ReplyKeyboardMarkup must be an Array of Arrays')
    keyboard = [[_keyboard_button(b) for b in row] for row in rows if row]
    if not keyboard:
        raise bad_request("keyboard must be non-empty")
    return {
        "keyboard": keyboard,
        **_flags(raw, "is_persistent", "resize_keyboard", "one_time_keyboard", "selective"),
        **_placeholder(raw),
    }


def _keyboard_button(button: Any) -> dict[str, Any]:
    if isinstance(button, str):
        button = {"text": button}
    if not isinstance(button, dict) or not isinstance(button.get("text"), str):
        raise bad_request('can\'t parse keyboard button: Field "text" must be of type String')
    if not button["text"].strip():
        raise bad_request("can't parse keyboard button: button text must be non-empty")
    requests = [name for name in KEYBOARD_REQUESTS if button.get(name)]
    if len(requests) > 1:
        raise bad_request(
            f"can't parse keyboard button: a button can request one thing, found "
            f"{', '.join(requests)}"
        )
    return {"text": button["text"], **{name: button[name] for name in requests}}


def _flags(raw: dict[str, Any], *names: str) -> dict[str, bool]:
    return {name: True for name in names if raw.get(name) is True}


def _placeholder(raw: dict[str, Any]) -> dict[str, str]:
    placeholder = raw.get("input_field_placeholder")
    if placeholder is None:
        return {}
    if not isinstance(placeholder, str) or not 1 <= len(placeholder) <= 64:
        raise bad_request("input field placeholder must be 1-64 characters long")
    return {"input_field_placeholder": placeholder}
