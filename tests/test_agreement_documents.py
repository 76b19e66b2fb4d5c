"""The e-agreement 电子就业协议书 (issue 14): the PDF and its preview, rendered by a job when the
agreement's state changes, downloaded by the student, the employer and the reviewers only, and
the 解约函 of an approved termination."""
from __future__ import annotations

import io
from datetime import timedelta

import pytest
import time_machine
import zxingcpp
from PIL import Image
from pypdf import PdfReader
from sqlalchemy import select

from app.clock import utcnow
from app.domain import agreement_document as doc
from app.models import AgreementDocument, Invitation
from app.services import documents, interventions, responses, terminations
from app.services.verification import expected_code
from tests.api_helpers import ApiClient
from tests.factories import TEST_PASSWORD
from tests.test_termination_services import effective_agreement


@pytest.fixture
def rendering(app, tmp_path, monkeypatch):
    """Documents rendered after each commit (the inline job), stored under a temporary folder."""
    monkeypatch.setitem(app.config["DOCUMENTS"], "ON_COMMIT", True)
    monkeypatch.setitem(app.config, "UPLOAD_DIR", str(tmp_path / "uploads"))
    return tmp_path / "uploads" / "documents"


def pdf_text(data: bytes) -> str:
    """The text of every page, lines joined (a wrapped sentence reads whole)."""
    return "".join(page.extract_text().replace("\n", "") for page in PdfReader(io.BytesIO(data)).pages)


def qr_codes(png: bytes) -> list[str]:
    image = Image.open(io.BytesIO(png))
    image.load()
    return [r.text for r in zxingcpp.read_barcodes(image, formats=zxingcpp.BarcodeFormat.QRCode)]


def row_of(invitation_id: int, db_session) -> AgreementDocument:
    db_session.expire_all()
    return documents.row_of(doc.ONLINE, invitation_id)


def verify_url(app, invitation: Invitation) -> str:
    from app.services.agreement_facts import online_facts

    facts = online_facts(invitation)
    return f"{app.config['PUBLIC_BASE_URL']}/verify/{facts.ref}?c={expected_code(facts)}"


# -- the document itself -----------------------------------------------------------------------

def test_the_pdf_says_who_signed_what(app, world, db_session, rendering):
    """Does the student's PDF carry the number, both parties, every term, archive and hukou, the
    supplementary clauses, the signing notice, the review dates and the school as approver —
    and the employer's copy the same with the ID number and phone masked?"""
    clause = "乙方入职后参加为期两周的岗前培训。"
    world.terms = lambda **kw: type(world).terms(supplementary_terms=clause, **kw)
    inv_id = effective_agreement(world)
    invitation = db_session.get(Invitation, inv_id)
    student = ApiClient(app.test_client(), world.student_account).get(f"/agreements/{inv_id}/document")
    assert student.status_code == 200, student.get_data(as_text=True)
    assert student.mimetype == "application/pdf"
    assert "filename*=UTF-8''" in student.headers["Content-Disposition"]
    text = pdf_text(student.data)
    student_record = world.student
    for expected in (invitation.agreement_no, world.employer.name, world.employer.credit_code,
                     student_record.name, student_record.id_number, student_record.phone,
                     world.school.name, world.college.name, world.major.name, "本科",
                     "软件工程师", "8,000元/月", "10,000元/月", "3,000元", "60天", "2026年07月15日",
                     "长沙市岳麓区麓谷大道658号", "长沙星辰软件科技有限公司", "410205", "不接收户口",
                     clause, "签约须知", "甲方被撤销或依法宣告破产",
                     "学院审核通过", "学校审核通过", "鉴证单位", "一式四份", "双面打印",
                     row_of(inv_id, db_session).content_hash):
        assert expected in text, expected
    reader = PdfReader(io.BytesIO(student.data))
    assert len(reader.pages) % 2 == 0  # double-sided printing: an even count
    assert all(f"共 {len(reader.pages)} 页" in page.extract_text() for page in reader.pages)
    assert "已作废" not in text and "审核中" not in text  # in force: no watermark

    employer = ApiClient(app.test_client(), world.hr).get(f"/agreements/{inv_id}/document")
    masked = pdf_text(employer.data)
    assert student_record.id_number not in masked and student_record.phone not in masked
    assert student_record.id_number[:6] + "********" + student_record.id_number[-4:] in masked
    assert world.employer.credit_code in masked and student_record.name in masked


