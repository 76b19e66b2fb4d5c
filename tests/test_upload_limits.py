"""Issue 8, uploads: evidence files capped per employer, uploads limited per IP, decoding memory
bounded (a pixel cap fit for a licence photo, one decode at a time per process)."""
from __future__ import annotations

import io
import threading

import pytest
from werkzeug.datastructures import FileStorage

from app.domain.errors import Unavailable
from app.models import Role, VerificationStatus
from app.services import employers, uploads
from tests.api_helpers import ApiClient
from tests.factories import AccountFactory, EmployerFactory
from tests.test_api_employer_account import png, send_files


@pytest.fixture(autouse=True)
def upload_dir(app, tmp_path, monkeypatch):
    monkeypatch.setitem(app.config, "UPLOAD_DIR", str(tmp_path / "uploads"))
    return tmp_path / "uploads"


@pytest.fixture
def pending_hr(world, db_session):
    """A user of an employer waiting for verification (it may upload evidence)."""
    employer = EmployerFactory(verification_status=VerificationStatus.PENDING)
    account = AccountFactory(role=Role.EMPLOYER_USER, employer_id=employer.id)
    db_session.commit()
    return account


def test_a_photo_above_the_licence_pixel_cap_is_refused_before_decoding(pending_hr, client):
    """A 20-megapixel image (a few KB as PNG) is no licence photo: refused, 415, as too large."""
    answer = send_files(ApiClient(client, pending_hr), licence=(png((5000, 4000)), "licence.png"))
    assert answer.status_code == 415, answer.get_json()
    assert answer.get_json()["error"]["code"] == "IMAGE_TOO_LARGE"
    # a 12-megapixel phone photo is fine
    fits = send_files(ApiClient(client, pending_hr), licence=(png((4000, 3000)), "licence.png"))
    assert fits.status_code == 200, fits.get_json()


def test_evidence_files_are_capped_per_employer(pending_hr, client, monkeypatch):
    """Can one employer fill the disk with evidence? Past MAX_EVIDENCE_FILES, 409 and nothing stored."""
    monkeypatch.setattr(employers, "MAX_EVIDENCE_FILES", 3)
    api = ApiClient(client, pending_hr)
    both = {"licence": (png(), "l.png"), "authorisation": (png(), "a.png")}
    assert send_files(api, **both).status_code == 200
    refused = send_files(api, **both)
    assert refused.status_code == 409 and refused.get_json()["error"]["code"] == "EVIDENCE_LIMIT_REACHED"
    assert send_files(api, licence=(png(), "l.png")).status_code == 200
    assert len(api.get("/employer/verification").get_json()["evidence"]) == 3


def test_uploads_are_limited_per_ip(app, pending_hr, world, client, monkeypatch):
    """Are files from one address limited, whatever the route (evidence, favorites import)?"""
    monkeypatch.setitem(app.config, "UPLOADS_PER_IP_HOUR", 2)
    api = ApiClient(client, pending_hr)
    assert send_files(api, licence=(png(), "l.png"), authorisation=(png(), "a.png")).status_code == 200
    refused = send_files(ApiClient(client, world.hr), "/employer/favorites/import", file=(b"PK", "a.xlsx"))
    assert refused.status_code == 429 and "Retry-After" in refused.headers


def test_one_decode_at_a_time_per_process(app, tmp_path, monkeypatch):
    """While one upload is being decoded, does a second one wait for the decoder (here: not at
    all, and is told to retry) instead of decoding alongside it?"""
    inside, release = threading.Event(), threading.Event()
    real = uploads._reencode

    def slow_reencode(image, fmt):
        inside.set()
        release.wait(10)
        return real(image, fmt)

    monkeypatch.setattr(uploads, "_reencode", slow_reencode)
    monkeypatch.setitem(app.config, "UPLOAD_DECODE_WAIT", 0)
    results: list = []

    def first_upload():
        with app.test_request_context():
            results.append(uploads.save_image(FileStorage(io.BytesIO(png()), "a.png")))

    worker = threading.Thread(target=first_upload)
    worker.start()
    try:
        assert inside.wait(10)
        with app.test_request_context(), pytest.raises(Unavailable) as busy:
            uploads.save_image(FileStorage(io.BytesIO(png()), "b.png"))
        assert busy.value.code == "UPLOAD_BUSY"
    finally:
        release.set()
        worker.join(10)
    assert len(results) == 1 and results[0].width == 80
    with app.test_request_context():  # the decoder is free again
        assert uploads.save_image(FileStorage(io.BytesIO(png()), "c.png")).height == 50
