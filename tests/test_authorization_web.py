"""The authorisation matrix of the desktop pages: every route of the ``web`` blueprint × every
kind of browser session, read from the URL map (a page added later is in the matrix at once).

- nobody logged in → to /login (GET) — and a POST without the form's CSRF token → 400;
- a session whose role is not in the view's ``required_roles`` (a student, an employer user, a
  reviewer on an admin page …) → 403;
- an allowed reviewer on a route with an id of another college or school → 404, the reviewers
  of the object's own college and school are let through (not 404);
- every POST without its CSRF token → 400, whoever sends it.
"""
from __future__ import annotations

import io
import re
from typing import Any

import pytest
from PIL import Image

from tests.review_helpers import accepted, termination_in_college_review
from tests.web_helpers import csrf_from, session_for, web_login

# assets; a redirect to the landing page; 单位注册 (before any account exists, like /login)
WEB_PUBLIC = {"web.static", "web.home_alias", "web.employer.register"}


def web_routes() -> list[tuple[str, str, str]]:
    from tests.authz_fixtures import probe_app

    routes = []
    for rule in probe_app().url_map.iter_rules():
        if not rule.endpoint.startswith("web.") or rule.endpoint in WEB_PUBLIC:
            continue
        for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
            routes.append((rule.rule, method, rule.endpoint))
    return sorted(routes)


CALLERS = {
    "anonymous": None,
    "student": "student_account",
    "employer-user": "hr",
    "employer-user(other-employer)": "other_hr",
    "college-reviewer(own-college)": "college_reviewer",
    "college-reviewer(other-college)": "other_college_reviewer",
    "school-reviewer(own-school)": "school_reviewer",
    "school-reviewer(other-school)": "other_school_reviewer",
    "platform-admin": "admin",
}
OWNERS = {"college-reviewer(own-college)", "school-reviewer(own-school)"}


def _job_of(world, objects) -> int:
    """A finished long job with a result file, started by the school's reviewer: only they may
    see it or download its result."""
    from app.clock import utcnow
    from app.extensions import db
    from app.models import LongJob, WorkState
    from app.services import long_work

    directory = long_work.result_dir()
    directory.mkdir(parents=True, exist_ok=True)
    (directory / "0123456789abcdef0123456789abcdef.xlsx").write_bytes(b"PK result")
    job = LongJob(kind="export_review_list", params={}, state=WorkState.DONE, progress_done=1,
                  progress_total=1, result={"summary": "共导出1条"}, finished_at=utcnow(),
                  result_file="0123456789abcdef0123456789abcdef.xlsx", result_filename="名单.xlsx",
                  created_by_id=world.school_reviewer.id)
    db.session.add(job)
    db.session.flush()
    return job.id


def _intervention_evidence(world, objects) -> int:
    from app.clock import utcnow
    from app.extensions import db
    from app.models import InterventionEvidence
    from app.services import uploads
    from werkzeug.datastructures import FileStorage

    data = io.BytesIO()
    Image.new("RGB", (8, 8)).save(data, "PNG")
    data.seek(0)
    stored = uploads.save_image(FileStorage(data, "e.png"))
    item = InterventionEvidence(invitation_id=objects["invitation_id"], action="force_terminate",
                                storage_key=stored.storage_key, content_type=stored.content_type,
                                size=stored.size, sha256=stored.sha256, created_at=utcnow())
    db.session.add(item)
    db.session.flush()
    return item.id


def _destination_and_file(world, objects) -> tuple[int, int]:
    """An other destination (其他去向) of a student of the world's college, in college review,
    with one evidence image: (destination id, image id)."""
    if "destination" not in objects:
        from app.extensions import db
        from app.models import Role
        from app.services import destinations
        from tests.destination_helpers import awaiting_work, png
        from tests.factories import AccountFactory, StudentFactory

        student = StudentFactory(major=world.major)
        account = AccountFactory(role=Role.STUDENT, student_id=student.id, school_id=student.school_id,
                                 username=None, password_hash=None)
        db.session.flush()
        actor = world.actor(account)
        draft = destinations.save_draft(actor, awaiting_work())
        image = destinations.add_evidence(actor, draft.id, png())
        objects["destination"] = (destinations.submit(actor, draft.id).id, image.id)
    return objects["destination"]


