"""Issue 8, the 500s and the text rule: bad input is a 4xx with the envelope, never a 500 —
checked through a real HTTP server (werkzeug in a thread), since the Flask test client hides
header-encoding and content-type problems — and stored text exports as text."""
from __future__ import annotations

import base64
import io
import re
from urllib.parse import unquote

import pytest
import requests
from openpyxl import load_workbook

from app.extensions import db
from app.services import invitations
from tests.api_helpers import ApiClient, terms_json
from tests.authz_fixtures import api_routes
from tests.conftest import World
from tests.wechat_fixtures import *  # noqa: F401,F403


class Http:
    """requests against the live server, logged in as an account through the test-only route."""

    def __init__(self, app, account=None) -> None:
        self.base = app.config["WECHAT"]["API_BASE"].removesuffix("/_emulator")
        self.session = requests.Session()
        if account is not None:
            token = self.session.post(f"{self.base}/api/v1/_test/token",
                                      json={"account_id": account.id}, timeout=10).json()["token"]
            self.session.headers["Authorization"] = f"Bearer {token}"

    def get(self, path: str, **kw):
        return self.session.get(self.base + path, timeout=10, **kw)

    def post(self, path: str, **kw):
        return self.session.post(self.base + path, timeout=10, **kw)


@pytest.fixture
def world_live(committing_db, live):
    world = World()
    db.session.commit()
    return world


def envelope(response) -> dict:
    assert response.headers["Content-Type"].startswith("application/json"), response.text[:200]
    return response.json()["error"]


# -- through a real server ----------------------------------------------------------------------

@pytest.mark.committing
def test_a_form_body_on_a_json_route_is_415_not_500(live_app, world_live):
    """Does a browser-style form (or multipart) post to a JSON route get 415 with the envelope
    — the log-in routes included, where spectree's json=None used to crash the view?"""
    http = Http(live_app, world_live.hr)
    form = http.post("/api/v1/employer/invitations/preview", data={"student_id": "1"})
    multipart = http.post("/api/v1/auth/wxa-login", files={"code": ("c.txt", b"dev:x")})
    unbound = Http(live_app)
    bind = unbound.post("/api/v1/auth/bind/employer", data={"username": "a", "password": "b"},
                        headers=Http(live_app, world_live.hr).session.headers)
    for response in (form, multipart, bind):
        assert response.status_code == 415, response.text[:300]
        assert envelope(response)["code"] == "UNSUPPORTED_MEDIA_TYPE"


@pytest.mark.committing
def test_json_nested_a_thousand_deep_is_400(live_app, world_live):
    http = Http(live_app, world_live.hr)
    deep = "[" * 1000 + "]" * 1000
    for body in (deep, '{"student_id": 1, "terms": ' + deep + "}", "[" * 100_000):
        response = http.post("/api/v1/employer/invitations/preview", data=body,
                             headers={"Content-Type": "application/json"})
        assert response.status_code == 400, response.text[:300]
        assert envelope(response)["code"] == "BAD_JSON"


@pytest.mark.committing
def test_a_cursor_beyond_bigint_is_400(live_app, world_live):
    http = Http(live_app, world_live.hr)
    for value in (2**63, 2**64 + 5, 10**25):
        cursor = base64.urlsafe_b64encode(str(value).encode()).decode().rstrip("=")
        response = http.get(f"/api/v1/employer/invitations?cursor={cursor}")
        assert response.status_code == 400, response.text[:300]
        assert envelope(response)["code"] == "BAD_CURSOR"


@pytest.mark.committing
def test_the_favorites_template_downloads_under_a_real_server(live_app, world_live):
    """Does the template come through a real server, named 收藏夹批量导入模板.xlsx the RFC 5987 way
    (a raw Chinese header value made the server fail every time)?"""
    response = Http(live_app, world_live.hr).get("/api/v1/employer/favorites/template.xlsx")
    assert response.status_code == 200, response.text[:300]
    disposition = response.headers["Content-Disposition"]
    assert disposition.isascii()
    assert unquote(re.search(r"filename\*=UTF-8''(\S+)", disposition).group(1)) == "收藏夹批量导入模板.xlsx"
    assert load_workbook(io.BytesIO(response.content)).worksheets[0]["A1"].value == "学校代码"


