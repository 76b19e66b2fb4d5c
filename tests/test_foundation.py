"""The base everything stands on: health, config, PII at rest, checksums, migrations."""
from __future__ import annotations

import pytest
from sqlalchemy import text

from app.config import load_config
from app.domain.identity import credit_code_error, gender_from_id_number, id_number_error
from app.pii import mask_id_number, mask_phone
from tests.factories import StudentFactory, valid_credit_code, valid_id_number


def test_healthz_reports_database_and_redis(client):
    """Does /healthz answer green with both dependencies and tag the response with a request id?"""
    response = client.get("/healthz", headers={"X-Request-ID": "abc12345-test"})
    assert response.status_code == 200
    body = response.get_json()
    assert body["status"] == "ok" and body["database"]["ok"] and body["redis"]["ok"]
    assert response.headers["X-Request-ID"] == "abc12345-test"


def test_healthz_is_503_when_redis_is_down(app, client, monkeypatch):
    """Does a dead Redis turn /healthz red instead of raising?"""
    from app.extensions import redis_ext

    def boom():
        raise ConnectionError("down")

    monkeypatch.setattr(redis_ext.client, "ping", boom)
    response = client.get("/healthz")
    assert response.status_code == 503
    assert response.get_json()["redis"] == {"ok": False, "error": "ConnectionError"}


def test_students_table_holds_no_plaintext_pii(db_session):
    """Does a raw SELECT on students show neither the ID number nor the phone?"""
    student = StudentFactory(id_number=valid_id_number(7), phone="13312345660")
    db_session.flush()
    row = db_session.execute(text(
        "SELECT id_number_enc, phone_enc, id_number_hash FROM students WHERE id = :id"),
        {"id": student.id}).one()
    raw = " ".join(str(v) for v in row)
    assert student.id_number not in raw and "13312345660" not in raw
    db_session.expire_all()
    assert db_session.get(type(student), student.id).phone == "13312345660"


def test_lookup_hash_finds_a_student_by_exact_id_number(db_session):
    from sqlalchemy import select

    from app.models import Student
    from app.pii import lookup_hash

    number = valid_id_number(11)
    StudentFactory(id_number=number.lower())  # stored normalised: trailing x -> X
    found = db_session.scalars(select(Student).where(
        Student.id_number_hash == lookup_hash(number))).all()
    assert [s.id_number for s in found] == [number]


@pytest.mark.parametrize("value,expected", [
    ("11010519491231002X", None),
    ("11010519491231002x", None),
    ("110105194912310021", "身份证号校验位错误"),
    ("1101051949123100", "身份证号应为18位，前17位为数字，末位为数字或X"),
    ("110105194913310029", "身份证号中的出生日期无效"),
])
def test_id_number_checksum(value, expected):
    assert id_number_error(value) == expected


def test_gender_from_id_number():
    assert gender_from_id_number("11010519491231002X") == "female"


@pytest.mark.parametrize("value,ok", [
    ("91350100M000100Y43", True),   # a published example code
    ("91350100M000100Y44", False),
    ("91350100M000100Y4", False),
    ("91350100M0001O0Y43", False),   # letter O is not in the alphabet
])
def test_credit_code_checksum(value, ok):
    assert (credit_code_error(value) is None) is ok


def test_generated_codes_are_valid():
    assert credit_code_error(valid_credit_code(42)) is None
    assert id_number_error(valid_id_number(42)) is None


def test_masks():
    assert mask_id_number("110101199003070839") == "110101********0839"
    assert mask_phone("13312345660") == "133****5660"


def test_config_env_overrides_nested_and_typed(tmp_path):
    """Do WQ_* variables override config.toml, typed as TOML and nested with __?"""
    cfg = tmp_path / "c.toml"
    cfg.write_text('REDIS_URL = "redis://x"\n[WECHAT]\nAPPID = "wxfile"\n', encoding="utf-8")
    config = load_config(tmp_path, environ={
        "WQ_CONFIG": str(cfg), "WQ_WECHAT__APPID": "wxenv", "WQ_DB_POOL_SIZE": "7"})
    assert config["REDIS_URL"] == "redis://x"
    assert config["WECHAT"]["APPID"] == "wxenv"
    assert config["DB_POOL_SIZE"] == 7
    assert config["JOBS_INLINE"] is False


def test_production_refuses_missing_secrets(tmp_path):
    with pytest.raises(RuntimeError, match="SECRET_KEY"):
        load_config(tmp_path, environ={"WQ_ENV": "production"})
