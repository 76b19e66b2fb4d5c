"""WeChat settings: defaults merged under app.config["WECHAT"] (config.toml [WECHAT] overrides)."""
from __future__ import annotations

import copy
from typing import Any

from flask import Flask

WECHAT_DEFAULTS: dict[str, Any] = {
    # Base URL of the WeChat API; the embedded default points at the built-in emulator.
    "API_BASE": "https://api.weixin.qq.com",
    # Mount the offline emulator at /_emulator (never in production).
    "EMULATOR": False,
}


def _merge(base: dict[str, Any], override: dict[str, Any]) -> dict[str, Any]:
    merged = copy.deepcopy(base)
    for key, value in override.items():
        if isinstance(value, dict) and isinstance(merged.get(key), dict):
            merged[key] = _merge(merged[key], value)
        else:
            merged[key] = value
    return merged


def apply_defaults(app: Flask) -> None:
    app.config["WECHAT"] = _merge(WECHAT_DEFAULTS, app.config.get("WECHAT", {}))
    if app.config["WECHAT"]["EMULATOR"] and app.config["ENV"] == "production":
        raise RuntimeError("the WeChat emulator must never be mounted in production")