def _paper_student_account(world):
    """A student of world.college (world.student holds an online agreement here) and their account."""
    from app.models import Role
    from tests.factories import AccountFactory, StudentFactory

    student = StudentFactory(major=world.major)
    return AccountFactory(role=Role.STUDENT, student_id=student.id, school_id=student.school_id,
                          username=None, password_hash=None)


def _paper_of(world, objects) -> int:
    """A generated paper agreement (线下签约) in the college's first review."""
    from tests import paper_helpers

    return paper_helpers.generated(world, _paper_student_account(world))


def _paper_scan_of(world, objects) -> int:
    """The stamped scan of a numbered paper agreement."""
    from app.services import paper_agreements
    from tests import paper_helpers

    account = _paper_student_account(world)
    paper_id = paper_helpers.numbered(world, account)
    scan = paper_helpers.scan_upload(paper_id)
    return paper_agreements.submit_scan(world.actor(account), paper_id, scan).id


def _paper_termination_of(world, objects) -> int:
    from app.services import paper_agreements
    from tests import paper_helpers

    account = _paper_student_account(world)
    paper_id = paper_helpers.effective(world, account)
    return paper_agreements.request_termination(
        world.actor(account), paper_id, paper_agreements.TerminationRequest("mutual", "双方协商一致", True),
        paper_helpers.upload(paper_helpers.png_bytes(), "proof.png")).id


# Which object an id parameter names, and who owns it (default: the object's own reviewers).
OBJECT_OF_PARAM = {
    "invitation_id": (lambda world, objects: objects["invitation_id"], OWNERS),
    "termination_id": (lambda world, objects: objects["termination_id"], OWNERS),
    "job_id": (_job_of, {"school-reviewer(own-school)"}),
    "evidence_id": (_intervention_evidence, OWNERS),
    # Employers are verified by any school's reviewer or the platform (SPEC §1): not scoped.
    "employer_id": (lambda world, objects: world.other_employer.id, None),
    # A student is administered by the school's reviewers (college reviewers have no such page).
    "student_id": (lambda world, objects: world.student.id, {"school-reviewer(own-school)"}),
    "destination_id": (lambda world, objects: _destination_and_file(world, objects)[0], OWNERS),
    "file_id": (lambda world, objects: _destination_and_file(world, objects)[1], OWNERS),
    # Schools are the platform admin's pages only (every other role is refused by role).
    "school_id": (lambda world, objects: world.school.id, None),
    # The employer's desktop pages name its agreements so; another employer gets a 404.
    "agreement_id": (lambda world, objects: objects["invitation_id"], {"employer-user"}),
    # The student's desktop pages: their own letters (another student's: tests/test_web_student.py).
    "letter_id": (lambda world, objects: objects["student_letter_id"], {"student"}),
    "paper_id": (_paper_of, OWNERS),
    "scan_id": (_paper_scan_of, OWNERS),
    "paper_termination_id": (_paper_termination_of, OWNERS),
}
STRING_PARAMS = {"kind": {"web.review.export": "signings", "web.review.evidence": "intervention",
                          "web.admin.dictionary": "region"}}
# A harmless valid form per POST endpoint, so the answer is about authorisation, not the form.
FORMS = {
    "web.review.signings": lambda objects: {"action": "batch_approve", "ids": str(objects["invitation_id"])},
    "web.review.signing": lambda objects: {"action": "reveal_id_number"},
    "web.review.termination": lambda objects: {"action": "reject", "reason": "证据不足"},
    "web.review_paper.detail": lambda objects: {"action": "reject", "reason": "信息不实"},
    "web.employers.employer": lambda objects: {"decision": "reject", "reason": "材料不清晰"},
    "web.destinations.detail": lambda objects: {"action": "reject", "reason": "材料不清晰"},
}


