"""Engines for SQLite (WAL, foreign keys, busy timeout, writers served in arrival order) and
PostgreSQL, and a session per unit of work."""

from __future__ import annotations

import os
import sqlite3
import time
import weakref
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from sqlalchemy import Connection, Engine, create_engine, event
from sqlalchemy.engine import make_url
from sqlalchemy.engine.interfaces import DBAPIConnection
from sqlalchemy.exc import DisconnectionError
from sqlalchemy.orm import Session, sessionmaker
from sqlalchemy.pool import ConnectionPoolEntry, PoolProxiedConnection

from sparkcodes.config import Settings
from sparkcodes.kit.fairlock import FairLock

# How long a writer waits for its turn, as SQLite's own busy timeout: then "database is locked".
SQLITE_WRITER_WAIT_SECONDS = 30.0


_WRITERS: weakref.WeakKeyDictionary[Engine, FairLock] = weakref.WeakKeyDictionary()


def writer_queue(engine: Engine) -> FairLock | None:
    """The queue of an SQLite engine's writers (None on PostgreSQL, whose writers do not
    exclude each other)."""
    return _WRITERS.get(engine)


class _SQLiteConnection(sqlite3.Connection):
    """A connection that gives its engine's writer turn back once its transaction has ended: after
    COMMIT or ROLLBACK has run, never before, so the next writer's BEGIN IMMEDIATE finds the
    database free instead of falling into the busy handler."""

    writer_turn: FairLock | None = None

    def commit(self) -> None:
        try:
            super().commit()
        finally:
            self._give_turn_back()

    def rollback(self) -> None:
        try:
            super().rollback()
        finally:
            self._give_turn_back()

    def close(self) -> None:
        try:
            super().close()
        finally:
            self._give_turn_back()

    def _give_turn_back(self) -> None:
        turn, self.writer_turn = self.writer_turn, None
        if turn is not None:
            turn.release()


def create_private_file(path: Path) -> None:
    """Create ``path`` empty and readable by its owner only (0600), unless it exists. The SQLite
    file holds hashed codes, sealed tokens and e-mail addresses; SQLite gives its -wal and -shm
    files the database file's permissions."""
    path.parent.mkdir(parents=True, exist_ok=True)
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        return
    os.close(fd)


def make_engine(settings: Settings) -> Engine:
    url = make_url(settings.database_url)
    if url.get_backend_name() == "sqlite":
        if url.database and url.database != ":memory:" and not url.database.startswith("file:"):
            create_private_file(Path(url.database))
        engine = create_engine(
            url,
            connect_args={"check_same_thread": False, "timeout": 30,
                          "factory": _SQLiteConnection},
            pool_size=settings.db_pool_size,
            max_overflow=10,
        )
        _WRITERS[engine] = FairLock()
        _configure_sqlite(engine, _WRITERS[engine])
        return engine
    engine = create_engine(
        url,
        pool_size=settings.db_pool_size,
        max_overflow=10,
    )
    _ping_idle_connections(engine)
    return engine


# A connection given back less than this long ago is taken as alive; one idle longer is pinged
# before use, so one left dead by a database restart is replaced instead of failing a request.
# pool_pre_ping would ping every checkout: a round trip per request on a busy, healthy pool.
PING_AFTER_IDLE_SECONDS = 5.0
_CHECKED_IN_AT = "checked_in_at"


def _ping_idle_connections(engine: Engine) -> None:
    @event.listens_for(engine, "checkin")
    def _on_checkin(_dbapi_connection: DBAPIConnection | None,
                    record: ConnectionPoolEntry) -> None:
        record.info[_CHECKED_IN_AT] = time.monotonic()

    @event.listens_for(engine, "checkout")
    def _on_checkout(dbapi_connection: DBAPIConnection, record: ConnectionPoolEntry,
                     _proxy: PoolProxiedConnection) -> None:
        checked_in_at = record.info.get(_CHECKED_IN_AT)
        if checked_in_at is None or time.monotonic() - checked_in_at < PING_AFTER_IDLE_SECONDS:
            return  # a new connection, or one in use a moment ago
        try:
            engine.dialect.do_ping(dbapi_connection)
        except engine.dialect.loaded_dbapi.Error as exc:
            # The pool throws this connection away and checks out another (a new one if need be).
            raise DisconnectionError("the connection was found dead when taken from the pool") \
                from exc


def _configure_sqlite(engine: Engine, writers: FairLock) -> None:
    """``writers``: the engine's writer turns. SQLite admits one writer at a time; the others
    queue here in arrival order (kit/fairlock.py). Writers in other processes (the worker) still
    meet in SQLite's busy handler."""

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: sqlite3.Connection, _record: ConnectionPoolEntry) -> None:
        # Take over transaction control so writers can start with BEGIN IMMEDIATE.
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA busy_timeout=30000")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(conn: Connection) -> None:
        # A writer takes the write lock up front: a deferred transaction that reads and then
        # writes can fail at once with "database is locked" instead of waiting its turn.
        if not conn.get_execution_options().get("sqlite_writer"):
            conn.exec_driver_sql("BEGIN")
            return
        raw = conn.connection.dbapi_connection
        assert isinstance(raw, _SQLiteConnection)
        if not writers.acquire(SQLITE_WRITER_WAIT_SECONDS):
            raise sqlite3.OperationalError("database is locked")
        raw.writer_turn = writers  # given back when the transaction ends
        try:
            conn.exec_driver_sql("BEGIN IMMEDIATE")
        except BaseException:
            raw._give_turn_back()
            raise


class Database:
    """The engine and two session factories: readers, and writers (which lock early on SQLite)."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.engine = make_engine(settings)
        self.is_sqlite = self.engine.dialect.name == "sqlite"
        writer_bind = self.engine.execution_options(sqlite_writer=True)
        # The settings ride along: the audit chain seals rows under the secret key at commit.
        info = {"settings": settings}
        self._reader = sessionmaker(self.engine, expire_on_commit=False, info=info)
        self._writer = sessionmaker(writer_bind, expire_on_commit=False, info=info)

    def session(self, *, write: bool = True) -> Session:
        return (self._writer if write else self._reader)()

    @contextmanager
    def unit_of_work(self, *, write: bool = True) -> Iterator[Session]:
        """One transaction: committed when the block ends, rolled back if it raises."""
        session = self.session(write=write)
        try:
            yield session
            session.commit()
        except BaseException:
            session.rollback()
            raise
        finally:
            session.close()

    def dispose(self) -> None:
        self.engine.dispose()
