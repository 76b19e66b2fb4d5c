"""RQ jobs. Each job runs inside an app context: the worker's own, or one made once per process."""
from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any

from flask import Flask, has_app_context

_app: Flask | None = None


def in_app_context(fn: Callable) -> Callable:
    @functools.wraps(fn)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        if has_app_context():
            return fn(*args, **kwargs)
        global _app
        if _app is None:
            from app import create_app

            _app = create_app()
        with _app.app_context():
            return fn(*args, **kwargs)

    return wrapper
