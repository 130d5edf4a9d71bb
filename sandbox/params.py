"""A Bot API request's parameters, from the query string and a JSON, urlencoded or multipart body.

python-telegram-bot sends form data in which every value is a string and nested objects are JSON
strings; a JSON body carries real types. Both are normalised to the same values here, so the
methods and ``CallRecord.params`` see ``chat_id`` as an int whichever way it came. Free-text
parameters stay strings even when they look like JSON (a message text "42" is not the number 42).
"""

import json
from typing import Any

from aiohttp import web
from aiohttp.web_request import FileField

from sandbox.errors import bad_request
from sandbox.files import Upload

_FREE_TEXT = frozenset(
    {
        "text", "caption", "callback_query_id", "inline_message_id", "description",
        "short_description", "name", "title", "url", "secret_token", "parse_mode", "action",
        "language_code", "file_id", "question", "address", "phone_number", "first_name",
        "last_name", "performer", "emoji", "data", "query",
    }
)  # fmt: skip


class Params:
    def __init__(self, values: dict[str, Any], uploads: dict[str, Upload] | None = None):
        self.values = values
        self.uploads = uploads or {}

    @classmethod
    def from_form(cls, raw: dict[str, str], uploads: dict[str, Upload]) -> "Params":
        return cls({name: _decoded(name, value) for name, value in raw.items()}, uploads)

    def record(self) -> dict[str, Any]:
        """The parameters as a CallRecord keeps them: uploads shown by name and size."""
        shown = dict(self.values)
        for name, upload in self.uploads.items():
            shown[name] = {"upload": upload.filename, "size": len(upload.data)}
        return shown

    def has(self, name: str) -> bool:
        return self.values.get(name) not in (None, "")

    def text(self, name: str) -> str | None:
        value = self.values.get(name)
        return None if value is None else str(value)

    def required_text(self, name: str) -> str:
        if not self.has(name):
            raise bad_request(f"{name} is empty")
        return str(self.values[name])

    def integer(self, name: str, default: int | None = None) -> int | None:
        value = self.values.get(name)
        if value in (None, ""):
            return default
        if isinstance(value, bool) or not isinstance(value, int | str):
            raise bad_request(f'field "{name}" must be of type Integer')
        try:
            return int(value)
        except ValueError:
            raise bad_request(f'field "{name}" must be of type Integer') from None

    def required_integer(self, name: str) -> int:
        value = self.integer(name)
        if value is None:
            raise bad_request(f"{name} is empty")
        return value

    def number(self, name: str) -> float:
        value = self.values.get(name)
        if isinstance(value, bool):
            value = None
        try:
            return float(value)  # type: ignore[arg-type]  # anything not a number is refused below
        except (TypeError, ValueError):
            raise bad_request(f'field "{name}" must be of type Float') from None

    def flag(self, name: str) -> bool:
        return self.values.get(name) in (True, "true", "True", "1", 1)

    def json(self, name: str, what: str) -> Any:
        """A nested object; a string that is not JSON fails as "can't parse <what> JSON object"."""
        value = self.values.get(name)
        if isinstance(value, str) and value:
            try:
                return json.loads(value)
            except ValueError:
                raise bad_request(f"can't parse {what} JSON object") from None
        return value if value != "" else None

    def file(self, name: str) -> Upload | str | None:
        """A file parameter: a multipart upload (directly or via attach://) or a file_id."""
        if name in self.uploads:
            return self.uploads[name]
        value = self.text(name)
        return self.attached(value) if value else None

    def attached(self, value: str) -> Upload | str:
        if value.startswith("attach://"):
            upload = self.uploads.get(value.removeprefix("attach://"))
            if upload is None:
                raise bad_request(f"can't find the attached file {value}")
            return upload
        return value


def _decoded(name: str, value: str) -> Any:
    if name in _FREE_TEXT:
        return value
    try:
        decoded = json.loads(value)
    except ValueError:
        return value
    return decoded if isinstance(decoded, dict | list | bool | int | float) else value


async def read_params(request: web.Request) -> Params:
    """Parameters as Telegram reads them: query string plus the body, whatever its encoding."""
    raw: dict[str, str] = dict(request.query)
    uploads: dict[str, Upload] = {}
    if request.content_type == "application/json" and request.body_exists:
        try:
            body = await request.json()
        except ValueError:
            raise bad_request("can't parse JSON object") from None
        if not isinstance(body, dict):
            raise bad_request("can't parse JSON object")
        return Params({**Params.from_form(raw, {}).values, **body})
    if request.content_type in ("application/x-www-form-urlencoded", "multipart/form-data"):
        for name, value in (await request.post()).items():
            if isinstance(value, FileField):
                uploads[name] = Upload(value.filename, value.file.read(), value.content_type)
            else:
                raw[name] = value if isinstance(value, str) else bytes(value).decode()
    return Params.from_form(raw, uploads)
