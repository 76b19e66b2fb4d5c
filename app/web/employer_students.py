"""学生收藏夹 / 签约发送列表 (seed 004 §4): exact search, add and remove, the Excel template,
import with a report per row, and 导出签约发送列表. Thin: app/services/search.py, favorites.py."""
from __future__ import annotations

from flask import Response, flash, request, url_for

from app.http import attachment
from app.services.paging import paginate
from app.domain import workbench
from app.domain.errors import NotFound
from app.models import Favorite
from app.services import employer_desk, favorites, search, uploads
from app.web import forms
from app.web.base import back_to, current_actor, render
from app.web.employer_pages import bp, cohort_arg, employer_required

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
PAGE = 50


def _xlsx(body: bytes, filename: str) -> Response:
    response = Response(body, mimetype=XLSX)
    response.headers["Content-Disposition"] = attachment(filename)
    return response


@bp.get("/favorites", endpoint="favorites")
@employer_required
def favorites_page():
    """The list (by cohort, keyset pages), with the import form and the batch-send button."""
    return _favorites_page(report=None)


def _favorites_page(report):
    actor = current_actor()
    cohort = cohort_arg()
    cursor = forms.text("cursor", args=True, limit=40) or None
    items, next_cursor = paginate(favorites.favorites_query(actor, cohort), Favorite.id, cursor, PAGE)
    return render("employer/favorites.html", rows=[favorites.favorite_item(f) for f in items],
                  next_cursor=next_cursor, first_page=cursor is None, cohort=cohort,
                  cohorts=employer_desk.cohorts_of(actor), report=report, groups=workbench.GROUPS,
                  active="favorites")


@bp.post("/favorites")
@employer_required
def favorites_change():
    """add (a student found by search), remove (from the list), or import (导入学生名单: every
    row gets its result, shown above the list)."""
    action = forms.choice("action", ("add", "remove", "import"), default="add")
    if action == "import":
        return _import()
    student_id = forms.required_int("student_id", label="学生")
    if action == "add":
        try:
            _, created = favorites.add_favorite(current_actor(), student_id)
        except NotFound as exc:  # not found by our own search: say how to add, on the same page
            flash(exc.message, "danger")
            return back_to(forms.safe_back() or url_for("web.employer.search_page"))
        flash("已加入收藏夹" if created else "该学生已在收藏夹中", "success")
    else:
        removed = favorites.remove_favorite(current_actor(), student_id)
        flash("已从收藏夹删除" if removed else "该学生不在收藏夹中", "success" if removed else "warning")
    return back_to(forms.safe_back() or url_for("web.employer.favorites"))


@bp.route("/search", methods=["GET", "POST"])
@employer_required
def search_page():
    """添加学生: school code, cohort, name and phone or ID number, all exact. A POST, so that no
    ID number or phone ends up in a URL (history, logs)."""
    fields = {k: forms.text(k, limit=30) for k in ("school_code", "cohort", "name", "phone_or_id")}
    results = None
    if request.method == "POST":
        cohort = forms.required_int("cohort", label="毕业年度")
        key = _search_key(fields, cohort)
        results = search.search_students(current_actor(), key)
    return render("employer/search.html", fields=fields, results=results)


def _search_key(fields: dict[str, str], cohort: int) -> search.StudentKey:
    from app.domain.errors import InvalidInput

    problems = {}
    if not (len(fields["school_code"]) == 5 and fields["school_code"].isdigit()):
        problems["school_code"] = "学校代码应为5位数字"
    if not 2000 <= cohort <= 2100:
        problems["cohort"] = "毕业年度应为四位年份"
    if not fields["name"]:
        problems["name"] = "请填写姓名"
    if not fields["phone_or_id"]:
        problems["phone_or_id"] = search.PHONE_OR_ID_HINT
    if problems:
        raise InvalidInput("VALIDATION_FAILED", "请完整填写搜索条件", problems)
    return search.StudentKey(fields["school_code"], cohort, fields["name"], fields["phone_or_id"])


@bp.get("/favorites/template.xlsx")
@employer_required
def favorites_template():
    """下载批量导入模板."""
    return _xlsx(favorites.template_bytes(), "学生名单导入模板.xlsx")


def _import():
    content = uploads.read_limited(request.files.get("file"), favorites.MAX_IMPORT_BYTES, "file",
                                   "Excel文件", request.remote_addr)
    report = favorites.import_favorites(current_actor(), content)
    flash(f"导入完成：新加入{report.added}人，已在收藏夹{report.existing}人，未匹配{report.failed}行",
          "success" if not report.failed else "warning")
    return _favorites_page(report=report)


@bp.get("/favorites/export.xlsx")
@employer_required
def favorites_export():
    """导出签约发送列表."""
    return _xlsx(employer_desk.send_list_xlsx(current_actor(), cohort_arg()), "签约发送列表.xlsx")
