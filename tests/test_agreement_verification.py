"""The public verification page an e-agreement's QR code opens, the code (MAC) and content hash
behind it, and matching a stamped scan to its agreement by that QR code (issue 14)."""
from __future__ import annotations

import dataclasses
import io
import random
import re

import pypdfium2 as pdfium
import pytest
from PIL import Image, ImageFilter

from app.domain import agreement_document as doc
from app.domain.errors import InvalidInput
from app.models import Invitation
from app.services import agreement_pdf, documents, interventions, reviews, scan_match, terminations
from app.services.agreement_facts import online_facts
from app.services.verification import expected_code
from tests.test_bad_input import Http, world_live  # noqa: F401  (fixture)
from tests.test_termination_services import effective_agreement
from tests.wechat_fixtures import live, live_app  # noqa: F401  (fixtures)

MAC_KEY = "test-agreement-mac-key"


def code_of(db_session, inv_id: int) -> tuple[str, str]:
    facts = online_facts(db_session.get(Invitation, inv_id))
    return facts.ref, expected_code(facts)


def page(client, ref: str, code: str | None, ip: str = "10.9.8.7"):
    query = "" if code is None else f"?c={code}"
    return client.get(f"/verify/{ref}{query}", environ_base={"REMOTE_ADDR": ip})


# -- the code and the hash (pure) ------------------------------------------------------------------

def _facts(**changes) -> doc.AgreementFacts:
    base = doc.AgreementFacts(
        kind=doc.ONLINE, number="1202610001000001", ref="1202610001000001", state="effective",
        state_at=None, employer={"name": "长沙星辰软件科技有限公司", "credit_code": "91430100MA4L000000"},
        labels={}, student={"name": "张三丰", "id_number": "110101200304150011", "phone": "13312345660",
                            "major": "软件工程"},
        student_digests={"id_number": "a" * 64, "phone": "b" * 64},
        terms={"position": "软件工程师", "regular_salary": 10000}, revision=1, school_name="湖南大学",
        college_name="信息学院")
    return dataclasses.replace(base, **changes)


def test_the_content_hash_follows_the_substance_and_never_the_plain_id_number():
    """Same agreement, same hash whatever its state; another salary, another hash; the plain ID
    number and phone are not hashed (their keyed digests are), so guessing them proves nothing."""
    facts = _facts()
    assert doc.content_hash(facts) == doc.content_hash(_facts(state="terminated"))
    assert doc.content_hash(facts) != doc.content_hash(_facts(terms={"position": "软件工程师",
                                                                    "regular_salary": 12000}))
    other_id = {**facts.student, "id_number": "110101200304150029"}
    assert doc.content_hash(facts) == doc.content_hash(_facts(student=other_id))
    assert doc.content_hash(facts) != doc.content_hash(_facts(student_digests={"id_number": "c" * 64,
                                                                               "phone": "b" * 64}))


def test_the_code_is_keyed_and_url_safe():
    digest = doc.content_hash(_facts())
    code = doc.document_mac(MAC_KEY, "1202610001000001", digest)
    assert re.fullmatch(r"[A-Za-z0-9_-]{20}", code)
    assert doc.mac_matches(MAC_KEY, "1202610001000001", digest, code)
    assert not doc.mac_matches("another-key", "1202610001000001", digest, code)
    assert not doc.mac_matches(MAC_KEY, "1202610001000002", digest, code)
    assert not doc.mac_matches(MAC_KEY, "1202610001000001", digest, None)


@pytest.mark.parametrize(("text", "parsed"), [
    ("https://wq.example.edu.cn/verify/1202610001000001?c=" + "A" * 20, ("1202610001000001", "A" * 20)),
    ("http://127.0.0.1:5000/verify/2202610001000001?c=" + "b-_" * 6 + "xy",
     ("2202610001000001", "b-_" * 6 + "xy")),
    ("https://wq.example.edu.cn/verify/1202610001000001", None),  # no code
    ("https://wq.example.edu.cn/verify/1202610001000001?c=short", None),
    ("https://wq.example.edu.cn/verify/12026100%2F1?c=" + "A" * 20, None),
    ("https://elsewhere.example/pay?c=" + "A" * 20, None),
    ("not a url at all", None),
])
def test_what_counts_as_one_of_our_qr_codes(text, parsed):
    assert doc.parse_verification_url(text) == parsed


# -- the page -----------------------------------------------------------------------------------

