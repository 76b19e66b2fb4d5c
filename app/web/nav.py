"""The navigation bar per role, as data. Add a page by adding a NavItem (its endpoint must exist)."""
from __future__ import annotations

from dataclasses import dataclass

from flask import request, url_for

from app.models import Account

COLLEGE, SCHOOL, ADMIN = "college_reviewer", "school_reviewer", "platform_admin"
EMPLOYER, STUDENT = "employer_user", "student"


@dataclass(frozen=True)
class NavItem:
    label: str
    endpoint: str
    roles: frozenset[str]
    # URL paths under which this item is the active one (default: its own URL).
    prefixes: tuple[str, ...] = ()


def _item(label: str, endpoint: str, roles: set[str], *prefixes: str) -> NavItem:
    return NavItem(label, endpoint, frozenset(roles), prefixes)


NAV: list[NavItem] = [
    _item("首页", "web.home", {COLLEGE, SCHOOL, ADMIN}),
    _item("签约审核", "web.review.signings", {COLLEGE, SCHOOL}, "/review/signings"),
    _item("解约审核", "web.review.terminations_queue", {COLLEGE, SCHOOL}, "/review/terminations"),
    _item("其他去向", "web.destinations.queue", {COLLEGE, SCHOOL}, "/review/destinations"),
    _item("单位认证", "web.employers.queue", {SCHOOL, ADMIN}, "/review/employers"),
    _item("签约统计", "web.statistics.index", {COLLEGE, SCHOOL, ADMIN}, "/statistics"),
    _item("学生管理", "web.school.students", {SCHOOL}, "/school/students", "/school/signing-open",
          "/school/roster"),
    _item("学校设置", "web.school.settings", {SCHOOL}, "/school/settings", "/school/colleges",
          "/school/accounts"),
    _item("学校管理", "web.admin.schools", {ADMIN}, "/admin/schools"),
    _item("账号管理", "web.admin.accounts", {ADMIN}, "/admin/accounts"),
    _item("单位账号", "web.admin.employers", {ADMIN}, "/admin/employers"),
    _item("字典管理", "web.admin.dictionary_kinds", {ADMIN}, "/admin/dictionaries"),
    _item("我的任务", "web.work.jobs", {COLLEGE, SCHOOL, ADMIN}, "/work"),
    # employer users (seed 004 §3: 工作台, 签约/解约, 户档信息管理, 账号管理, 单位信息)
    _item("工作台", "web.employer.home", {EMPLOYER}),
    _item("签约/解约", "web.employer.favorites", {EMPLOYER}, "/employer/favorites", "/employer/agreements",
          "/employer/letter", "/employer/search"),
    _item("户档信息管理", "web.employer.archive", {EMPLOYER}, "/employer/archive"),
    _item("账号管理", "web.employer.accounts", {EMPLOYER}, "/employer/accounts"),
    _item("单位信息", "web.employer.unit", {EMPLOYER}, "/employer/unit", "/employer/verification"),
    # students: what they see after a QR log-in (answering stays in WeChat)
    _item("我的签约", "web.student.home", {STUDENT}),
    _item("邀约", "web.student.letters", {STUDENT}, "/student/letters"),
    _item("解约", "web.student.terminations", {STUDENT}, "/student/terminations"),
]

HOMES = {EMPLOYER: "web.employer.home", STUDENT: "web.student.home"}


def home_for(account: Account) -> str:
    """The landing page of this account's role (reviewers and admins: web.home)."""
    from flask import current_app

    endpoint = HOMES.get(account.role.value, "web.home")
    return url_for(endpoint if endpoint in current_app.view_functions else "web.home")


@dataclass(frozen=True)
class NavLink:
    label: str
    url: str
    active: bool


def nav_for(account: Account) -> list[NavLink]:
    """The links this account's role sees, the current one marked."""
    from flask import current_app

    links = []
    for item in NAV:
        if account.role.value not in item.roles or item.endpoint not in current_app.view_functions:
            continue
        url = url_for(item.endpoint)
        prefixes = item.prefixes or (url,)
        active = any(request.path == p or (p != "/" and request.path.startswith(p + "/"))
                     or request.path == p for p in prefixes)
        links.append(NavLink(item.label, url, active))
    return links
