"""Extension objects, created unbound and attached in the factory with init_app."""
from __future__ import annotations

import logging
import math
import threading
import time
from collections.abc import Callable
from typing import Any
from urllib.parse import urlsplit

import fakeredis
import redis
from flask import Flask, current_app
from flask_migrate import Migrate
from flask_sqlalchemy import SQLAlchemy
from flask_sqlalchemy.session import Session as FlaskSession
from redis.backoff import NoBackoff
from redis.retry import Retry
from rq import Queue
from sqlalchemy import MetaData, Select, event
from sqlalchemy.engine import Engine
from sqlalchemy.exc import DBAPIError, DisconnectionError, InterfaceError, OperationalError, SQLAlchemyError
from sqlalchemy.exc import TimeoutError as SATimeoutError

log = logging.getLogger("wq.faults")

# Every constraint gets a stable name so Alembic can drop it on both backends.
NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}

READ_REPLICA = "wq_read_replica"  # session.info flag set by app.services.replica.replica_reads()


class RoutingSession(FlaskSession):
    """Plain SELECTs run while the session is marked for the replica go to the "replica" bind
    (DATABASE_REPLICA_URL) when one is configured; writes and locking reads always go to the
    primary."""

    def get_bind(self, mapper: Any = None, clause: Any = None, bind: Any = None, **kwargs: Any) -> Any:
        if bind is None and self.info.get(READ_REPLICA) and isinstance(clause, Select) \
                and clause._for_update_arg is None:
            replica = self._db.engines.get("replica")
            if replica is not None:
                return replica
        return super().get_bind(mapper, clause, bind, **kwargs)


db = SQLAlchemy(metadata=MetaData(naming_convention=NAMING_CONVENTION),
                session_options={"class_": RoutingSession})
migrate = Migrate(compare_type=True)

# One fake server per process: every client made for memory:// sees the same data.
_FAKE_SERVER = fakeredis.FakeServer()


@event.listens_for(Engine, "connect")
def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    if type(dbapi_connection).__module__.startswith("sqlite3"):
        # pysqlite's own transaction handling breaks SAVEPOINT; let SQLAlchemy emit BEGIN.
        dbapi_connection.isolation_level = None
        cur = dbapi_connection.cursor()
        cur.execute("PRAGMA foreign_keys=ON")
        cur.execute("PRAGMA journal_mode=WAL")
        cur.execute("PRAGMA busy_timeout=30000")
        cur.close()


@event.listens_for(Engine, "begin")
def _sqlite_begin(conn: Any) -> None:
    if conn.dialect.name == "sqlite":
        conn.exec_driver_sql("BEGIN")


# -- failing fast --------------------------------------------------------------------------------


class ServiceUnavailable(Exception):
    """A backing service (Redis, the database) cannot answer now: the caller gets 503 + Retry-After."""

    service = "service"


class RedisUnavailable(ServiceUnavailable, redis.exceptions.ConnectionError):
    """Raised at once while Redis is known to be down (a RedisError, so callers that tolerate
    Redis failures keep tolerating it)."""

    service = "redis"


class DatabaseUnavailable(ServiceUnavailable, SQLAlchemyError):
    """Raised at once while the database is known to be down, or when it stopped answering."""

    service = "database"


