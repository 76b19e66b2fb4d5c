"""Domain errors: a stable code, an HTTP-agnostic kind, and a Chinese message for the user."""
from __future__ import annotations


class DomainError(Exception):
    """kind is one of: invalid (400), forbidden (403), not_found (404), conflict (409),
    unavailable (503). The API and the web pages translate kinds in one place each."""

    kind = "conflict"

    def __init__(self, code: str, message: str, fields: dict[str, str] | None = None) -> None:
        super().__init__(message)
        self.code = code
        self.message = message
        self.fields = fields or {}


class InvalidInput(DomainError):
    kind = "invalid"


class Forbidden(DomainError):
    kind = "forbidden"


class NotFound(DomainError):
    kind = "not_found"


class Conflict(DomainError):
    kind = "conflict"


class Unavailable(DomainError):
    kind = "unavailable"
