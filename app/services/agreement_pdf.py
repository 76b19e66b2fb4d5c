"""Lay out a document (app.domain.agreement_document.Document) as an A4 PDF, and the PDF as a
PNG preview for a phone.

reportlab's platypus does the layout; the font is a TrueType CJK font (reportlab embeds
TrueType outlines only — not the CFF outlines of Noto CJK's .otf/.ttc), by default WenQuanYi
Micro Hei from Debian's ``fonts-wqy-microhei`` (``DOCUMENT_FONT`` names another). Every page
carries, in its header, the QR code of the verification URL (drawn as vector modules from the
``qrcode`` library's matrix, so it stays sharp in print and in the preview) and, in its footer,
the content hash and "第 n 页 共 N 页". The page count is made even with a last page that says
so, for double-sided printing. An agreement not in force carries its state across every page.

The preview is the pages rendered by PDFium (pypdfium2), grey, one under the other.
"""
from __future__ import annotations

import functools
import io
import threading
from pathlib import Path
from typing import Any
from xml.sax.saxutils import escape

import pypdfium2 as pdfium
import qrcode
from PIL import Image
from qrcode.constants import ERROR_CORRECT_M
from reportlab.lib import colors
from reportlab.lib.enums import TA_CENTER, TA_RIGHT
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.lib.utils import simpleSplit
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.ttfonts import TTFont
from reportlab.pdfgen.canvas import Canvas
from reportlab.platypus import KeepTogether, Paragraph, SimpleDocTemplate, Spacer, Table, TableStyle

from app.domain.agreement_document import Document, Line

# Debian: fonts-wqy-microhei (TrueType outlines); fonts-wqy-zenhei as a fallback.
FONT_CANDIDATES = (
    "/usr/share/fonts/truetype/wqy/wqy-microhei.ttc",
    "/usr/share/fonts/truetype/wqy/wqy-zenhei.ttc",
)
FONT = "WQ-CJK"
PAGE_WIDTH, PAGE_HEIGHT = A4
MARGIN_X = 18 * mm
HEADER = 40 * mm  # the QR code and the number live here
FOOTER = 20 * mm
QR_SIZE = 28 * mm
PREVIEW_WIDTH = 750  # px: the mini-program's design width (shown widthFix; 2× on most phones)
GAP = 16  # px of grey between pages in the preview
INK = colors.HexColor("#1f2329")
MUTED = colors.HexColor("#5c6370")
RULE = colors.HexColor("#8a9099")
BAND = colors.HexColor("#eef1f5")

_font_lock = threading.Lock()
_font_path: str | None = None
_pdfium_lock = threading.Lock()  # PDFium is not thread-safe


class FontMissing(RuntimeError):
    pass


def font_path(configured: str | None = None) -> str:
    """The CJK font to embed: DOCUMENT_FONT if set, else the first candidate installed."""
    if configured:
        if not Path(configured).is_file():
            raise FontMissing(f"DOCUMENT_FONT {configured} does not exist")
        return configured
    for candidate in FONT_CANDIDATES:
        if Path(candidate).is_file():
            return candidate
    raise FontMissing("no CJK TrueType font: install Debian's fonts-wqy-microhei "
                      "(make install does) or set DOCUMENT_FONT to a TrueType .ttf/.ttc")


def ensure_font(configured: str | None = None) -> None:
    """Register the font once per process (parsing it takes ~0.5 s; rendering then reuses it)."""
    global _font_path
    path = font_path(configured)
    if _font_path == path:
        return
    with _font_lock:
        if _font_path != path:
            pdfmetrics.registerFont(TTFont(FONT, path, subfontIndex=0))
            _font_path = path


def _styles() -> dict[str, ParagraphStyle]:
    base = ParagraphStyle("body", fontName=FONT, fontSize=9.5, leading=14, textColor=INK,
                          wordWrap="CJK")
    return {
        "body": base,
        "title": ParagraphStyle("title", parent=base, fontSize=19, leading=26, alignment=TA_CENTER),
        "subtitle": ParagraphStyle("subtitle", parent=base, fontSize=11, leading=16, alignment=TA_CENTER,
                                   textColor=MUTED),
        "number": ParagraphStyle("number", parent=base, fontSize=10, alignment=TA_RIGHT),
        "section": ParagraphStyle("section", parent=base, fontSize=11, leading=16, backColor=BAND,
                                  borderPadding=(3, 4, 3, 4), spaceBefore=9, spaceAfter=6),
        "label": ParagraphStyle("label", parent=base, textColor=MUTED),
        "party": ParagraphStyle("party", parent=base, fontSize=10.5, leading=15),
        "notice": ParagraphStyle("notice", parent=base, fontSize=8.8, leading=13.2),
        "small": ParagraphStyle("small", parent=base, fontSize=8, leading=11, textColor=MUTED),
    }


