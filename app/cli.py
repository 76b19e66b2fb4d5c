"""flask commands: load-dicts, demo-data, import-roster, roster-template, worker (and, in
cli_admin, the commands that set up schools and accounts)."""
from __future__ import annotations

import sys
import time
from pathlib import Path

import click
from flask import Flask, current_app
from flask.cli import with_appcontext
from redis.exceptions import RedisError

# s between a worker's or the scheduler's attempts to reach Redis while it is down
REDIS_RETRY_MAX = 3


@click.command("load-dicts")
@with_appcontext
def load_dicts() -> None:
    """Load or update the shipped code dictionaries."""
    from app.services.dictionaries import load_dictionaries

    for r in load_dictionaries():
        click.echo(f"{r.kind}: {r.added} added, {r.updated} updated")


@click.command("worker")
@click.option("--queues", "-q", multiple=True, help="queues to serve (default: all)")
@click.option("--burst", is_flag=True, help="exit when the queues are empty")
@click.option("--fork", is_flag=True, help="fork a work horse per job (default: in-process)")
@with_appcontext
def worker(queues: tuple[str, ...], burst: bool, fork: bool) -> None:
    """Run an RQ worker for this app's queues (production; embedded runs jobs inline)."""
    from rq import SimpleWorker, Worker

    from app.extensions import redis_ext

    if current_app.config["JOBS_INLINE"]:
        raise click.ClickException("JOBS_INLINE is on: jobs run inline, no worker needed")
    names = queues or tuple(current_app.config["RQ_QUEUES"])
    # SimpleWorker runs jobs in this process (3x the forking worker's rate); a job lost to a
    # killed worker is re-enqueued by the outbox relay, not by RQ.
    worker_class = Worker if fork else SimpleWorker
    rq_worker = worker_class([redis_ext.queue(n) for n in names], connection=redis_ext.client)
    # RQ waits 1, 2, 4 … up to 60 s between attempts while Redis is unreachable: cap it, so
    # deliveries resume within seconds of Redis coming back.
    rq_worker.max_connection_wait_time = REDIS_RETRY_MAX
    rq_worker.work(burst=burst)


@click.command("scheduler")
@with_appcontext
def scheduler() -> None:
    """Enqueue the periodic jobs (expiry, reminders, outbox relay); run one per deployment."""
    from rq.cron import CronScheduler

    from app.extensions import redis_ext
    from app.jobs.delivery import DELIVERY_SCHEDULE
    from app.jobs.documents import DOCUMENT_SCHEDULE
    from app.jobs.sweeps import SCHEDULE

    while True:  # a Redis outage stops RQ's scheduler loop: start it again once Redis is back
        cron = CronScheduler(connection=redis_ext.client)
        for func, seconds in SCHEDULE:
            cron.register(func, "low", interval=seconds)
        # The outbox relay on "default": a backlog of reminders on "low" must not starve it.
        for func, seconds in DELIVERY_SCHEDULE + DOCUMENT_SCHEDULE:
            cron.register(func, "default", interval=seconds)
        try:
            cron.start()  # returns on SIGTERM/SIGINT
            return
        except RedisError as exc:
            click.echo(f"scheduler: Redis unavailable ({exc}); starting again in "
                       f"{REDIS_RETRY_MAX} s", err=True)
            time.sleep(REDIS_RETRY_MAX)  # waiting for Redis to come back, not for a time


@click.command("sweep")
@with_appcontext
def sweep() -> None:
    """Run the periodic sweeps once, now (cron-friendly alternative to the scheduler)."""
    from app.jobs.sweeps import SCHEDULE

    for func, _ in SCHEDULE:
        click.echo(f"{func.__name__}: {func()}")


@click.command("export-openapi")
@click.argument("out", type=click.Path(dir_okay=False, path_type=Path))
@with_appcontext
def export_openapi(out: Path) -> None:
    """Write /api/v1/openapi.json to a file (the mini-program's contract tests read it)."""
    import json

    with current_app.test_client() as client:
        document = client.get("/api/v1/openapi.json").get_json()
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(document, ensure_ascii=False, indent=1), encoding="utf-8")
    click.echo(f"OpenAPI: {len(document['paths'])} paths -> {out}")


@click.command("verify-flow-log")
@with_appcontext
def verify_flow_log_cmd() -> None:
    """Check every flow-log hash chain; exit 1 and list each break."""
    from app.services.flow import verify_flow_log

    checked, breaks = verify_flow_log()
    for b in breaks:
        click.echo(f"{b.subject_type}#{b.subject_id} 第{b.seq}条：{b.problem}", err=True)
    if breaks:
        click.echo(f"流程日志校验失败：{len(breaks)} 处异常（共检查 {checked} 条）。", err=True)
        sys.exit(1)
    click.echo(f"流程日志完整：共 {checked} 条，未发现篡改。")


@click.command("import-roster")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--school", "school_code", required=True, help="学校代码 (5 digits)")
@with_appcontext
def import_roster_cmd(file: Path, school_code: str) -> None:
    """Import a student roster (.xlsx); all rows or none, with a per-row report."""
    from app.services.roster import RosterError, import_roster

    try:
        report = import_roster(school_code, file.read_bytes(), filename=file.name)
    except RosterError as exc:
        raise click.ClickException(exc.message) from exc
    for problem in report.problems:
        click.echo(f"第{problem.row}行 {problem.column}：{problem.message}", err=True)
    if report.problems:
        click.echo(f"导入失败：{len(report.problems)} 处错误，未导入任何学生。", err=True)
        sys.exit(1)
    click.echo(f"导入成功：{report.imported} 名学生。")


@click.command("roster-template")
@click.argument("out", type=click.Path(dir_okay=False, path_type=Path),
                default=Path("roster-template.xlsx"))
@with_appcontext
def roster_template(out: Path) -> None:
    """Write the Excel roster template with its header row and an example."""
    from app.services.roster import roster_template_bytes

    out.write_bytes(roster_template_bytes())
    click.echo(f"模板已写入 {out}")


@click.command("demo-data")
@click.option("--students", default=300, show_default=True)
@click.option("--base-url", default="http://127.0.0.1:5000", show_default=True,
              help="where the app is served (make run passes its HOST and PORT)")
@with_appcontext
def demo_data(students: int, base_url: str) -> None:
    """Create one realistic demo school, employers and reviewers; print the log-ins."""
    from app.services.demo import DemoDataRefused, create_demo_data

    try:
        lines = create_demo_data(student_count=students, base_url=base_url)
    except DemoDataRefused as exc:
        raise click.ClickException(str(exc)) from exc
    for line in lines:
        click.echo(line)


COMMANDS = (load_dicts, worker, scheduler, sweep, export_openapi, verify_flow_log_cmd, import_roster_cmd,
            roster_template, demo_data)


def register(app: Flask) -> None:
    """This module's commands and the other cli_* modules'."""
    for command in COMMANDS:
        app.cli.add_command(command)

    from app import cli_admin, cli_bench, cli_delivery, cli_documents

    for module in (cli_delivery, cli_admin, cli_documents, cli_bench):
        module.register(app)