class Breaker:
    """A circuit breaker shared by every thread of the process, one per service address.

    Closed, calls go through. A failure that says the service is down (a timeout, a refused
    connection) opens it: for ``cooldown`` seconds every call fails at once instead of waiting
    for its own timeout. Then one caller is let through as a probe (the others keep failing
    fast); its success closes the breaker, its failure opens it for another ``cooldown``.
    """

    def __init__(self, name: str, cooldown: float, clock: Callable[[], float] = time.monotonic) -> None:
        self.name, self.cooldown, self._clock = name, float(cooldown), clock
        self._lock = threading.Lock()
        self._open = False
        self._retry_at = 0.0
        self._prober: int | None = None
        self.trips = 0  # times it opened, for /healthz and tests

    @property
    def is_open(self) -> bool:
        return self._open

    def allow(self) -> bool:
        """May this call go to the service now? (The probe's thread may, for its whole call.)"""
        if not self._open:
            return True
        now = self._clock()
        me = threading.get_ident()
        with self._lock:
            if not self._open or (self._prober == me and now < self._retry_at):
                return True
            if now >= self._retry_at:
                self._retry_at, self._prober = now + self.cooldown, me
                return True
        return False

    def failure(self) -> None:
        with self._lock:
            if not self._open:
                self.trips += 1
                log.warning("%s is down: failing fast for %.1f s at a time", self.name, self.cooldown)
            self._open, self._prober = True, None
            self._retry_at = self._clock() + self.cooldown

    def success(self) -> None:
        if self._open:
            with self._lock:
                if self._open:
                    log.warning("%s answers again", self.name)
                self._open, self._prober = False, None

    def retry_after(self) -> int:
        """Whole seconds until the next probe (at least 1): the Retry-After of a 503."""
        if not self._open:
            return 1
        return max(1, math.ceil(self._retry_at - self._clock()))


_BREAKERS: dict[str, Breaker] = {}
_BREAKERS_LOCK = threading.Lock()


def breaker_for(name: str, cooldown: float) -> Breaker:
    """The process's breaker for ``name`` (a service address): every app and client share it."""
    with _BREAKERS_LOCK:
        found = _BREAKERS.get(name)
        if found is None:
            found = _BREAKERS[name] = Breaker(name, cooldown)
        found.cooldown = float(cooldown)
        return found


def _safe_address(url: str) -> str:
    """scheme://host:port/db of a URL, without credentials (for logs and breaker names)."""
    parts = urlsplit(url)
    host = parts.hostname or ""
    return f"{parts.scheme}://{host}{f':{parts.port}' if parts.port else ''}{parts.path}"


# -- Redis ----------------------------------------------------------------------------------------


class _GuardedConnection:
    """Mixed into redis-py's connection classes: asks the breaker before connecting or sending,
    and tells it how the server answered. A dead pooled connection (closed by a restarted
    server) is not a failure: the client's one retry reconnects, and that connect decides."""

    breaker: Breaker

    def _refuse(self) -> None:
        raise RedisUnavailable(f"{self.breaker.name} is unavailable (failing fast)")

    def connect_check_health(self, *args: Any, **kwargs: Any) -> None:
        if getattr(self, "_sock", None):
            return
        if not self.breaker.allow():
            self._refuse()
        try:
            super().connect_check_health(*args, **kwargs)  # type: ignore[misc]
        except (redis.exceptions.ConnectionError, redis.exceptions.TimeoutError) as exc:
            if not isinstance(exc, RedisUnavailable):
                self.breaker.failure()
            raise

    def send_packed_command(self, command: Any, check_health: bool = True) -> None:
        if not self.breaker.allow():
            self._refuse()
        try:
            super().send_packed_command(command, check_health)  # type: ignore[misc]
        except redis.exceptions.TimeoutError:
            self.breaker.failure()
            raise

    def read_response(self, *args: Any, **kwargs: Any) -> Any:
        try:
            response = super().read_response(*args, **kwargs)  # type: ignore[misc]
        except redis.exceptions.TimeoutError:
            if "timeout" not in kwargs:  # not a deliberate short poll
                self.breaker.failure()
            raise
        except redis.exceptions.ResponseError:
            self.breaker.success()  # an error reply is an answer
            raise
        self.breaker.success()
        return response


_GUARDED_CLASSES: dict[tuple[type, int], type] = {}


def _guarded_class(base: type, breaker: Breaker) -> type:
    key = (base, id(breaker))
    if key not in _GUARDED_CLASSES:
        _GUARDED_CLASSES[key] = type(f"Guarded{base.__name__}", (_GuardedConnection, base),
                                     {"breaker": breaker})
    return _GUARDED_CLASSES[key]


