"""Browser tests: the app served over real HTTP, Debian's Chromium driven by Playwright.

The fixtures (``live_server``, ``browser``, ``page``, ``live_world``) are loaded once, by
tests/conftest.py; modules import the helpers (``log_in``, ``shot``).

- ``live_server``: the session's app on 127.0.0.1 (ephemeral port) in a thread, over the test
  database; seed it with ``committing_db`` (real commits, tables emptied after the test).
- ``browser``: headless /usr/bin/chromium. Missing Chromium FAILS the test (CI installs it with
  fonts-noto-cjk in .ci/run): a browser test never skips.
- ``page``: a 1366×768 zh-CN page; console errors and CSP violations fail the test.
- ``shot(page, name)``: a screenshot under test-artifacts/<test>/ (git-ignored); with
  WQ_README_SCREENSHOTS=1 also docs/screenshots/<name>.png for the README.
- ``log_in(page, account)``: the password form, as a person fills it.
"""
from __future__ import annotations

import os
import re
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
from flask import Flask
from werkzeug.serving import make_server

from tests.factories import TEST_PASSWORD

# The fixtures themselves are imported once, by tests/conftest.py: a session-scoped fixture
# star-imported into each browser module would be a separate fixture per module (a second
# Playwright in the same thread fails, and a second live server starts).
__all__ = ["CHROMIUM", "log_in", "shot"]

CHROMIUM = os.environ.get("WQ_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = ["--no-sandbox", "--disable-background-networking", "--disable-component-update",
                 "--disable-sync", "--disable-gpu", "--disable-dev-shm-usage"]
ROOT = Path(__file__).resolve().parent.parent
ARTIFACTS = ROOT / "test-artifacts"
README_SHOTS = ROOT / "docs" / "screenshots"


@pytest.fixture(scope="session")
def live_server(app: Flask) -> Iterator[str]:
    """The base URL of the app served in a thread (threaded: htmx polls while a page loads)."""
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, name="live-web", daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}"
    server.shutdown()
    thread.join(timeout=5)
    server.server_close()


@pytest.fixture(scope="module")
def browser():
    """Chromium for one test module, stopped after it: Playwright's sync API runs once per thread
    at a time, and other modules (tests/test_headers_and_settings.py) start their own."""
    if not Path(CHROMIUM).is_file():
        pytest.fail(f"Chromium not found at {CHROMIUM}: apt-get install chromium fonts-noto-cjk "
                    "(.ci/run does) — browser tests never skip", pytrace=False)
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        instance = playwright.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
        yield instance
        instance.close()


@pytest.fixture
def page(browser, live_server, request):
    context = browser.new_context(viewport={"width": 1366, "height": 768}, locale="zh-CN",
                                  timezone_id="Asia/Shanghai", base_url=live_server,
                                  accept_downloads=True)
    context.set_default_timeout(10_000)
    # Assertions wait as long as actions (their own default is 5 s): pages that poll a finished
    # job need their next poll, which a loaded 2-core CI machine can delay.
    from playwright.sync_api import expect

    expect.set_options(timeout=10_000)
    tab = context.new_page()
    problems: list[str] = []
    tab.on("console", lambda msg: problems.append(f"console {msg.type}: {msg.text}")
           if msg.type == "error" else None)
    tab.on("pageerror", lambda exc: problems.append(f"page error: {exc}"))
    tab.on("dialog", lambda dialog: dialog.accept())  # data-confirm prompts: the person says yes
    tab.wq_test_name = re.sub(r"[^\w.-]+", "_", request.node.name)[:80]
    yield tab
    if problems and not getattr(request.node, "wq_failed", False):
        shot(tab, "problems")
    context.close()
    assert not problems, "browser reported: " + "; ".join(problems)


def shot(page, name: str) -> Path:
    """Save a screenshot of the page under test-artifacts/<test>/<name>.png."""
    folder = ARTIFACTS / getattr(page, "wq_test_name", "misc")
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{name}.png"
    page.screenshot(path=str(path), full_page=False)
    if os.environ.get("WQ_README_SCREENSHOTS") == "1":
        README_SHOTS.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(README_SHOTS / f"{name}.png"), full_page=False)
    return path


def log_in(page, account, password: str = TEST_PASSWORD) -> None:
    page.goto("/login/password")
    page.fill("#username", account.username)
    page.fill("#password", password)
    page.click("button[type=submit]")
    page.wait_for_load_state("networkidle")


@pytest.fixture
def live_world(committing_db):
    """The usual cast, committed for real, so the server's own connections see it."""
    from tests.conftest import World

    world = World()
    committing_db.session.commit()
    return world
