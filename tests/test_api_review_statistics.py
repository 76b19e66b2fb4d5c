"""GET /api/v1/review/statistics: the statistics page's figures for reviewers' phones."""
from __future__ import annotations

from tests.api_helpers import ApiClient
from tests.test_statistics import signed  # noqa: F401  (fixture)


def test_school_reviewer_gets_the_cohort_by_college_and_major(world, client, signed):  # noqa: F811
    body = ApiClient(client, world.school_reviewer).get("/review/statistics?cohort=2026").get_json()
    assert body["school_code"] == world.school.code and body["cohort"] == 2026
    assert body["total"] == {"students": 3, "signed_online": 1, "signed_paper": 0, "other_destination": 0,
                             "in_review": 1, "unsigned": 1, "signing_rate": 33.3, "placement_rate": 33.3}
    assert body["median_review_hours"] == {"college_review": 4.0, "school_review": 24.0}
    colleges = {c["college_id"]: c for c in body["colleges"]}
    assert colleges[world.college.id]["majors"][0]["figures"]["students"] == 2
    assert body["generated_at"].endswith("+08:00")


def test_college_reviewer_gets_their_college_whatever_they_ask(world, client, signed):  # noqa: F811
    api = ApiClient(client, world.other_college_reviewer)
    body = api.get(f"/review/statistics?college_id={world.college.id}").get_json()
    assert [c["college_id"] for c in body["colleges"]] == [world.other_college.id]
    assert body["total"]["students"] == 1


def test_platform_admin_names_the_school(world, client, signed):  # noqa: F811
    api = ApiClient(client, world.admin)
    response = api.get("/review/statistics")
    assert response.status_code == 400 and "school_code" in response.get_json()["error"]["fields"]
    assert api.get(f"/review/statistics?school_code={world.school.code}").get_json()["total"]["students"] == 3


def test_other_school_and_other_roles_are_refused(world, client, signed):  # noqa: F811
    other = ApiClient(client, world.other_school_reviewer)
    assert other.get(f"/review/statistics?school_code={world.school.code}").status_code == 404
    assert other.get("/review/statistics").get_json()["total"]["students"] == 0  # their own school
    for account in (world.hr, world.student_account):
        response = ApiClient(client, account).get("/review/statistics")
        assert response.status_code == 403 and response.get_json()["error"]["code"] == "ROLE_NOT_ALLOWED"
    assert client.get("/api/v1/review/statistics").status_code == 401


def test_bad_query_is_a_400(world, client):
    api = ApiClient(client, world.school_reviewer)
    for query in ("cohort=1990", "cohort=abc", "school_code=12", "nope=1"):
        assert api.get(f"/review/statistics?{query}").status_code == 400, query


def test_statistics_is_in_the_openapi_document(client):
    document = client.get("/api/v1/openapi.json").get_json()
    operation = document["paths"]["/api/v1/review/statistics"]["get"]
    assert {p["name"] for p in operation["parameters"]} == {"cohort", "college_id", "school_code"}
