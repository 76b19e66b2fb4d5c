"""The served contract under fire (QUALITY.md "Security and bad input"): schemathesis generates
requests for every operation of /api/v1/openapi.json — valid and invalid ones — and checks that
the API never answers 5xx and that every answer matches the schema the document promises.

One test per operation and caller (an employer user, a student), with the world committed so that
path ids and student ids sometimes name real objects and the 200 paths are exercised too. The
requests go to the app wired to the WeChat emulator (tests.wechat_fixtures.live_app, same database
and Redis): the suite's plain app points at the real api.weixin.qq.com, so its log-in could only
ever answer 503 here — and must not reach the internet.
Bounded and reproducible: a few dozen examples per operation, derandomised, no example database.

schemathesis' own pytest loader (schemathesis.pytest.from_fixture) does not run under pytest 9
(it writes Node._nodeid, which pytest 9 no longer has), so each operation's strategy is driven
with Hypothesis directly — the documented "as_strategy" use.
"""
from __future__ import annotations

import re
from dataclasses import dataclass

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from schemathesis import GenerationMode
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import response_schema_conformance

from app.services import invitations, responses
from tests.api_helpers import ApiClient, terms_json
from tests.authz_fixtures import api_routes, openapi_operations, operations_of
from tests.conftest import World
from tests.wechat_fixtures import live_app  # noqa: F401  (the app served with the WeChat emulator)

MAX_EXAMPLES = 25
CHECKS = [not_a_server_error, response_schema_conformance]
CONFIG = schemathesis.Config.from_dict({"generation": {"deterministic": True, "database": "none"}})
CALLERS = ("employer_user", "student")


@dataclass
class Seeded:
    """Committed data for the run: ids that exist, and the caller's bearer token."""
    headers: dict[str, str]
    ids: dict[str, list[int]]  # path parameter name → real ids
    student_ids: list[int]


def seed(app, db, caller: str) -> Seeded:
    """The world, committed, with objects in the states the screens show:

    - A: world.hr → world.student, waiting for an answer;
    - B: other_hr → world.student, signed, reviewed, effective, and other_hr asks to terminate it
      (the termination waits for the student);
    - C: world.hr → student2, accepted, then modified by world.hr (a revision awaiting the answer);
    - D: world.student's 其他去向, saved as a draft.
    """
    from app.services import reviews, terminations

    world = World()
    db.session.commit()

    def send(hr, student) -> int:
        result = invitations.send_invitations(world.actor(hr), [student.id], World.terms())[0]
        assert result.ok, result
        return result.invitation_id

    a, b, c = send(world.hr, world.student), send(world.other_hr, world.student), send(world.hr, world.student2)
    responses.accept_invitation(world.actor(world.student_account), b, 1, True)
    reviews.approve_signing(world.actor(world.college_reviewer), b)
    reviews.approve_signing(world.actor(world.school_reviewer), b)
    termination = terminations.request_termination(world.actor(world.other_hr), b, "业务调整", True).id
    responses.accept_invitation(world.actor(world.student2_account), c, 1, True)
    invitations.modify_invitation(world.actor(world.hr), c, World.terms(position="高级软件工程师"))
    from app.services import destinations
    from tests.destination_helpers import awaiting_work

    # D: world.student's other destination, a draft (the signed agreement B holds the destination).
    d = destinations.save_draft(world.actor(world.student_account), awaiting_work()).id
    account = world.hr if caller == "employer_user" else world.student_account
    seeded = Seeded(headers=ApiClient(app.test_client(), account).headers,
                    ids={"invitation_id": [a, b, c], "termination_id": [termination], "destination_id": [d]},
                    student_ids=[world.student.id, world.student2.id, world.other_college_student.id])
    db.session.commit()  # nothing left open while the served app writes
    return seeded


def known(value, ids: list[int]):
    """Every other positive int becomes a real id; the rest stay as generated (mostly 404s)."""
    if ids and isinstance(value, int) and not isinstance(value, bool) and value > 0 and value % 2 == 0:
        return ids[(value // 2) % len(ids)]
    return value


def aim_at_real_objects(case, seeded: Seeded) -> None:
    if case.path_parameters:
        case.path_parameters = {name: known(value, seeded.ids.get(name, []))
                                for name, value in case.path_parameters.items()}
    if isinstance(case.body, dict):
        if isinstance(case.body.get("student_ids"), list):
            case.body = {**case.body,
                         "student_ids": [known(v, seeded.student_ids) for v in case.body["student_ids"]]}
        if "student_id" in case.body:
            case.body = {**case.body, "student_id": known(case.body["student_id"], seeded.student_ids)}


def test_operations_are_the_served_ones(app):
    """The operations parametrized below are exactly those the real app serves."""
    served = app.test_client().get("/api/v1/openapi.json").get_json()
    assert set(operations_of(served)) == set(openapi_operations())


@pytest.fixture(scope="module")
def served_schema(live_app):  # noqa: F811
    """The document as the app serves it, loaded once; its operations call that app (WSGI)."""
    return schemathesis.openapi.from_wsgi("/api/v1/openapi.json", live_app, config=CONFIG)


@pytest.mark.committing
@pytest.mark.parametrize("caller", CALLERS)
@pytest.mark.parametrize(("method", "path"), openapi_operations(),
                         ids=[f"{m} {p.removeprefix('/api/v1')}" for m, p in openapi_operations()])
def test_api_contract(app, live_app, committing_db, served_schema, method: str, path: str,  # noqa: F811
                      caller: str):
    """Whatever this caller sends to this operation, valid or not: no 5xx, and the answer matches
    the schema of its status code."""
    seeded = seed(app, committing_db, caller)
    operation = served_schema[path][method]
    cases = st.one_of(*(operation.as_strategy(generation_mode=mode) for mode in GenerationMode))

    @settings(max_examples=MAX_EXAMPLES, deadline=None, derandomize=True, database=None,
              suppress_health_check=list(HealthCheck))
    @given(case=cases)
    def contract(case):
        aim_at_real_objects(case, seeded)
        with live_app.app_context():  # a fresh context per request, as in production
            response = case.call(headers=seeded.headers)
        case.validate_response(response, checks=CHECKS)

    contract()


HUGE = 2**64  # beyond any database integer


@pytest.mark.parametrize("route", [pytest.param(r, id=r.label) for r in api_routes() if r.id_params])
def test_an_id_beyond_any_integer_column_is_a_4xx(world, client, route):
    """/…/18446744073709551616 is "not found" (or refused), never a 500 from the database driver."""
    api = ApiClient(client, world.student_account if "/student/" in route.rule else world.hr)
    path = route.rule
    for converter, name in route.params:
        path = re.sub(rf"<(?:\w+(?:\([^)]*\))?:)?{name}>", str(HUGE) if converter == "int" else "x", path)
    response = api.client.open(path, method=route.method, json={}, headers=api.headers)
    assert response.status_code < 500, response.get_data(as_text=True)[:300]


@pytest.mark.parametrize(("who", "path", "body"), [
    ("student", "/notifications/read", {"ids": [HUGE]}),
    ("hr", "/employer/invitations", {"student_ids": [HUGE], "terms": terms_json()}),
], ids=["POST /notifications/read ids", "POST /employer/invitations student_ids"])
def test_an_id_in_a_body_beyond_any_integer_column_is_a_4xx_or_ignored(world, client, who, path, body):
    """Found by the contract run on SQLite (the embedded default): OverflowError → 500."""
    api = ApiClient(client, world.student_account if who == "student" else world.hr)
    response = api.post(path, body)
    assert response.status_code < 500, response.get_data(as_text=True)[:300]