def test_every_page_of_the_preview_carries_the_qr_of_the_verification_url(app, world, db_session, rendering):
    """Does the phone preview decode, and does every page's QR code read back the URL of the
    agreement's verification page?"""
    inv_id = effective_agreement(world)
    png = ApiClient(app.test_client(), world.student_account).get(f"/agreements/{inv_id}/document.png")
    assert png.status_code == 200 and png.mimetype == "image/png"
    assert png.headers["Content-Disposition"].startswith("inline")
    image = Image.open(io.BytesIO(png.data))
    assert image.width == 750 and image.height > 2 * image.width  # two A4 pages, one under the other
    codes = qr_codes(png.data)
    row = row_of(inv_id, db_session)
    assert len(codes) == row.pages == 2
    assert set(codes) == {verify_url(app, db_session.get(Invitation, inv_id))}


def test_a_voided_agreement_is_rendered_again_with_its_state_across_every_page(app, world, db_session,
                                                                             rendering):
    """Does a status change re-render the document (in the job after commit), stamp the new state
    across it and remove the old files?"""
    inv_id = effective_agreement(world)
    first = row_of(inv_id, db_session)
    assert (first.requested_seq, first.rendered_seq, first.state) == (1, 1, "effective")
    old_files = {first.pdf_key, first.png_key, first.masked_pdf_key, first.masked_png_key}
    assert {p.name for p in rendering.iterdir()} == old_files

    interventions.void_agreement(world.actor(world.school_reviewer), inv_id, "材料造假")
    second = row_of(inv_id, db_session)
    assert (second.requested_seq, second.rendered_seq, second.state) == (2, 2, "voided")
    assert {p.name for p in rendering.iterdir()} == {second.pdf_key, second.png_key,
                                                     second.masked_pdf_key, second.masked_png_key}
    assert not old_files & {p.name for p in rendering.iterdir()}
    text = pdf_text(ApiClient(app.test_client(), world.school_reviewer).get(
        f"/agreements/{inv_id}/document").data)
    assert text.count("已作废") >= second.pages  # the watermark on every page
    assert second.content_hash == first.content_hash  # the agreement's content did not change


def test_only_a_numbered_agreement_has_a_document(app, world, db_session, rendering):
    """Before the school approves, there is no document (409, said in Chinese), and no render
    request was recorded; the first approval that numbers it asks for one."""
    from app.services import invitations, reviews

    sent = invitations.send_invitations(world.actor(world.hr), [world.student.id], world.terms())
    inv_id = sent[0].invitation_id
    responses.accept_invitation(world.actor(world.student_account), inv_id, 1, True)
    reviews.approve_signing(world.actor(world.college_reviewer), inv_id)
    api = ApiClient(app.test_client(), world.student_account)
    response = api.get(f"/agreements/{inv_id}/document")
    assert response.status_code == 409
    assert response.get_json()["error"] == {"code": "AGREEMENT_NOT_NUMBERED",
                                            "message": "学校审核通过后才会生成电子协议书", "fields": {}}
    assert row_of(inv_id, db_session) is None
    reviews.approve_signing(world.actor(world.school_reviewer), inv_id)
    assert row_of(inv_id, db_session).rendered_seq == 1
    assert api.get(f"/agreements/{inv_id}/documents").get_json()["agreement"]["status"] == "ready"


# -- never lost: the request is in the database ---------------------------------------------------

def test_a_render_request_survives_redis_being_down_at_commit(app, world, db_session, rendering, monkeypatch):
    """When the job cannot be enqueued after commit, is the state change still committed, the
    download answered with 'being made', and the document rendered by the relay once the lease
    has passed?"""
    def redis_down(ids):
        from redis.exceptions import ConnectionError

        raise ConnectionError("Redis is down")

    with monkeypatch.context() as patched:
        patched.setattr(documents, "enqueue", redis_down)
        inv_id = effective_agreement(world)
    row = row_of(inv_id, db_session)
    assert db_session.get(Invitation, inv_id).state.value == "effective"
    assert (row.requested_seq, row.rendered_seq) == (1, 0)
    api = ApiClient(app.test_client(), world.student_account)
    pending = api.get(f"/agreements/{inv_id}/document")
    assert pending.status_code == 409 and pending.get_json()["error"]["code"] == "DOCUMENT_RENDERING"
    assert api.get(f"/agreements/{inv_id}/documents").get_json()["agreement"]["status"] == "rendering"

    assert documents.relay_due() == 0  # the on-commit job's lease has not passed yet
    with time_machine.travel(utcnow() + timedelta(minutes=3), tick=False):
        assert documents.relay_due() == 1
    assert row_of(inv_id, db_session).rendered_seq == 1
    assert api.get(f"/agreements/{inv_id}/document").status_code == 200


