"""flask commands of the e-agreement: render-documents.

``register`` also installs the documents' after-commit hook (app/services/documents.py) for
every app the factory builds (web, worker, CLI).
"""
from __future__ import annotations

import click
from flask import Flask


def register(app: Flask) -> None:
    from app.services.documents import install

    install()

    @app.cli.command("render-documents")
    @click.option("--now", "in_process", is_flag=True,
                  help="render the owed documents in this process instead of enqueueing them")
    def render_documents(in_process: bool) -> None:
        """Enqueue every owed e-agreement rendering (what the scheduler does every 30 s)."""
        from app.services.documents import relay_due, render_owed

        if in_process:
            click.echo(f"已生成 {render_owed()} 份文件。")
        else:
            click.echo(f"已入队 {relay_due()} 份待生成的文件。")
