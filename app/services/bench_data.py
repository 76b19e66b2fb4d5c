"""The province-scale benchmark data set of QUALITY.md (`flask bench-data`).

100,000 students over 20 schools, 2,000 employers and 500,000 invitations in every state, with
their revisions, hash-chained flow entries, terminations, inbox notifications, outbox rows and
WeChat delivery history — skewed like reality: one provincial group recruiting on a national
scale (the export subject, 100k letters), ten large employers with 15k letters each, and a long
tail of small ones.

Every row goes in with SQLAlchemy Core executemany (pymysql folds each chunk into multi-row
INSERTs), ids allocated here, foreign-key and unique checks off for the load only. PII goes
through the same ``EncryptedString`` column type and ``lookup_hash`` as the application, so
every ID number and phone decrypts and is found by exact search. Deterministic for a seed.
"""
from __future__ import annotations

import json
import random
import time
from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from types import SimpleNamespace
from typing import Any

from flask import current_app
from sqlalchemy import Table, text

from app.clock import utcnow
from app.domain import signing as rules
from app.domain.events import EMPLOYER_COPIES, EMPLOYER_INVITATION_PAGE, EVENTS
from app.domain.identity import credit_code_check_char, id_number_check_char
from app.extensions import db
from app.models import (
    Account,
    AccountEvent,
    ActiveDestination,
    AgreementCounter,
    ArchiveProfile,
    College,
    Delivery,
    Employer,
    Favorite,
    FlowEntry,
    Invitation,
    InvitationRevision,
    Major,
    Notification,
    OutboxMessage,
    School,
    Student,
    Termination,
    WechatIdentity,
)
from app.pii import lookup_hash
from app.services.accounts import hash_password
from app.services.dictionaries import load_dictionaries
from app.services.flow import GENESIS, _digest
from app.services.signing_flow import STUDENT_EVENTS

CHUNK = 5000
BENCH_PASSWORD = "bench-pass-2026"
SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘蒋蔡余杜叶程苏魏吕丁任沈姚卢姜"
GIVEN = "伟强磊军洋勇杰涛明超辉鹏飞宇浩然俊凯博文斌华健志刚晨阳睿航轩宏鑫泽昊天翔芳娜敏静丽艳娟霞燕玲婷雪慧颖琳欣怡佳悦梦瑶思雨晴"
REGIONS = ["430102", "430103", "430104", "430105", "430111", "430181", "430202", "430302",
           "430405", "430602", "430702", "431002", "420102", "360102", "440106", "410105"]
POSITIONS = ["软件工程师", "测试工程师", "财务专员", "管理培训生", "销售代表", "机械设计工程师",
             "化工工艺员", "人力资源专员", "数据分析师", "产品经理", "客户经理", "行政助理"]
# Final state of an invitation -> share of all invitations (sums to 1). Accepted states are
# bounded by the students: one active destination each.
STATE_SHARES = [
    ("invited", 0.12), ("rejected", 0.24), ("expired", 0.46), ("college_review", 0.012),
    ("school_review", 0.012), ("review_rejected", 0.015), ("effective", 0.115),
    ("terminated", 0.01), ("voided", 0.004), ("invalidated", 0.002),
]
ACTIVE = rules.ACTIVE_STATES
EVENT_OF = {row.name: row.event for row in rules.SIGNING.rows}  # flow-log action -> its notification
OPEN = ACTIVE | {"invited"}


@dataclass
class Plan:
    students: int = 100_000
    schools: int = 20
    employers: int = 2_000
    invitations: int = 500_000
    giant_letters: int = 100_000  # the one employer whose export is 100k rows
    large_employers: int = 10
    large_letters: int = 15_000
    bound_share: float = 0.7  # students with a platform account (mini-program log-in)
    follow_share: float = 0.5  # of those, following the official account
    official_appid: str = ""
    mini_appid: str = ""
    seed: int = 2026


@dataclass
class _Ids:
    """Next id per table: every row's id is known before it is inserted (no RETURNING)."""
    next: dict[str, int] = field(default_factory=Counter)

    def take(self, table: str, n: int = 1) -> int:
        first = self.next[table] + 1
        self.next[table] += n
        return first


def _tables() -> dict[str, Table]:
    return {m.__tablename__: m.__table__ for m in (
        School, College, Major, Student, Employer, Account, WechatIdentity, ArchiveProfile,
        Invitation, InvitationRevision, FlowEntry, Notification, OutboxMessage, Delivery,
        Termination, ActiveDestination, AgreementCounter, Favorite, AccountEvent)}


