"""Who is acting: a plain value the services and the permission predicates share."""
from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Actor:
    role: str  # Role value, or "system"
    account_id: int | None = None
    display_name: str = "系统"
    school_id: int | None = None
    college_id: int | None = None
    employer_id: int | None = None
    student_id: int | None = None

    @classmethod
    def from_account(cls, account) -> "Actor":
        return cls(role=account.role.value, account_id=account.id, display_name=account.display_name,
                   school_id=account.school_id, college_id=account.college_id,
                   employer_id=account.employer_id, student_id=account.student_id)


SYSTEM = Actor(role="system")
