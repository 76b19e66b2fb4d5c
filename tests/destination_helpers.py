"""Bringing 其他去向 registrations to the states a test needs, through the services."""
from __future__ import annotations

import io
from typing import Any

from PIL import Image
from werkzeug.datastructures import FileStorage

from app.services import destinations
from app.services.destinations import Registration


def archive(**overrides: Any) -> dict[str, Any]:
    data = {"unit": "湖南省人才交流服务中心", "address": "长沙市芙蓉区五一大道98号",
            "postcode": "410011", "contact": "李老师（0731-84441234）", "hukou_not_moved": True}
    data.update(overrides)
    return data


def further_study(**fields: Any) -> Registration:
    """升学 → 研究生, part-time, archive to the institution: complete but for the evidence."""
    values = {"admitting_institution": "湖南大学", "institution_region": "430104",
              "admitted_major": "计算机科学与技术", "study_mode": "part_time",
              "archive_disposition": "institution"}
    values.update(fields)
    return Registration("80", "801", values, {"unit": "湖南大学", "region_code": "430104"}, archive())


def awaiting_work() -> Registration:
    """待就业: no required field, no evidence — complete with the archive alone."""
    return Registration("70", None, {"reason": "准备考公"}, None, archive())


def png(name: str = "proof.png", size: tuple[int, int] = (40, 30)) -> FileStorage:
    out = io.BytesIO()
    Image.new("RGB", size, (200, 30, 30)).save(out, "PNG")
    out.seek(0)
    return FileStorage(out, filename=name, content_type="image/png")


def submitted(world, reg: Registration | None = None, account=None) -> int:
    """A registration in its first review (with evidence when the category asks for it)."""
    actor = world.actor(account or world.student_account)
    reg = reg or further_study()
    d = destinations.save_draft(actor, reg)
    destinations.add_evidence(actor, d.id, png())
    return destinations.submit(actor, d.id).id


def approved(world, **kw) -> int:
    destination_id = submitted(world, **kw)
    destinations.approve(world.actor(world.college_reviewer), destination_id)
    destinations.approve(world.actor(world.school_reviewer), destination_id)
    return destination_id