class Loader:
    """Chunked Core inserts on one connection, with checks off for the load."""

    def __init__(self, log: Callable[[str], None]) -> None:
        self.log = log
        self.tables = _tables()
        self.counts: Counter[str] = Counter()
        self.conn = db.engine.connect()
        if db.engine.dialect.name == "mysql":
            self.conn.execute(text("SET SESSION foreign_key_checks = 0"))
            self.conn.execute(text("SET SESSION unique_checks = 0"))
        else:
            self.conn.execute(text("PRAGMA foreign_keys = OFF"))
        self.conn.commit()

    def add(self, table: str, rows: list[dict[str, Any]]) -> None:
        target = self.tables[table]
        for start in range(0, len(rows), CHUNK):
            self.conn.execute(target.insert(), rows[start:start + CHUNK])
            self.conn.commit()
        self.counts[table] += len(rows)

    def close(self) -> None:
        if db.engine.dialect.name == "mysql":
            self.conn.execute(text("SET SESSION foreign_key_checks = 1"))
            self.conn.execute(text("SET SESSION unique_checks = 1"))
            self.conn.commit()
        self.conn.close()


def _name(rng: random.Random) -> str:
    return rng.choice(SURNAMES) + "".join(rng.choice(GIVEN) for _ in range(rng.choice((1, 2, 2))))


def _id_number(rng: random.Random, n: int) -> str:
    birth = date(2001, 1, 1) + timedelta(days=rng.randrange(4 * 365))
    body = f"{rng.choice(REGIONS)}{birth:%Y%m%d}{n % 1000:03d}"
    return body + id_number_check_char(body)


def _credit_code(n: int) -> str:
    body = f"91430100{n:09d}"
    return body + credit_code_check_char(body)


def _terms(rng: random.Random, employer: dict[str, Any], position: str) -> dict[str, Any]:
    salary = rng.randrange(4000, 16000, 500)
    return {
        "job_category_code": rng.choice(["10", "13", "17", "19", "21", "24", "30"]),
        "position": position, "feedback_days": 5, "probation_days": rng.choice([0, 30, 60, 90, 180]),
        "probation_salary": int(salary * 0.8), "regular_salary": salary,
        "liquidated_damages": rng.choice([0, 2000, 3000, 5000]),
        "report_place": employer["address"], "report_deadline": "2026-07-15",
        "work_region_code": employer["region_code"], "work_address": employer["address"],
        "contact_name": employer["contact_name"], "contact_phone": employer["contact_phone"],
        "supplementary": None,
        "archive": {"archive_receiving": "employer", "archive_unit": employer["name"],
                    "archive_address": employer["address"], "archive_postcode": "410205",
                    "archive_contact": employer["contact_name"], "archive_phone": employer["contact_phone"],
                    "hukou_receiving": "not_received"},
    }


def _snapshot(employer: dict[str, Any]) -> dict[str, Any]:
    return {k: employer[k] for k in ("name", "credit_code", "nature_code", "industry_code",
                                     "region_code", "address", "contact_name", "contact_phone",
                                     "email")}


def _letters_per_employer(plan: Plan, rng: random.Random) -> list[int]:
    """The giant, the large ones at 15k each, then a Zipf-like tail sharing the rest."""
    counts = [plan.giant_letters] + [plan.large_letters] * plan.large_employers
    rest = plan.invitations - sum(counts)
    tail = plan.employers - len(counts)
    if rest < tail or tail < 0:
        raise ValueError("not enough invitations for the employers planned")
    weights = [1 / (k + 10) ** 1.1 for k in range(tail)]
    scale = (rest - tail) / sum(weights)
    tail_counts = [1 + int(w * scale) for w in weights]
    tail_counts[0] += rest - sum(tail_counts)
    counts += tail_counts
    return counts