def _p(text: str, style: ParagraphStyle) -> Paragraph:
    return Paragraph(escape(text).replace("\n", "<br/>"), style)


# -- the page furniture: QR code, hash, page numbers, watermark --------------------------------

class _DecoratedCanvas(Canvas):
    """Keeps each page until the end, then draws the header and footer knowing the page count,
    and pads to an even count for double-sided printing."""

    document: Document
    result: dict  # the page count, for the caller

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._pages: list[dict] = []

    def showPage(self) -> None:  # reportlab's name
        self._pages.append(dict(self.__dict__))
        self._startPage()

    def save(self) -> None:
        blank = len(self._pages) % 2 == 1
        total = len(self._pages) + (1 if blank else 0)
        self.result["pages"] = total
        for number, state in enumerate(self._pages, start=1):
            self.__dict__.update(state)
            if number == 1:  # drawn once, placed on every page
                self.beginForm("qr")
                _draw_qr(self, qr_matrix(self.document.verify_url), 0, 0, QR_SIZE)
                self.endForm()
            _decorate(self, self.document, number, total)
            super().showPage()
        if blank:
            self.setFont(FONT, 10)
            self.setFillColor(MUTED)
            self.drawCentredString(PAGE_WIDTH / 2, PAGE_HEIGHT / 2, "（本页无正文，供双面打印使用）")
            _decorate(self, self.document, total, total)
            super().showPage()
        super().save()


@functools.lru_cache(maxsize=64)
def qr_matrix(url: str) -> tuple[tuple[bool, ...], ...]:
    """The QR code of the verification URL (error correction M: a stamp or a fold may cover some)."""
    qr = qrcode.QRCode(error_correction=ERROR_CORRECT_M, border=0, box_size=1)
    qr.add_data(url)
    qr.make(fit=True)
    return tuple(tuple(row) for row in qr.get_matrix())


def _draw_qr(canvas: Canvas, matrix: tuple[tuple[bool, ...], ...], x: float, y: float, size: float) -> None:
    """Dark modules as filled rectangles, a run of a row at a time; a white quiet zone around."""
    count = len(matrix)
    module = size / count
    quiet = 4 * module
    canvas.setFillColor(colors.white)
    canvas.rect(x - quiet, y - quiet, size + 2 * quiet, size + 2 * quiet, stroke=0, fill=1)
    canvas.setFillColor(colors.black)
    path = canvas.beginPath()
    for row, cells in enumerate(matrix):
        top = y + size - (row + 1) * module
        start = None
        for col, dark in enumerate(cells + (False,)):
            if dark and start is None:
                start = col
            elif not dark and start is not None:
                path.rect(x + start * module, top, (col - start) * module, module)
                start = None
    canvas.drawPath(path, stroke=0, fill=1)


