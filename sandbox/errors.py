"""The Bot API's error answer as an exception, raised anywhere below the HTTP layer.

Telegram answers every failure with ``{"ok": false, "error_code": N, "description": ...}`` and
the same N as HTTP status; python-telegram-bot looks only at the status, so the two must agree.
"""

from typing import Any


class ApiError(Exception):
    """A Bot API failure: the HTTP status, Telegram's description and optional parameters."""

    def __init__(self, status: int, description: str, parameters: dict[str, Any] | None = None):
        super().__init__(description)
        self.status = status
        self.description = description
        self.parameters = parameters

    def envelope(self) -> dict[str, Any]:
        body: dict[str, Any] = {
            "ok": False,
            "error_code": self.status,
            "description": self.description,
        }
        if self.parameters:
            body["parameters"] = self.parameters
        return body


def bad_request(detail: str) -> ApiError:
    return ApiError(400, f"Bad Request: {detail}")


def forbidden(detail: str) -> ApiError:
    return ApiError(403, f"Forbidden: {detail}")


def too_many_requests(retry_after: int) -> ApiError:
    return ApiError(
        429, f"Too Many Requests: retry after {retry_after}", {"retry_after": retry_after}
    )