@pytest.mark.committing
def test_login_qr_with_a_json_scalar_is_400(live_app, world_live):
    http = Http(live_app)
    page = http.get("/login").text
    token = re.search(r'name="csrf-token" content="([^"]+)"', page).group(1)
    for body in ("5", '"local"', "[1, 2]", "null", "[" * 5000 + "]" * 5000):
        response = http.post("/login/qr", data=body, headers={"Content-Type": "application/json",
                                                               "X-CSRFToken": token})
        assert response.status_code in (200, 400), (body, response.status_code, response.text[:200])
        if body != "null":  # null is "no body": the default way of scanning
            assert response.status_code == 400 and envelope(response)["code"] == "VALIDATION_FAILED"


@pytest.mark.committing
def test_stored_control_characters_and_formulas_export_as_plain_text(live_app, world_live):
    """Stored before the text rule: a position with a control character and one that reads as an
    Excel formula. Does the export still download, with both shown as text (no live formula)?"""
    world = world_live
    hr = world.actor(world.hr)
    link = '=HYPERLINK("http://evil.example/","点击查看")'
    for student, position in ((world.student, "软件\x07工程师\x1b"), (world.student2, link)):
        [sent] = invitations.send_invitations(hr, [student.id], World.terms(position=position))
        assert sent.ok, sent
    response = Http(live_app, world.hr).get("/api/v1/employer/invitations/export.xlsx")
    assert response.status_code == 200, response.text[:300]
    sheet = load_workbook(io.BytesIO(response.content)).worksheets[0]
    column = [c.value for c in sheet[1]].index("拟聘用职位")
    cells = {row[column].value: row[column] for row in sheet.iter_rows(min_row=2)}
    assert set(cells) == {"软件工程师", link}
    assert cells[link].data_type == "s" and cells[link].quotePrefix


# -- every JSON route, in process ---------------------------------------------------------------

JSON_ROUTES = [pytest.param(route, id=route.label) for route in api_routes()
               if route.method in ("POST", "PUT")]


@pytest.mark.parametrize("route", JSON_ROUTES)
def test_every_write_route_answers_a_wrong_body_type_with_4xx(app, world, client, route):
    """Whatever the route, a body of the other kind (form for JSON, JSON for a file upload) is
    415 with the envelope, never a 500 — for the role allowed to use it."""
    from tests.test_authorization import required_roles

    kind = getattr(app.view_functions[route.endpoint], "request_body", None)
    roles = required_roles(app, route) or ("employer_user",)
    accounts = {"employer_user": world.hr, "student": world.student_account}
    account = accounts.get(roles[0], world.school_reviewer)
    path = re.sub(r"<(?:\w+:)?\w+>", "1", route.rule)
    headers = ApiClient(client, account).headers
    if kind == "form":
        response = client.open(path, method=route.method, json={"file": "x"}, headers=headers)
    else:
        response = client.open(path, method=route.method, data={"a": "b"}, headers=headers)
    if kind is None:  # no body expected: the form is ignored, and still no 500
        assert response.status_code < 500, response.get_data(as_text=True)[:300]
        return
    assert response.status_code == 415, response.get_data(as_text=True)[:300]
    assert response.get_json()["error"]["code"] == "UNSUPPORTED_MEDIA_TYPE"


# -- the text rule ------------------------------------------------------------------------------

@pytest.mark.parametrize("bad", ["\x00", "\x07", "\x1b[31m", "\x85", "\u202e", "\u2066", "\u200f"])
def test_control_and_bidi_characters_are_refused_with_the_field_named(world, client, bad):
    """Is a control character or a bidi override in free text refused with a 400 that names the
    field (in a body, nested, and in a query string), never stored?"""
    hr = ApiClient(client, world.hr)
    body = {"student_ids": [world.student.id], "terms": terms_json(position=f"软件{bad}工程师")}
    sent = hr.post("/employer/invitations", body)
    assert sent.status_code == 400, sent.get_json()
    assert "terms.position" in sent.get_json()["error"]["fields"]
    listed = hr.get(f"/employer/invitations?name=张{bad}三")
    assert listed.status_code == 400 and "name" in listed.get_json()["error"]["fields"]
    assert hr.get("/employer/invitations").get_json()["items"] == []


def test_line_breaks_and_tabs_stay_allowed(world, client):
    """Multi-line text (supplementary terms, reasons) keeps its line breaks."""
    hr = ApiClient(client, world.hr)
    body = {"student_ids": [world.student.id],
            "terms": terms_json(supplementary_terms="一、试用期满考核合格后转正。\r\n二、\t提供住宿。")}
    assert hr.post("/employer/invitations", body).get_json()["sent"] == 1
