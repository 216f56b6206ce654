"""Errors a user can cause, each with the HTTP status it maps to. Pure Python: domain code may raise them."""

from __future__ import annotations

from typing import Any


class RelaisError(Exception):
    """Base of every error that is the caller's, not ours: never a 500."""

    status_code = 400
    code = "bad_request"

    def __init__(self, message: str, *, field: str | None = None, **details: Any) -> None:
        super().__init__(message)
        self.message = message
        self.field = field
        self.details = details

    def to_body(self) -> dict[str, Any]:
        """The JSON error body: a code, a sentence, and the field it concerns when there is one."""
        body: dict[str, Any] = {"error": self.code, "detail": self.message}
        if self.field:
            body["field"] = self.field
        body.update(self.details)
        return body


class NotFound(RelaisError):
    """Unknown id, or an id the caller may not see (never say which)."""

    status_code = 404
    code = "not_found"


class Conflict(RelaisError):
    """The request is valid but the current state forbids it (closed campaign, contact rule...)."""

    status_code = 409
    code = "conflict"


class Unprocessable(RelaisError):
    """The request is well-formed but its content is refused (e.g. idempotency key reused with another body)."""

    status_code = 422
    code = "unprocessable"


class Unauthorized(RelaisError):
    """No valid bearer token."""

    status_code = 401
    code = "unauthorized"


class Forbidden(RelaisError):
    """The role may not use this route at all (no data is revealed by saying so)."""

    status_code = 403
    code = "forbidden"
