"""Where rendered documents live: files under ``<upload dir>/documents`` named by a random key.

A key is 32 random hex digits and the extension; nothing about the agreement (number, id,
name) is in it, and files are served only through views that check who asks — never from a
static path. Writes are atomic (a temporary file renamed into place), so a reader sees a
whole file or none.
"""
from __future__ import annotations

import os
import re
import secrets
from pathlib import Path

from app.services.uploads import upload_dir

_KEY = re.compile(r"^[0-9a-f]{32}\.(pdf|png)$")


def directory() -> Path:
    return upload_dir() / "documents"


def path_of(key: str) -> Path:
    """The file of a key of ours; anything else is refused (no path tricks)."""
    if not _KEY.match(key or ""):
        raise ValueError("not a document key")
    return directory() / key


def put(data: bytes, extension: str) -> str:
    """Store bytes under a new random key; the key."""
    if extension not in ("pdf", "png"):
        raise ValueError(f"unsupported document type {extension!r}")
    key = f"{secrets.token_hex(16)}.{extension}"
    folder = directory()
    folder.mkdir(parents=True, exist_ok=True)
    temporary = folder / f".{key}.part"
    with open(temporary, "xb") as fh:
        fh.write(data)
    os.replace(temporary, folder / key)
    return key


def read(key: str) -> bytes:
    """The stored bytes (FileNotFoundError when a re-rendering has just replaced them)."""
    return path_of(key).read_bytes()


def remove(keys: list[str | None]) -> None:
    """Delete files no row refers to any more (best effort)."""
    for key in keys:
        if not key:
            continue
        try:
            path_of(key).unlink(missing_ok=True)
        except (OSError, ValueError):
            pass
