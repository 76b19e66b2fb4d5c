"""The navigation bar per role, as data. Add a page by adding a NavItem (its endpoint must exist)."""
from __future__ import annotations

from dataclasses import dataclass

from flask import request, url_for

from app.models import Account

COLLEGE, SCHOOL, ADMIN = "college_reviewer", "school_reviewer", "platform_admin"


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
]


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
