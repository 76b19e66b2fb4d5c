"""Security headers on every response (OWASP ASVS V14.4).

- Web pages get a Content-Security-Policy that allows only our own origin: scripts and styles
  from /static (no inline <script>, no inline <style> or style="" attributes, no eval), images
  from us, data: URLs (QR codes) and WeChat's QR host, forms posting to us, no framing.
  Desktop pages therefore load htmx, ECharts and their own code as files under /static
  (vendored from npm, never a CDN) and wire behaviour with hx-* attributes or addEventListener
  in those files: an inline <script> block or onclick="" attribute is blocked by the browser.
- Everything else (JSON, files, images) gets ``default-src 'none'``: nothing in it may run.
- Always: X-Frame-Options DENY (and CSP frame-ancestors 'none'), X-Content-Type-Options
  nosniff, Referrer-Policy same-origin (QR tickets and OAuth codes in URLs never leave us).
- In production: Strict-Transport-Security for a year, subdomains included.
- The API docs pages (/docs/…, off unless API_DOCS) are spectree's, which load Swagger UI and
  ReDoc from a CDN: when switched on they are served without the page policy.
"""
from __future__ import annotations

from urllib.parse import urlsplit

from flask import Flask, Response, current_app, request

HSTS = "max-age=31536000; includeSubDomains"
NON_PAGE_POLICY = "default-src 'none'; frame-ancestors 'none'; base-uri 'none'"


def page_policy(app: Flask) -> str:
    """The CSP of HTML pages; WeChat's QR image host is allowed as an image source."""
    images = ["'self'", "data:"]
    mp_base = (app.config.get("WECHAT") or {}).get("MP_BASE", "")
    parts = urlsplit(mp_base)
    if parts.scheme in ("http", "https") and parts.netloc:
        images.append(f"{parts.scheme}://{parts.netloc}")
    return "; ".join([
        "default-src 'self'", "script-src 'self'", "style-src 'self'", f"img-src {' '.join(images)}",
        "font-src 'self'", "connect-src 'self'", "object-src 'none'", "base-uri 'none'",
        "form-action 'self'", "frame-ancestors 'none'",
    ])


def init_app(app: Flask) -> None:
    app.after_request(_security_headers)


def _security_headers(response: Response) -> Response:
    headers = response.headers
    headers.setdefault("X-Content-Type-Options", "nosniff")
    headers.setdefault("X-Frame-Options", "DENY")
    headers.setdefault("Referrer-Policy", "same-origin")
    docs = current_app.config.get("API_DOCS") and request.path.startswith("/docs/")
    if not docs:
        if response.mimetype == "text/html":
            policy = current_app.extensions.get("wq_page_csp")
            if policy is None:
                policy = current_app.extensions["wq_page_csp"] = page_policy(current_app)
            headers.setdefault("Content-Security-Policy", policy)
        else:
            headers.setdefault("Content-Security-Policy", NON_PAGE_POLICY)
    if current_app.config.get("ENV") == "production":
        headers.setdefault("Strict-Transport-Security", HSTS)
    return response
