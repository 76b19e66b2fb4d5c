"""Invitation letter terms 邀请函 and the archive/hukou profile 户档信息, as validated models.

Shared by the API (request bodies, OpenAPI) and the services (what is stored in JSON columns).
Money is integer 元; the 报到证 fields abolished in 2023 are not collected.
"""
from __future__ import annotations

import re
from datetime import date
from enum import Enum
from typing import Annotated, Optional

from pydantic import BaseModel, ConfigDict, Field, StringConstraints, model_validator

Text50 = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=50)]
Text100 = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=100)]
Text200 = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200)]
Phone = Annotated[str, StringConstraints(strip_whitespace=True, pattern=r"^[0-9+\-() ]{7,20}$")]
PostCode = Annotated[str, StringConstraints(strip_whitespace=True, pattern=r"^\d{6}$")]
RegionCode = Annotated[str, StringConstraints(pattern=r"^\d{6}$")]
Yuan = Annotated[int, Field(ge=0, le=10_000_000)]


class ArchiveReceiving(str, Enum):
    EMPLOYER = "employer"  # 签约单位接收
    FORWARD = "forward"  # 转寄至档案接收单位
    NOT_RECEIVED = "not_received"  # 单位不接收


class HukouReceiving(str, Enum):
    RECEIVED = "received"  # 接收
    NOT_RECEIVED = "not_received"  # 不接收


class ArchiveTerms(BaseModel):
    """档案接收 and 户口迁移 — the employer's 户档信息 and the defaults of every invitation."""
    model_config = ConfigDict(extra="forbid")

    archive_receiving: ArchiveReceiving
    archive_unit: Optional[Text100] = None  # 档案接收（转寄）单位
    archive_address: Optional[Text200] = None  # full address with house number
    archive_postcode: Optional[PostCode] = None
    archive_contact: Optional[Text50] = None
    archive_phone: Optional[Phone] = None
    hukou_receiving: HukouReceiving
    hukou_address: Optional[Text200] = None  # 户口迁往地址
    hukou_reason: Optional[Text100] = None  # 迁移原因

    @model_validator(mode="after")
    def _complete(self) -> "ArchiveTerms":
        if self.archive_receiving != ArchiveReceiving.NOT_RECEIVED:
            missing = [k for k in ("archive_unit", "archive_address", "archive_postcode",
                                   "archive_contact", "archive_phone") if not getattr(self, k)]
            if missing:
                raise ValueError("接收档案时须填写档案接收单位、详细地址（含门牌号）、邮编、联系人和电话："
                                 + "、".join(missing))
            if not re.search(r"\d+\s*(号|栋|室|楼|幢)", self.archive_address or ""):
                raise ValueError("档案接收地址应精确到门牌号")
        if self.hukou_receiving == HukouReceiving.RECEIVED and not self.hukou_address:
            raise ValueError("接收户口时须填写户口迁往地址")
        return self


class InvitationTerms(BaseModel):
    """Every field of the invitation letter (SPEC §4) except the employer's registered data."""
    model_config = ConfigDict(extra="forbid")

    job_category_code: Annotated[str, StringConstraints(pattern=r"^\d{2}$")]
    position: Text50  # 拟聘用职位
    # 反馈有效期（天）; None: the school's default_feedback_days (school settings)
    feedback_days: Optional[int] = Field(None, ge=1, le=30)
    probation_days: int = Field(ge=0, le=180)  # 试用期（天）
    probation_salary: Yuan  # 试用起薪（元/月）
    regular_salary: Yuan  # 转正起薪（元/月）
    liquidated_damages: Yuan  # 违约金（元）
    report_place: Optional[Text100] = None  # 报到地点
    report_deadline: date  # 报到期限
    work_region_code: RegionCode  # 实际工作地点（行政区划）
    work_address: Optional[Text200] = None
    contact_name: Text50  # 签约联系人
    contact_phone: Phone
    archive: Optional[ArchiveTerms] = None  # None: taken from the employer's 户档信息
    supplementary_terms: Optional[Annotated[str, StringConstraints(max_length=2000)]] = None

    @model_validator(mode="after")
    def _salaries(self) -> "InvitationTerms":
        if self.regular_salary < self.probation_salary:
            raise ValueError("转正起薪不应低于试用起薪")
        return self