def test_the_page_of_an_effective_agreement(app, world, db_session, client):
    """Does the QR's page show, in Chinese, that the agreement is in force and since when, with
    the student masked and the key terms — and never the full ID number or phone?"""
    inv_id = effective_agreement(world)
    ref, code = code_of(db_session, inv_id)
    response = page(client, ref, code)
    assert response.status_code == 200
    body = response.get_data(as_text=True)
    assert "已生效" in body and "生效日期" in body and ref in body
    assert world.employer.name in body and world.school.name in body and "软件工程师" in body
    name = world.student.name
    assert (name[0] + "*" * (len(name) - 2) + name[-1] if len(name) > 2 else name[0] + "*") in body
    assert name not in body
    assert world.student.id_number not in body and world.student.phone not in body
    assert world.student.id_number[-4:] in body
    assert response.headers["Cache-Control"] == "no-store"
    assert "noindex" in response.headers["X-Robots-Tag"]
    assert "script-src 'self'" in response.headers["Content-Security-Policy"]
    assert 'name="viewport"' in body  # laid out for a phone


@pytest.mark.parametrize(("change", "label", "date_label"), [
    ("void", "已作废", "作废日期"),
    ("invalidate", "已失效", "失效日期"),
    ("force_terminate", "已解约", "解约日期"),
    ("terminate", "已解约", "解约日期"),
    ("withdraw", "审核中（未生效）", "退回审核日期"),
])
def test_the_page_follows_the_agreement_state(app, world, db_session, client, change, label, date_label):
    """Does the same QR code read voided / invalidated / terminated (forced or agreed) / back in
    review once the agreement's state changes?"""
    inv_id = effective_agreement(world)
    ref, code = code_of(db_session, inv_id)
    school = world.actor(world.school_reviewer)
    if change == "void":
        interventions.void_agreement(school, inv_id, "材料不实")
    elif change == "invalidate":
        interventions.invalidate_agreement(school, inv_id, "学籍异常")
    elif change == "force_terminate":
        interventions.force_terminate(school, inv_id, "单位注销")
    elif change == "withdraw":
        interventions.withdraw_approval(school, inv_id, "核对材料")
    else:
        t = terminations.request_termination(world.actor(world.hr), inv_id, "岗位调整", True)
        terminations.answer_termination(world.actor(world.student_account), t.id, agree=True, confirm=True)
        terminations.approve_termination(world.actor(world.college_reviewer), t.id)
        terminations.approve_termination(world.actor(world.school_reviewer), t.id)
    body = page(client, ref, code).get_data(as_text=True)
    assert label in body and date_label in body
    assert "已生效" not in body


def test_a_bad_code_and_an_unknown_number_get_the_same_page(app, world, db_session, client):
    """An altered code, another agreement's code, an unknown number, a malformed one, no code:
    one 无法验证 page, byte for byte, with nothing of the agreement on it."""
    inv_id = effective_agreement(world)
    other_id = effective_agreement(world, student=world.student2, student_account=world.student2_account)
    ref, code = code_of(db_session, inv_id)
    other_ref, other_code = code_of(db_session, other_id)
    flipped = ("B" if code[0] == "A" else "A") + code[1:]
    unknown = ref[:-6] + "999999"
    answers = [page(client, ref, flipped), page(client, ref, other_code), page(client, unknown, code),
               page(client, "1'; DROP TABLE invitations;--", code), page(client, ref, None),
               page(client, ref, "x" * 500)]
    first = answers[0].get_data()
    assert "无法验证".encode() in first
    for response in answers:
        assert response.status_code == 404
        assert response.get_data() == first
    text = first.decode()
    assert world.employer.name not in text and world.school.name not in text and ref not in text
    assert page(client, other_ref, other_code).status_code == 200


def test_the_page_is_rate_limited_per_ip(app, world, db_session, client, monkeypatch):
    """After the per-minute allowance an IP gets 429 with Retry-After; another IP is unaffected."""
    monkeypatch.setitem(app.config, "VERIFY_PER_MINUTE", 3)
    inv_id = effective_agreement(world)
    ref, code = code_of(db_session, inv_id)
    assert [page(client, ref, code, ip="10.0.0.1").status_code for _ in range(3)] == [200, 200, 200]
    limited = page(client, ref, code, ip="10.0.0.1")
    assert limited.status_code == 429 and int(limited.headers["Retry-After"]) >= 1
    assert "查询过于频繁" in limited.get_data(as_text=True)
    assert page(client, ref, code, ip="10.0.0.2").status_code == 200