def _decorate(canvas: Canvas, document: Document, number: int, total: int) -> None:
    canvas.saveState()
    if document.watermark:
        canvas.setFillColor(colors.HexColor("#c0392b"))
        canvas.setFillAlpha(0.14)
        canvas.setFont(FONT, 84)
        canvas.translate(PAGE_WIDTH / 2, PAGE_HEIGHT / 2)
        canvas.rotate(35)
        canvas.drawCentredString(0, -30, document.watermark)
        canvas.setFillAlpha(1)
        canvas.rotate(-35)
        canvas.translate(-PAGE_WIDTH / 2, -PAGE_HEIGHT / 2)
    # header: the QR at the top right, what it is for at its left
    qr_x = PAGE_WIDTH - MARGIN_X - QR_SIZE
    qr_y = PAGE_HEIGHT - 8 * mm - QR_SIZE
    canvas.saveState()
    canvas.translate(qr_x, qr_y)
    canvas.doForm("qr")
    canvas.restoreState()
    canvas.setFillColor(INK)
    canvas.setFont(FONT, 10)
    canvas.drawString(MARGIN_X, PAGE_HEIGHT - 14 * mm, document.title + document.subtitle)
    canvas.setFont(FONT, 9)
    canvas.drawString(MARGIN_X, PAGE_HEIGHT - 20 * mm, document.number_line)
    canvas.setFillColor(MUTED)
    canvas.setFont(FONT, 8)
    canvas.drawString(MARGIN_X, PAGE_HEIGHT - 26 * mm,
                      "扫描右侧二维码，可查验本文件的真实性及协议书当前状态。")
    canvas.setStrokeColor(RULE)
    canvas.setLineWidth(0.6)
    canvas.line(MARGIN_X, PAGE_HEIGHT - HEADER + 3 * mm, qr_x - 4 * mm, PAGE_HEIGHT - HEADER + 3 * mm)
    # footer: the content hash, the page, what the copies are
    canvas.line(MARGIN_X, FOOTER - 2 * mm, PAGE_WIDTH - MARGIN_X, FOOTER - 2 * mm)
    canvas.setFillColor(MUTED)
    canvas.setFont(FONT, 7.5)
    canvas.drawString(MARGIN_X, FOOTER - 6.5 * mm, f"内容摘要（SHA-256）：{document.content_hash}")
    canvas.drawRightString(PAGE_WIDTH - MARGIN_X, FOOTER - 6.5 * mm, f"第 {number} 页  共 {total} 页")
    for i, line in enumerate(simpleSplit(document.footer_note, FONT, 7.5, PAGE_WIDTH - 2 * MARGIN_X)[:2]):
        canvas.drawString(MARGIN_X, FOOTER - (10.5 + 3.6 * i) * mm, line)
    canvas.restoreState()


# -- the body ----------------------------------------------------------------------------------------

CONTENT_WIDTH = PAGE_WIDTH - 2 * MARGIN_X
LABEL_WIDTH = 33 * mm
VALUE_WIDTH = CONTENT_WIDTH / 2 - LABEL_WIDTH
TIMELINE_LABEL = 48 * mm
GRID = TableStyle([
    ("GRID", (0, 0), (-1, -1), 0.5, RULE),
    ("VALIGN", (0, 0), (-1, -1), "MIDDLE"),
    ("BACKGROUND", (0, 0), (0, -1), BAND),
    ("TOPPADDING", (0, 0), (-1, -1), 3.5),
    ("BOTTOMPADDING", (0, 0), (-1, -1), 3.5),
])
LONG_VALUE = 17  # characters: a longer value gets a whole row


def _parties(employer: tuple[Line, ...], student: tuple[Line, ...], st: dict) -> Table:
    rows: list[list[Any]] = [[_p("甲方（用人单位）", st["party"]), "", _p("乙方（毕业生）", st["party"]), ""]]
    for index in range(max(len(employer), len(student))):
        row: list[Any] = []
        for side in (employer, student):
            line = side[index] if index < len(side) else Line("", "")
            row += [_p(line.label, st["label"]), _p(line.value, st["body"])]
        rows.append(row)
    table = Table(rows, colWidths=[LABEL_WIDTH, VALUE_WIDTH, LABEL_WIDTH, VALUE_WIDTH])
    table.setStyle(GRID)
    table.setStyle(TableStyle([("SPAN", (0, 0), (1, 0)), ("SPAN", (2, 0), (3, 0)),
                               ("BACKGROUND", (0, 0), (-1, 0), BAND),
                               ("BACKGROUND", (2, 1), (2, -1), BAND)]))
    return table


