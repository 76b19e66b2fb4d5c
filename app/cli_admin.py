"""flask commands that set a platform up on an empty database: create-school, create-college,
create-major, create-admin, create-reviewer."""
from __future__ import annotations

import click
from flask import Flask

from app.domain.actors import SYSTEM
from app.domain.errors import DomainError

_LEVELS = click.Choice(["college_school", "school"])


def _fail(exc: DomainError) -> click.ClickException:
    details = "；".join(f"{k}：{v}" for k, v in exc.fields.items() if v != exc.message)
    return click.ClickException(exc.message + (f"（{details}）" if details else ""))


def _password_options(fn):
    fn = click.option("--password", default=None, help="password (prompted when neither this nor "
                      "--one-time is given)")(fn)
    return click.option("--one-time", is_flag=True,
                        help="generate a one-time password, printed once; changed at first log-in")(fn)


def _password(password: str | None, one_time: bool) -> str | None:
    if one_time:
        return None
    if password is None:
        password = click.prompt("密码", hide_input=True, confirmation_prompt="再次输入密码")
    return password


def _issued(issued, what: str) -> None:
    account = issued.account
    click.echo(f"已创建{what}：{account.username}（{account.display_name}）")
    if issued.password:
        click.echo(f"一次性密码：{issued.password}  （只显示这一次；首次登录后须修改）")


def register(app: Flask) -> None:
    @app.cli.command("create-school")
    @click.argument("code")
    @click.argument("name")
    @click.option("--region", default=None, help="6-digit region code (after flask load-dicts)")
    @click.option("--review-levels", type=_LEVELS, default="college_school", show_default=True)
    @click.option("--feedback-days", type=int, default=5, show_default=True)
    @click.option("--termination-limit", type=int, default=1, show_default=True, help="0 = unlimited")
    @click.option("--sla-days", type=int, default=3, show_default=True, help="review service level, "
                  "working days")
    @click.option("--damages-cap", type=int, default=None, help="liquidated-damages cap, 元")
    def create_school(code: str, name: str, region: str | None, review_levels: str, feedback_days: int,
                      termination_limit: int, sla_days: int, damages_cap: int | None) -> None:
        """Create a school: 5-digit national code and name (then its colleges and majors)."""
        from app.services.organisation import SchoolSettings, create_school

        settings = SchoolSettings(review_levels, feedback_days, termination_limit, True, sla_days,
                                  damages_cap)
        try:
            school = create_school(SYSTEM, code, name, region, settings)
        except DomainError as exc:
            raise _fail(exc) from exc
        click.echo(f"已创建学校：{school.code} {school.name}")

    @app.cli.command("create-college")
    @click.option("--school", "school_code", required=True, help="学校代码")
    @click.argument("code")
    @click.argument("name")
    def create_college(school_code: str, code: str, name: str) -> None:
        """Create a college (学院) of a school."""
        from app.services.organisation import create_college, school_by_code

        try:
            college = create_college(SYSTEM, school_by_code(school_code).id, code, name)
        except DomainError as exc:
            raise _fail(exc) from exc
        click.echo(f"已创建学院：{college.code} {college.name}")

    @app.cli.command("create-major")
    @click.option("--school", "school_code", required=True, help="学校代码")
    @click.option("--college", "college_code", required=True, help="学院代码或名称")
    @click.argument("code")
    @click.argument("name")
    def create_major(school_code: str, college_code: str, code: str, name: str) -> None:
        """Create a major (专业) of a college."""
        from app.services.organisation import college_by_code, create_major, school_by_code

        try:
            college = college_by_code(school_by_code(school_code), college_code)
            major = create_major(SYSTEM, college.id, code, name)
        except DomainError as exc:
            raise _fail(exc) from exc
        click.echo(f"已创建专业：{major.code} {major.name}（{college.name}）")

    @app.cli.command("create-admin")
    @click.argument("username")
    @click.option("--name", "display_name", default="平台管理员", show_default=True)
    @_password_options
    def create_admin(username: str, display_name: str, password: str | None, one_time: bool) -> None:
        """Create a platform admin account (schools, accounts, dictionaries)."""
        from app.models import Role
        from app.services.admin_accounts import create_staff_account

        try:
            issued = create_staff_account(SYSTEM, Role.PLATFORM_ADMIN, username, display_name,
                                          password=_password(password, one_time))
        except DomainError as exc:
            raise _fail(exc) from exc
        _issued(issued, "平台管理员")

    @app.cli.command("create-reviewer")
    @click.argument("username")
    @click.option("--name", "display_name", required=True, help="姓名")
    @click.option("--school", "school_code", required=True, help="学校代码")
    @click.option("--college", "college_code", default=None,
                  help="学院代码或名称: a college reviewer; without it a school reviewer (学校管理员)")
    @_password_options
    def create_reviewer(username: str, display_name: str, school_code: str, college_code: str | None,
                        password: str | None, one_time: bool) -> None:
        """Create a school reviewer (the school's administrator) or a college reviewer."""
        from app.models import Role
        from app.services.admin_accounts import create_staff_account
        from app.services.organisation import college_by_code, school_by_code

        try:
            school = school_by_code(school_code)
            college = college_by_code(school, college_code) if college_code else None
            role = Role.COLLEGE_REVIEWER if college else Role.SCHOOL_REVIEWER
            issued = create_staff_account(SYSTEM, role, username, display_name, school_id=school.id,
                                          college_id=college.id if college else None,
                                          password=_password(password, one_time))
        except DomainError as exc:
            raise _fail(exc) from exc
        _issued(issued, "学院审核员" if college else "学校审核员")
