"""Uploaded images (evidence scans, paper-agreement scans): sniffed, size-limited, decoded by
Pillow with its decompression-bomb guard, re-encoded without metadata and stored under a
random key — never a user-supplied name or a guessable path (QUALITY.md "Uploads").

Decoding memory is bounded: at most MAX_IMAGE_PIXELS pixels (checked from the header, before
decoding) and at most one decode at a time per process, so a burst of large images cannot
multiply the peak (four parallel 40-megapixel PNGs once took a worker from 232 MB to 1.41 GB).
Uploads are limited per IP (UPLOADS_PER_IP_HOUR files an hour)."""
from __future__ import annotations

import hashlib
import io
import os
import re
import secrets
import threading
import warnings
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from flask import current_app
from PIL import Image, ImageOps
from werkzeug.datastructures import FileStorage

from app.domain.errors import DomainError, InvalidInput, Unavailable
from app.services import ratelimit

MAX_IMAGE_BYTES = 2 * 1024 * 1024
# A licence photo or scan: a 12-megapixel phone photo, an A4 page at 400 dpi (15.5 M). Decoded
# as RGBA that is at most 64 MB, far below Pillow's own bomb limit (89 M).
MAX_IMAGE_PIXELS = 16_000_000
UPLOADS_PER_IP_HOUR = 30
DECODE_WAIT_SECONDS = 15.0  # UPLOAD_DECODE_WAIT: how long an upload queues for the decoder
_DECODER = threading.BoundedSemaphore(1)  # one decode at a time per process
_FORMATS = {  # sniffed signature -> (Pillow format, extension, content type)
    b"\xff\xd8\xff": ("JPEG", "jpg", "image/jpeg"),
    b"\x89PNG\r\n\x1a\n": ("PNG", "png", "image/png"),
}
_KEY = re.compile(r"^[0-9a-f]{32}\.(jpg|png)$")


class UploadRejected(DomainError):
    """A file refused: missing (400), too large (413) or not what it should be (415)."""

    kind = "invalid"


class UploadTooLarge(UploadRejected):
    kind = "too_large"


class UnsupportedUpload(UploadRejected):
    kind = "unsupported"


@dataclass(frozen=True)
class StoredFile:
    storage_key: str  # <32 hex>.<ext>, the only name the file has on disk
    content_type: str
    size: int
    sha256: str  # of the stored (re-encoded) bytes
    width: int
    height: int


def upload_dir() -> Path:
    """UPLOAD_DIR when configured, else instance/uploads."""
    configured = current_app.config.get("UPLOAD_DIR")
    return Path(configured) if configured else Path(current_app.instance_path) / "uploads"


def path_of(storage_key: str) -> Path:
    """Where a stored file lives; a key that is not one of ours is refused (no path tricks)."""
    if not _KEY.match(storage_key or ""):
        raise ValueError("not a storage key")
    return upload_dir() / storage_key


def read_limited(file: FileStorage | None, max_bytes: int, field: str, label: str,
                 ip: str | None = None) -> bytes:
    """The uploaded bytes, or a 400 for a missing/empty file and a 413 above max_bytes; each
    file counts against the uploader's IP (429 past UPLOADS_PER_IP_HOUR)."""
    if not isinstance(file, FileStorage):
        raise InvalidInput("FILE_REQUIRED", f"请上传{label}", {field: f"请上传{label}"})
    if ip:
        per_hour = int(current_app.config.get("UPLOADS_PER_IP_HOUR", UPLOADS_PER_IP_HOUR))
        ratelimit.hit([ratelimit.Limit("upload-ip", ip, 3600, per_hour)], "上传过于频繁，请稍后再试")
    content = file.stream.read(max_bytes + 1)
    if not content:
        raise InvalidInput("FILE_EMPTY", f"{label}是空文件，请重新选择", {field: "文件为空"})
    if len(content) > max_bytes:
        limit = f"{max_bytes / 1024 / 1024:g} MB"
        raise UploadTooLarge("FILE_TOO_LARGE", f"{label}不能超过{limit}", {field: f"不能超过{limit}"})
    return content


def _decode(content: bytes, fmt: str, field: str, label: str,
            max_pixels: int | None = None) -> Image.Image:
    max_pixels = MAX_IMAGE_PIXELS if max_pixels is None else max_pixels
    refused = UnsupportedUpload("UNSUPPORTED_FILE_TYPE", f"{label}不是有效的JPEG或PNG图片",
                                {field: "图片无法识别或已损坏"})
    try:
        with warnings.catch_warnings():  # the bomb *warning* is a refusal here, not a log line
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            image = Image.open(io.BytesIO(content), formats=[fmt])
            width, height = image.size
            if width * height > max_pixels:
                raise UnsupportedUpload("IMAGE_TOO_LARGE", f"{label}的像素尺寸过大，请缩小后上传",
                                        {field: "图片像素尺寸过大"})
            image.load()
            return ImageOps.exif_transpose(image)  # phone photos stay upright without EXIF
    except UploadRejected:
        raise
    except (Image.DecompressionBombWarning, Image.DecompressionBombError) as exc:
        raise UnsupportedUpload("IMAGE_TOO_LARGE", f"{label}的像素尺寸过大，请缩小后上传",
                                {field: "图片像素尺寸过大"}) from exc
    except (OSError, SyntaxError, ValueError, EOFError, Image.UnidentifiedImageError) as exc:
        raise refused from exc