def _grid(lines: tuple[Line, ...], st: dict, columns: int = 2) -> Table:
    """Short values two to a row (``columns`` 2), a long value over the whole row; ``columns`` 1:
    one line a row, with a wider label (a timeline)."""
    if columns == 1:
        table = Table([[_p(line.label, st["label"]), _p(line.value, st["body"])] for line in lines],
                      colWidths=[TIMELINE_LABEL, CONTENT_WIDTH - TIMELINE_LABEL])
        table.setStyle(GRID)
        return table
    rows: list[list[Any]] = []
    spans: list[int] = []
    pending: Line | None = None
    for line in lines:
        if len(line.value) > LONG_VALUE:
            rows.append([_p(line.label, st["label"]), _p(line.value, st["body"]), "", ""])
            spans.append(len(rows) - 1)
        elif pending is None:
            pending = line
        else:
            rows.append([_p(pending.label, st["label"]), _p(pending.value, st["body"]),
                         _p(line.label, st["label"]), _p(line.value, st["body"])])
            pending = None
    if pending is not None:
        rows.append([_p(pending.label, st["label"]), _p(pending.value, st["body"]), "", ""])
        spans.append(len(rows) - 1)
    table = Table(rows, colWidths=[LABEL_WIDTH, VALUE_WIDTH, LABEL_WIDTH, VALUE_WIDTH])
    table.setStyle(GRID)
    commands = [("SPAN", (1, r), (3, r)) for r in spans]
    commands += [("BACKGROUND", (2, r), (2, r), BAND) for r in range(len(rows)) if r not in spans]
    table.setStyle(TableStyle(commands))
    return table


def _signatures(document: Document, st: dict) -> Table:
    width = CONTENT_WIDTH / len(document.signatures)
    cells = [[_p(who, st["body"]) for who, _ in document.signatures],
             ["" for _ in document.signatures],
             [_p(f"日期：{when}", st["body"]) for _, when in document.signatures]]
    table = Table(cells, colWidths=[width] * len(document.signatures), rowHeights=[None, 20 * mm, None])
    table.setStyle(TableStyle([("VALIGN", (0, 0), (-1, -1), "TOP"),
                               ("LINEABOVE", (0, 0), (-1, 0), 0.5, RULE)]))
    return table


def story(document: Document) -> list:
    st = _styles()
    flow: list = [_p(document.title, st["title"]), _p(document.subtitle, st["subtitle"]),
                  Spacer(1, 2 * mm), _p(document.number_line, st["number"]), Spacer(1, 2 * mm)]
    if document.parties:
        flow.append(_parties(*document.parties, st))
    for section in document.sections:
        parts: list = [_p(section.title, st["section"])]
        if section.lines:
            parts.append(_grid(section.lines, st, section.columns))
        if section.text:
            if section.lines:
                parts.append(Spacer(1, 2 * mm))
            parts.append(_p(section.text, st["notice"] if "须知" in section.title else st["body"]))
        flow.append(KeepTogether(parts) if len(parts) <= 3 else parts)
    closing = [Spacer(1, 4 * mm)] + [_p(text, st["body"]) for text in document.closing]
    closing += [Spacer(1, 3 * mm), _signatures(document, st)]
    flow.append(KeepTogether(closing))
    return flow


def render_pdf(document: Document, font: str | None = None) -> tuple[bytes, int]:
    """The PDF and its page count."""
    ensure_font(font)
    out = io.BytesIO()
    template = SimpleDocTemplate(
        out, pagesize=A4, leftMargin=MARGIN_X, rightMargin=MARGIN_X, topMargin=HEADER,
        bottomMargin=FOOTER + 4 * mm, title=f"{document.title} {document.ref}", author="网签",
        subject=document.number_line, creator="网签 e-agreement", invariant=1)
    result: dict = {}
    canvas_class = type("DocumentCanvas", (_DecoratedCanvas,), {"document": document, "result": result})
    flat: list = []
    for item in story(document):
        flat.extend(item if isinstance(item, list) else [item])
    template.build(flat, canvasmaker=canvas_class)
    return out.getvalue(), result["pages"]


def render_png(pdf: bytes, width: int = PREVIEW_WIDTH) -> bytes:
    """Every page at ``width`` pixels, grey, stacked with a gap: a preview for a phone."""
    with _pdfium_lock:
        document = pdfium.PdfDocument(pdf)
        try:
            pages = []
            for page in document:
                scale = width / page.get_width()
                pages.append(page.render(scale=scale, grayscale=True).to_pil().convert("L"))
                page.close()
        finally:
            document.close()
    height = sum(p.height for p in pages) + GAP * (len(pages) - 1)
    sheet = Image.new("L", (width, height), 200)
    y = 0
    for page in pages:
        sheet.paste(page, (0, y))
        y += page.height + GAP
    out = io.BytesIO()
    sheet.save(out, "PNG", compress_level=3)
    return out.getvalue()
