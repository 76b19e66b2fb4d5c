"""线下签约 through a real HTTP server (requests against the threaded live app): the student enters and
generates, the school numbers it, the student downloads the PDF, "prints and stamps" it (a rotated,
noisy scan of its page), uploads the scan as multipart; a scan of another agreement is refused;
the school verifies; the QR code on the PDF opens the verification page."""
from __future__ import annotations

import io

import pytest
import zxingcpp
from PIL import Image

from app.services import documents
from tests import paper_helpers as ph
from tests.test_bad_input import Http, world_live  # noqa: F401  (fixture)
from tests.wechat_fixtures import live, live_app  # noqa: F401  (fixtures)

pytestmark = pytest.mark.committing


def test_paper_agreement_over_http(live_app, world_live, tmp_path, monkeypatch):  # noqa: F811
    import requests

    monkeypatch.setitem(live_app.config, "UPLOAD_DIR", str(tmp_path))
    monkeypatch.setitem(live_app.config, "PUBLIC_BASE_URL", Http(live_app).base)
    world = world_live
    student = Http(live_app, world.student_account)
    college, school = Http(live_app, world.college_reviewer), Http(live_app, world.school_reviewer)
    created = student.post("/api/v1/student/paper-agreements", json={"content": ph.content()})
    assert created.status_code == 201, created.text
    paper_id = created.json()["id"]
    generated = student.post(f"/api/v1/student/paper-agreements/{paper_id}/generate", json={"confirm": True},
                             headers={"Idempotency-Key": "paper-generate-0001"})
    again = student.post(f"/api/v1/student/paper-agreements/{paper_id}/generate", json={"confirm": True},
                         headers={"Idempotency-Key": "paper-generate-0001"})
    assert generated.status_code == again.status_code == 200 and again.json()["state"] == "college_review"
    assert college.post(f"/api/v1/review/paper-agreements/{paper_id}/approve").status_code == 200
    numbered = school.post(f"/api/v1/review/paper-agreements/{paper_id}/approve").json()
    assert numbered["state"] == "awaiting_feedback"
    other_id = ph.numbered(world, world.student2_account)
    assert documents.render_owed() == 2  # what `flask render-documents --now` does

    pdf = student.get(f"/api/v1/paper-agreements/{paper_id}/document")
    assert pdf.status_code == 200 and pdf.headers["Content-Type"] == "application/pdf"
    png = student.get(f"/api/v1/paper-agreements/{paper_id}/document.png")
    url = zxingcpp.read_barcodes(Image.open(io.BytesIO(png.content)),
                                 formats=zxingcpp.BarcodeFormat.QRCode)[0].text
    assert f"/verify/{numbered['agreement_no']}?c=" in url

    other_scan = ph.jpeg_bytes(ph.scan_image(ph.pdf_of(other_id)))
    refused = student.post(f"/api/v1/student/paper-agreements/{paper_id}/feedback",
                           files={"scan": ("scan.jpg", other_scan, "image/jpeg")})
    assert refused.status_code == 400 and refused.json()["error"]["code"] == "SCAN_OF_ANOTHER_AGREEMENT"
    scan = ph.jpeg_bytes(ph.scan_image(pdf.content, angle=-2.0, seed=11))
    fed = student.post(f"/api/v1/student/paper-agreements/{paper_id}/feedback",
                       files={"scan": ("盖章协议书.jpg", scan, "image/jpeg")})
    assert fed.status_code == 200, fed.text
    assert fed.json()["scan"]["match"] == "match"
    college.post(f"/api/v1/review/paper-agreements/{paper_id}/approve")
    effective = school.post(f"/api/v1/review/paper-agreements/{paper_id}/approve").json()
    assert effective["state"] == "effective"
    verified = requests.get(url, timeout=10)
    assert verified.status_code == 200 and "已生效" in verified.text and "线下签约" in verified.text
