"""Private servers for the fault tests: a Redis, a MariaDB and the app under gunicorn, each on a
free loopback port under a temporary directory, started and stopped by the test that needs them
(never the shared ones on 3306/6379). They can be frozen (SIGSTOP), thawed, killed and restarted.

Waits are bounded polls of the server's state, never sleeps standing in for time.
"""
from __future__ import annotations

import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import requests

ROOT = Path(__file__).resolve().parent.parent
GUNICORN = str(Path(sys.executable).with_name("gunicorn"))


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def wait_for(check: Callable[[], object], timeout: float, what: str, interval: float = 0.05) -> object:
    deadline = time.monotonic() + timeout
    last: object = None
    while time.monotonic() < deadline:
        try:
            last = check()
        except Exception as exc:  # noqa: BLE001 — not ready yet
            last = exc
        else:
            if last:
                return last
        time.sleep(interval)
    raise AssertionError(f"timed out after {timeout}s waiting for {what} (last: {last!r})")


def _listening(port: int) -> bool:
    with socket.socket() as sock:
        sock.settimeout(0.2)
        return sock.connect_ex(("127.0.0.1", port)) == 0


class Process:
    """A child process that can be frozen, thawed and killed."""

    proc: subprocess.Popen | None = None
    frozen = False

    def freeze(self) -> None:
        os.kill(self.proc.pid, signal.SIGSTOP)
        self.frozen = True

    def thaw(self) -> None:
        os.kill(self.proc.pid, signal.SIGCONT)
        self.frozen = False

    def kill(self) -> None:
        if self.proc is None:
            return
        if self.frozen:
            self.thaw()
        self.proc.kill()
        self.proc.wait(timeout=30)
        self.proc = None

    def terminate(self, timeout: float = 30) -> None:
        if self.proc is None:
            return
        if self.frozen:
            self.thaw()
        self.proc.terminate()
        try:
            self.proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait(timeout=10)
        self.proc = None


