"""Demo data: one realistic school with students, employers and reviewers (`flask demo-data`).

Deterministic (random.Random(2026)) and idempotent: once the demo school exists nothing is
changed and the same log-in lines are returned, so `make run` may call it on every start.
Everything here is fictitious; the password is printed on purpose and is for demos only.
"""
from __future__ import annotations

import random
from datetime import date, timedelta

from flask import current_app
from sqlalchemy import func, select

from app.clock import utcnow
from app.domain.identity import credit_code_check_char, id_number_check_char
from app.extensions import db
from app.models import (
    Account,
    College,
    DictEntry,
    EducationLevel,
    Employer,
    Gender,
    Major,
    ReviewLevels,
    Role,
    School,
    SourceStatus,
    Student,
    TrainingMode,
    VerificationStatus,
)
from app.pii import mask_id_number
from app.services.accounts import hash_password
from app.services.dictionaries import load_dictionaries

DEMO_PASSWORD = "demo-pass-2026"
SCHOOL = {"code": "19999", "name": "华夏示范大学", "region_code": "430100"}
COHORT = 2026

# (college code, username prefix, name, [(national major code, name, class-name short form)])
COLLEGES = [
    ("01", "cs", "计算机学院", [("080901", "计算机科学与技术", "计科"), ("080902", "软件工程", "软工"),
                                ("080903", "网络工程", "网工")]),
    ("02", "em", "经济管理学院", [("020301", "金融学", "金融"), ("120201", "工商管理", "工管"),
                                  ("120203", "会计学", "会计")]),
    ("03", "fl", "外国语学院", [("050201", "英语", "英语"), ("050207", "日语", "日语"),
                                ("050262", "商务英语", "商英")]),
    ("04", "me", "机械工程学院", [("080202", "机械设计制造及其自动化", "机制"),
                                  ("080204", "机械电子工程", "机电")]),
    ("05", "ch", "化学化工学院", [("081301", "化学工程与工艺", "化工"), ("070301", "化学", "化学")]),
]

# Credit-code bodies: 91 (enterprise) + registration region + 9-char org code (own GB 11714 check
# char included); the GB 32100 check char is computed. (slug, name, body, nature, industry,
# region, affiliation, address, contacts, status)
EMPLOYERS = [
    ("xingchen", "长沙星辰软件科技有限公司", "91430100MA4L7K2C7", "39", "I", "430100", None,
     "湖南省长沙市岳麓区麓谷大道627号星辰大厦12楼", ["周晓燕", "陈志刚"], VerificationStatus.APPROVED),
    ("huayue", "湖南华岳重工机械股份有限公司", "91430200184629734", "31", "C", "430200", "20",
     "湖南省株洲市天元区珠江北路88号", ["刘建国", "谭丽"], VerificationStatus.APPROVED),
    ("lushan", "湘潭麓山化工新材料有限公司", "91430300MA4PB0GRX", "39", "C", "430300", None,
     "湖南省湘潭市岳塘区滨江路16号", ["彭文博", "易敏"], VerificationStatus.APPROVED),
    ("yunfan", "株洲云帆教育咨询有限公司", "91430200MA4T2W8H9", "39", "P", "430200", None,
     "湖南省株洲市芦淞区建设中路203号", ["龙雪梅"], VerificationStatus.PENDING),
]

# Resident-ID region prefixes (county level) and the matching address text; mostly Hunan.
HOME_REGIONS = [
    ("430102", "湖南省长沙市芙蓉区"), ("430103", "湖南省长沙市天心区"), ("430104", "湖南省长沙市岳麓区"),
    ("430105", "湖南省长沙市开福区"), ("430111", "湖南省长沙市雨花区"), ("430181", "湖南省浏阳市"),
    ("430202", "湖南省株洲市荷塘区"), ("430302", "湖南省湘潭市雨湖区"), ("430405", "湖南省衡阳市珠晖区"),
    ("430602", "湖南省岳阳市岳阳楼区"), ("430702", "湖南省常德市武陵区"), ("431002", "湖南省郴州市北湖区"),
    ("420102", "湖北省武汉市江岸区"), ("360102", "江西省南昌市东湖区"), ("440106", "广东省广州市天河区"),
    ("410105", "河南省郑州市金水区"), ("500103", "重庆市渝中区"), ("510104", "四川省成都市锦江区"),
]
STREETS = ["人民路", "建设路", "解放路", "五一大道", "韶山路", "新华街", "文化路", "朝阳路", "桐梓坡路"]
SURNAMES = ("王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘蒋蔡余杜叶"
            "程苏魏吕丁任沈姚卢姜崔钟谭陆汪范金石廖贾夏韦付方白邹孟熊秦邱江尹薛段雷侯龙史陶黎贺顾毛"
            "龚邵万严覃戴莫向汤易文欧")
