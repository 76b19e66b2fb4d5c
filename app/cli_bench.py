"""flask bench-data: the province-scale benchmark data set of QUALITY.md (see app/services/bench_data.py)."""
from __future__ import annotations

import time

import click
from flask import Flask
from sqlalchemy import inspect


def register(app: Flask) -> None:
    @app.cli.command("bench-data")
    @click.option("--students", default=100_000, show_default=True)
    @click.option("--schools", default=20, show_default=True)
    @click.option("--employers", default=2_000, show_default=True)
    @click.option("--invitations", default=500_000, show_default=True)
    @click.option("--giant-letters", default=100_000, show_default=True,
                  help="letters of the one national-scale recruiter (the 100k-row export)")
    @click.option("--large-letters", default=15_000, show_default=True,
                  help="letters of each of the ten large employers")
    @click.option("--seed", default=2026, show_default=True)
    @click.option("--reset", is_flag=True, help="drop every table first and rebuild it with the migrations")
    def bench_data(students: int, schools: int, employers: int, invitations: int, giant_letters: int,
                   large_letters: int, seed: int, reset: bool) -> None:
        """Build the benchmark data set into the configured database (empty, or --reset)."""
        from app.extensions import db
        from app.services.bench_data import Plan, generate, reset_schema

        started = time.monotonic()
        if reset:
            reset_schema(click.echo)
        elif "invitations" not in inspect(db.engine).get_table_names():
            raise click.ClickException("数据库尚未迁移：先运行 flask db upgrade，或加 --reset")
        elif db.session.execute(db.text("SELECT COUNT(*) FROM students")).scalar():
            raise click.ClickException("数据库中已有数据：加 --reset 清空后重建（会删除全部数据）")
        plan = Plan(students=students, schools=schools, employers=employers, invitations=invitations,
                    giant_letters=giant_letters, large_letters=large_letters, seed=seed)
        counts = generate(plan, click.echo)
        click.echo("rows: " + ", ".join(f"{k} {v}" for k, v in sorted(counts.items())))
        click.echo(f"bench data set built in {time.monotonic() - started:.0f} s")