def test_a_failed_rendering_is_recorded_and_retried_with_backoff(app, world, db_session, rendering,
                                                                  monkeypatch):
    """Does a rendering that fails (a missing font) leave the request owed, with the error and a
    later attempt time, and is it served once the cause is fixed?"""
    from app.services import agreement_pdf

    with monkeypatch.context() as patched:
        patched.setattr(agreement_pdf, "font_path", lambda configured=None: (_ for _ in ()).throw(
            agreement_pdf.FontMissing("no CJK TrueType font")))
        patched.setattr(agreement_pdf, "_font_path", None)
        inv_id = effective_agreement(world)
    row = row_of(inv_id, db_session)
    assert (row.rendered_seq, row.attempts) == (0, 1)
    assert "no CJK TrueType font" in row.last_error
    assert timedelta(seconds=25) < row.next_attempt_at - utcnow() <= timedelta(seconds=30)
    assert documents.relay_due() == 0
    with time_machine.travel(utcnow() + timedelta(seconds=31), tick=False):
        assert documents.relay_due() == 1
    row = row_of(inv_id, db_session)
    assert (row.rendered_seq, row.attempts, row.last_error) == (1, 0, None)


def test_render_requests_are_recorded_in_the_state_change_transaction(app, world, db_session):
    """With no job after commit, every state change of a numbered agreement still leaves a
    request, and `flask render-documents --now` serves them."""
    inv_id = effective_agreement(world)
    interventions.withdraw_approval(world.actor(world.school_reviewer), inv_id, "核对材料")
    row = row_of(inv_id, db_session)
    assert (row.requested_seq, row.rendered_seq) == (2, 0)
    assert row.next_attempt_at <= utcnow()  # without the on-commit job the relay may take it at once


# -- who may download ----------------------------------------------------------------------------

def test_downloads_are_for_the_parties_and_the_schools_reviewers(app, world, db_session, rendering):
    """The student, the employer's users and the reviewers of the student's college and school
    download it; another employer, student, college or school gets 404 as for a missing id; the
    platform admin's role is refused."""
    inv_id = effective_agreement(world)
    client = app.test_client()
    for account in (world.student_account, world.hr, world.hr2, world.college_reviewer,
                    world.school_reviewer):
        for path in ("document", "document.png", "documents"):
            assert ApiClient(client, account).get(f"/agreements/{inv_id}/{path}").status_code == 200, account
    missing = ApiClient(client, world.other_hr).get("/agreements/987654321/document").get_json()
    for account in (world.other_hr, world.student2_account, world.other_college_reviewer,
                    world.other_school_reviewer):
        response = ApiClient(client, account).get(f"/agreements/{inv_id}/document")
        assert response.status_code == 404 and response.get_json() == missing
    assert ApiClient(client, world.admin).get(f"/agreements/{inv_id}/document").status_code == 403
    assert client.get(f"/api/v1/agreements/{inv_id}/document").status_code == 401


def test_a_download_is_answered_304_when_the_phone_has_it(app, world, db_session, rendering):
    inv_id = effective_agreement(world)
    api = ApiClient(app.test_client(), world.student_account)
    first = api.get(f"/agreements/{inv_id}/document")
    again = api.get(f"/agreements/{inv_id}/document", headers={"If-None-Match": first.headers["ETag"]})
    assert again.status_code == 304 and not again.data


