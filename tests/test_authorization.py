"""The authorisation matrix (QUALITY.md "Security"): every /api/v1 route × every kind of caller.

Routes are read from the application's URL map, so an endpoint added later is in the matrix
without anyone remembering to add it. For each route and caller:

- nobody logged in (no token, or a token the server never issued) → 401 AUTH_REQUIRED;
- a logged-in account whose role is not in the view's ``required_roles`` → 403 (a view without
  ``required_roles`` is for any logged-in, bound account);
- an allowed role on a route with an ``<int:…>`` id that does not own the object → 404, while the
  owner on the same route is let through and does not get 404 (so the 404 means "not yours", not
  "no such id"; a business-rule 403 or 409 for the owner is fine);
- authentication and the role check come before request validation (a caller who may not use a
  route learns nothing from a 400 about what it accepts).

"The object" is one invitation sent by ``world.hr`` to ``world.student``.
"""
from __future__ import annotations

import re
from typing import Any

import pytest

from app.models import Role
from app.services import invitations, responses, reviews
from tests.api_helpers import ApiClient, terms_json
from tests.authz_fixtures import API, Route, api_routes, probe_app, routes_of

WRITE_METHODS = {"POST", "PUT", "PATCH", "DELETE"}

# Routes meant for callers who are not logged in yet (mini-program log-in, registration).
# They are exempt from "anonymous → 401" only; add an endpoint here deliberately, never by default.
PUBLIC_ENDPOINTS: frozenset[str] = frozenset({
    "api.register",  # 单位注册: creates the employer and its first account, answers with a token
    "api.wxa_login",  # mini-program log-in with a wx.login() code
    "api.dictionary",  # the code dictionaries (public data) the registration form picks from
})

def _termination_of(world, invitation_id: int) -> int:
    """The agreement signed and reviewed, then the employer asks to terminate it (the student,
    the other party, is the one who may answer)."""
    from app.models import Invitation, InvitationState
    from app.services import terminations

    if world_session().get(Invitation, invitation_id).state != InvitationState.EFFECTIVE:
        make_effective(world, invitation_id)
    return terminations.request_termination(world.actor(world.hr), invitation_id, "单位业务调整",
                                            True).id


def _agreement_of(world, invitation_id: int) -> int:
    """The invitation signed and approved: an agreement with a number (its document is owed)."""
    from app.models import Invitation, InvitationState

    if world_session().get(Invitation, invitation_id).state != InvitationState.EFFECTIVE:
        make_effective(world, invitation_id)
    return invitation_id


def _destination_of(world, invitation_id: int) -> int:
    """world.student's other destination (其他去向), sent to review, with one evidence image."""
    return _destination_and_file(world)[0]


def _destination_and_file(world) -> tuple[int, int]:
    if not hasattr(world, "destination_and_file"):
        from app.services import destinations
        from tests.destination_helpers import awaiting_work, png

        actor = world.actor(world.student_account)
        draft = destinations.save_draft(actor, awaiting_work())
        image = destinations.add_evidence(actor, draft.id, png())
        world.destination_and_file = (destinations.submit(actor, draft.id).id, image.id)
    return world.destination_and_file


def _intervention_evidence_of(world, invitation_id: int) -> int:
    """A forced termination's proof image on the world's agreement (the review API shows it)."""
    import io

    from PIL import Image
    from werkzeug.datastructures import FileStorage

    from app.clock import utcnow
    from app.models import InterventionEvidence
    from app.services import uploads

    data = io.BytesIO()
    Image.new("RGB", (8, 8)).save(data, "PNG")
    data.seek(0)
    stored = uploads.save_image(FileStorage(data, "e.png"))
    item = InterventionEvidence(invitation_id=invitation_id, action="force_terminate",
                                storage_key=stored.storage_key, content_type=stored.content_type,
                                size=stored.size, sha256=stored.sha256, created_at=utcnow())
    world_session().add(item)
    world_session().flush()
    return item.id


@pytest.fixture(autouse=True)
def upload_dir(app, tmp_path, monkeypatch):
    monkeypatch.setitem(app.config, "UPLOAD_DIR", str(tmp_path / "uploads"))


