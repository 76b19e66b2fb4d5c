"""户档信息: the employer's archive/hukou profile, shared by its users, every edit kept."""
from __future__ import annotations

from typing import Any

from sqlalchemy import select

from app.domain.actors import Actor
from app.domain.errors import Forbidden, InvalidInput
from app.domain.terms import ArchiveTerms
from app.extensions import db
from app.models import ArchiveProfile, ArchiveProfileRevision, Employer
from app.services.unit import transactional


def profile_of(employer_id: int) -> ArchiveProfile | None:
    return db.session.scalar(select(ArchiveProfile).where(ArchiveProfile.employer_id == employer_id))


def history_of(employer_id: int) -> list[ArchiveProfileRevision]:
    profile = profile_of(employer_id)
    if profile is None:
        return []
    return list(db.session.scalars(select(ArchiveProfileRevision).where(
        ArchiveProfileRevision.profile_id == profile.id).order_by(ArchiveProfileRevision.version.desc())))


def _write(actor: Actor, employer_id: int, data: dict[str, Any]) -> ArchiveProfile:
    profile = db.session.scalar(select(ArchiveProfile).where(
        ArchiveProfile.employer_id == employer_id).with_for_update())
    if profile is None:
        profile = ArchiveProfile(employer_id=employer_id, data=data, version=1,
                                 updated_by_id=actor.account_id)
        db.session.add(profile)
    else:
        if profile.data == data:
            return profile
        profile.data = data
        profile.version += 1
        profile.updated_by_id = actor.account_id
    db.session.flush()
    db.session.add(ArchiveProfileRevision(profile_id=profile.id, version=profile.version, data=data,
                                          changed_by_id=actor.account_id))
    return profile


@transactional
def save_profile(actor: Actor, terms: ArchiveTerms) -> ArchiveProfile:
    if actor.role != "employer_user":
        raise Forbidden("ACTION_NOT_ALLOWED", "只有用人单位用户可以维护户档信息")
    return _write(actor, actor.employer_id, terms.model_dump(mode="json"))


def archive_defaults_for(actor: Actor, employer: Employer) -> dict[str, Any]:
    """The archive terms an invitation without its own takes: the employer's 户档信息."""
    profile = profile_of(employer.id)
    if profile is None:
        raise InvalidInput("ARCHIVE_PROFILE_REQUIRED", "首次发送邀约请填写档案和户口接收信息（户档信息）",
                           {"terms.archive": "请填写档案和户口接收信息"})
    return profile.data


def remember_first_archive(actor: Actor, employer: Employer, archive: dict[str, Any]) -> None:
    """The first invitation of an employer without a 户档信息 creates it from its terms."""
    if profile_of(employer.id) is None:
        _write(actor, employer.id, archive)