def test_the_desktop_download_for_a_logged_in_reviewer(app, world, db_session, rendering):
    """The reviewer pages' download route: the reviewer of the student's school gets the PDF,
    a reviewer of another school 404, a browser without a session goes to the log-in page; the
    link partial shows the links once the document is ready."""
    from flask import render_template_string

    from tests.test_qr_login import password_login

    inv_id = effective_agreement(world)
    anonymous = app.test_client()
    to_login = anonymous.get(f"/agreements/{inv_id}/document.pdf")
    assert to_login.status_code == 302 and to_login.headers["Location"].startswith("/login")

    other = app.test_client()
    password_login(other, world.other_school_reviewer.username, TEST_PASSWORD)
    assert other.get(f"/agreements/{inv_id}/document.pdf").status_code == 404
    admin = app.test_client()
    password_login(admin, world.admin.username, TEST_PASSWORD)
    assert admin.get(f"/agreements/{inv_id}/document.pdf").status_code == 403

    browser = app.test_client()
    assert password_login(browser, world.school_reviewer.username, TEST_PASSWORD).status_code == 302
    pdf = browser.get(f"/agreements/{inv_id}/document.pdf")
    assert pdf.status_code == 200 and pdf.data.startswith(b"%PDF")
    assert world.student.id_number in pdf_text(pdf.data)
    assert browser.get(f"/agreements/{inv_id}/document.png").mimetype == "image/png"
    with app.test_request_context():
        from flask import g

        g.web_account_id = world.school_reviewer.id
        links = render_template_string('{% with agreement_id=id %}{% include "documents/_links.html" %}'
                                       '{% endwith %}', id=inv_id)
    assert f"/agreements/{inv_id}/document.pdf" in links and "下载协议书（PDF）" in links


# -- the 解约函 ------------------------------------------------------------------------------------

def test_an_approved_termination_produces_the_termination_letter(app, world, db_session, rendering):
    """Does the school's approval of a termination make the 解约函 from the agreement, with the
    request, the other party's consent and both reviews on one timeline, and re-render the
    agreement as 已解约?"""
    inv_id = effective_agreement(world)
    termination = terminations.request_termination(world.actor(world.student_account), inv_id,
                                                   "考取研究生，申请解约", True)
    api = ApiClient(app.test_client(), world.hr)
    assert api.get(f"/agreements/{inv_id}/termination-letter").get_json()["error"]["code"] == \
        "NO_TERMINATION_LETTER"
    terminations.answer_termination(world.actor(world.hr), termination.id, agree=True, confirm=True)
    terminations.approve_termination(world.actor(world.college_reviewer), termination.id)
    terminations.approve_termination(world.actor(world.school_reviewer), termination.id)

    summary = api.get(f"/agreements/{inv_id}/documents").get_json()
    assert summary["agreement"]["state"] == "terminated" and summary["agreement"]["status"] == "ready"
    assert summary["termination_letter"]["status"] == "ready"
    letter = api.get(f"/agreements/{inv_id}/termination-letter")
    assert letter.status_code == 200 and letter.mimetype == "application/pdf"
    text = pdf_text(letter.data)
    invitation = db_session.get(Invitation, inv_id)
    for expected in ("解约函", invitation.agreement_no, "考取研究生，申请解约", "乙方（毕业生）",
                     "申请解约", "对方同意解约，提交审核", "学院解约审核通过", "学校解约审核通过",
                     world.employer.name, world.college.name, world.school.name, "乙方可重新签约"):
        assert expected in text, expected
    assert world.student.id_number not in text  # the employer's copy is masked
    assert text.index("申请解约") < text.index("对方同意解约") < text.index("学院解约审核通过") \
        < text.index("学校解约审核通过")
    agreement_text = pdf_text(api.get(f"/agreements/{inv_id}/document").data)
    assert "已解约" in agreement_text


def test_rows_are_one_per_subject(app, world, db_session, rendering):
    """Two state changes of one agreement use one row (a UNIQUE key on kind and subject)."""
    inv_id = effective_agreement(world)
    interventions.withdraw_approval(world.actor(world.school_reviewer), inv_id, "核对材料")
    from app.services import reviews

    reviews.approve_signing(world.actor(world.school_reviewer), inv_id)
    rows = db_session.scalars(select(AgreementDocument).where(AgreementDocument.subject_id == inv_id)).all()
    assert [(r.kind, r.requested_seq, r.rendered_seq, r.state) for r in rows] == [
        ("online", 3, 3, "effective")]


def test_the_reviewers_detail_page_offers_the_documents(app, world, db_session, rendering):
    """Once the agreement is numbered and rendered, the school reviewer's detail page links the
    PDF and the preview, and the link downloads the PDF."""
    from tests.web_helpers import web_login

    invitation_id = effective_agreement(world)
    client = app.test_client()
    web_login(client, world.school_reviewer)
    page = client.get(f"/review/signings/{invitation_id}").get_data(as_text=True)
    assert "电子协议书" in page and "下载协议书（PDF）" in page
    pdf = client.get(f"/agreements/{invitation_id}/document.pdf")
    assert pdf.status_code == 200 and pdf.data.startswith(b"%PDF")
