"""学生管理 for the school's reviewers: the students with their 生源 and signing status
(签约开放列表), correcting a record (with its history), 网签开放设置 per cohort and college, and
the roster upload (check with a per-row report, then confirm; both as long work)."""
from __future__ import annotations

from flask import Response, flash, redirect, request, url_for

from app.domain import school_admin as rules
from app.domain.errors import InvalidInput
from app.domain.signing import EDUCATION_LABELS
from app.models import WorkState
from app.pii import mask_id_number, mask_phone
from app.services import long_work, organisation, roster, roster_jobs, student_records
from app.services.student_records import StudentFilter
from app.web import forms
from app.web.base import back_to, current_actor, render, role_required
from app.web.school_admin import SCHOOL_ADMIN, bp

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
OPEN_FILTERS = {"1": "已开放", "0": "未开放"}


def _school():
    actor = current_actor()
    return organisation.require_school_admin(actor, actor.school_id)


def _labels() -> dict:
    return {"gender": rules.GENDER_LABELS, "training": rules.TRAINING_MODE_LABELS,
            "source": rules.SOURCE_STATUS_LABELS, "education": EDUCATION_LABELS}


# -- 签约开放列表 / 学生信息 ---------------------------------------------------------------------

@bp.get("/students")
@role_required(*SCHOOL_ADMIN)
def students():
    """The school's students: 生源信息状态, whether signing is open and why not; filters."""
    school = _school()
    open_value = forms.choice("open", OPEN_FILTERS, args=True)
    flt = StudentFilter(cohort=forms.optional_int("cohort", args=True, label="毕业年度"),
                        college_id=forms.optional_int("college", args=True),
                        signing_open=None if open_value is None else open_value == "1",
                        source_status=forms.choice("source", rules.SOURCE_STATUS_LABELS, args=True),
                        q=forms.text("q", args=True, limit=30))
    page = forms.page_number()
    rows, total = student_records.students_page(current_actor(), school.id, flt, page)
    args = {k: v for k, v in request.args.items() if k != "page" and v}
    return render("students/list.html", fragment="results", school=school, rows=rows, total=total,
                  page=page, pages=max(1, -(-total // student_records.PAGE_SIZE)), f=flt, args=args,
                  open_value=open_value, cohorts=student_records.cohorts_of(school.id),
                  colleges=organisation.colleges_with_majors(school.id), labels=_labels(),
                  open_filters=OPEN_FILTERS, mask_phone=mask_phone, mask_id=mask_id_number)


@bp.route("/students/<int:student_id>", methods=["GET", "POST"])
@role_required(*SCHOOL_ADMIN)
def student(student_id: int):
    """One student: correct the record (with a reason), 生源 status, signing open, history."""
    actor = current_actor()
    record = student_records.student_for(actor, student_id)
    if request.method == "POST":
        action = forms.choice("action", ("correct", "signing", "source"))
        if action == "correct":
            changes = student_records.correct_student(actor, student_id, _corrections(record),
                                                      forms.text("reason", limit=200))
            flash(f"已修改：{'、'.join(rules.STUDENT_FIELD_LABELS[c.field] for c in changes)}", "success")
        elif action == "signing":
            opened = forms.choice("signing_open", ("1", "0")) == "1"
            student_records.set_student_signing(actor, student_id, opened, forms.text("reason", limit=200))
            flash("已开放网上签约" if opened else "已关闭网上签约", "success")
        elif action == "source":
            student_records.set_student_source_status(
                actor, student_id, forms.choice("source_status", rules.SOURCE_STATUS_LABELS) or "",
                forms.text("reason", limit=200))
            flash("生源信息状态已修改", "success")
        else:
            raise InvalidInput("VALIDATION_FAILED", "不支持的操作")
        return back_to()
    return render("students/detail.html", student=record, history=student_records.history(record),
                  colleges=organisation.colleges_with_majors(record.school_id), labels=_labels(),
                  masked_phone=mask_phone(record.phone), masked_id=mask_id_number(record.id_number))


def _corrections(record) -> dict:
    """The fields the form changed; PII inputs start empty (never shown in full), so an empty
    ID number or phone input means "unchanged"."""
    data: dict = {}
    for key in ("name", "class_name", "email", "address"):
        if key in request.form:
            data[key] = forms.text(key, limit=300)
    for key in ("phone", "id_number"):
        if forms.text(key):
            data[key] = forms.text(key, limit=30)
    for key in ("gender", "education_level", "training_mode"):
        if request.form.get(key):
            data[key] = forms.text(key, limit=30)
    major_id = forms.optional_int("major_id")
    if major_id and major_id != record.major_id:  # the college follows the major
        data["major_id"] = major_id
    return data


# -- 网签开放设置 -------------------------------------------------------------------------------

@bp.route("/signing-open", methods=["GET", "POST"])
@role_required(*SCHOOL_ADMIN)
def signing_open():
    """网签开放设置 of a cohort or of one college in it; bulk 生源 status; the change log."""
    actor, school = current_actor(), _school()
    cohorts = student_records.cohorts_of(school.id)
    if request.method == "POST":
        action = forms.choice("action", ("signing", "source"))
        cohort = forms.required_int("cohort", label="毕业年度")
        college_id = forms.optional_int("college_id")
        if action == "signing":
            opened = forms.choice("signing_open", ("1", "0")) == "1"
            change = student_records.apply_signing_scope(actor, school.id, cohort, college_id, opened,
                                                         forms.text("reason", limit=200))
            done = "开放" if opened else "关闭"
            flash(f"已{done}网上签约，{change.affected} 名学生的状态已更新", "success")
        else:
            status = forms.choice("source_status", rules.SOURCE_STATUS_LABELS) or ""
            only_from = forms.choice("only_from", rules.SOURCE_STATUS_LABELS)
            change = student_records.apply_source_status(actor, school.id, cohort, college_id, status,
                                                         only_from, forms.text("reason", limit=200))
            flash(f"生源信息状态已更新：{change.affected} 名学生", "success")
        return redirect(url_for(".signing_open", cohort=cohort), code=303)
    cohort = forms.optional_int("cohort", args=True, label="毕业年度") or (cohorts[0] if cohorts else None)
    colleges = organisation.colleges_with_majors(school.id)
    scopes = student_records.scopes_of(actor, school.id, cohort) if cohort else []
    return render("students/signing_open.html", school=school, cohort=cohort, cohorts=cohorts,
                  colleges=colleges, college_names={c.id: c.name for c in colleges},
                  counts=student_records.open_counts(school.id, cohort) if cohort else {},
                  scopes={s.college_id: s for s in scopes}, log=student_records.scope_log(actor, school.id),
                  labels=_labels(), default_reason=rules.DEFAULT_CLOSED_REASON)


# -- 花名册导入 ----------------------------------------------------------------------------------

@bp.route("/roster", methods=["GET", "POST"])
@role_required(*SCHOOL_ADMIN)
def roster_upload():
    """Upload a roster: it is checked row by row (a long job with a progress bar), then imported
    on confirmation."""
    actor, school = current_actor(), _school()
    if request.method == "POST":
        upload = request.files.get("file")
        if upload is None or not upload.filename:
            raise InvalidInput("VALIDATION_FAILED", "请选择花名册文件", {"file": "必填"})
        content = upload.stream.read(roster.MAX_UPLOAD_BYTES + 1)
        job = roster_jobs.start_check(actor, school.id, content, upload.filename, _job_prefix())
        return redirect(url_for(".roster_job", job_id=job.id), code=303)
    return render("students/roster.html", school=school, jobs=roster_jobs.roster_jobs(actor),
                  label_of=long_work.label_of, headers=roster.HEADERS, required=roster.REQUIRED,
                  max_rows=roster.MAX_ROWS)


def _job_prefix() -> str:
    return url_for(".roster_upload") + "/jobs/"


@bp.route("/roster/jobs/<int:job_id>", methods=["GET", "POST"])
@role_required(*SCHOOL_ADMIN)
def roster_job(job_id: int):
    """A roster check or import: progress while it runs (the block "progress" is polled), then
    the per-row report, and for a passed check the confirmation."""
    actor = current_actor()
    if request.method == "POST":  # 确认导入
        job = roster_jobs.start_import(actor, job_id, _job_prefix())
        return redirect(url_for(".roster_job", job_id=job.id), code=303)
    job = long_work.job_for(actor, job_id)
    if job.kind not in (roster_jobs.CHECK, roster_jobs.IMPORT):
        return redirect(url_for("web.work.job", job_id=job.id))
    running = job.state in (WorkState.QUEUED, WorkState.RUNNING) and not long_work.is_lost(job)
    return render("students/roster_job.html", fragment="progress", job=job, running=running,
                  lost=long_work.is_lost(job), result=job.result or {},
                  is_check=job.kind == roster_jobs.CHECK, label=long_work.label_of(job.kind))


@bp.get("/roster/template.xlsx")
@role_required(*SCHOOL_ADMIN)
def roster_template():
    """The Excel template with its header, an example row and the 说明 sheet."""
    return Response(roster.roster_template_bytes(), mimetype=XLSX, headers={
        "Content-Disposition": "attachment; filename=roster-template.xlsx; "
                               "filename*=UTF-8''%E5%AD%A6%E7%94%9F%E8%8A%B1%E5%90%8D%E5%86%8C%E6%A8%A1%E6%9D%BF.xlsx"})
