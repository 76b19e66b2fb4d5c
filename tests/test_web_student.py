"""The student's desktop pages after a QR log-in (issue 12): status and destination, letters read
only with the mini-program code, terminations, the agreement download once it exists; another
student's letter is a 404 and no page offers an answer."""
from __future__ import annotations

from app.services import terminations
from tests.review_helpers import effective, invite
from tests.web_helpers import session_for, web_login


def student_client(app, account):
    client = app.test_client()
    session_for(client, account)
    return client


def text(response) -> str:
    return response.get_data(as_text=True)


def test_a_student_who_scans_in_sees_their_status(app, world, db_session):
    client = student_client(app, world.student_account)
    assert client.get("/login/done").headers["Location"] == "/student/"
    page = text(client.get("/student/"))
    assert world.student.name in page and "尚未签约" in page and 'data-role="mp-code"' in page
    assert 'src="data:image/png;base64,' in page and "微信小程序中确认" in page


def test_letters_are_read_only_with_the_mini_program_code(app, world, db_session):
    invitation_id = invite(world)
    client = student_client(app, world.student_account)
    home = text(client.get("/student/"))
    assert 'data-count="open"' in home
    listed = text(client.get("/student/letters?status=open"))
    assert f'data-id="{invitation_id}"' in listed and "只能查看" in listed
    detail = text(client.get(f"/student/letters/{invitation_id}"))
    assert "软件工程师" in detail and 'data-role="flow"' in detail and 'data-role="mp-code"' in detail
    assert "<form" not in detail.split("</nav>", 1)[1]  # nothing to answer here
    assert client.post(f"/student/letters/{invitation_id}").status_code in (400, 405)


def test_destination_terminations_and_the_agreement_download(app, world, db_session, tmp_path, monkeypatch):
    invitation_id = effective(world)
    terminations.request_termination(world.actor(world.hr), invitation_id, "单位业务调整", True)
    client = student_client(app, world.student_account)
    home = text(client.get("/student/"))
    assert 'data-role="destination"' in home and "已签约" in home
    assert f'/student/letters/{invitation_id}' in home
    listed = text(client.get("/student/terminations"))
    assert "单位业务调整" in listed and "用人单位" in listed
    from app.services import documents

    documents.render_owed()
    detail = text(client.get(f"/student/letters/{invitation_id}"))
    assert f"/agreements/{invitation_id}/document.pdf" in detail


def test_another_students_letter_is_404(app, world, db_session):
    invitation_id = invite(world)
    client = student_client(app, world.student2_account)
    assert client.get(f"/student/letters/{invitation_id}").status_code == 404
    assert f'data-id="{invitation_id}"' not in text(client.get("/student/letters"))


def test_other_roles_cannot_open_student_pages(app, world):
    employer = app.test_client()
    web_login(employer, world.hr)
    assert employer.get("/student/").status_code == 403
    assert app.test_client().get("/student/letters").headers["Location"].startswith("/login?next=")


def test_a_destination_registered_offline_is_named(app, world, db_session):
    from app.models import ActiveDestination, DestinationKind

    db_session.add(ActiveDestination(student_id=world.student.id, kind=DestinationKind.PAPER))
    db_session.commit()
    page = text(student_client(app, world.student_account).get("/student/"))
    assert "已登记毕业去向（线下签约）" in page
