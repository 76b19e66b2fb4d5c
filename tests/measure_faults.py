"""Measure how gunicorn's worker class answers when Redis or the database fails (README
"Failures"): `python -m tests.measure_faults [--out bench-results/faults.json]`.

For each deployment (worker class, workers, threads; the breaker on or off) the app is served by
gunicorn on its own redis-server and MariaDB (started here, on free ports, and stopped after),
then:

- healthy: wrk on /api/v1/student/home (a real student's token), 16 connections, 5 s;
- Redis frozen (SIGSTOP): 16 requests that need Redis and 4 that never touch it, all at once,
  twice (the second burst 0.2 s after the first answered) — the first and last answer times;
- Redis killed: the same burst;
- database frozen, then killed (first configuration only, where they matter alike): the same.

Not part of `make test` (the tests assert the bounds; this records the figures).
"""
from __future__ import annotations

import argparse
import json
import re
import statistics
import subprocess
import tempfile
import time
from pathlib import Path

from tests.fault_servers import Gunicorn, MariaDBServer, RedisServer, app_env, burst, fetch, wait_for

DEPLOYMENTS = [
    # (label, worker class, workers, threads, BREAKER_SECONDS, REDIS_SOCKET_TIMEOUT)
    ("before: sync -w 4, 1 s timeout, no breaker", "sync", 4, 1, 0, 1.0),
    ("sync -w 4, breaker", "sync", 4, 1, 2, 0.5),
    ("gthread -w 2 --threads 8, no breaker", "gthread", 2, 8, 0, 0.5),
    ("gthread -w 2 --threads 8, breaker", "gthread", 2, 8, 2, 0.5),
    ("gthread -w 4 --threads 4, breaker", "gthread", 4, 4, 2, 0.5),
]
CONCURRENCY = 16


def _setup_data(database_url: str, redis_url: str) -> str:
    """Schema, dictionaries, a world, a student's token (through the app, as the tests do)."""
    from flask_migrate import upgrade

    from app import create_app
    from app.api.auth import issue_token
    from app.extensions import db
    from app.services.dictionaries import load_dictionaries
    from tests.conftest import World, test_config

    app = create_app(test_config(database_url) | {"REDIS_URL": redis_url, "JOBS_INLINE": False})
    with app.app_context():
        upgrade()
        load_dictionaries()
        world = World()
        db.session.commit()
        token = issue_token(world.student_account.id)
        db.engine.dispose()
    return token


def _wrk(base: str, token: str) -> dict:
    out = subprocess.run(["wrk", "-t2", f"-c{CONCURRENCY}", "-d5s", "--latency",
                          "-H", f"Authorization: Bearer {token}", base + "/api/v1/student/home"],
                         capture_output=True, text=True, timeout=60, check=True).stdout
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))
    p99 = re.search(r"99%\s+([\d.]+)(us|ms|s)", out)
    scale = {"us": 0.001, "ms": 1, "s": 1000}[p99.group(2)]
    return {"req_per_s": round(rps), "p99_ms": round(float(p99.group(1)) * scale, 1)}


def _burst(base: str, token: str) -> dict:
    calls = [lambda: fetch(base, "/api/v1/student/home", token)] * CONCURRENCY + \
            [lambda: fetch(base, "/api/v1/openapi.json")] * 4
    answers = burst(calls)
    needing, free = answers[:CONCURRENCY], answers[CONCURRENCY:]
    return {
        "statuses": sorted({str(a.status) for a in needing}),
        "first_503_s": round(min(a.seconds for a in needing), 3),
        "median_s": round(statistics.median(a.seconds for a in needing), 3),
        "last_s": round(max(a.seconds for a in needing), 3),
        "no_redis_route_last_s": round(max(a.seconds for a in free), 3),
        "no_redis_route_statuses": sorted({str(a.status) for a in free}),
    }


def _healthy(base: str, token: str) -> bool:
    return all(a.status == 200 for a in burst([lambda: fetch(base, "/api/v1/student/home", token)] * 4))


def measure(label: str, worker_class: str, workers: int, threads: int, breaker: float, timeout: float,
            tmp: Path, mariadb: MariaDBServer, with_database: bool) -> dict:
    redis_server = RedisServer(tmp / "redis", aof=True).start()
    database = f"faults_{abs(hash(label)) % 10**8}"
    mariadb.execute(f"CREATE DATABASE {database} CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci")
    url = mariadb.url(database)
    token = _setup_data(url, redis_server.url())
    env = app_env(tmp, url, redis_server.url(), WQ_BREAKER_SECONDS=str(breaker),
                  WQ_REDIS_SOCKET_TIMEOUT=str(timeout), WQ_REDIS_CONNECT_TIMEOUT=str(timeout))
    server = Gunicorn(env, tmp / f"gunicorn-{database}.log", workers=workers, worker_class=worker_class,
                      threads=threads).start()
    result: dict = {"label": label, "worker_class": worker_class, "workers": workers, "threads": threads,
                    "breaker_s": breaker, "redis_timeout_s": timeout}
    try:
        burst([lambda: fetch(server.base, "/api/v1/student/home", token)] * CONCURRENCY)
        result["healthy"] = _wrk(server.base, token)
        for fault in ("freeze", "kill"):
            getattr(redis_server, fault)()
            first = _burst(server.base, token)
            time.sleep(0.2)  # the second wave arrives while the breaker is open
            second = _burst(server.base, token)
            getattr(redis_server, "thaw" if fault == "freeze" else "start")()
            started = time.monotonic()
            wait_for(lambda: _healthy(server.base, token), 30, "recovery", interval=0.05)
            result[f"redis_{fault}"] = {"first_burst": first, "second_burst": second,
                                        "recovered_after_s": round(time.monotonic() - started, 2)}
        if with_database:
            for fault in ("freeze", "stop"):
                getattr(mariadb, fault)()
                first = _burst(server.base, token)
                time.sleep(0.2)
                second = _burst(server.base, token)
                if fault == "freeze":
                    mariadb.thaw()
                else:
                    mariadb.start()
                started = time.monotonic()
                wait_for(lambda: _healthy(server.base, token), 60, "recovery", interval=0.05)
                result[f"database_{fault}"] = {"first_burst": first, "second_burst": second,
                                               "recovered_after_s": round(time.monotonic() - started, 2)}
    finally:
        server.stop()
        redis_server.kill()
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=Path("bench-results/faults.json"))
    args = parser.parse_args()
    results = []
    with tempfile.TemporaryDirectory(prefix="wq-faults-") as name:
        tmp = Path(name)
        mariadb = MariaDBServer(tmp / "mariadb").install().start()
        try:
            for deployment in DEPLOYMENTS:
                with_database = deployment[0] in ("sync -w 4, breaker", "gthread -w 2 --threads 8, breaker")
                results.append(measure(*deployment, tmp=tmp, mariadb=mariadb, with_database=with_database))
                print(json.dumps(results[-1], ensure_ascii=False), flush=True)
        finally:
            mariadb.kill()
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(results, ensure_ascii=False, indent=1), encoding="utf-8")
    print(f"-> {args.out}")


if __name__ == "__main__":
    main()