MALE_CHARS = "伟强磊军洋勇杰涛明超辉鹏飞宇浩然俊凯博文斌华健志刚晨阳睿航子轩宏鑫泽昊天翔"
FEMALE_CHARS = "芳娜敏静丽艳娟霞燕玲婷雪慧颖琳欣怡佳悦梦瑶思雨晴婉琪蕾萱彤妍诗涵雅馨月"
PHONE_PREFIXES = [f"13{d}" for d in range(10)] + ["150", "151", "152", "153", "155", "156", "157",
                                                  "158", "159"] + [f"18{d}" for d in range(10)]


class DemoDataRefused(RuntimeError):
    """Demo data (known passwords, fictitious people) never goes into a production database."""


def create_demo_data(student_count: int = 300, base_url: str = "http://127.0.0.1:5000") -> list[str]:
    """Create the demo school (once) and return the lines that tell a person how to log in.
    Refused under a production configuration, before the database is touched."""
    if current_app.config["ENV"] == "production":
        raise DemoDataRefused(
            "ENV = \"production\": 演示数据（公开的演示密码、虚构的学生和单位）不能写入生产数据库。"
            "请在开发或演示环境中运行 flask demo-data。")
    if student_count < 0:
        raise ValueError("student_count must be >= 0")
    school = db.session.scalar(select(School).where(School.code == SCHOOL["code"]))
    if school is None:
        if not db.session.scalar(select(func.count()).select_from(DictEntry)):
            load_dictionaries()
        school = _create(student_count)
        db.session.commit()
    return _login_lines(school, base_url)


def _create(student_count: int) -> School:
    rng = random.Random(2026)
    school = School(**SCHOOL, review_levels=ReviewLevels.COLLEGE_SCHOOL, default_feedback_days=5,
                    termination_limit=1)
    db.session.add(school)
    colleges = []
    for code, _slug, name, majors in COLLEGES:
        college = College(school=school, code=code, name=name)
        college.majors = [Major(code=m_code, name=m_name) for m_code, m_name, _short in majors]
        colleges.append(college)
    db.session.add_all(colleges)
    db.session.flush()

    # One argon2 hash shared by every demo log-in: 14 hashes of the same password would cost ~2 s.
    password_hash = hash_password(DEMO_PASSWORD)

    def login(role: Role, username: str, display_name: str, **scope: int) -> Account:
        account = Account(role=role, username=username, password_hash=password_hash,
                          display_name=display_name, **scope)
        db.session.add(account)
        return account

    admin = login(Role.PLATFORM_ADMIN, "admin", "平台管理员")
    login(Role.SCHOOL_REVIEWER, "school.reviewer", "就业指导中心审核员", school_id=school.id)
    for college, (_code, slug, name, _majors) in zip(colleges, COLLEGES, strict=True):
        login(Role.COLLEGE_REVIEWER, f"{slug}.reviewer", f"{name}审核员", school_id=school.id,
              college_id=college.id)
    db.session.flush()
    for slug, name, body, nature, industry, region, affiliation, address, contacts, status in EMPLOYERS:
        approved = status == VerificationStatus.APPROVED
        employer = Employer(
            name=name, credit_code=body + credit_code_check_char(body), nature_code=nature,
            industry_code=industry, region_code=region, affiliation_code=affiliation,
            address=address, contact_name=contacts[0], contact_phone=f"0731-8{rng.randint(0, 9999999):07d}",
            email=f"hr@{slug}.example.com", verification_status=status,
            verified_at=utcnow() if approved else None, verified_by_id=admin.id if approved else None)
        db.session.add(employer)
        db.session.flush()
        for n, contact in enumerate(contacts, start=1):
            user = login(Role.EMPLOYER_USER, f"hr{n}.{slug}", contact, employer_id=employer.id)
            user.employer_admin = n == 1  # the first user administers the employer's accounts
    db.session.add_all(_students(rng, school, colleges, student_count))
    return school


