"""The benchmark deployment: gunicorn as README deploys it, RQ workers, the WeChat emulator served
apart, MariaDB + Redis, and wrk on loopback; results as bench-results/<name>.json.

Every process started here is ours and is stopped by its pid (never by name).
"""
from __future__ import annotations

import json
import os
import platform
import re
import shlex
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]
# The code that is served and runs the jobs (another checkout measures a "before").
APP_ROOT = Path(os.environ.get("WQ_BENCH_APP_ROOT", ROOT))
RESULTS = Path(os.environ.get("WQ_BENCH_RESULTS", ROOT / "bench-results"))
LOGS = ROOT / "instance" / "bench-logs"
WRK_SCRIPT = Path(__file__).with_name("wrk.lua")
VENV_BIN = Path(sys.executable).parent

DATABASE_URL = os.environ.get("WQ_BENCH_DATABASE_URL",
                              "mysql+pymysql://root@127.0.0.1/wq_bench_data?charset=utf8mb4")
# Roster import and the expiry sweep write their own data here (emptied by them).
SCRATCH_DATABASE_URL = os.environ.get("WQ_BENCH_SCRATCH_DATABASE_URL",
                                      "mysql+pymysql://root@127.0.0.1/wq_bench?charset=utf8mb4")
REDIS_URL = os.environ.get("WQ_BENCH_REDIS_URL", "redis://127.0.0.1:6379/9")
# Bench-only keys: the data set is encrypted with them (not secrets; never used elsewhere).
PII_KEY = "YmVuY2gta2V5LTAxMjM0NTY3ODlhYmNkZWZnaGlqa2w="
# gunicorn exactly as README's deployment step, with an ephemeral port and the log in a file.
GUNICORN_ARGS = shlex.split(os.environ.get("WQ_BENCH_GUNICORN", "-w 4 --timeout 120"))
CONNECTIONS = int(os.environ.get("WQ_BENCH_CONNECTIONS", "64"))
READ_SECONDS = int(os.environ.get("WQ_BENCH_READ_SECONDS", "10"))
WRITE_SECONDS = int(os.environ.get("WQ_BENCH_WRITE_SECONDS", "6"))


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def app_env(database_url: str = DATABASE_URL, **extra: str) -> dict[str, str]:
    """The environment of every process of the deployment (config by WQ_* variables)."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("WQ_")}
    env.update({
        "FLASK_APP": "devapp.py", "PYTHONUNBUFFERED": "1", "WQ_ENV": "development",
        "WQ_DATABASE_URL": database_url, "WQ_REDIS_URL": REDIS_URL, "WQ_JOBS_INLINE": "false",
        "WQ_SECRET_KEY": "bench-secret", "WQ_PII_KEYS": f'["{PII_KEY}"]',
        "WQ_PII_HASH_KEY": "bench-hash-key", "WQ_LOG_LEVEL": "WARNING", "WQ_WECHAT__EMULATOR": "true",
        "WQ_BENCH_ROUTES": "true",
    })
    env.update(extra)
    return env


def app_overrides(database_url: str = DATABASE_URL, api_base: str | None = None) -> dict[str, Any]:
    """The same configuration for an in-process app (tokens, setup, checks)."""
    wechat: dict[str, Any] = {"EMULATOR": True}
    if api_base:
        wechat["API_BASE"] = api_base
    # DB_READ_TIMEOUT 0: setup and checks read whole tables (CHECKSUM TABLE of 500k rows), far
    # longer than the per-read timeout a request gets.
    return {"DATABASE_URL": database_url, "REDIS_URL": REDIS_URL, "JOBS_INLINE": False,
            "SECRET_KEY": "bench-secret", "PII_KEYS": [PII_KEY], "PII_HASH_KEY": "bench-hash-key",
            "WECHAT": wechat, "BENCH_ROUTES": True, "DB_READ_TIMEOUT": 0}


@dataclass
class Proc:
    name: str
    popen: subprocess.Popen
    log: Path

    def stop(self) -> None:
        if self.popen.poll() is None:
            self.popen.send_signal(signal.SIGTERM)
            try:
                self.popen.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.popen.kill()
                self.popen.wait(timeout=10)


@dataclass
class Deployment:
    """The processes of one bench run; stop() ends each by its pid."""
    procs: list[Proc] = field(default_factory=list)
    base_url: str = ""
    emulator_base: str = ""

    def start(self, name: str, args: list[str], env: dict[str, str]) -> Proc:
        LOGS.mkdir(parents=True, exist_ok=True)
        log = LOGS / f"{name}.log"
        with log.open("wb") as handle:  # the child keeps its own descriptor
            popen = subprocess.Popen(args, cwd=APP_ROOT, env=env, stdout=handle, stderr=subprocess.STDOUT)
        proc = Proc(name, popen, log)
        self.procs.append(proc)
        return proc

    def gunicorn(self, name: str, port: int, env: dict[str, str], args: list[str] | None = None) -> Proc:
        return self.start(name, [str(VENV_BIN / "gunicorn"), *(args or GUNICORN_ARGS),
                                 "-b", f"127.0.0.1:{port}", "--access-logfile",
                                 str(LOGS / f"{name}-access.log"), "devapp:create_app()"], env)

    def workers(self, count: int, env: dict[str, str], queues: Iterable[str] = ("notifications",),
                burst: bool = True) -> list[Proc]:
        args = [str(VENV_BIN / "flask"), "worker"] + [a for q in queues for a in ("-q", q)]
        if burst:
            args.append("--burst")
        return [self.start(f"worker-{i}", args, env) for i in range(count)]

    def stop(self) -> None:
        for proc in reversed(self.procs):
            proc.stop()
        self.procs.clear()


def wait_http(url: str, timeout: float = 60, proc: Proc | None = None) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc is not None and proc.popen.poll() is not None:
            raise RuntimeError(f"{proc.name} exited: {proc.log.read_text()[-3000:]}")
        try:
            with urllib.request.urlopen(url, timeout=2) as response:
                if response.status < 500:
                    return
        except OSError:
            pass
        time.sleep(0.2)  # polling a starting server, not waiting for time
    raise RuntimeError(f"{url} did not answer within {timeout}s")


@dataclass
class WrkResult:
    rps: float
    p50_ms: float
    p90_ms: float
    p99_ms: float
    requests: int
    duration_s: float
    statuses: dict[str, int]
    errors: int
    spare: int

    @property
    def ok(self) -> int:
        return sum(v for k, v in self.statuses.items() if k.startswith("2"))

    def figures(self) -> dict[str, Any]:
        return {"rps": round(self.rps, 1), "p50_ms": self.p50_ms, "p90_ms": self.p90_ms,
                "p99_ms": self.p99_ms, "requests": self.requests, "duration_s": self.duration_s,
                "statuses": self.statuses, "socket_errors": self.errors, "spare": self.spare}


def wrk(base_url: str, lines: list[str], seconds: int, connections: int = CONNECTIONS,
        once: bool = False, threads: int = 2) -> WrkResult:
    """Run wrk over request lines (see wrk.lua); once: every line sent at most one time."""
    with tempfile.NamedTemporaryFile("w", suffix=".tsv", delete=False) as fh:
        fh.write("\n".join(lines) + "\n")
        path = fh.name
    try:
        env = dict(os.environ, WQ_ONCE="1" if once else "0", WQ_THREADS=str(threads))
        out = subprocess.run(
            ["wrk", "-t", str(threads), "-c", str(connections), "-d", f"{seconds}s", "--timeout", "10s",
             "-s", str(WRK_SCRIPT), base_url, "--", path],
            capture_output=True, text=True, env=env, timeout=seconds + 60, check=True).stdout
    finally:
        os.unlink(path)
    match = re.search(r"^WRKJSON (.*)$", out, re.MULTILINE)
    if not match:
        raise RuntimeError(f"wrk printed no result:\n{out}")
    data = json.loads(match.group(1))
    duration = data["duration_us"] / 1e6
    spare = data["statuses"].pop("404", 0) if once else 0
    return WrkResult(
        rps=(data["requests"] - spare) / duration, p50_ms=data["p50_us"] / 1000,
        p90_ms=data["p90_us"] / 1000, p99_ms=data["p99_us"] / 1000, requests=data["requests"] - spare,
        duration_s=round(duration, 2), statuses=data["statuses"],
        errors=data["connect_errors"] + data["read_errors"] + data["write_errors"] + data["timeouts"],
        spare=spare)


def request_line(method: str, path: str, token: str, body: Any = None) -> str:
    return "\t".join([method, path, token, json.dumps(body, ensure_ascii=False) if body is not None else ""])


# Filled by the session: the database server's buffer pool and the data set's size.
SERVER: dict[str, Any] = {}


def machine() -> dict[str, Any]:
    mem_kb = 0
    try:
        mem_kb = int(re.search(r"MemTotal:\s+(\d+)", Path("/proc/meminfo").read_text()).group(1))
    except (OSError, AttributeError):
        pass
    cpu = ""
    try:
        cpu = re.search(r"model name\s*:\s*(.*)", Path("/proc/cpuinfo").read_text()).group(1)
    except (OSError, AttributeError):
        pass
    return {"cpus": os.cpu_count(), "cpu": cpu, "memory_gb": round(mem_kb / 1024 / 1024, 1),
            "os": platform.platform(), "python": platform.python_version(),
            "load_avg": [round(x, 2) for x in os.getloadavg()], **SERVER}


def write_result(name: str, *, measure: str, bar: str, meets_bar: bool | None, figures: dict[str, Any],
                 note: str = "", extra: dict[str, Any] | None = None) -> dict[str, Any]:
    RESULTS.mkdir(exist_ok=True)
    payload = {"name": name, "measure": measure, "bar": bar, "meets_bar": meets_bar,
               "figures": figures, "note": note, "machine": machine(),
               "date": datetime.now(UTC).isoformat(timespec="seconds"),
               "gunicorn": " ".join(GUNICORN_ARGS), **(extra or {})}
    (RESULTS / f"{name}.json").write_text(json.dumps(payload, ensure_ascii=False, indent=1) + "\n",
                                          encoding="utf-8")
    print(f"\n[bench] {name}: meets_bar={meets_bar} {json.dumps(figures, ensure_ascii=False)}")
    return payload
