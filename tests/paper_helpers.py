"""Paper agreements 线下签约 in tests: content, a generated / numbered / effective agreement, and
scans made from the agreement's own PDF."""
from __future__ import annotations

import io
import random
from typing import Any

import pypdfium2 as pdfium
from PIL import Image, ImageFilter
from werkzeug.datastructures import FileStorage

from app.domain import agreement_document as doc
from app.services import agreement_pdf, documents, paper_agreements


def content(**employer_overrides: Any) -> dict[str, Any]:
    employer = {"name": "长沙麓山精密机械有限公司", "credit_code": "91430100MA4L16JQ9D",
                "industry_code": "A", "nature_code": "10", "region_code": "430104",
                "postcode": "410000", "address": "长沙市岳麓区麓山南路88号", **employer_overrides}
    return {
        "employer": employer,
        "terms": {"job_category_code": "13", "position": "机械设计工程师", "probation_days": 90,
                  "probation_salary": 6000, "regular_salary": 8000, "liquidated_damages": 2000,
                  "report_place": "长沙市岳麓区", "report_deadline": "2026-07-20",
                  "work_region_code": "430104", "work_address": "长沙市岳麓区麓山南路88号",
                  "contact_name": "刘经理", "contact_phone": "0731-88886666",
                  "supplementary_terms": "提供员工宿舍。"},
        "archive": {"archive_receiving": "employer", "archive_unit": "长沙麓山精密机械有限公司",
                    "archive_address": "长沙市岳麓区麓山南路88号", "archive_postcode": "410000",
                    "archive_contact": "刘经理", "archive_phone": "0731-88886666",
                    "hukou_receiving": "not_received"},
    }


def generated(world, account=None) -> int:
    actor = world.actor(account or world.student_account)
    paper = paper_agreements.create_draft(actor, content())
    paper_agreements.generate(actor, paper.id, True)
    return paper.id


def numbered(world, account=None) -> int:
    """Generated and through the first review (college, then school): awaiting feedback."""
    paper_id = generated(world, account)
    paper_agreements.approve(world.actor(world.college_reviewer), paper_id)
    paper_agreements.approve(world.actor(world.school_reviewer), paper_id)
    return paper_id


def pdf_of(paper_id: int) -> bytes:
    rendered = documents.build(doc.PAPER, paper_id)
    pdf, _ = agreement_pdf.render_pdf(rendered.full)
    return pdf


def scan_image(pdf: bytes, angle: float = 1.5, seed: int = 7) -> Image.Image:
    """Page 1 as a 150 dpi greyscale scan, turned a little, with noise and blur."""
    with agreement_pdf._pdfium_lock:
        document = pdfium.PdfDocument(pdf)
        image = document[0].render(scale=150 / 72, grayscale=True).to_pil().convert("L")
        document.close()
    image = image.rotate(angle, resample=Image.BICUBIC, expand=True, fillcolor=235)
    rng = random.Random(seed)
    noise = Image.frombytes("L", image.size, rng.randbytes(image.width * image.height))
    return Image.blend(image, noise, 0.15).filter(ImageFilter.GaussianBlur(0.5))


def jpeg_bytes(image: Image.Image, quality: int = 80) -> bytes:
    out = io.BytesIO()
    image.convert("RGB").save(out, "JPEG", quality=quality)
    return out.getvalue()


def png_bytes(size=(400, 300), color=(200, 30, 30)) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", size, color).save(out, "PNG")
    return out.getvalue()


def upload(data: bytes, name: str = "scan.jpg", content_type: str = "image/jpeg") -> FileStorage:
    return FileStorage(io.BytesIO(data), filename=name, content_type=content_type)


def scan_upload(paper_id: int) -> FileStorage:
    return upload(jpeg_bytes(scan_image(pdf_of(paper_id))))


def effective(world, account=None) -> int:
    paper_id = numbered(world, account)
    actor = world.actor(account or world.student_account)
    paper_agreements.submit_scan(actor, paper_id, scan_upload(paper_id))
    paper_agreements.approve(world.actor(world.college_reviewer), paper_id)
    paper_agreements.approve(world.actor(world.school_reviewer), paper_id)
    return paper_id
