"""Excel export of any filtered review list (导出): written row by row in openpyxl's write-only
mode from keyset batches, so memory stays flat; large lists run as long work."""
from __future__ import annotations

import tempfile
from dataclasses import asdict
from datetime import date
from typing import IO, Any

from openpyxl import Workbook

from app.clock import to_china
from app.domain.actors import Actor
from app.services import long_work, review_queue, xlsx
from app.services.review_queue import QueueFilter

DIRECT_MAX = 5000  # rows sent in the request; more as a long job
COLUMNS = {
    "signings": ["协议书编号", "协议书状态", "学号", "姓名", "学院", "专业", "签约类型", "单位名称",
                 "最后操作时间", "签约审核状态", "解约审核状态", "已等待（工作日）"],
    "terminations": ["协议书编号", "学号", "姓名", "学院", "专业", "单位名称", "申请方", "解约原因",
                     "最后操作时间", "解约审核状态", "已等待（工作日）"],
}
SHEET_NAMES = {"signings": "网上签约", "terminations": "解约"}
FILENAMES = {"signings": "网上签约审核名单.xlsx", "terminations": "解约审核名单.xlsx"}


def _cells(row: review_queue.QueueRow, kind: str) -> list[Any]:
    at = f"{to_china(row.last_action_at):%Y-%m-%d %H:%M}"
    age = "" if row.age is None else row.age
    if kind == "signings":
        return [row.agreement_no or "", row.agreement_status, row.student_no, row.student_name, row.college,
                row.major, "电子签约", row.employer, at, row.signing_review, row.termination_review, age]
    return [row.agreement_no or "", row.student_no, row.student_name, row.college, row.major, row.employer,
            row.initiated_by, row.reason, at, row.termination_review, age]


def write(actor: Actor, f: QueueFilter, kind: str, out: IO[bytes] | str, progress=None) -> int:
    """Write the filtered list as xlsx into ``out``; the number of rows."""
    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet(SHEET_NAMES[kind])
    sheet.append(xlsx.row(sheet, COLUMNS[kind], bold=True))
    count = 0
    for row in review_queue.all_rows(actor, f, kind):
        sheet.append(xlsx.row(sheet, _cells(row, kind)))  # a stored "=…" stays text
        count += 1
        if progress is not None and count % 1000 == 0:
            progress(count)
    workbook.save(out)
    return count


def direct(actor: Actor, f: QueueFilter, kind: str) -> IO[bytes]:
    """A small list as a temporary file, ready to send."""
    out = tempfile.SpooledTemporaryFile(max_size=8 * 1024 * 1024)
    write(actor, f, kind, out)
    out.seek(0)
    return out


def filter_params(f: QueueFilter) -> dict[str, Any]:
    data = asdict(f)
    for key in ("date_from", "date_to"):
        if data[key] is not None:
            data[key] = data[key].isoformat()
    return data


def filter_from(params: dict[str, Any]) -> QueueFilter:
    data = dict(params)
    for key in ("date_from", "date_to"):
        if data.get(key):
            data[key] = date.fromisoformat(data[key])
    return QueueFilter(**data)


def _run(ctx: long_work.WorkContext, params: dict) -> dict:
    kind = params["kind"]
    f = filter_from(params["filter"])
    total = review_queue.count(ctx.actor, f, kind)
    ctx.progress(0, total, "正在导出", force=True)
    path = ctx.output_file(FILENAMES[kind], ".xlsx")
    rows = write(ctx.actor, f, kind, str(path), progress=lambda n: ctx.progress(n, total, "正在导出"))
    return {"summary": f"共导出{rows}条", "rows": rows}


long_work.kind("export_review_list", "导出审核名单", ("college_reviewer", "school_reviewer"))(_run)
