"""Match an uploaded scan of a printed agreement to its agreement by the QR code on its pages.

Every page of a generated agreement carries the QR code of its verification URL, which names
the agreement (the reference) and carries its keyed code. A stamped scan is read with zxing-cpp
(offline; rotation, skew and noise of a flatbed or phone scan are its daily work) and each QR
code found is compared with the one the agreement carries now: same reference and the same code
(compared in constant time) is a match. A scan with no code of ours, or only codes of another
agreement, is refused with a message the student understands.

The upload route of paper agreements (issue 13) decodes the upload through
``app.services.uploads`` (size, type and pixel limits, one decode at a time) and passes the
image here.
"""
from __future__ import annotations

import enum
import hmac
from dataclasses import dataclass

import zxingcpp
from PIL import Image

from app.domain import agreement_document as doc
from app.domain.errors import InvalidInput

MAX_SIDE = 3000  # px: a 300 dpi A4 scan; larger images are read at this size


class ScanMatch(str, enum.Enum):
    MATCH = "match"  # a QR code of this agreement
    OTHER = "other"  # QR codes of ours, but of another agreement (or an altered one)
    NONE = "none"  # no QR code of ours was found


@dataclass(frozen=True)
class ScanResult:
    match: ScanMatch
    found: tuple[str, ...]  # the references read (what the reviewer sees)

    @property
    def label(self) -> str:
        return {ScanMatch.MATCH: "扫描件二维码与本协议书一致",
                ScanMatch.OTHER: "扫描件二维码属于其他协议书",
                ScanMatch.NONE: "扫描件中未识别到协议书二维码"}[self.match]


def read_codes(image: Image.Image) -> list[str]:
    """The text of every QR code zxing-cpp finds in the image."""
    if max(image.size) > MAX_SIDE:
        image = image.copy()
        image.thumbnail((MAX_SIDE, MAX_SIDE))
    if image.mode not in ("L", "RGB"):
        image = image.convert("RGB")
    results = zxingcpp.read_barcodes(image, formats=zxingcpp.BarcodeFormat.QRCode, try_rotate=True,
                                     try_downscale=True)
    return [r.text for r in results if r.valid and r.text]


def match_image(image: Image.Image, ref: str, code: str) -> ScanResult:
    """Does the scan carry the QR code of the agreement whose reference and code are given?"""
    found: list[tuple[str, str]] = []
    for text in read_codes(image):
        parsed = doc.parse_verification_url(text)
        if parsed is not None:
            found.append(parsed)
    refs = tuple(dict.fromkeys(r for r, _ in found))
    if any(r == ref and hmac.compare_digest(c, code) for r, c in found):
        return ScanResult(ScanMatch.MATCH, refs)
    return ScanResult(ScanMatch.OTHER if found else ScanMatch.NONE, refs)


def expected_code(facts: doc.AgreementFacts, mac_key: str) -> tuple[str, str]:
    """(reference, code) that this agreement's pages carry now."""
    return facts.ref, doc.document_mac(mac_key, facts.ref, doc.content_hash(facts))


def check_scan(image: Image.Image, facts: doc.AgreementFacts, mac_key: str,
               field: str = "scan") -> ScanResult:
    """The match, or a refusal that says what to do (400 with the field named)."""
    result = match_image(image, *expected_code(facts, mac_key))
    if result.match == ScanMatch.NONE:
        raise InvalidInput("SCAN_WITHOUT_CODE",
                           "未在扫描件中识别到协议书二维码，请上传由本平台生成并打印的协议书的清晰完整扫描件",
                           {field: "未识别到协议书二维码"})
    if result.match == ScanMatch.OTHER:
        raise InvalidInput("SCAN_OF_ANOTHER_AGREEMENT",
                           "扫描件上的二维码属于另一份协议书，请上传本协议书盖章后的扫描件",
                           {field: "扫描件不属于本协议书"})
    return result