def _paper_of(world, invitation_id: int) -> int:
    """world.student's paper agreement, generated (the invitation is only a letter: no destination)."""
    from sqlalchemy import select

    from app.models import PaperAgreement
    from tests import paper_helpers

    existing = world_session().scalar(select(PaperAgreement.id).where(
        PaperAgreement.open_student_id == world.student.id))
    return existing or paper_helpers.generated(world)


def _paper_termination_of(world, invitation_id: int) -> int:
    """world.student's paper agreement made effective, and its termination asked."""
    import tempfile

    from flask import current_app

    from app.services import paper_agreements
    from tests import paper_helpers

    current_app.config["UPLOAD_DIR"] = tempfile.mkdtemp(prefix="wq-authz-")
    paper_id = paper_helpers.effective(world)
    return paper_agreements.request_termination(
        world.actor(world.student_account), paper_id,
        paper_agreements.TerminationRequest("mutual", "双方协商一致", True),
        paper_helpers.upload(paper_helpers.png_bytes(), "proof.png")).id


# Which object an id parameter names: (world, invitation_id) → the id of an object owned by
# world.student and world.employer. A parameter missing here makes its ownership cases skip with
# the reason (the 401/403 cases still run, with a placeholder id).
OBJECT_OF_PARAM = {
    "invitation_id": lambda world, invitation_id: invitation_id,  # agreements are invitations too
    "termination_id": _termination_of,
    "employer_id": lambda world, invitation_id: world.employer.id,
    "agreement_id": _agreement_of,  # the e-agreement's downloads (owners: 200, or 409 while rendering)
    "account_id": lambda world, invitation_id: world.hr2.id,  # a colleague of the owner, world.hr
    "destination_id": _destination_of,
    "file_id": lambda world, invitation_id: _destination_and_file(world)[1],  # an image of that one
    "paper_id": _paper_of,  # world.student's paper agreement (线下签约)
    "paper_termination_id": _paper_termination_of,
    "evidence_id": _intervention_evidence_of,
}
# String parameters with a fixed set of values: the one the matrix uses.
STRING_PARAMS = {"kind": "intervention"}

# Id routes whose object is not owned by one school or party: only the role is checked.
UNSCOPED_ENDPOINTS = {
    "api.review_verify_employer",  # any school's reviewer or the platform verifies employers (SPEC §1)
}

# A minimal valid body per write endpoint, so a 400 never hides the authorisation answer.
BODIES = {
    "api.accept": lambda world: {"revision": 1, "confirm": True},
    "api.reject": lambda world: {"reason": "已有其他打算"},
    "api.accept_revision": lambda world: {"revision": 2},
    "api.decline_revision": lambda world: {"revision": 2},
    "api.send_invitations": lambda world: {"student_ids": [world.student.id], "terms": terms_json()},
    "api.preview": lambda world: {"student_id": world.student.id, "terms": terms_json()},
    "api.modify": lambda world: terms_json(position="高级软件工程师"),
    "api.mark_read": lambda world: {},
    "api.check_letter": lambda world: {"student_ids": [world.student.id], "terms": terms_json()},
    "api.add_colleague": lambda world: {"username": "hr9.matrix", "display_name": "某某",
                                        "password": "Matrix2026"},
    "api.reset_password": lambda world: {"password": "Matrix2026"},
    "api.change_password": lambda world: {"old_password": "Passw0rd!x", "new_password": "Matrix2026"},
    "api.record_subscriptions": lambda world: {"moment": "student_letters", "results": {}},
    **{f"api.{party}_request_termination": lambda world: {"reason": "个人原因", "acknowledge": True}
       for party in ("student", "employer")},
    **{f"api.{party}_agree_termination": lambda world: {"confirm": True} for party in ("student", "employer")},
    **{f"api.{party}_disagree_termination": lambda world: {"reason": "不同意"}
       for party in ("student", "employer")},
    "api.review_reject_signing": lambda world: {"reason": "信息不实"},
    **{f"api.{name}_destination": lambda world: {"category_code": "70", "fields": {}, "archive": {}}
       for name in ("create", "update")},
    "api.cancel_destination": lambda world: {"reason": "改为签约就业"},
    "api.review_reject_destination": lambda world: {"reason": "材料不清晰"},
    "api.review_reject_termination": lambda world: {"reason": "证据不足"},
    "api.review_reveal": lambda world: {"field": "id_number"},
    "api.review_force_terminate": lambda world: {"reason": "单位已注销", "confirm": "true"},
    "api.review_batch_approve": lambda world: {"ids": [1]},
    "api.review_verify_employer": lambda world: {"decision": "reject", "reason": "材料不清晰"},
    "api.create_paper_agreement": lambda world: {"content": {}},
    "api.update_paper_agreement": lambda world: {"content": {}},
    "api.generate_paper_agreement": lambda world: {"confirm": True},
    "api.paper_termination": lambda world: {"type": "mutual", "reason": "双方协商一致",
                                            "acknowledge": "true"},
    "api.review_paper_reject": lambda world: {"reason": "信息不实"},
    "api.review_paper_termination_reject": lambda world: {"reason": "证明材料不清晰"},
    **{f"api.review_{name}": lambda world: {"reason": "学生信息有误", "confirm": True}
       for name in ("void_agreement", "invalidate_agreement", "withdraw_approval")},
}

