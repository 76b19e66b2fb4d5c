"""Extension objects, created unbound and attached in the factory with init_app."""
from __future__ import annotations

from typing import Any

import fakeredis
import redis
from flask import Flask, current_app
from flask_migrate import Migrate
from flask_sqlalchemy import SQLAlchemy
from flask_sqlalchemy.session import Session as FlaskSession
from rq import Queue
from sqlalchemy import MetaData, Select, event
from sqlalchemy.engine import Engine

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


def make_redis(url: str, timeout: float = 1.0) -> redis.Redis:
    """A Redis client that fails fast: default redis-py would block for 20 s on a frozen server."""
    if url.startswith("memory://"):
        return fakeredis.FakeRedis(server=_FAKE_SERVER)
    return redis.Redis.from_url(
        url,
        socket_timeout=timeout,
        socket_connect_timeout=timeout,
        health_check_interval=30,
    )


class RedisState:
    """One app's Redis client and RQ queues."""

    def __init__(self, client: redis.Redis, queues: dict[str, Queue]) -> None:
        self.client = client
        self.queues = queues


class RedisExtension:
    """Binds a Redis client and RQ queues to each app; read them through current_app."""

    def init_app(self, app: Flask) -> None:
        client = make_redis(app.config["REDIS_URL"], app.config["REDIS_SOCKET_TIMEOUT"])
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