def make_redis(url: str, timeout: float = 0.5, connect_timeout: float | None = None,
               breaker_seconds: float = 2.0) -> redis.Redis:
    """A Redis client that fails fast. Default redis-py would block for 20 s on a frozen server:
    here a command waits at most ``timeout`` for its answer, a connection ``connect_timeout``,
    and once one of them fails the process's breaker answers every call at once for
    ``breaker_seconds`` before letting a probe through. A connection closed under us (Redis
    restarted) is retried once, on a fresh connection; a timeout is never retried."""
    if url.startswith("memory://"):
        return fakeredis.FakeRedis(server=_FAKE_SERVER)
    scheme = urlsplit(url).scheme
    base = {"rediss": redis.connection.SSLConnection,
            "unix": redis.connection.UnixDomainSocketConnection}.get(scheme, redis.connection.Connection)
    breaker = breaker_for(f"Redis {_safe_address(url)}", breaker_seconds)
    return redis.Redis.from_url(
        url,
        socket_timeout=timeout,
        socket_connect_timeout=timeout if connect_timeout is None else connect_timeout,
        health_check_interval=30,
        retry=Retry(NoBackoff(), 1, supported_errors=(redis.exceptions.ConnectionError,)),
        connection_class=_guarded_class(base, breaker),
    )


def redis_breaker(client: Any) -> Breaker | None:
    """The breaker guarding a client made by make_redis (None for fakeredis)."""
    pool = getattr(client, "connection_pool", None)
    return getattr(getattr(pool, "connection_class", None), "breaker", None)


# -- the database ---------------------------------------------------------------------------------

# MySQL/MariaDB errors that mean "not now" rather than "wrong": can't connect (2002/2003/2005),
# gone away or lost (2006/2013/2055), too many connections (1040), shutting down (1053),
# lock wait timeout and deadlock after the unit of work's retries (1205/1213), connection
# killed (1927), statement time limits (1969 MariaDB, 3024 MySQL), a closed connection (0).
MYSQL_UNAVAILABLE = frozenset({0, 1040, 1053, 1205, 1213, 1927, 1969, 3024, 2002, 2003, 2005, 2006,
                               2013, 2055})
SQLITE_UNAVAILABLE = ("database is locked", "unable to open database file", "disk i/o error")


def _mysql_code(exc: BaseException) -> int | None:
    args = getattr(exc, "args", ())
    return args[0] if args and isinstance(args[0], int) else None


def _database_down(exc: BaseException) -> bool:
    """Says the server is gone or frozen (not merely that one pooled connection died)."""
    code = _mysql_code(exc)
    return code in (2002, 2003, 2005) or (code in (2006, 2013) and "timed out" in str(exc))


def _ping(dbapi_connection: Any, timeout: float | None) -> None:
    """COM_PING with its own, shorter read timeout (a healthy server answers it in a
    millisecond, whatever its load); pymysql restores the connection's own before its next read."""
    saved = getattr(dbapi_connection, "_read_timeout", None)
    if timeout and hasattr(dbapi_connection, "_read_timeout"):
        dbapi_connection._read_timeout = timeout
    try:
        dbapi_connection.ping(False)
    finally:
        if timeout and hasattr(dbapi_connection, "_read_timeout"):
            dbapi_connection._read_timeout = saved