# Something every request model refuses (they all forbid unknown fields), sent to check that
# authorisation is answered first.
INVALID_BODY = {"no_such_field": "x" * 300, "revision": "not a number", "student_ids": "nope"}
INVALID_QUERY = "?limit=0&no_such_param=1&cursor=" + "!" * 60


# caller id → the World attribute holding the account (None: not logged in)
CALLERS = {
    "anonymous": None,
    "garbage-token": None,
    "unbound-wechat-session": None,
    "deactivated-student": "student_account",
    "student(owner)": "student_account",
    "other-student": "student2_account",
    "employer-user(owner)": "hr",
    "other-employer-user": "other_hr",
    "college-reviewer(other-college)": "other_college_reviewer",
    "school-reviewer(other-school)": "other_school_reviewer",
    # The in-scope reviewers are the positive control for reviewer routes: without them a reviewer
    # route answering 404 to everyone would pass the "other college / other school" cases.
    "college-reviewer(own-college)": "college_reviewer",
    "school-reviewer(own-school)": "school_reviewer",
    "platform-admin": "admin",
}
OWNERS = {"student(owner)", "employer-user(owner)", "college-reviewer(own-college)",
          "school-reviewer(own-school)"}
UNSCOPED = {"platform-admin"}  # sees across schools by design: only its role is checked here


def required_roles(app, route: Route) -> tuple[str, ...] | None:
    """What the view itself declares (roles_required sets view.required_roles)."""
    return getattr(app.view_functions[route.endpoint], "required_roles", None)


def world_session():
    from app.extensions import db

    return db.session


def the_object(world) -> int:
    result = invitations.send_invitations(world.actor(world.hr), [world.student.id], world.terms())[0]
    assert result.ok, result
    return result.invitation_id


def headers_for(caller: str, world, client) -> dict[str, str]:
    from app.api.auth import issue_token

    if caller == "anonymous":
        return {}
    if caller == "garbage-token":
        return {"Authorization": "Bearer " + "never-issued-" * 4}
    if caller == "unbound-wechat-session":  # logged in through WeChat, no account bound yet
        return {"Authorization": f"Bearer {issue_token(None)}"}
    account = getattr(world, CALLERS[caller])
    headers = ApiClient(client, account).headers
    if caller == "deactivated-student":
        account.is_active = False
    return headers


def url_for(route: Route, world, invitation_id: int | None) -> tuple[str, list[str]]:
    """The concrete path, and the id parameters for which no owned object is known
    (invitation_id None: placeholders everywhere, no object is made)."""
    path, unknown = route.rule, []
    for converter, name in route.params:
        if name in STRING_PARAMS:
            value: Any = STRING_PARAMS[name]
        elif invitation_id is not None and name in OBJECT_OF_PARAM:
            value = OBJECT_OF_PARAM[name](world, invitation_id)
        else:
            value = 999999 if converter == "int" else "placeholder"
            if converter == "int":
                unknown.append(name)
        path = re.sub(rf"<(?:\w+(?:\([^)]*\))?:)?{name}>", str(value), path)
    return path, unknown