def generate(plan: Plan, log: Callable[[str], None] = print) -> dict[str, int]:
    """Load the whole set into the (empty, migrated) database of the current app."""
    started = time.monotonic()
    rng = random.Random(plan.seed)
    ids = _Ids()
    load = Loader(log)
    now = utcnow().replace(microsecond=0)
    settings = current_app.config.get("WECHAT") or {}
    official_appid = plan.official_appid or settings.get("OFFICIAL", {}).get("APPID") or "wxbench0fficial01"
    mini_appid = plan.mini_appid or settings.get("MINIPROGRAM", {}).get("APPID") or "wxbench0miniprog1"
    password_hash = hash_password(BENCH_PASSWORD)
    load_dictionaries()  # letters name dictionary codes, and sending one checks them

    def step(label: str) -> None:
        log(f"{time.monotonic() - started:7.1f}s  {label}")

    # -- organisation ------------------------------------------------------------------------
    schools, colleges, majors = [], [], []
    for s in range(plan.schools):
        school_id = ids.take("schools")
        schools.append({"id": school_id, "code": f"{10530 + s:05d}", "name": f"湘江第{s + 1}大学",
                        "region_code": "430100", "created_at": now, "updated_at": now,
                        "review_levels": "school" if s % 7 == 6 else "college_school",
                        "default_feedback_days": 5, "termination_limit": 1, "review_sla_days": 3})
        for c in range(12):
            college_id = ids.take("colleges")
            colleges.append({"id": college_id, "school_id": school_id, "code": f"{c + 1:02d}",
                             "name": f"第{c + 1}学院", "created_at": now, "updated_at": now})
            for m in range(4):
                majors.append({"id": ids.take("majors"), "college_id": college_id,
                               "code": f"08{c:02d}{m:02d}", "name": f"专业{c + 1}-{m + 1}",
                               "created_at": now, "updated_at": now})
    load.add("schools", schools)
    load.add("colleges", colleges)
    load.add("majors", majors)
    college_school = {c["id"]: c["school_id"] for c in colleges}
    school_by_id = {s["id"]: s for s in schools}
    step(f"{len(schools)} schools, {len(colleges)} colleges, {len(majors)} majors")

    # Students: school sizes from 2k to 8k, uniform within a school over its majors.
    sizes = [rng.uniform(2, 8) for _ in schools]
    per_school = [int(plan.students * w / sum(sizes)) for w in sizes]
    per_school[0] += plan.students - sum(per_school)
    majors_by_school: dict[int, list[dict]] = {}
    for m in majors:
        majors_by_school.setdefault(college_school[m["college_id"]], []).append(m)
    students: list[dict[str, Any]] = []
    seen_ids: set[str] = set()
    for school, size in zip(schools, per_school, strict=True):
        for k in range(size):
            major = rng.choice(majors_by_school[school["id"]])
            number = _id_number(rng, len(students))
            while number in seen_ids:
                number = _id_number(rng, len(students) + rng.randrange(1000))
            seen_ids.add(number)
            phone = f"1{rng.choice('3578')}{rng.randrange(10**9):09d}"
            students.append({
                "id": ids.take("students"), "school_id": school["id"], "college_id": major["college_id"],
                "major_id": major["id"], "class_name": f"{major['name']}{k % 4 + 1}班",
                "cohort": 2026 if rng.random() < 0.9 else 2025,
                "education_level": rng.choices(["benke", "shuoshi", "zhuanke", "boshi"], [70, 18, 10, 2])[0],
                "student_no": f"22{school['code']}{k:05d}", "name": _name(rng),
                "gender": "male" if int(number[16]) % 2 else "female",
                "id_number_enc": number, "id_number_hash": lookup_hash(number),
                "phone_enc": phone, "phone_hash": lookup_hash(phone), "email": None, "address": None,
                "training_mode": "directed" if rng.random() < 0.02 else "non_directed",
                "source_status": "approved" if rng.random() < 0.96 else "pending",
                "signing_open": rng.random() < 0.98, "record_status": "active",
                "created_at": now, "updated_at": now})
    load.add("students", students)
    step(f"{len(students)} students (PII encrypted)")

    employers: list[dict[str, Any]] = []
    for e in range(plan.employers):
        name = ("湖南湘江实业集团有限公司" if e == 0 else f"湖南第{e}科技有限公司" if e % 3
                else f"长沙第{e}建设工程有限公司")
        employers.append({
            "id": ids.take("employers"), "name": name, "credit_code": _credit_code(e + 1),
            "nature_code": rng.choice(["10", "21", "22", "31", "32", "39"]),
            "industry_code": rng.choice(["C", "E", "F", "I", "J", "K", "M", "P"]),
            "region_code": rng.choice(["430100", "430102", "430104", "430200", "430300"]),
            "affiliation_code": None, "address": f"湖南省长沙市岳麓区麓谷大道{e + 1}号",
            "contact_name": _name(rng), "contact_phone": f"0731-8{rng.randrange(10**7):07d}",
            "email": f"hr{e + 1}@example.com",
            "verification_status": "approved" if e < plan.employers * 0.96 else "pending",
            "rejection_reason": None, "verified_at": now - timedelta(days=200) if e < plan.employers * 0.96 else None,
            "verified_by_id": None, "created_at": now - timedelta(days=220), "updated_at": now})
    load.add("employers", employers)
    step(f"{len(employers)} employers")

    # -- accounts and WeChat identities --------------------------------------------------------
    accounts: list[dict[str, Any]] = []
    identities: list[dict[str, Any]] = []

    def account(role: str, name: str, username: str | None = None, **scope: Any) -> int:
        account_id = ids.take("accounts")
        accounts.append({"id": account_id, "role": role, "username": username,
                         "password_hash": password_hash if username else None, "display_name": name,
                         "school_id": scope.get("school_id"), "college_id": scope.get("college_id"),
                         "employer_id": scope.get("employer_id"), "student_id": scope.get("student_id"),
                         "is_active": True, "failed_logins": 0, "locked_until": None,
                         "last_login_at": now, "created_at": now, "updated_at": now})
        return account_id

    def identity(app: str, appid: str, openid: str, account_id: int, follows: bool) -> None:
        identities.append({"id": ids.take("wechat_identities"), "app": app, "appid": appid,
                           "openid": openid, "unionid": f"u-{openid}", "account_id": account_id,
                           "follows": follows, "followed_at": now if follows else None,
                           "unfollowed_at": None, "bound_at": now, "created_at": now, "updated_at": now})

    account("platform_admin", "平台管理员", "bench-admin")
    for s in schools:
        account("school_reviewer", f"{s['name']}就业指导中心", f"bench-school-{s['code']}", school_id=s["id"])
    for c in colleges:
        account("college_reviewer", f"{c['name']}审核员", f"bench-college-{c['id']}",
                school_id=c["school_id"], college_id=c["id"])
    employer_users: dict[int, list[int]] = {}
    for i, e in enumerate(employers):
        for u in range(3 if i <= plan.large_employers else 1):
            account_id = account("employer_user", e["contact_name"], f"bench-hr-{e['id']}-{u}",
                                 employer_id=e["id"])
            employer_users.setdefault(e["id"], []).append(account_id)
            identity("miniprogram", mini_appid, f"bm-hr-{account_id}", account_id, False)
            identity("official", official_appid, f"bo-hr-{account_id}", account_id, True)
    student_accounts: dict[int, int] = {}
    for s in students:
        if rng.random() < plan.bound_share:
            account_id = account("student", s["name"], student_id=s["id"], school_id=s["school_id"])
            student_accounts[s["id"]] = account_id
            identity("miniprogram", mini_appid, f"bm-st-{s['id']}", account_id, False)
            if rng.random() < plan.follow_share:
                identity("official", official_appid, f"bo-st-{s['id']}", account_id, True)
    load.add("accounts", accounts)
    load.add("wechat_identities", identities)
    school_reviewer = {a["school_id"]: a for a in accounts if a["role"] == "school_reviewer"}
    college_reviewer = {a["college_id"]: a for a in accounts if a["role"] == "college_reviewer"}
    followers = {i["account_id"] for i in identities if i["app"] == "official"}
    step(f"{len(accounts)} accounts, {len(identities)} WeChat identities")

    letters = _letters_per_employer(plan, rng)
    load.add("archive_profiles", [{
        "id": ids.take("archive_profiles"), "employer_id": e["id"],
        "data": _terms(rng, e, "")["archive"], "version": 1, "updated_by_id": employer_users[e["id"]][0],
        "updated_at": now} for e, n in zip(employers, letters, strict=True) if n])

    # -- invitations and everything that hangs off them ---------------------------------------
    verified = [e for e in employers if e["verification_status"] == "approved"]
    letters = letters[:len(verified)]
    letters[-1] += plan.invitations - sum(letters)
    invitable = [s for s in students if s["source_status"] == "approved"
                 and s["training_mode"] != "directed" and s["signing_open"]]
    states, weights = zip(*STATE_SHARES, strict=True)
    active_of: dict[int, int] = {}  # student -> invitation holding their destination
    open_pairs: set[tuple[int, int]] = set()
    counters: Counter[tuple[int, int]] = Counter()
    gen = _Generator(plan, rng, ids, now, load, employer_users, student_accounts, followers,
                     school_by_id, college_reviewer, school_reviewer)
    for employer, count in zip(verified, letters, strict=True):
        positions = rng.sample(POSITIONS, 3)
        letter_terms = [_terms(rng, employer, p) for p in positions]
        snapshot = _snapshot(employer)
        pool = rng.sample(invitable, min(count, len(invitable))) if count >= len(invitable) // 2 else None
        for k in range(count):
            student = pool[k % len(pool)] if pool else rng.choice(invitable)
            state = rng.choices(states, weights)[0]
            pair = (employer["id"], student["id"])
            if state in OPEN and pair in open_pairs:
                state = "expired"
            if state in ACTIVE and student["id"] in active_of:
                state = "rejected"
            if state in OPEN:
                open_pairs.add(pair)
            invitation_id = gen.invitation(employer, student, state, letter_terms[k % 3], snapshot, counters)
            if state in ACTIVE:
                active_of[student["id"]] = invitation_id
            gen.flush_if_big()
    gen.flush()
    load.add("agreement_counters", [{"kind": 1, "cohort": cohort, "school_id": school_id, "last_seq": seq}
                                    for (cohort, school_id), seq in counters.items()])
    step(f"{load.counts['invitations']} invitations, {load.counts['invitation_revisions']} revisions, "
         f"{load.counts['flow_entries']} flow entries, {load.counts['notifications']} notifications, "
         f"{load.counts['deliveries']} deliveries, {load.counts['terminations']} terminations")
    load.close()
    if db.engine.dialect.name == "mysql":
        with db.engine.begin() as conn:
            for table in ("invitations", "students", "notifications", "flow_entries", "accounts"):
                conn.execute(text(f"ANALYZE TABLE {table}"))
    step("done")
    return dict(load.counts)


