"""单位注册: what an employer registering gives (the mini-program's JSON and the desktop form
validate with the same model)."""
from __future__ import annotations

from typing import Annotated, Optional

from pydantic import BaseModel, ConfigDict, StringConstraints

from app.domain.terms import Phone, Text50, Text100, Text200

Code = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=10)]


class RegisterBody(BaseModel):
    model_config = ConfigDict(extra="forbid")
    name: Text100  # 单位名称
    credit_code: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=30)]
    nature_code: Code  # 单位性质 (dict unit_nature)
    industry_code: Code  # 行业 (dict industry)
    region_code: Annotated[str, StringConstraints(strip_whitespace=True, pattern=r"^\d{6}$")]
    affiliation_code: Optional[Code] = None  # 单位隶属 (dict affiliation)
    address: Text200
    contact_name: Text50
    contact_phone: Phone
    email: Annotated[str, StringConstraints(strip_whitespace=True, max_length=120,
                                            pattern=r"^[^@\s]+@[^@\s]+\.[^@\s]+$")]
    username: Annotated[str, StringConstraints(strip_whitespace=True, pattern=r"^[A-Za-z0-9_.@-]{4,50}$")]
    password: Annotated[str, StringConstraints(min_length=1, max_length=128)]
