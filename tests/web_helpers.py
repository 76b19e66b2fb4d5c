"""Using the desktop pages as a browser does: log in with the password form, read CSRF tokens."""
from __future__ import annotations

import re

from tests.factories import TEST_PASSWORD


def csrf_from(html: str) -> str:
    match = re.search(r'name="csrf[-_]token" (?:value|content)="([^"]+)"', html)
    assert match, "no CSRF token on the page"
    return match.group(1)


def web_login(client, account, password: str = TEST_PASSWORD):
    """Log ``account`` in through /login/password; the response of the POST."""
    token = csrf_from(client.get("/login/password").get_data(as_text=True))
    response = client.post("/login/password", data={"username": account.username, "password": password,
                                                    "csrf_token": token})
    assert response.status_code == 302, response.get_data(as_text=True)
    return response


def page_token(client, path: str) -> str:
    """The CSRF token a page carries (its meta tag or a form's hidden field)."""
    return csrf_from(client.get(path).get_data(as_text=True))


def session_for(client, account) -> None:
    """A web session for an account without a password (a student logs in by QR code)."""
    from app.web.login import start_web_session

    app = client.application
    with app.test_request_context():
        from flask import session

        start_web_session(account, via="qr")
        sid = session["sid"]
    with client.session_transaction() as sess:
        sess["sid"] = sid
        sess.permanent = True
