"""Response models shared by every endpoint: the error envelope, pages, simple acknowledgements."""
from __future__ import annotations

from typing import Optional

from pydantic import BaseModel, Field
from typing_extensions import Annotated

# A row id in a request: positive and within BIGINT, so an absurd number is a 400, never a 500.
Id = Annotated[int, Field(ge=1, le=2**63 - 1)]


class ErrorBody(BaseModel):
    code: str
    message: str
    fields: dict[str, str] = {}


class ErrorEnvelope(BaseModel):
    """Every 4xx/5xx: {"error": {"code", "message", "fields"}}."""
    error: ErrorBody


class PageQuery(BaseModel):
    cursor: Optional[str] = None
    limit: int = 20


class Ok(BaseModel):
    ok: bool = True


# The error statuses every endpoint may answer, documented once for the OpenAPI document.
ERRORS = {f"HTTP_{code}": ErrorEnvelope for code in (400, 401, 403, 404, 409, 422, 429, 503)}