class RedisServer(Process):
    """redis-server on a free port; ``aof=True`` keeps its data across a restart (appendfsync
    always, so a kill loses nothing that was acknowledged)."""

    def __init__(self, workdir: Path, aof: bool = False) -> None:
        self.dir = workdir
        self.dir.mkdir(parents=True, exist_ok=True)
        self.port = free_port()
        self.aof = aof

    def url(self, db: int = 0) -> str:
        return f"redis://127.0.0.1:{self.port}/{db}"

    def start(self) -> RedisServer:
        persistence = ["--appendonly", "yes", "--appendfsync", "always"] if self.aof \
            else ["--appendonly", "no"]
        self.proc = subprocess.Popen(
            ["redis-server", "--port", str(self.port), "--bind", "127.0.0.1", "--dir", str(self.dir),
             "--save", "", *persistence, "--logfile", str(self.dir / "redis.log")],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        wait_for(self.ping, 15, f"redis-server on port {self.port}")
        return self

    def ping(self) -> bool:
        with socket.create_connection(("127.0.0.1", self.port), timeout=0.5) as sock:
            sock.sendall(b"PING\r\n")
            return sock.recv(16).startswith(b"+PONG")

    def restart(self) -> None:
        self.kill()
        self.start()


class MariaDBServer(Process):
    """A MariaDB of its own: mariadb-install-db into a temp datadir, mariadbd on a free port with
    its socket in that directory; root without a password on loopback."""

    def __init__(self, workdir: Path) -> None:
        self.dir = workdir
        self.datadir = workdir / "data"
        self.port = free_port()

    def url(self, database: str = "wq") -> str:
        return f"mysql+pymysql://root@127.0.0.1:{self.port}/{database}?charset=utf8mb4"

    def install(self) -> MariaDBServer:
        self.dir.mkdir(parents=True, exist_ok=True)
        subprocess.run(
            ["mariadb-install-db", "--no-defaults", f"--datadir={self.datadir}", "--user=root",
             "--auth-root-authentication-method=normal", "--skip-test-db", "--skip-name-resolve"],
            check=True, capture_output=True, timeout=180)
        return self

    def start(self) -> MariaDBServer:
        self.proc = subprocess.Popen(
            ["mariadbd", "--no-defaults", "--user=root", f"--datadir={self.datadir}",
             f"--port={self.port}", "--bind-address=127.0.0.1", f"--socket={self.dir / 'mysqld.sock'}",
             f"--pid-file={self.dir / 'mysqld.pid'}", f"--log-error={self.dir / 'error.log'}",
             "--skip-log-bin", "--skip-name-resolve", "--innodb-buffer-pool-size=32M",
             "--innodb-log-file-size=16M", "--character-set-server=utf8mb4",
             "--collation-server=utf8mb4_unicode_ci"],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        wait_for(self.ping, 60, f"mariadbd on port {self.port}", interval=0.1)
        return self

    def ping(self) -> bool:
        import pymysql

        connection = pymysql.connect(host="127.0.0.1", port=self.port, user="root", connect_timeout=1)
        connection.close()
        return True

    def execute(self, sql: str) -> None:
        import pymysql

        connection = pymysql.connect(host="127.0.0.1", port=self.port, user="root", connect_timeout=5)
        try:
            with connection.cursor() as cursor:
                cursor.execute(sql)
            connection.commit()
        finally:
            connection.close()

    def stop(self) -> None:
        """A clean shutdown (SIGTERM), as an operator's restart would do."""
        self.terminate(timeout=60)


def app_env(workdir: Path, database_url: str, redis_url: str, **extra: str) -> dict[str, str]:
    """The environment of an app process: development settings on these stores, jobs on RQ,
    no config file (an empty one in ``workdir``), WeChat at a closed port."""
    from tests.conftest import TEST_PII_KEY

    config = workdir / "empty-config.toml"
    config.write_text("", encoding="utf-8")
    env = {k: v for k, v in os.environ.items() if not k.startswith("WQ_")}
    env.update({
        "FLASK_APP": "wsgi.py", "PYTHONUNBUFFERED": "1", "WQ_CONFIG": str(config),
        "WQ_DATABASE_URL": database_url, "WQ_REDIS_URL": redis_url, "WQ_JOBS_INLINE": "false",
        "WQ_SECRET_KEY": "test-secret-" + "x" * 32, "WQ_PII_KEYS": f'["{TEST_PII_KEY}"]',
        "WQ_PII_HASH_KEY": "test-hash-key", "WQ_FLOW_LOG_KEY": "test-flow-log-key",
        "WQ_WECHAT__API_BASE": "http://127.0.0.1:9", "WQ_WECHAT__MP_BASE": "http://127.0.0.1:9",
        "WQ_WECHAT__OPEN_BASE": "http://127.0.0.1:9",
    })
    env.update(extra)
    return env


class Gunicorn(Process):
    """The app under gunicorn, as deployed: ``workers`` processes of ``worker_class``."""

    LISTENING = re.compile(r"Listening at: http://127\.0\.0\.1:(\d+)")

    def __init__(self, env: dict[str, str], log: Path, workers: int = 2, worker_class: str = "gthread",
                 threads: int = 8, app: str = "wsgi:app") -> None:
        self.env, self.log_path = env, log
        self.args = [GUNICORN, "-w", str(workers), "-k", worker_class, "-b", "127.0.0.1:0",
                     "--timeout", "30", "--graceful-timeout", "5", "--error-logfile", "-", app]
        if worker_class == "gthread":
            self.args[1:1] = ["--threads", str(threads)]
        self.workers = workers
        self.base = ""

    def start(self) -> Gunicorn:
        self._log = self.log_path.open("wb")
        self.proc = subprocess.Popen(self.args, cwd=ROOT, env=self.env, stdout=self._log,
                                     stderr=subprocess.STDOUT, start_new_session=True)
        port = wait_for(lambda: self._port(), 60, "gunicorn to listen")
        self.base = f"http://127.0.0.1:{port}"
        wait_for(lambda: self._booted() >= self.workers, 60, "gunicorn's workers to boot")
        wait_for(lambda: requests.get(self.base + "/api/v1/openapi.json", timeout=5).status_code == 200,
                 60, "the app to answer")
        return self

    def _port(self) -> int | None:
        if self.proc.poll() is not None:
            raise AssertionError("gunicorn exited:\n" + self.log())
        match = self.LISTENING.search(self.log())
        return int(match.group(1)) if match else None

    def _booted(self) -> int:
        return self.log().count("Booting worker")

    def log(self) -> str:
        return self.log_path.read_text(errors="replace")

    def stop(self) -> None:
        if self.proc is not None:
            os.killpg(self.proc.pid, signal.SIGTERM)
            try:
                self.proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                os.killpg(self.proc.pid, signal.SIGKILL)
                self.proc.wait(timeout=10)
            self.proc = None
            self._log.close()


@dataclass
class Answer:
    path: str
    status: int | None
    seconds: float
    code: str | None = None
    content_type: str = ""
    retry_after: str | None = None
    error: str | None = None


def fetch(base: str, path: str, token: str | None = None, method: str = "GET", timeout: float = 30,
          **kwargs) -> Answer:
    headers = kwargs.pop("headers", {})
    if token:
        headers["Authorization"] = f"Bearer {token}"
    started = time.monotonic()
    try:
        response = requests.request(method, base + path, headers=headers, timeout=timeout, **kwargs)
    except requests.RequestException as exc:
        return Answer(path, None, time.monotonic() - started, error=type(exc).__name__)
    seconds = time.monotonic() - started
    code = None
    if response.headers.get("Content-Type", "").startswith("application/json"):
        code = ((response.json() or {}).get("error") or {}).get("code")
    return Answer(path, response.status_code, seconds, code, response.headers.get("Content-Type", ""),
                  response.headers.get("Retry-After"))


def burst(calls: list[Callable[[], Answer]]) -> list[Answer]:
    """Run the calls all at once (one thread each); their answers in order."""
    with ThreadPoolExecutor(max_workers=len(calls)) as pool:
        return list(pool.map(lambda call: call(), calls))


def cleanup_dir(path: Path) -> None:
    shutil.rmtree(path, ignore_errors=True)