# -- scans of printed agreements ----------------------------------------------------------------

def _scan_of(pdf: bytes, angle: float, seed: int) -> Image.Image:
    """Page 1 as a 150 dpi greyscale scan, turned a few degrees, with sensor noise and blur."""
    with agreement_pdf._pdfium_lock:
        document = pdfium.PdfDocument(pdf)
        image = document[0].render(scale=150 / 72, grayscale=True).to_pil().convert("L")
        document.close()
    image = image.rotate(angle, resample=Image.BICUBIC, expand=True, fillcolor=235)
    rng = random.Random(seed)
    noise = Image.frombytes("L", image.size, rng.randbytes(image.width * image.height))
    image = Image.blend(image, noise, 0.18).filter(ImageFilter.GaussianBlur(0.6))
    return image


@pytest.fixture
def two_agreements(app, world, db_session, tmp_path, monkeypatch):
    monkeypatch.setitem(app.config, "UPLOAD_DIR", str(tmp_path))
    first = effective_agreement(world)
    second = effective_agreement(world, student=world.student2, student_account=world.student2_account)
    rendered = documents.build(doc.ONLINE, first)
    pdf, _ = agreement_pdf.render_pdf(rendered.full)
    return first, second, pdf


@pytest.mark.parametrize(("angle", "seed"), [(2.5, 1), (-3.5, 2)])
def test_a_rotated_noisy_scan_matches_its_own_agreement_only(app, world, db_session, two_agreements,
                                                             angle, seed):
    """A scan made from the printed PDF — turned a few degrees, noisy, a little blurred — matches
    the agreement it was printed from and is refused, with a clear message, for another."""
    first, second, pdf = two_agreements
    scan = _scan_of(pdf, angle, seed)
    mine = online_facts(db_session.get(Invitation, first))
    other = online_facts(db_session.get(Invitation, second))
    result = scan_match.check_scan(scan, mine, MAC_KEY)
    assert result.match == scan_match.ScanMatch.MATCH and result.found == (mine.ref,)
    assert result.label == "扫描件二维码与本协议书一致"
    with pytest.raises(InvalidInput) as refused:
        scan_match.check_scan(scan, other, MAC_KEY)
    assert refused.value.code == "SCAN_OF_ANOTHER_AGREEMENT"
    assert "另一份协议书" in refused.value.message
    assert refused.value.fields == {"scan": "扫描件不属于本协议书"}


def test_a_scan_without_our_code_is_refused(app, world, db_session, two_agreements):
    """A photo of something else (no QR code), or of an altered agreement, is refused too."""
    first, _, pdf = two_agreements
    facts = online_facts(db_session.get(Invitation, first))
    blank = Image.new("L", (1240, 1754), 250)
    with pytest.raises(InvalidInput) as refused:
        scan_match.check_scan(blank, facts, MAC_KEY)
    assert refused.value.code == "SCAN_WITHOUT_CODE"
    assert "未在扫描件中识别到协议书二维码" in refused.value.message
    # the same printout, after the agreement's terms were changed behind the platform's back
    changed = dataclasses.replace(facts, terms={**facts.terms, "regular_salary": 1})
    assert scan_match.match_image(_scan_of(pdf, 1.0, 3), *scan_match.expected_code(changed, MAC_KEY)).match \
        == scan_match.ScanMatch.OTHER


# -- production settings --------------------------------------------------------------------------

def test_production_needs_a_strong_agreement_key_and_a_public_https_address(tmp_path):
    from app.config import load_config

    strong = {"WQ_ENV": "production", "WQ_SECRET_KEY": "s" * 40, "WQ_PII_HASH_KEY": "h" * 40,
              "WQ_FLOW_LOG_KEY": "f" * 40, "WQ_AGREEMENT_MAC_KEY": "m" * 40,
              "WQ_PII_KEYS": '["d3EtdGVzdC1rZXktMDEyMzQ1Njc4OWFiY2RlZmdoaWo="]',
              "WQ_DATABASE_URL": "mysql+pymysql://u:p@db/wq", "WQ_REDIS_URL": "redis://r:6379/0",
              "WQ_PUBLIC_BASE_URL": "https://wq.example.edu.cn"}
    assert load_config(tmp_path, environ=strong)["PUBLIC_BASE_URL"] == "https://wq.example.edu.cn"
    with pytest.raises(RuntimeError, match="AGREEMENT_MAC_KEY"):
        load_config(tmp_path, environ={k: v for k, v in strong.items() if k != "WQ_AGREEMENT_MAC_KEY"})
    with pytest.raises(RuntimeError, match="AGREEMENT_MAC_KEY must be at least 32 bytes"):
        load_config(tmp_path, environ=strong | {"WQ_AGREEMENT_MAC_KEY": "short"})
    with pytest.raises(RuntimeError, match="PUBLIC_BASE_URL"):
        load_config(tmp_path, environ={k: v for k, v in strong.items() if k != "WQ_PUBLIC_BASE_URL"})
    with pytest.raises(RuntimeError, match="PUBLIC_BASE_URL must be the public https"):
        load_config(tmp_path, environ=strong | {"WQ_PUBLIC_BASE_URL": "http://wq.example.edu.cn"})