def path_of(rule: str, endpoint: str, world, objects) -> tuple[str, set[str] | None]:
    owners: set[str] | None = OWNERS
    path = rule
    for _converter, name in re.findall(r"<(?:(\w+)(?:\([^)]*\))?:)?(\w+)>", rule):
        if name in STRING_PARAMS:
            value: Any = STRING_PARAMS[name][endpoint]
        elif name in OBJECT_OF_PARAM:
            make, owners = OBJECT_OF_PARAM[name]
            value = make(world, objects)
        else:
            pytest.fail(f"no object known for <{name}> of {endpoint}: add it to OBJECT_OF_PARAM")
        path = re.sub(rf"<(?:\w+(?:\([^)]*\))?:)?{name}>", str(value), path)
    return path, owners


def browser_for(app, world, caller: str):
    client = app.test_client()
    attr = CALLERS[caller]
    if attr is None:
        return client
    account = getattr(world, attr)
    if account.username is None:
        session_for(client, account)
    else:
        web_login(client, account)
    return client


MATRIX = [pytest.param(rule, method, endpoint, caller, id=f"{method} {rule} · {caller}")
          for rule, method, endpoint in web_routes() for caller in CALLERS]


def test_the_matrix_has_the_review_pages():
    endpoints = {e for _, _, e in web_routes()}
    assert {"web.home", "web.review.signings", "web.review.signing", "web.review.termination",
            "web.employers.queue", "web.work.job"} <= endpoints


@pytest.mark.parametrize(("rule", "method", "endpoint", "caller"), MATRIX)
def test_web_authorisation_matrix(app, world, db_session, tmp_path, monkeypatch, rule, method, endpoint,
                                  caller):
    monkeypatch.setitem(app.config, "UPLOAD_DIR", str(tmp_path / "uploads"))
    monkeypatch.setitem(app.config, "WORK_RESULT_DIR", str(tmp_path / "results"))
    # The termination's agreement is world.student's (their letter); the signing below is another,
    # in college review, sent by world.hr's employer.
    student_letter_id, termination_id = termination_in_college_review(world)
    objects = {"invitation_id": accepted(world, student=world.student2), "termination_id": termination_id,
               "student_letter_id": student_letter_id}
    path, owners = path_of(rule, endpoint, world, objects)
    db_session.commit()
    roles = getattr(app.view_functions[endpoint], "required_roles", None)
    assert roles, f"{endpoint} has no role guard (use app.web.base.role_required)"
    client = browser_for(app, world, caller)

    if method == "POST":
        refused = client.post(path, data=FORMS.get(endpoint, lambda o: {})(objects))
        assert refused.status_code == 400 and "页面已过期" in refused.get_data(as_text=True), \
            f"POST without CSRF token: {refused.status_code}"
        token = csrf_from(client.get("/login/password").get_data(as_text=True))  # the session's token
        response = client.post(path, data={"csrf_token": token, **FORMS.get(endpoint, lambda o: {})(objects)})
    else:
        response = client.get(path)
    body = response.get_data().decode("utf-8", errors="replace")  # a download is bytes
    response.close()

    if caller == "anonymous":
        assert response.status_code == 302 and response.headers["Location"].startswith("/login?next="), \
            response.status_code
        return
    role = getattr(world, CALLERS[caller]).role.value
    if role not in roles:
        assert response.status_code == 403 and "无权访问" in body, response.status_code
        return
    assert response.status_code not in (401, 403), f"{caller} refused: {response.status_code}"
    if owners is None or "<int:" not in rule or caller == "platform-admin":
        return
    if caller in owners:
        assert response.status_code != 404, f"{caller} cannot reach its own object: {body[:200]}"
    else:
        assert response.status_code == 404, f"{caller} reached another's object: {response.status_code}"
