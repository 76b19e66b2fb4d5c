"""factory_boy factories for the models, saved through the test's rolled-back session."""
from __future__ import annotations

import functools
from datetime import date, timedelta

import factory
from factory.alchemy import SQLAlchemyModelFactory

from app.domain.identity import credit_code_check_char, id_number_check_char
from app.extensions import db
from app.models import (Account, College, EducationLevel, Employer, Favorite, Gender, Major, Role,
                        School, SourceStatus, Student, VerificationStatus)
from app.services.accounts import hash_password


TEST_PASSWORD = "Passw0rd!x"


@functools.cache
def test_password_hash() -> str:
    """argon2 is slow on purpose; one hash serves every test account."""
    return hash_password(TEST_PASSWORD)


def valid_id_number(n: int, birth: str = "20030415", region: str = "110101") -> str:
    body = f"{region}{birth}{n % 1000:03d}"
    return body + id_number_check_char(body)


def valid_credit_code(n: int) -> str:
    body = f"91110108{n:09d}"
    return body + credit_code_check_char(body)


class Base(SQLAlchemyModelFactory):
    class Meta:
        abstract = True
        sqlalchemy_session_factory = lambda: db.session  # noqa: E731 (the per-test session)
        sqlalchemy_session_persistence = "flush"


class SchoolFactory(Base):
    class Meta:
        model = School

    code = factory.Sequence(lambda n: f"{19000 + n:05d}")
    name = factory.Sequence(lambda n: f"测试大学{n}")


class CollegeFactory(Base):
    class Meta:
        model = College

    school = factory.SubFactory(SchoolFactory)
    code = factory.Sequence(lambda n: f"C{n:03d}")
    name = factory.Sequence(lambda n: f"测试学院{n}")


class MajorFactory(Base):
    class Meta:
        model = Major

    college = factory.SubFactory(CollegeFactory)
    code = factory.Sequence(lambda n: f"{80900 + n:06d}")
    name = factory.Sequence(lambda n: f"测试专业{n}")


class StudentFactory(Base):
    class Meta:
        model = Student

    major = factory.SubFactory(MajorFactory)
    college = factory.SelfAttribute("major.college")
    school = factory.SelfAttribute("major.college.school")
    cohort = 2026
    education_level = EducationLevel.BENKE
    student_no = factory.Sequence(lambda n: f"2022{n:06d}")
    name = factory.Sequence(lambda n: f"学生{n}")
    gender = Gender.MALE
    id_number = factory.Sequence(lambda n: valid_id_number(
        (n % 500) * 2 + 1, birth=(date(2003, 1, 1) + timedelta(days=n // 500)).strftime("%Y%m%d")))
    phone = factory.Sequence(lambda n: f"138{n:08d}")
    email = factory.Sequence(lambda n: f"s{n}@example.edu.cn")
    source_status = SourceStatus.APPROVED
    signing_open = True


class EmployerFactory(Base):
    class Meta:
        model = Employer

    name = factory.Sequence(lambda n: f"测试科技有限公司{n}")
    credit_code = factory.Sequence(valid_credit_code)
    nature_code = "39"
    industry_code = "I"
    region_code = "110108"
    address = "北京市海淀区中关村大街1号"
    verification_status = VerificationStatus.APPROVED
    verified_at = factory.LazyFunction(lambda: __import__("app.clock").clock.utcnow())


class AccountFactory(Base):
    class Meta:
        model = Account

    role = Role.PLATFORM_ADMIN
    username = factory.Sequence(lambda n: f"user{n}")
    password_hash = factory.LazyFunction(test_password_hash)
    display_name = factory.Sequence(lambda n: f"用户{n}")


def add_favorites(employer: Employer, *students: Student) -> None:
    """Put students on an employer's 签约发送列表: only those can be invited."""
    db.session.add_all(Favorite(employer_id=employer.id, student_id=s.id) for s in students)
    db.session.flush()