class _Generator:
    """Builds one invitation's rows (revisions, flow chain, notifications, outbox, deliveries)."""

    def __init__(self, plan, rng, ids, now, load, employer_users, student_accounts, followers,
                 school_by_id, college_reviewer, school_reviewer) -> None:
        self.plan, self.rng, self.ids, self.now, self.load = plan, rng, ids, now, load
        self.employer_users, self.student_accounts = employer_users, student_accounts
        self.followers = followers
        self.school_by_id = school_by_id
        self.college_reviewer, self.school_reviewer = college_reviewer, school_reviewer
        self.rows: dict[str, list[dict[str, Any]]] = {}

    def _row(self, table: str, row: dict[str, Any]) -> None:
        self.rows.setdefault(table, []).append(row)

    def flush_if_big(self) -> None:
        if len(self.rows.get("invitations", ())) >= 20_000:
            self.flush()

    def flush(self) -> None:
        for table in ("invitations", "invitation_revisions", "flow_entries", "notifications",
                      "outbox_messages", "deliveries", "terminations", "active_destinations"):
            rows = self.rows.pop(table, [])
            if rows:
                self.load.add(table, rows)

    def invitation(self, employer, student, state, terms, snapshot, counters) -> int:
        rng, now = self.rng, self.now
        invitation_id = self.ids.take("invitations")
        two_levels = self.school_by_id[student["school_id"]]["review_levels"] == "college_school"
        if state == "invited":  # still open: sent within the last few days
            sent = now - timedelta(days=rng.uniform(0, 4), seconds=rng.randrange(3600))
        else:
            sent = now - timedelta(days=rng.uniform(6, 160), seconds=rng.randrange(86400))
        sent = sent.replace(microsecond=0)
        deadline = rules.deadline_for(sent, 5)
        hr = rng.choice(self.employer_users[employer["id"]])
        hr_actor = SimpleNamespace(account_id=hr, display_name=employer["contact_name"], role="employer_user")
        student_account = self.student_accounts.get(student["id"])
        student_actor = SimpleNamespace(account_id=student_account, display_name=student["name"],
                                        role="student")
        college = self.college_reviewer.get(student["college_id"])
        school = self.school_reviewer[student["school_id"]]
        college_actor = SimpleNamespace(account_id=college["id"], display_name=college["display_name"],
                                        role="college_reviewer") if college else None
        school_actor = SimpleNamespace(account_id=school["id"], display_name=school["display_name"],
                                       role="school_reviewer")
        system = SimpleNamespace(account_id=None, display_name="系统", role="system")

        # The chain of (action, actor, to_state, days after sending) that led to the state.
        answered = sent + timedelta(hours=rng.uniform(1, 100))
        reviewed = answered + timedelta(hours=rng.uniform(2, 72))
        approved = reviewed + timedelta(hours=rng.uniform(2, 72))
        first = "college_review" if two_levels else "school_review"
        steps: list[tuple[str, Any, str, datetime]] = [("invite", hr_actor, "invited", sent)]
        accepted = state in ("college_review", "school_review", "review_rejected", "effective",
                             "terminated", "voided")
        if state == "rejected":
            steps.append(("reject", student_actor, "rejected", answered))
        elif state == "expired":
            steps.append(("expire", system, "expired", deadline))
        elif state == "invalidated":
            steps.append(("invalidate", school_actor, "invalidated", answered))
        if accepted:
            steps.append(("accept", student_actor, first, answered))
            if state == "review_rejected":
                action = "college_reject" if two_levels else "school_reject"
                steps.append((action, college_actor if two_levels else school_actor, "review_rejected",
                              reviewed))
            elif state != "college_review" or not two_levels:
                if two_levels and state != "college_review":
                    steps.append(("college_approve", college_actor, "school_review", reviewed))
                if state in ("effective", "terminated", "voided"):
                    steps.append(("school_approve", school_actor, "effective", approved))
        if state == "college_review" and not two_levels:
            state = "school_review"
        if state == "voided":
            steps.append(("void", school_actor, "voided", approved + timedelta(days=3)))
        elif state == "terminated":
            steps.append(("terminate", school_actor, "terminated", approved + timedelta(days=10)))
        if any(at > now for *_, at in steps):  # nothing has happened in the future
            shift = max(at for *_, at in steps) - now + timedelta(minutes=5)
            steps = [(a, who, s, at - shift) for a, who, s, at in steps]
            sent, answered = steps[0][3], steps[1][3] if len(steps) > 1 else answered
            deadline = rules.deadline_for(sent, 5)
        if state == "invited" and deadline <= now:
            deadline = now + timedelta(days=1)

        agreement_no = None
        if state in ("effective", "terminated", "voided"):
            counters[(student["cohort"], student["school_id"])] += 1
            school_code = self.school_by_id[student["school_id"]]["code"]
            agreement_no = rules.agreement_number(
                1, student["cohort"], school_code, counters[(student["cohort"], student["school_id"])])
        modified = rng.random() < 0.06
        pending = state in ("college_review", "school_review") and rng.random() < 0.1
        revisions = 2 if modified or pending else 1
        termination_status = None
        if state == "effective":
            termination_status = rng.choices([None, "in_flight", "failed"], [94, 4, 2])[0]
        elif state == "terminated":
            termination_status = "approved"
        closed = state in rules.CLOSED_STATES
        self._row("invitations", {
            "id": invitation_id, "employer_id": employer["id"], "student_id": student["id"],
            "school_id": student["school_id"], "college_id": student["college_id"],
            "cohort": student["cohort"], "invited_by_id": hr, "state": state,
            "open_pair": None if closed else f"{employer['id']}:{student['id']}",
            "current_revision_no": revisions,
            "accepted_revision_no": (1 if pending else revisions) if accepted else None,
            "pending_revision_no": 2 if pending else None, "deadline_at": deadline,
            "reminder_sent_at": None, "accepted_at": answered if accepted else None,
            "effective_at": approved if agreement_no else None,
            "closed_at": steps[-1][3] if closed else None, "agreement_no": agreement_no,
            "last_remark": "岗位与个人规划不符" if state == "rejected" else None,
            "termination_status": termination_status, "version": len(steps),
            "created_at": sent, "updated_at": steps[-1][3]})
        for number in range(1, revisions + 1):
            latest = number == revisions
            status = ("superseded" if not latest and not pending else
                      "accepted" if accepted and (not pending or number == 1) else
                      "declined" if state == "rejected" and latest else "current")
            self._row("invitation_revisions", {
                "id": self.ids.take("invitation_revisions"), "invitation_id": invitation_id,
                "number": number, "status": status, "terms": terms, "employer_snapshot": snapshot,
                "feedback_days": 5, "deadline_at": deadline, "created_by_id": hr,
                "created_at": sent + timedelta(hours=number - 1),
                "answered_at": answered if status in ("accepted", "declined") else None})

        position = terms["position"]
        data = {"invitation_id": invitation_id, "employer_name": employer["name"],
                "student_name": student["name"], "position": position,
                "deadline": f"{rules.deadline_display_date(deadline):%Y/%m/%d}",
                "agreement_no": agreement_no or "", "remark": "无", "remark_text": ""}
        prev = GENESIS
        for seq, (action, actor, to_state, at) in enumerate(steps, start=1):
            actor = actor or school_actor
            entry = SimpleNamespace(
                subject_type="invitation", subject_id=invitation_id, seq=seq, action=action,
                from_state=steps[seq - 2][2] if seq > 1 else None, to_state=to_state,
                actor_id=actor.account_id, actor_name=actor.display_name, actor_role=actor.role,
                remark=None, created_at=at.replace(microsecond=0), prev_hash=prev)
            entry.hash = _digest(entry)
            prev = entry.hash
            self._row("flow_entries", {"id": self.ids.take("flow_entries"), **vars(entry)})
            event = EVENT_OF[action]
            data["review_stage"] = "学院审核" if to_state == "college_review" else "学校审核"
            if event:
                self._notify(event, invitation_id, seq, student, employer, data, at)
        if state in ACTIVE:
            self._row("active_destinations", {"student_id": student["id"], "kind": "online",
                                              "invitation_id": invitation_id, "created_at": answered})
        if termination_status or state == "terminated":
            self._termination(invitation_id, student, employer, termination_status, approved)
        return invitation_id

    def _termination(self, invitation_id, student, employer, status, since) -> None:
        state = {"in_flight": self.rng.choice(["awaiting_party", "college_review", "school_review"]),
                 "failed": "disagreed", "approved": "approved"}[status]
        in_flight = state in ("awaiting_party", "college_review", "school_review")
        self._row("terminations", {
            "id": self.ids.take("terminations"), "invitation_id": invitation_id,
            "in_flight_invitation_id": invitation_id if in_flight else None,
            "student_id": student["id"], "employer_id": employer["id"],
            "school_id": student["school_id"], "college_id": student["college_id"],
            "initiated_by": self.rng.choice(["student", "employer"]),
            "requested_by_id": self.student_accounts.get(student["id"]),
            "reason": "个人原因，另有发展", "state": state, "answered_by_id": None,
            "answered_at": None if state == "awaiting_party" else since + timedelta(days=2),
            "remark": "对方不同意解约" if state == "disagreed" else None,
            "closed_at": None if in_flight else since + timedelta(days=9),
            "version": 2, "created_at": since + timedelta(days=1), "updated_at": since + timedelta(days=2)})

    def _notify(self, event, invitation_id, seq, student, employer, data, at) -> None:
        spec = EVENTS[event]
        recipients = []
        if event in STUDENT_EVENTS:
            recipients.append(("student", student["id"], spec.page.format(**data) if spec.page else None,
                               self.student_accounts.get(student["id"])))
        if event not in STUDENT_EVENTS or event in EMPLOYER_COPIES:
            recipients.append(("employer", employer["id"], EMPLOYER_INVITATION_PAGE.format(**data),
                               self.employer_users[employer["id"]][0]))
        body = spec.body.format(**data)[:500]
        for kind, recipient_id, page, account_id in recipients:
            notification_id = self.ids.take("notifications")
            old = (self.now - at).days > 3
            self._row("notifications", {
                "id": notification_id, "recipient_type": kind, "recipient_id": recipient_id,
                "event": event, "title": spec.title, "body": body, "page": page,
                "subject_type": "invitation", "subject_id": invitation_id,
                "data": {k: str(v) for k, v in data.items()}, "created_at": at,
                "read_at": at + timedelta(hours=5) if old and self.rng.random() < 0.8 else None})
            pushed = account_id in self.followers
            outbox_id = self.ids.take("outbox_messages")
            self._row("outbox_messages", {
                "id": outbox_id, "notification_id": notification_id,
                "dedupe_key": f"{event}:{kind}:{recipient_id}:inv{invitation_id}:{seq}"[:100],
                "priority": spec.priority, "status": "sent" if pushed else "skipped", "attempts": 1,
                "next_attempt_at": at, "channel": "template" if pushed else None,
                "last_error": None if pushed else "无可推送的微信用户（未绑定、未关注且无订阅授权），仅站内信",
                "sent_at": at if pushed else None, "created_at": at})
            if pushed:
                self._row("deliveries", {
                    "id": self.ids.take("deliveries"), "outbox_id": outbox_id, "identity_id": None,
                    "channel": "template", "client_msg_id": f"bench{outbox_id:027d}",
                    "status": "sent", "attempts": 1, "errcode": None, "errmsg": None,
                    "msgid": str(outbox_id), "next_attempt_at": at, "created_at": at, "sent_at": at})


