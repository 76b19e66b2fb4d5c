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


class RateLimited(DomainError):
    """429 with Retry-After seconds (the API reads ``retry_after``)."""

    kind = "rate_limited"

    def __init__(self, retry_after: int, message: str = "操作过于频繁，请稍后再试",
                 code: str = "RATE_LIMITED") -> None:
        super().__init__(code, message)
        self.retry_after = max(1, int(retry_after))