def guard_database(engine: Engine, breaker: Breaker, ping_timeout: float | None = None,
                   read_timeout: float | None = None) -> None:
    """Fail fast while the database is known to be down, and check pooled connections first.

    Replaces SQLAlchemy's pool_pre_ping with the same ping plus the breaker: a stale connection
    (the server restarted) is replaced with no failed request, while a ping that times out (a
    frozen server; ``ping_timeout`` s) opens the breaker instead of also waiting for a
    reconnect's timeout. pymysql reads the server's greeting with the read timeout, so the
    engine connects with the (shorter) connect timeout as its read timeout and each new
    connection gets ``read_timeout`` here, once it is established."""

    if read_timeout:
        @event.listens_for(engine, "connect")
        def _reading(dbapi_connection: Any, _record: Any) -> None:
            if hasattr(dbapi_connection, "_read_timeout"):
                dbapi_connection._read_timeout = read_timeout

    @event.listens_for(engine, "do_connect")
    def _before_connect(_dialect: Any, _record: Any, _cargs: Any, _cparams: Any) -> None:
        if not breaker.allow():
            raise DatabaseUnavailable(f"{breaker.name} is unavailable (failing fast)")

    dbapi_error = engine.dialect.loaded_dbapi.Error

    @event.listens_for(engine.pool, "checkout")
    def _check_out(dbapi_connection: Any, _record: Any, _proxy: Any) -> None:
        if not breaker.allow():
            raise DatabaseUnavailable(f"{breaker.name} is unavailable (failing fast)")
        try:
            _ping(dbapi_connection, ping_timeout)
        except dbapi_error as exc:
            if _database_down(exc):
                breaker.failure()
                raise DatabaseUnavailable(f"{breaker.name} does not answer: {exc}") from exc
            raise DisconnectionError(f"stale connection: {exc}") from exc  # the pool reconnects
        breaker.success()

    @event.listens_for(engine, "handle_error")
    def _failed(context: Any) -> None:
        # Only a failure to connect opens the breaker: a statement that outlived its read timeout
        # may just be slow, and costs its own request only (the next checkout's ping decides).
        if context.statement is None and _database_down(context.original_exception):
            breaker.failure()


def database_breaker_name(url: str) -> str:
    return f"database {_safe_address(url)}"


def database_breaker(url: str) -> Breaker | None:
    """The process's breaker for the database at ``url`` (None until an app guarded it)."""
    return _BREAKERS.get(database_breaker_name(url))


def unavailable(exc: BaseException) -> str | None:
    """Which backing service an exception says is unavailable ("redis", "database"), or None
    when it is a bug or a refusal that no retry would change."""
    if isinstance(exc, ServiceUnavailable):
        return exc.service
    if isinstance(exc, redis.exceptions.RedisError):
        return "redis"
    if isinstance(exc, (SATimeoutError, DisconnectionError)):  # pool exhausted, connection lost
        return "database"
    if isinstance(exc, DBAPIError):
        if exc.connection_invalidated:
            return "database"
        orig = exc.orig
        if isinstance(exc, (OperationalError, InterfaceError)):
            if _mysql_code(orig) in MYSQL_UNAVAILABLE:
                return "database"
            if any(text in str(orig).lower() for text in SQLITE_UNAVAILABLE):
                return "database"
    return None


class RedisState:
    """One app's Redis client and RQ queues."""

    def __init__(self, client: redis.Redis, queues: dict[str, Queue]) -> None:
        self.client = client
        self.queues = queues


class RedisExtension:
    """Binds a Redis client and RQ queues to each app; read them through current_app."""

    def init_app(self, app: Flask) -> None:
        client = make_redis(app.config["REDIS_URL"], app.config["REDIS_SOCKET_TIMEOUT"],
                            app.config["REDIS_CONNECT_TIMEOUT"], app.config["BREAKER_SECONDS"])
        inline = bool(app.config["JOBS_INLINE"])
        queues = {
            name: Queue(name, connection=client, is_async=not inline)
            for name in app.config["RQ_QUEUES"]
        }
        app.extensions["wq_redis"] = RedisState(client, queues)

    @staticmethod
    def _state() -> RedisState:
        return current_app.extensions["wq_redis"]

    @property
    def client(self) -> redis.Redis:
        return self._state().client

    def queue(self, name: str = "default") -> Queue:
        return self._state().queues[name]


redis_ext = RedisExtension()
