"""用人单位: registration, verification evidence, the verification decision, 账号管理 (SPEC §2)."""
from __future__ import annotations

import re
from dataclasses import dataclass

from flask import current_app
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import selectinload
from werkzeug.datastructures import FileStorage

from app.domain import verification as rules
from app.domain.actors import Actor
from app.domain.errors import Conflict, Forbidden, InvalidInput
from app.domain.identity import credit_code_error, normalize_credit_code
from app.extensions import db
from app.models import (Account, ArchiveProfile, ArchiveProfileRevision, Employer, EmployerEvidence,
                        EvidenceKind, RecipientType, Role, VerificationStatus)
from app.services import archive, ratelimit, uploads
from app.services.accounts import create_login_account
from app.services.dictionaries import dictionary_codes
from app.services.constraints import violated_constraint
from app.services.flow import record_flow
from app.services.notify import notify
from app.services.unit import transactional
from app.services.workflow import Runner

REGISTRATIONS_PER_IP_HOUR = 10
MAX_EVIDENCE_FILES = 20  # licence and authorisation scans kept per employer
_DICT_FIELDS = (("nature_code", "unit_nature", "单位性质"), ("industry_code", "industry", "行业"),
                ("region_code", "region", "所在地区"), ("affiliation_code", "affiliation", "单位隶属"))


class _Facts:
    def __init__(self, employer: Employer) -> None:
        self.employer = employer

    @property
    def has_licence(self) -> bool:
        return any(e.kind == EvidenceKind.LICENCE for e in self.employer.evidence)


class VerificationRunner(Runner):
    """单位认证 on the one executor: the flow log is the employer's own chain."""
    workflow = rules.VERIFICATION
    model = Employer
    not_found = ("EMPLOYER_NOT_FOUND", "单位不存在")
    state_attr = "verification_status"

    def owns(self, actor: Actor, employer: Employer) -> bool:
        if actor.role == "employer_user":
            return actor.employer_id == employer.id
        return actor.role in rules.VERIFIERS

    def facts(self, employer: Employer, actor: Actor, now) -> _Facts:
        return _Facts(employer)

    def enter(self, employer: Employer, row, before: str, target: str, now, reason: str | None) -> None:
        if target == rules.APPROVED:
            employer.verified_at = now
            employer.rejection_reason = None
        elif target == rules.REJECTED:
            employer.verified_at, employer.verified_by_id = None, None
            employer.rejection_reason = reason
        else:
            employer.rejection_reason = None

    def emit(self, employer: Employer, row, occurrence: int, reason: str | None) -> None:
        notify(RecipientType.EMPLOYER, employer.id, row.event, dedupe=f"emp{employer.id}:{occurrence}",
               subject_type="employer", subject_id=employer.id, employer_name=employer.name,
               remark=reason)


VERIFICATION = VerificationRunner()


@dataclass
class Registration:
    name: str
    credit_code: str
    nature_code: str
    industry_code: str
    region_code: str
    address: str
    contact_name: str
    contact_phone: str
    email: str
    username: str
    password: str
    affiliation_code: str | None = None


def password_error(password: str) -> str | None:
    if len(password) < 8:
        return "密码至少8位"
    if not (re.search(r"[A-Za-z]", password) and re.search(r"\d", password)):
        return "密码须同时包含字母和数字"
    return None


def _check_registration(data: Registration) -> None:
    fields: dict[str, str] = {}
    if error := credit_code_error(data.credit_code):
        fields["credit_code"] = error
    for attr, kind, label in _DICT_FIELDS:
        code = getattr(data, attr)
        if code is not None and code not in dictionary_codes(kind):
            fields[attr] = f"{label}代码不存在"
    if error := password_error(data.password):
        fields["password"] = error
    if fields:
        raise InvalidInput("VALIDATION_FAILED", "提交的内容有误，请检查后重试", fields)


def _username_taken(username: str) -> bool:
    # Case-insensitive on every backend (MariaDB's collation already is; SQLite is not).
    return db.session.scalar(select(func.count()).select_from(Account).where(
        func.lower(Account.username) == username.lower())) > 0


@transactional
def register_employer(data: Registration, ip: str | None = None) -> tuple[Employer, Account]:
    """A new employer, pending verification, with its first user account.

    Attempts that pass validation are limited per IP (REGISTRATIONS_PER_IP_HOUR): the answers
    "credit code registered" / "username taken" must not be a free way to probe who exists."""
    _check_registration(data)
    if ip:
        per_hour = int(current_app.config.get("REGISTRATIONS_PER_IP_HOUR", REGISTRATIONS_PER_IP_HOUR))
        ratelimit.hit([ratelimit.Limit("register-ip", ip, 3600, per_hour)], "注册过于频繁，请稍后再试")
    code = normalize_credit_code(data.credit_code)
    exists = Conflict("EMPLOYER_EXISTS", "该统一社会信用代码已注册，请联系本单位已有账号的同事添加账号或找回密码",
                      {"credit_code": "该统一社会信用代码已注册"})
    taken = Conflict("USERNAME_TAKEN", "用户名已被使用，请换一个", {"username": "用户名已被使用"})
    if db.session.scalar(select(Employer.id).where(Employer.credit_code == code)):
        raise exists
    if _username_taken(data.username):
        raise taken
    employer = Employer(name=data.name, credit_code=code, nature_code=data.nature_code,
                        industry_code=data.industry_code, region_code=data.region_code,
                        affiliation_code=data.affiliation_code, address=data.address,
                        contact_name=data.contact_name, contact_phone=data.contact_phone,
                        email=data.email, verification_status=VerificationStatus.PENDING)
    db.session.add(employer)
    try:
        db.session.flush()
        account = create_login_account(Role.EMPLOYER_USER, data.username, data.password,
                                       data.contact_name, employer_id=employer.id)
        account.employer_admin = True  # the registering user administers the accounts
        db.session.flush()
    except IntegrityError as exc:  # a concurrent registration won the race
        raise (exists if violated_constraint(exc) == "uq_employers_credit_code" else taken) from exc
    # Created here with its first account (the table's "register" row names the step).
    record_flow("employer", employer.id, "register", Actor.from_account(account), None, rules.PENDING)
    return employer, account