def reset_schema(log: Callable[[str], None] = print) -> None:
    """Drop every table of the current database and rebuild it with the migrations."""
    from flask_migrate import upgrade
    from sqlalchemy import MetaData

    meta = MetaData()
    meta.reflect(bind=db.engine)
    mysql = db.engine.dialect.name == "mysql"
    with db.engine.begin() as conn:
        conn.execute(text("SET FOREIGN_KEY_CHECKS=0" if mysql else "PRAGMA foreign_keys=OFF"))
        for name in meta.tables:
            conn.execute(text(f"DROP TABLE {conn.dialect.identifier_preparer.quote(name)}"))
        conn.execute(text("SET FOREIGN_KEY_CHECKS=1" if mysql else "PRAGMA foreign_keys=ON"))
    upgrade()
    log("schema rebuilt by the migrations")


def summary_json(counts: Iterable[tuple[str, int]]) -> str:
    return json.dumps(dict(counts), ensure_ascii=False)


def build_sweep_set(total: int = 1_000_000, due: int = 100_000,
                    log: Callable[[str], None] = print) -> tuple[int, int, datetime]:
    """The expiry sweep's data: ``total`` letters of which ``due`` are unanswered past their deadline.

    A realistic base set (students, employers, 50k letters in every state with their rows) is
    generated, then the due letters (copies of real employer-student pairs, each with its
    revision) and closed filler letters are multiplied in SQL (MySQL/MariaDB syntax: bench only). Returns (rows, due, the now that
    makes them due).
    """
    reset_schema(log)
    base = 50_000
    generate(Plan(students=20_000, schools=4, employers=200, invitations=base, giant_letters=5_000,
                  large_letters=2_000, seed=15), log)
    now = utcnow().replace(microsecond=0)
    cols = ("employer_id, student_id, school_id, college_id, cohort, invited_by_id, state, open_pair,"
            " current_revision_no, deadline_at, closed_at, created_at, updated_at, version")
    with db.engine.begin() as conn:
        copies = 0
        while copies * base < due:  # unanswered letters whose deadline has passed
            conn.execute(text(
                f"INSERT INTO invitations ({cols}) SELECT employer_id, student_id, school_id, college_id,"
                " cohort, invited_by_id, 'invited', CONCAT('sw', :k, ':', id), 1, :deadline, NULL,"
                " created_at, created_at, 1 FROM invitations WHERE id <= :n"),
                {"k": copies, "deadline": now - timedelta(hours=1), "n": min(base, due - copies * base)})
            copies += 1
        conn.execute(text(
            "INSERT INTO invitation_revisions (invitation_id, number, status, terms, employer_snapshot,"
            " feedback_days, deadline_at, created_by_id, created_at)"
            " SELECT i.id, 1, 'current', r.terms, r.employer_snapshot, 5, i.deadline_at, i.invited_by_id,"
            " i.created_at FROM invitations i JOIN invitation_revisions r"
            " ON r.invitation_id = CAST(SUBSTRING_INDEX(i.open_pair, ':', -1) AS UNSIGNED) AND r.number = 1"
            " WHERE i.open_pair LIKE 'sw%'"))
        filler = 0
        while base + due + filler < total:  # closed letters around them
            n = min(base, total - base - due - filler)
            conn.execute(text(
                f"INSERT INTO invitations ({cols}) SELECT employer_id, student_id, school_id, college_id,"
                " cohort, invited_by_id, 'expired', NULL, 1, deadline_at, deadline_at, created_at,"
                " created_at, 1 FROM invitations WHERE id <= :n"), {"n": n})
            filler += n
            log(f"filler letters: {filler}")
        conn.execute(text("ANALYZE TABLE invitations"))
        rows = conn.execute(text("SELECT COUNT(*) FROM invitations")).scalar()
        due_rows = conn.execute(text("SELECT COUNT(*) FROM invitations WHERE state = 'invited'"
                                     " AND deadline_at <= :now"), {"now": now}).scalar()
    return rows, due_rows, now
