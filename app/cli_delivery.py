"""flask commands for WeChat pushes: relay-outbox, delivery-stats.

``register`` also installs the outbox's after-commit hook (app/services/outbox.py): it runs for
every app the factory builds (web, worker, CLI), which is where the hook must be live.
"""
from __future__ import annotations

import click
from flask import Flask


def register(app: Flask) -> None:
    from app.services.outbox import install

    install()

    @app.cli.command("relay-outbox")
    @click.option("--limit", type=int, default=None, help="rows to enqueue (default: RELAY_BATCH)")
    def relay_outbox(limit: int | None) -> None:
        """Enqueue every due WeChat push once (what the scheduler does every 30 s)."""
        from app.services.delivery import enabled
        from app.services.outbox import relay_due

        if not enabled():
            raise click.ClickException("未配置公众号或小程序 AppID：消息留在发件箱，配置后再推送")
        click.echo(f"已入队 {relay_due(limit)} 条待推送消息。")

    @app.cli.command("delivery-stats")
    @click.option("--day", type=click.DateTime(["%Y-%m-%d"]), default=None,
                  help="one day (Asia/Shanghai), YYYY-MM-DD; default: all time + today's quota")
    def delivery_stats(day) -> None:
        """Pushes per status, failures by WeChat errcode, today's template quota."""
        from app.services.delivery_admin import stats

        result = stats(day.date() if day else None)
        label = f"{day:%Y-%m-%d}" if day else "全部"
        click.echo(f"发件箱（{label}）：" + _pairs(result["outbox"]))
        click.echo(f"推送记录（{label}）：" + _pairs(result["deliveries"]))
        for failure in result["failures"]:
            click.echo(f"  失败 errcode={failure['errcode']}：{failure['count']} 条"
                       f"（{failure['errmsg'] or ''}）")
        if result["quota"]:
            quota = result["quota"]
            click.echo(f"今日模板消息：{quota['used']} / {quota['limit']}")


def _pairs(counts: dict[str, int]) -> str:
    return "，".join(f"{k} {v}" for k, v in counts.items())