def send(client, route: Route, path: str, headers: dict, body: Any = None, query: str = ""):
    kwargs: dict[str, Any] = {"headers": headers}
    if route.method in WRITE_METHODS:
        form = getattr(probe_app().view_functions[route.endpoint], "request_body", None) == "form"
        kwargs["data" if form else "json"] = body  # a form endpoint gets a form (else: 415 first)
    response = client.open(path + query, method=route.method, **kwargs)
    response.get_data()  # read whole (a file download too), then let go of what it streamed
    response.close()
    return response


def describe(response) -> str:
    return f"{response.status_code} {response.get_data(as_text=True)[:300]}"


def error_code(response) -> str | None:
    body = response.get_json(silent=True) or {}
    return (body.get("error") or {}).get("code")


# 403 codes that mean "not your role / not logged in to an account" rather than a business rule
# (an unverified employer, an action the other party must take) refusing a permitted caller.
ROLE_REFUSALS = {"ROLE_NOT_ALLOWED", "BINDING_REQUIRED"}


def let_through(response) -> bool:
    """The caller got past authentication and the role check (whatever the answer then was)."""
    return response.status_code != 401 and not (
        response.status_code == 403 and error_code(response) in ROLE_REFUSALS)


def _applies(route: Route, caller: str) -> bool:
    """Left out at collection: public routes for callers without an account, and the log-in and
    binding routes for an unbound WeChat session (what such a session is for)."""
    if caller in ("anonymous", "garbage-token", "deactivated-student", "unbound-wechat-session") \
            and route.endpoint in PUBLIC_ENDPOINTS:
        return False
    return not (caller == "unbound-wechat-session" and route.rule.startswith(f"{API}/auth/"))


MATRIX = [pytest.param(route, caller, id=f"{route.label} · {caller}")
          for route in api_routes() for caller in CALLERS if _applies(route, caller)]


def test_matrix_covers_every_route(app):
    """The routes the matrix was built from are exactly the application's routes under /api/v1."""
    assert {(r.rule, r.method) for r in api_routes()} == {(r.rule, r.method) for r in routes_of(app)}
    assert api_routes(), "no /api/v1 routes found"


@pytest.mark.parametrize(("route", "caller"), MATRIX)
def test_authorisation_matrix(app, world, client, route: Route, caller: str):
    roles = required_roles(app, route)
    invitation_id = the_object(world) if route.id_params else None
    path, unknown_ids = url_for(route, world, invitation_id)
    body = BODIES.get(route.endpoint, lambda w: {})(world)
    headers = headers_for(caller, world, client)
    response = send(client, route, path, headers, body)

    if caller in ("anonymous", "garbage-token", "deactivated-student"):
        assert (response.status_code, error_code(response)) == (401, "AUTH_REQUIRED"), describe(response)
        return
    if caller == "unbound-wechat-session":
        assert (response.status_code, error_code(response)) == (403, "BINDING_REQUIRED"), describe(response)
        return

    role = getattr(world, CALLERS[caller]).role.value
    if roles is not None and role not in roles:
        assert response.status_code == 403, f"{role} is not in {roles}: {describe(response)}"
        assert error_code(response), describe(response)
        return

    # The caller's role may use the route.
    assert let_through(response), describe(response)
    if not route.id_params or caller in UNSCOPED or route.endpoint in UNSCOPED_ENDPOINTS:
        return
    if unknown_ids:
        pytest.fail(f"no owned object known for id parameter(s) {unknown_ids}: add to OBJECT_OF_PARAM")
    if caller in OWNERS:  # the object exists and is theirs: whatever the answer, not "not found"
        assert response.status_code != 404, describe(response)
    else:
        assert response.status_code != 400 or route.endpoint in BODIES, (
            f"add a minimal valid body for {route.endpoint} to BODIES: {describe(response)}")
        assert response.status_code == 404, f"{caller} reached another's object: {describe(response)}"
        assert error_code(response), describe(response)
        # "Not yours" reads exactly like "not there": same status, code and message.
        missing_path, _ = url_for(route, world, None)
        missing = send(client, route, re.sub(r"/999999(?=/|$)", "/987654321", missing_path), headers, body)
        assert (missing.status_code, missing.get_json()) == (response.status_code, response.get_json()), (
            f"another's object and a missing one answer differently: "
            f"{describe(response)} vs {describe(missing)}")


