"""Jobs at scale: the 10k-message fan-out through 2 RQ workers to the emulator served apart, and
the expiry sweep of 100k due letters among 1M (QUALITY.md performance table)."""
from __future__ import annotations

import subprocess
import sys
import time

from sqlalchemy import text

from app.extensions import db, redis_ext
from tests.bench import harness
from tests.bench.harness import write_result

FAN_OUT = 10_000


def _empty_queues(app) -> None:
    """The write benchmarks left delivery jobs for their letters: not this benchmark's work."""
    with app.app_context():
        for name in app.config["RQ_QUEUES"]:
            redis_ext.queue(name).empty()
        db.session.execute(text(
            "UPDATE outbox_messages SET status = 'failed', last_error = 'bench: not pushed'"
            " WHERE status = 'pending'"))
        db.session.commit()
        db.session.remove()


NOTIFY_SCRIPT = r"""
import json, sys, time
from app import create_app
from app.extensions import db
from app.models import RecipientType
from app.services.notify import notify

app = create_app()
with app.app_context():
    students = json.loads(sys.stdin.read())
    run = int(time.time())
    for student_id in students:
        notify(RecipientType.STUDENT, student_id, "review_passed", dedupe=f"bench{run}",
               subject_type="invitation", subject_id=0, invitation_id=0,
               employer_name="湖南湘江实业集团有限公司", student_name="同学", position="管理培训生",
               deadline="2026/07/15", agreement_no="", remark="无", remark_text="",
               review_stage="学院审核")
    db.session.flush()
    started = time.time()
    db.session.commit()  # the after-commit hook enqueues the pushes
    print("COMMITTED " + json.dumps({"at": started, "commit_s": time.time() - started}), flush=True)
"""


def test_fan_out_of_10000_pushes(bench_app, deployment):
    """10,000 template messages to 10,000 following students, 2 RQ workers: all sent once.

    The clock runs from the commit of the 10k notifications (the outbox rows and their
    enqueue) until both burst workers have emptied the queue."""
    import json

    _empty_queues(bench_app)
    appid = bench_app.config["WECHAT"]["OFFICIAL"]["APPID"]
    with bench_app.app_context():
        students = [r[0] for r in db.session.execute(text(
            "SELECT a.student_id FROM accounts a JOIN wechat_identities w ON w.account_id = a.id"
            " WHERE a.role = 'student' AND w.app = 'official' AND w.appid = :appid AND w.follows = 1"
            " ORDER BY a.id LIMIT :n"), {"appid": appid, "n": FAN_OUT})]
        assert len(students) == FAN_OUT
        sent_before = int(redis_ext.client.get("wq:emu:msgid") or 0)
        first_id = db.session.execute(text("SELECT COALESCE(MAX(id), 0) FROM outbox_messages")).scalar()
        db.session.remove()
    env = harness.app_env(WQ_WECHAT__API_BASE=deployment.emulator_base)
    out = subprocess.run([sys.executable, "-c", NOTIFY_SCRIPT], cwd=harness.APP_ROOT, env=env,
                         input=json.dumps(students), text=True, check=True, capture_output=True, timeout=600)
    committed = json.loads(out.stdout.split("COMMITTED ", 1)[1])
    started, enqueued_s = committed["at"], committed["commit_s"]
    workers = deployment.workers(2, env)
    try:
        for worker in workers:
            worker.popen.wait(timeout=900)
        elapsed = time.time() - started
    finally:
        for worker in workers:
            worker.stop()
    with bench_app.app_context():
        statuses = dict(db.session.execute(text(
            "SELECT status, COUNT(*) FROM outbox_messages WHERE id > :first GROUP BY status"),
            {"first": first_id}).all())
        deliveries = dict(db.session.execute(text(
            "SELECT d.status, COUNT(*) FROM deliveries d WHERE d.outbox_id > :first GROUP BY d.status"),
            {"first": first_id}).all())
        recorded = int(redis_ext.client.get("wq:emu:msgid") or 0) - sent_before
        db.session.remove()
    lost = FAN_OUT - deliveries.get("sent", 0)
    doubled = recorded - deliveries.get("sent", 0)
    write_result("fan_out_10000", measure="notification fan-out of 10k messages via the emulator, 2 RQ workers",
                 bar="≤ 60 s, 0 lost, 0 doubled", meets_bar=elapsed <= 60 and lost == 0 and doubled == 0,
                 figures={"seconds": round(elapsed, 1), "per_second": round(FAN_OUT / elapsed, 1),
                          "enqueue_s": round(enqueued_s, 2), "outbox": statuses, "deliveries": deliveries,
                          "emulator_recorded": recorded, "lost": lost, "doubled": doubled})
    assert lost == 0 and doubled == 0


SWEEP_SCRIPT = r"""
import json, sys, time
from app import create_app
from app.extensions import db
from app.services.bench_data import build_sweep_set
from app.services.invitations import expire_due
from tests.bench.harness import app_overrides, SCRATCH_DATABASE_URL

app = create_app(app_overrides(SCRATCH_DATABASE_URL))
with app.app_context():
    total, due, now = build_sweep_set(1_000_000, 100_000)
    started = time.monotonic()
    expired = expire_due(now=now)
    seconds = time.monotonic() - started
    left = db.session.execute(db.text(
        "SELECT COUNT(*) FROM invitations WHERE state = 'invited' AND deadline_at <= :now"), {"now": now}).scalar()
    print("SWEEP " + json.dumps({"rows": total, "due": due, "expired": expired, "left_due": left,
                                 "seconds": round(seconds, 1), "per_second": round(expired / seconds)}))
"""


def test_expiry_sweep_100k_among_1m(bench_app):
    """The sweep expires 100k due letters among 1M in bounded batches (scratch database)."""
    out = subprocess.run([sys.executable, "-c", SWEEP_SCRIPT], cwd=harness.ROOT, capture_output=True,
                         text=True, timeout=3600, env=harness.app_env(harness.SCRATCH_DATABASE_URL),
                         check=False)
    line = [x for x in out.stdout.splitlines() if x.startswith("SWEEP ")]
    assert line, out.stdout[-3000:] + out.stderr[-3000:]
    import json

    figures = json.loads(line[0][6:])
    write_result("expiry_sweep_100k_of_1m", measure="expiry sweep, 100k due among 1M",
                 bar="≤ 20 s, in bounded batches",
                 meets_bar=figures["seconds"] <= 20 and figures["expired"] == figures["due"]
                 and figures["left_due"] == 0, figures=figures)
    assert figures["expired"] == figures["due"] and figures["left_due"] == 0
