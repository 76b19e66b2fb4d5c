"""Platform accounts: one table for every role, with the scope each role needs."""
from __future__ import annotations

import enum
from datetime import datetime
from typing import Optional

from sqlalchemy import CheckConstraint, ForeignKey, String, false
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.extensions import db
from app.models.base import MYSQL_TABLE_ARGS, TimestampMixin, str_enum


class Role(str, enum.Enum):
    STUDENT = "student"
    EMPLOYER_USER = "employer_user"
    COLLEGE_REVIEWER = "college_reviewer"
    SCHOOL_REVIEWER = "school_reviewer"
    PLATFORM_ADMIN = "platform_admin"


# Each role carries exactly the scope columns it needs; the database refuses anything else.
_ROLE_SCOPE = (
    "(role = 'student' AND student_id IS NOT NULL AND employer_id IS NULL"
    " AND school_id IS NOT NULL AND college_id IS NULL)"
    " OR (role = 'employer_user' AND employer_id IS NOT NULL AND student_id IS NULL"
    " AND school_id IS NULL AND college_id IS NULL)"
    " OR (role = 'college_reviewer' AND school_id IS NOT NULL AND college_id IS NOT NULL"
    " AND student_id IS NULL AND employer_id IS NULL)"
    " OR (role = 'school_reviewer' AND school_id IS NOT NULL AND college_id IS NULL"
    " AND student_id IS NULL AND employer_id IS NULL)"
    " OR (role = 'platform_admin' AND school_id IS NULL AND college_id IS NULL"
    " AND student_id IS NULL AND employer_id IS NULL)"
)


class Account(TimestampMixin, db.Model):
    __tablename__ = "accounts"
    __table_args__ = (
        CheckConstraint(_ROLE_SCOPE, name="role_scope"),
        CheckConstraint("username IS NULL OR password_hash IS NOT NULL", name="login_has_password"),
        CheckConstraint("NOT employer_admin OR role = 'employer_user'", name="employer_admin_role"),
        MYSQL_TABLE_ARGS,
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    role: Mapped[Role] = mapped_column(str_enum(Role, "role"), index=True)
    username: Mapped[Optional[str]] = mapped_column(String(50), unique=True)
    password_hash: Mapped[Optional[str]] = mapped_column(String(200))
    display_name: Mapped[str] = mapped_column(String(50))
    school_id: Mapped[Optional[int]] = mapped_column(ForeignKey("schools.id"), index=True)
    college_id: Mapped[Optional[int]] = mapped_column(ForeignKey("colleges.id"))
    employer_id: Mapped[Optional[int]] = mapped_column(ForeignKey("employers.id"), index=True)
    student_id: Mapped[Optional[int]] = mapped_column(ForeignKey("students.id"), unique=True)
    is_active: Mapped[bool] = mapped_column(default=True)
    # 单位管理员: adds colleagues and resets their passwords (the registering user is the first).
    employer_admin: Mapped[bool] = mapped_column(default=False, server_default=false())
    failed_logins: Mapped[int] = mapped_column(default=0)
    locked_until: Mapped[Optional[datetime]] = mapped_column()
    last_login_at: Mapped[Optional[datetime]] = mapped_column()
    # Set by an administrator's password reset: the next web log-in must choose a new password.
    must_change_password: Mapped[bool] = mapped_column(default=False, server_default=false())

    school = relationship("School")
    college = relationship("College")
    employer = relationship("Employer", foreign_keys=[employer_id])
    student = relationship("Student")

    @property
    def is_reviewer(self) -> bool:
        return self.role in (Role.COLLEGE_REVIEWER, Role.SCHOOL_REVIEWER)
