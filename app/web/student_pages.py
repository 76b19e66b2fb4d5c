"""What a student who scans in on a desktop sees: status and destination, the letters (read
only), terminations, the e-agreement download once it exists. Answering — accepting a letter,
agreeing to a termination — stays in the mini-program, where the student's own confirmation
happens: the pages say so and show a code that opens the mini-program at that page.
Thin: app/services/signing_reads.py (the same reads as the mini-program's API)."""
from __future__ import annotations

from urllib.parse import quote

from flask import Blueprint, current_app
from sqlalchemy import select

from app.services.invitation_views import invitation_detail, invitation_summary
from app.domain import termination as termination_rules
from app.extensions import db
from app.models import Termination
from app.services import qrlogin, signing_reads
from app.web import forms
from app.web.base import current_actor, render, role_required

bp = Blueprint("student", __name__, url_prefix="/student")
STUDENT = "student"
PAGE = 20
MP_PAGES = {"home": "pages/student/home/index", "invitation": "pages/student/invitation/index",
            "termination": "pages/student/termination/index"}


def mini_program_code(page: str, query: str = "") -> str:
    """A QR (data URL) of the mini-program's plain URL scheme for ``page``: scanning it with
    WeChat opens the mini-program there (drawn here; no call to WeChat per page view)."""
    appid = ((current_app.config.get("WECHAT") or {}).get("MINIPROGRAM") or {}).get("APPID", "")
    url = f"weixin://dl/business/?appid={appid}&path={MP_PAGES[page]}"
    if query:
        url += "&query=" + quote(query, safe="")
    return qrlogin.local_qr(url)


@bp.get("/")
@role_required(STUDENT)
def home():
    """状态与去向: the student's record, the one active destination, what waits in WeChat."""
    home = signing_reads.student_home(current_actor())
    return render("student/home.html", h=home, code=mini_program_code("home"),
                  destination=invitation_summary(home.destination) if home.destination else None)


@bp.get("/letters")
@role_required(STUDENT)
def letters():
    """邀约: every letter, newest first (read only)."""
    status = forms.choice("status", ("all", "open", "done"), args=True, default="all")
    cursor = forms.optional_int("cursor", args=True, label="页码")
    rows, more = signing_reads.list_page(signing_reads.student_invitations(current_actor(), status), cursor, PAGE)
    return render("student/letters.html", rows=[invitation_summary(r) for r in rows], status=status,
                  next_cursor=rows[-1].invitation.id if more and rows else None)


@bp.get("/letters/<int:letter_id>")
@role_required(STUDENT)
def letter(letter_id: int):
    """One letter with its terms and flow log; another student's is a 404."""
    actor = current_actor()
    detail = invitation_detail(signing_reads.invitation_detail(actor, letter_id), actor)
    items = list(db.session.scalars(select(Termination).where(
        Termination.invitation_id == letter_id).order_by(Termination.id.desc())))
    return render("student/letter.html", d=detail, terminations=items,
                  termination_labels=termination_rules.STATE_LABELS,
                  code=mini_program_code("invitation", f"id={letter_id}"))


@bp.get("/terminations")
@role_required(STUDENT)
def terminations():
    """解约: this student's terminations, newest first."""
    actor = current_actor()
    items = db.session.execute(select(Termination).where(Termination.student_id == actor.student_id)
                               .order_by(Termination.id.desc()).limit(100)).scalars().all()
    return render("student/terminations.html", items=items, labels=termination_rules.STATE_LABELS,
                  code=mini_program_code("termination"))