def test_development_adds_a_new_key_to_existing_dev_secrets(tmp_path):
    """An instance/ made before the agreement key existed gets one, and keeps its other keys."""
    from app.config import load_config

    (tmp_path / "dev-secrets.toml").write_text(
        'SECRET_KEY = "old-secret"\nPII_HASH_KEY = "old-hash"\nFLOW_LOG_KEY = "old-flow"\n'
        'PII_KEYS = ["d3EtdGVzdC1rZXktMDEyMzQ1Njc4OWFiY2RlZmdoaWo="]\n', encoding="utf-8")
    config = load_config(tmp_path, environ={})
    assert config["SECRET_KEY"] == "old-secret" and len(config["AGREEMENT_MAC_KEY"]) >= 32
    assert load_config(tmp_path, environ={})["AGREEMENT_MAC_KEY"] == config["AGREEMENT_MAC_KEY"]
    assert config["PUBLIC_BASE_URL"] == "http://127.0.0.1:5000"


def test_reviews_of_the_agreement_are_printed_with_the_approving_school(app, world, db_session):
    """The facts name the school as approver, and a withdrawn and re-given approval is printed
    once, with its latest date."""
    inv_id = effective_agreement(world)
    interventions.withdraw_approval(world.actor(world.school_reviewer), inv_id, "核对材料")
    reviews.approve_signing(world.actor(world.school_reviewer), inv_id)
    facts = online_facts(db_session.get(Invitation, inv_id))
    assert [s.label for s in facts.steps] == ["甲方发出邀约", "乙方同意签约", "学院审核通过", "学校审核通过"]
    assert facts.steps[-1].by == world.school.name and facts.steps[2].by == world.college.name


# -- through a real server ------------------------------------------------------------------------

@pytest.mark.committing
def test_download_and_verification_over_http(live_app, world_live, tmp_path, monkeypatch):  # noqa: F811
    """Over a real HTTP server: the mini-program's download of the PDF and the preview (headers
    as a phone's wx.downloadFile sees them), then the page the preview's QR code opens."""
    import requests
    import zxingcpp

    monkeypatch.setitem(live_app.config, "UPLOAD_DIR", str(tmp_path))
    monkeypatch.setitem(live_app.config, "PUBLIC_BASE_URL", Http(live_app).base)
    inv_id = effective_agreement(world_live)
    assert documents.render_owed() == 1  # what `flask render-documents --now` does
    student = Http(live_app, world_live.student_account)
    pdf = student.get(f"/api/v1/agreements/{inv_id}/document")
    assert pdf.status_code == 200 and pdf.headers["Content-Type"] == "application/pdf"
    assert pdf.content.startswith(b"%PDF") and "filename*=UTF-8''" in pdf.headers["Content-Disposition"]
    png = student.get(f"/api/v1/agreements/{inv_id}/document.png")
    assert png.status_code == 200 and png.headers["Content-Type"] == "image/png"
    image = Image.open(io.BytesIO(png.content))
    url = zxingcpp.read_barcodes(image, formats=zxingcpp.BarcodeFormat.QRCode)[0].text
    assert url.startswith(student.base + "/verify/")
    verified = requests.get(url, timeout=10)
    assert verified.status_code == 200 and verified.headers["Content-Type"].startswith("text/html")
    assert "已生效" in verified.text and world_live.student.id_number not in verified.text
    forged = requests.get(url[:-1] + ("A" if url[-1] != "A" else "B"), timeout=10)
    assert forged.status_code == 404 and "无法验证" in forged.text
