"""Benchmarks: run with `make bench`; results go to bench-results/*.json. Not part of `make test`."""
from __future__ import annotations

import json
import os
import platform
from pathlib import Path

import pytest

RESULTS = Path(__file__).resolve().parents[2] / "bench-results"


@pytest.fixture
def record():
    """Write a named result (median seconds etc.) for the notes and the README."""
    def _record(name: str, **values):
        RESULTS.mkdir(exist_ok=True)
        payload = {"name": name, "backend": os.environ.get("WQ_TEST_DATABASE_URL", "sqlite").split("://")[0],
                   "python": platform.python_version(), **values}
        (RESULTS / f"{name}.json").write_text(json.dumps(payload, ensure_ascii=False, indent=1))
        print(json.dumps(payload, ensure_ascii=False))
    return _record
