"""flask commands: load-dicts, demo-data, import-roster, roster-template, worker."""
from __future__ import annotations

import sys
from pathlib import Path

import click
from flask import Flask, current_app


def register(app: Flask) -> None:
    @app.cli.command("load-dicts")
    def load_dicts() -> None:
        """Load or update the shipped code dictionaries."""
        from app.services.dictionaries import load_dictionaries

        for r in load_dictionaries():
            click.echo(f"{r.kind}: {r.added} added, {r.updated} updated")

    @app.cli.command("worker")
    @click.option("--queues", "-q", multiple=True, help="queues to serve (default: all)")
    @click.option("--burst", is_flag=True, help="exit when the queues are empty")
    def worker(queues: tuple[str, ...], burst: bool) -> None:
        """Run an RQ worker for this app's queues (production; embedded runs jobs inline)."""
        from rq import Worker

        from app.extensions import redis_ext

        if current_app.config["JOBS_INLINE"]:
            raise click.ClickException("JOBS_INLINE is on: jobs run inline, no worker needed")
        names = queues or tuple(current_app.config["RQ_QUEUES"])
        Worker([redis_ext.queue(n) for n in names], connection=redis_ext.client).work(burst=burst)

    @app.cli.command("import-roster")
    @click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
    @click.option("--school", "school_code", required=True, help="学校代码 (5 digits)")
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

    @app.cli.command("roster-template")
    @click.argument("out", type=click.Path(dir_okay=False, path_type=Path),
                    default=Path("roster-template.xlsx"))
    def roster_template(out: Path) -> None:
        """Write the Excel roster template with its header row and an example."""
        from app.services.roster import roster_template_bytes

        out.write_bytes(roster_template_bytes())
        click.echo(f"模板已写入 {out}")

    @app.cli.command("demo-data")
    @click.option("--students", default=300, show_default=True)
    def demo_data(students: int) -> None:
        """Create one realistic demo school, employers and reviewers; print the log-ins."""
        from app.services.demo import create_demo_data

        for line in create_demo_data(student_count=students):
            click.echo(line)