def employer_of(actor: Actor) -> Employer:
    if actor.role != "employer_user" or actor.employer_id is None:
        raise Forbidden("ROLE_NOT_ALLOWED", "只有用人单位用户可以使用该功能")
    return db.session.get(Employer, actor.employer_id)


def verified_employer(actor: Actor) -> Employer:
    """The actor's employer, if verified: searching students and favorites need it."""
    employer = employer_of(actor)
    if not employer.is_verified:
        raise Forbidden("EMPLOYER_NOT_VERIFIED", "单位认证尚未通过，暂不能搜索或收藏学生")
    return employer


def submit_evidence(actor: Actor, licence: FileStorage | None,
                    authorisation: FileStorage | None = None, ip: str | None = None) -> Employer:
    """Store the licence scan (and authorisation letter); a rejected employer goes back to pending.

    An employer keeps at most MAX_EVIDENCE_FILES files (checked before decoding, and again under
    the employer's row lock when recording)."""
    employer = employer_of(actor)  # role check before touching the disk
    with_letter = isinstance(authorisation, FileStorage) and bool(authorisation.filename)
    _check_evidence_room(employer.id, 2 if with_letter else 1)
    stored: list[uploads.StoredFile] = []
    try:
        stored.append(uploads.save_upload(uploads.USES["licence"], licence, ip=ip))
        if with_letter:
            stored.append(uploads.save_upload(uploads.USES["authorisation"], authorisation, ip=ip))
        return _record_evidence(actor, stored)
    except Exception:
        uploads.discard(stored)
        raise


def _check_evidence_room(employer_id: int, incoming: int) -> None:
    held = db.session.scalar(select(func.count()).select_from(EmployerEvidence).where(
        EmployerEvidence.employer_id == employer_id))
    if held + incoming > MAX_EVIDENCE_FILES:
        raise Conflict("EVIDENCE_LIMIT_REACHED",
                       f"认证材料最多保存{MAX_EVIDENCE_FILES}份，已达上限；如需更换请联系平台管理员")


@transactional
def _record_evidence(actor: Actor, stored: list[uploads.StoredFile]) -> Employer:
    employer = VERIFICATION.load(actor, actor.employer_id, lock=True)
    _check_evidence_room(employer.id, len(stored))
    for kind, item in zip((EvidenceKind.LICENCE, EvidenceKind.AUTHORISATION), stored, strict=False):
        db.session.add(EmployerEvidence(
            employer_id=employer.id, kind=kind, storage_key=item.storage_key,
            content_type=item.content_type, size=item.size, sha256=item.sha256,
            uploaded_by_id=actor.account_id))
    VERIFICATION.run(employer, "submit_evidence", actor)  # refused once approved
    db.session.refresh(employer, ["evidence"])
    return employer


def may_verify_employers(actor: Actor) -> bool:
    return actor.role in rules.VERIFIERS


@transactional
def decide_verification(actor: Actor, employer_id: int, approve: bool,
                        reason: str | None = None) -> Employer:
    """Approve or reject a pending employer; the flow log and the employer's inbox record it."""
    if not may_verify_employers(actor):
        raise Forbidden("ACTION_NOT_ALLOWED", "只有平台管理员或学校审核员可以审核单位认证")
    reason = (reason or "").strip() or None
    if not approve and reason is None:
        raise InvalidInput("REASON_REQUIRED", "请填写不通过的原因", {"reason": "请填写不通过的原因"})
    if reason and len(reason) > 500:
        raise InvalidInput("REASON_TOO_LONG", "原因不能超过500字", {"reason": "不能超过500字"})
    employer = VERIFICATION.load(actor, employer_id, lock=True)
    employer.verified_by_id = actor.account_id if approve else None
    VERIFICATION.run(employer, "approve" if approve else "reject", actor, reason)
    return employer


def list_pending_verifications(limit: int = 100) -> list[Employer]:
    """The verification queue: pending employers that uploaded a licence, oldest first."""
    has_licence = select(EmployerEvidence.id).where(
        EmployerEvidence.employer_id == Employer.id,
        EmployerEvidence.kind == EvidenceKind.LICENCE).exists()
    return list(db.session.scalars(
        select(Employer).where(Employer.verification_status == VerificationStatus.PENDING, has_licence)
        .options(selectinload(Employer.evidence)).order_by(Employer.updated_at, Employer.id).limit(limit)))


def archive_profile_with_history(actor: Actor) -> tuple[ArchiveProfile | None,
                                                        list[tuple[ArchiveProfileRevision, str | None]]]:
    """户档信息 and its revisions, newest first, each with the display name of who saved it."""
    employer = employer_of(actor)
    history = archive.history_of(employer.id)
    ids = {r.changed_by_id for r in history if r.changed_by_id}
    names = dict(db.session.execute(select(Account.id, Account.display_name).where(
        Account.id.in_(ids))).all()) if ids else {}
    return archive.profile_of(employer.id), [(r, names.get(r.changed_by_id)) for r in history]


def accounts_of(actor: Actor) -> list[Account]:
    """账号管理: the user accounts of the actor's own employer."""
    employer = employer_of(actor)
    return list(db.session.scalars(select(Account).where(
        Account.employer_id == employer.id, Account.role == Role.EMPLOYER_USER).order_by(Account.id)))