def _denied_callers():
    """(route, caller) pairs that must be refused whatever they send (public routes and routes
    open to every logged-in account have no such caller, so they are not collected)."""
    for route in api_routes():
        if route.endpoint in PUBLIC_ENDPOINTS:
            continue
        yield pytest.param(route, "anonymous", id=f"{route.label} · anonymous")
        yield pytest.param(route, "garbage-token", id=f"{route.label} · garbage-token")
        if required_roles(probe_app(), route) is not None:
            yield pytest.param(route, "disallowed-role", id=f"{route.label} · disallowed-role")


@pytest.mark.parametrize(("route", "caller"), list(_denied_callers()))
def test_authorisation_is_answered_before_validation(app, world, client, route: Route, caller: str):
    """A malformed request from someone who may not use the route gets 401/403, not a 400 that
    describes what the route would accept."""
    roles = required_roles(app, route)
    if caller == "disallowed-role":
        outsider = next(a for a in (world.admin, world.other_school_reviewer, world.student_account)
                        if a.role.value not in roles)
        headers, expected = ApiClient(client, outsider).headers, 403
    else:
        headers, expected = headers_for(caller, world, client), 401
    path, _ = url_for(route, world, None)
    response = send(client, route, path, headers, INVALID_BODY, INVALID_QUERY)
    assert response.status_code == expected, describe(response)
    if route.method in WRITE_METHODS:  # a body of the wrong type (415) or with control characters
        for data in ({"reason": "\u202e反向"}, "[" * 2000):
            kwargs = ({"data": data} if isinstance(data, dict)
                      else {"data": data, "content_type": "application/json"})
            odd = client.open(path, method=route.method, headers=headers, **kwargs)
            assert odd.status_code == expected, describe(odd)


EMPLOYER_GETS = [pytest.param(route, id=route.label) for route in api_routes()
                 if route.method == "GET" and route.rule.startswith(f"{API}/employer/")]


@pytest.mark.parametrize("stage", ["invited", "effective"])
@pytest.mark.parametrize("route", EMPLOYER_GETS)
def test_employers_never_see_an_unmasked_id_number(app, world, client, route: Route, stage: str):
    """No GET under /employer/ shows the student's full ID number or phone — before or after the
    agreement is signed, to the inviting employer or to any other."""
    invitation_id = the_object(world)
    if stage == "effective":
        make_effective(world, invitation_id)
    path, _ = url_for(route, world, invitation_id)
    secrets = {"ID number": world.student.id_number, "phone": world.student.phone}
    # Read everything first: a streamed export may expunge the session the world lives in.
    callers = {"inviting employer": ApiClient(client, world.hr),
               "other employer": ApiClient(client, world.other_hr)}
    for who, api in callers.items():
        response = api.get(path.removeprefix(API))
        text = readable_text(response)
        for what, value in secrets.items():
            assert value not in text, f"{who} sees the full {what}: {describe(response)}"
        if who == "inviting employer" and route.id_params:
            assert response.status_code == 200, describe(response)  # the check saw the student


def make_effective(world, invitation_id: int) -> None:
    responses.accept_invitation(world.actor(world.student_account), invitation_id, 1, True)
    reviews.approve_signing(world.actor(world.college_reviewer), invitation_id)
    reviews.approve_signing(world.actor(world.school_reviewer), invitation_id)


def readable_text(response) -> str:
    """What the caller can read in the response: JSON/text as is, a workbook cell by cell."""
    data = response.get_data()
    if data[:2] == b"PK":  # xlsx (a zip): every cell of every sheet
        import io

        from openpyxl import load_workbook

        workbook = load_workbook(io.BytesIO(data), read_only=True)
        return "\n".join(str(value) for sheet in workbook.worksheets
                         for row in sheet.iter_rows(values_only=True) for value in row
                         if value is not None)
    return data.decode("utf-8", errors="replace")


def test_roles_in_the_matrix_are_the_roles_there_are(world):
    """Every role of the platform is represented by some caller of the matrix."""
    represented = {getattr(world, attr).role for attr in CALLERS.values() if attr}
    assert represented == set(Role)