def _reencode(image: Image.Image, fmt: str) -> bytes:
    """A fresh encoding with no metadata (EXIF with GPS, comments, ICC) carried over."""
    if fmt == "JPEG":
        image = image.convert("RGB") if image.mode not in ("L", "RGB") else image
    elif image.mode == "P" and "transparency" in image.info:
        image = image.convert("RGBA")
    elif image.mode not in ("1", "L", "LA", "P", "RGB", "RGBA"):
        image = image.convert("RGBA" if "A" in image.mode else "RGB")
    clean = image.copy()
    clean.info = {}
    out = io.BytesIO()
    if fmt == "JPEG":
        clean.save(out, "JPEG", quality=90)
    else:
        clean.save(out, "PNG")
    return out.getvalue()


@dataclass(frozen=True)
class UploadUse:
    """What one kind of upload accepts: its formats (sniffed), its byte and pixel limits, and
    how the user calls it. Every file the system accepts names its use (USES)."""
    name: str
    label: str
    field: str = "file"
    formats: tuple[str, ...] = ("JPEG", "PNG")
    max_bytes: int = MAX_IMAGE_BYTES
    max_pixels: int | None = None  # None: MAX_IMAGE_PIXELS


USES = {use.name: use for use in (
    UploadUse("licence", "营业执照（或法人证书）扫描件", "licence"),
    UploadUse("authorisation", "授权委托书", "authorisation"),
    UploadUse("intervention_evidence", "证明材料", "evidence"),
    # A stamped A4 agreement, photographed or scanned: its QR codes must stay readable.
    UploadUse("paper_scan", "盖章协议书扫描件", "scan"),
    UploadUse("paper_termination_proof", "解约证明", "proof"),
)}


def save_upload(use: UploadUse, file: FileStorage | None, *, ip: str | None = None,
                inspect: Callable[[Image.Image], None] | None = None) -> StoredFile:
    """save_image under the limits of a use; ``inspect`` sees the decoded image before anything
    is stored and may refuse it (a DomainError), e.g. a scan whose QR code is another's."""
    return save_image(file, use.max_bytes, field=use.field, label=use.label, ip=ip,
                      formats=use.formats, max_pixels=use.max_pixels, inspect=inspect)


def save_image(file: FileStorage | None, max_bytes: int = MAX_IMAGE_BYTES, *, field: str = "file",
               label: str = "图片", ip: str | None = None, formats: tuple[str, ...] = ("JPEG", "PNG"),
               max_pixels: int | None = None,
               inspect: Callable[[Image.Image], None] | None = None) -> StoredFile:
    """Validate an uploaded JPEG/PNG and store a clean copy; the caller records the StoredFile.

    field names the form field in error messages; label is how the user calls the file; ip is
    the uploader's, for the per-IP limit; formats the Pillow formats this use accepts.
    """
    content = read_limited(file, max_bytes, field, label, ip)
    sniffed = next((v for sig, v in _FORMATS.items() if content.startswith(sig) and v[0] in formats), None)
    if sniffed is None:  # the name and the declared Content-Type are not trusted
        names = "或".join("JPEG" if f == "JPEG" else f for f in formats)
        raise UnsupportedUpload("UNSUPPORTED_FILE_TYPE", f"{label}只能是{names}图片",
                                {field: f"只能上传{names}图片"})
    fmt, ext, content_type = sniffed
    wait = float(current_app.config.get("UPLOAD_DECODE_WAIT", DECODE_WAIT_SECONDS))
    if not _DECODER.acquire(timeout=wait):
        raise Unavailable("UPLOAD_BUSY", "图片处理繁忙，请稍后重新上传")
    try:
        image = _decode(content, fmt, field, label, max_pixels)
        try:
            if inspect is not None:
                inspect(image)
            data = _reencode(image, fmt)
            size = image.size
        finally:
            image.close()
    finally:
        _DECODER.release()
    key = f"{secrets.token_hex(16)}.{ext}"
    directory = upload_dir()
    directory.mkdir(parents=True, exist_ok=True)
    temporary = directory / f".{key}.part"
    with open(temporary, "xb") as fh:
        fh.write(data)
    os.replace(temporary, directory / key)
    return StoredFile(key, content_type, len(data), hashlib.sha256(data).hexdigest(), *size)


def discard(stored: list[StoredFile]) -> None:
    """Remove files whose database rows were not committed."""
    for item in stored:
        try:
            path_of(item.storage_key).unlink(missing_ok=True)
        except OSError:
            pass