def _students(rng: random.Random, school: School, colleges: list[College], n: int) -> list[Student]:
    """n students spread over the colleges: ~15% 硕士, ~3% 定向, ~5% awaiting source approval."""
    special = rng.sample(range(n), round(n * 0.03) + round(n * 0.05))
    directed, pending = set(special[:round(n * 0.03)]), set(special[round(n * 0.03):])
    masters = set(rng.sample(range(n), round(n * 0.15)))
    seq: dict[str, int] = {}
    ids: set[str] = set()
    phones: set[str] = set()
    students = []
    for i in range(n):
        college = colleges[i % len(colleges)]
        _code, _slug, _name, majors = COLLEGES[i % len(COLLEGES)]
        major_index = rng.randrange(len(majors))
        level = EducationLevel.SHUOSHI if i in masters else EducationLevel.BENKE
        entry_year = "2023" if level == EducationLevel.SHUOSHI else "2022"
        prefix = entry_year + college.code
        seq[prefix] = seq.get(prefix, 0) + 1
        gender = rng.choice([Gender.MALE, Gender.FEMALE])
        chars = MALE_CHARS if gender == Gender.MALE else FEMALE_CHARS
        name = rng.choice(SURNAMES) + "".join(rng.choice(chars) for _ in range(rng.choice([1, 2, 2])))
        region, region_text = rng.choice(HOME_REGIONS)
        id_number = _id_number(rng, region, level, gender, ids)
        phone = _unique(phones, lambda: rng.choice(PHONE_PREFIXES) + f"{rng.randrange(10**8):08d}")
        short, student_no = majors[major_index][2], f"{prefix}{seq[prefix]:04d}"
        class_name = (f"{short}硕士{entry_year}级" if level == EducationLevel.SHUOSHI
                      else f"{short}{entry_year[2:]}{rng.randint(1, 2):02d}班")  # 网工2201班
        students.append(Student(
            school=school, college=college, major=college.majors[major_index], cohort=COHORT,
            class_name=class_name, education_level=level, student_no=student_no, name=name,
            gender=gender, id_number=id_number, phone=phone, email=f"{student_no}@stu.example.edu.cn",
            address=f"{region_text}{rng.choice(STREETS)}{rng.randint(1, 399)}号"
                    f"{rng.randint(1, 12)}栋{rng.randint(1, 6)}0{rng.randint(1, 4)}室",
            training_mode=TrainingMode.DIRECTED if i in directed else TrainingMode.NON_DIRECTED,
            source_status=SourceStatus.PENDING if i in pending else SourceStatus.APPROVED,
            signing_open=True))
    return students


def _id_number(rng: random.Random, region: str, level: EducationLevel, gender: Gender,
               taken: set[str]) -> str:
    """A valid 18-character ID: born 2003–2004 (本科) or 2002 (硕士), odd 17th digit for men."""
    start = date(2002, 1, 1) if level == EducationLevel.SHUOSHI else date(2003, 1, 1)
    days = (date(2002, 12, 31) if level == EducationLevel.SHUOSHI else date(2004, 12, 31)) - start

    def make() -> str:
        birth = start + timedelta(days=rng.randint(0, days.days))
        last = rng.choice("13579" if gender == Gender.MALE else "02468")
        body = f"{region}{birth:%Y%m%d}{rng.randrange(100):02d}{last}"
        return body + id_number_check_char(body)
    return _unique(taken, make)


def _unique(taken: set[str], make) -> str:
    value = make()
    while value in taken:
        value = make()
    taken.add(value)
    return value


def _login_lines(school: School, base_url: str) -> list[str]:
    """The same lines whether the data was just created or already there."""
    lines = [f"==== 网签演示数据：{school.name}（学校代码 {school.code}）====",
             f"所有演示账号的密码（仅供演示）：{DEMO_PASSWORD}",
             "平台管理员：admin",
             "学校审核员：school.reviewer"]
    lines += [f"学院审核员（{name}）：{slug}.reviewer" for _c, slug, name, _m in COLLEGES]
    for slug, name, _b, *_rest, contacts, status in EMPLOYERS:
        state = "已认证" if status == VerificationStatus.APPROVED else "待认证"
        users = "、".join(f"hr{n}.{slug}" for n in range(1, len(contacts) + 1))
        lines.append(f"用人单位（{name}，{state}）：{users}")
    total = db.session.scalar(select(func.count()).select_from(Student)
                              .where(Student.school_id == school.id))
    lines.append(f"学生：{total} 名（{COHORT} 届），示例：")
    base = select(Student).where(Student.school_id == school.id).order_by(Student.student_no)
    signable = base.where(Student.source_status == SourceStatus.APPROVED,
                          Student.training_mode == TrainingMode.NON_DIRECTED)
    examples = list(db.session.scalars(signable.where(
        Student.education_level == EducationLevel.BENKE).limit(2)))
    examples += list(db.session.scalars(signable.where(
        Student.education_level == EducationLevel.SHUOSHI).limit(1)))
    for student in examples:
        lines.append(f"  {student.name} 学号 {student.student_no} 身份证 "
                     f"{mask_id_number(student.id_number)}（{student.college.name}·{student.major.name}）")
    for label, condition in (("定向生，不能网签", Student.training_mode == TrainingMode.DIRECTED),
                             ("生源待审核", Student.source_status == SourceStatus.PENDING)):
        student = db.session.scalar(base.where(condition).limit(1))
        if student is not None:
            lines.append(f"  {student.name} 学号 {student.student_no} 身份证 "
                         f"{mask_id_number(student.id_number)}（{label}）")
    if examples:
        lines.append("演示专用：绑定学生身份所需的完整身份证号（均为虚构，仅限演示环境）：")
        lines += [f"  {s.name} {s.student_no} {s.id_number}" for s in examples]
    base_url = base_url.rstrip("/")
    lines += [f"健康检查：{base_url}/healthz", f"电脑端登录：{base_url}/login",
              f"微信模拟器：{base_url}/_emulator/"]
    return lines
