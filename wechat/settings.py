"""WeChat settings: defaults merged under app.config["WECHAT"] (config.toml [WECHAT] overrides).

With EMULATOR = true and nothing else configured, fixed development credentials and the
built-in emulator's URLs are filled in, so a fresh checkout talks to /_emulator out of the box.
"""
from __future__ import annotations

import copy
from typing import Any

from flask import Flask

WECHAT_DEFAULTS: dict[str, Any] = {
    # Base URL of the WeChat server API (token, sns, wxa, message endpoints), no trailing slash.
    # Production: https://api.weixin.qq.com. With EMULATOR and no value: the emulator below.
    "API_BASE": "https://api.weixin.qq.com",
    # Host serving /cgi-bin/showqrcode (the QR image of a parametric code ticket).
    # Production: https://mp.weixin.qq.com. With EMULATOR and no value: API_BASE.
    "MP_BASE": "https://mp.weixin.qq.com",
    # Host of the web OAuth page (/connect/oauth2/authorize) the browser is sent to.
    # Production: https://open.weixin.qq.com. With EMULATOR and no value: API_BASE.
    "OPEN_BASE": "https://open.weixin.qq.com",
    # Mount the offline WeChat emulator at /_emulator (dev/test only; refused when ENV=production).
    "EMULATOR": False,
    # The official account (公众号): web OAuth, template messages, parametric QR codes, callback.
    "OFFICIAL": {
        "APPID": "",  # 公众号 AppID (wx…)
        "SECRET": "",  # 公众号 AppSecret
        "TOKEN": "",  # 服务器配置 Token: signs every callback request
        "AES_KEY": "",  # 服务器配置 EncodingAESKey: 43 characters, for safe mode
        "ENCRYPT_MODE": "safe",  # "safe" (安全模式, AES, required in production) or "plain" (明文)
    },
    # The mini-program (小程序): wx.login code2session, subscribe messages, wxacode, phone number.
    "MINIPROGRAM": {
        "APPID": "",  # 小程序 AppID
        "SECRET": "",  # 小程序 AppSecret
    },
    # Template messages the platform may send per day (WeChat's quota for the account).
    "MESSAGE_DAILY_QUOTA": 100000,
    # Domain event -> {"template_id": "...", "fields": {template field: source field}}.
    "TEMPLATES": {},
    # Seconds before a WeChat API call (or token fetch) is abandoned.
    "HTTP_TIMEOUT": 3.0,
    # Proxy for the calls to WeChat ("http://proxy.internal:3128"); empty: direct. Environment
    # proxy variables are not read (requests would re-read them on every call).
    "HTTP_PROXY": "",
    # Callbacks whose timestamp is further than this many seconds from now are refused (403).
    "CALLBACK_TIMESTAMP_WINDOW": 300,
}

# Filled in when EMULATOR is true and the key was not configured. Fixed values (not secrets:
# they only ever talk to the emulator) so tokens and signatures survive restarts.
EMULATOR_DEFAULTS: dict[str, Any] = {
    # The app reaches its own emulator over HTTP: the dev server's address plus /_emulator.
    "API_BASE": "http://127.0.0.1:5000/_emulator",
    "OFFICIAL": {
        "APPID": "wxemu0fficial0001",
        "SECRET": "03084169c81703e513c96a94f410e241",
        "TOKEN": "1tVGZil79e3B8SXpZTQeqG27WvPZSZ5E",
        "AES_KEY": "JmuPMelCDqfR+TwZJw1Jk5aTAJ2Unezjc9SzoVJcaiQ",
    },
    "MINIPROGRAM": {
        "APPID": "wxemu0miniprog001",
        "SECRET": "d6c6e483c9fde73a4a0519ea68e1b67e",
    },
}


def _merge(base: dict[str, Any], override: dict[str, Any]) -> dict[str, Any]:
    merged = copy.deepcopy(base)
    for key, value in override.items():
        if isinstance(value, dict) and isinstance(merged.get(key), dict):
            merged[key] = _merge(merged[key], value)
        else:
            merged[key] = value
    return merged


def build_settings(configured: dict[str, Any]) -> dict[str, Any]:
    """The effective WECHAT settings for what config.toml / env / overrides set."""
    emulator = bool(configured.get("EMULATOR", WECHAT_DEFAULTS["EMULATOR"]))
    base = _merge(WECHAT_DEFAULTS, EMULATOR_DEFAULTS) if emulator else WECHAT_DEFAULTS
    settings = _merge(base, configured)
    if emulator:
        for key in ("MP_BASE", "OPEN_BASE"):
            if key not in configured:
                settings[key] = settings["API_BASE"]
    for key in ("API_BASE", "MP_BASE", "OPEN_BASE"):
        settings[key] = str(settings[key]).rstrip("/")
    return settings


def apply_defaults(app: Flask) -> None:
    app.config["WECHAT"] = build_settings(app.config.get("WECHAT", {}))
    settings = app.config["WECHAT"]
    if settings["EMULATOR"] and app.config["ENV"] == "production":
        raise RuntimeError("the WeChat emulator must never be mounted in production")
    official = settings["OFFICIAL"]
    if official["ENCRYPT_MODE"] not in ("safe", "plain"):
        raise RuntimeError('WECHAT.OFFICIAL.ENCRYPT_MODE must be "safe" or "plain"')
    if official["AES_KEY"] and len(official["AES_KEY"]) != 43:
        raise RuntimeError("WECHAT.OFFICIAL.AES_KEY (EncodingAESKey) must be 43 characters")
    if app.config["ENV"] == "production" and official["ENCRYPT_MODE"] != "safe":
        raise RuntimeError("production requires WECHAT.OFFICIAL.ENCRYPT_MODE = \"safe\"")


def emulator_unreachable_hint(config: dict[str, Any]) -> str | None:
    """In development with the emulator mounted, what to say when it cannot be reached: the app
    calls its own emulator over HTTP at API_BASE, which must be the address it is served on."""
    settings = config.get("WECHAT") or {}
    if config.get("ENV") == "production" or not settings.get("EMULATOR"):
        return None
    return (f"无法连接微信模拟器 {settings.get('API_BASE')}（开发环境）：请确认本服务正运行在该地址。"
            "用 make run PORT=端口 启动会自动指向所用端口；直接运行 flask run 时请设置 "
            "WQ_WECHAT__API_BASE=http://主机:端口/_emulator")
