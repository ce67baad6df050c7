"""The limiter's counters in SQL, as a `limits` storage: one row per fixed window, incremented
by one atomic upsert (INSERT ... ON CONFLICT DO UPDATE ... RETURNING), so concurrent hits from
any number of threads and processes are counted exactly. The limiter counts an attempt against
all its tiers in one multi-row upsert and gives it back in another (hit_many, give_back_many).
Time is real time (the windows are about attackers, not about the sandbox clock)."""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from datetime import datetime, timedelta
from typing import TypeVar, cast

from limits.storage import Storage
from sqlalchemy import (
    Connection,
    Engine,
    Integer,
    String,
    Table,
    TextClause,
    bindparam,
    case,
    delete,
    func,
    select,
    update,
)
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.exc import DBAPIError, SQLAlchemyError
from sqlalchemy.sql.dml import ReturningInsert, ReturningUpdate
from sqlalchemy.sql.elements import BindParameter

from sparkcodes.kit.clock import real_now
from sparkcodes.kit.sql import compiled_once
from sparkcodes.kit.types import UTCDateTime
from sparkcodes.models import RateLimitCounter

log = logging.getLogger("sparkcodes.throttle")
T = cast(Table, RateLimitCounter.__table__)
R = TypeVar("R")


def _when(name: str, value: datetime | None) -> BindParameter[datetime]:
    return bindparam(name, value, type_=UTCDateTime())


def _statements(dialect: str) -> tuple[ReturningInsert[int], ReturningUpdate[int]]:
    """The increment (an upsert that starts a new window when the last one ended) and the
    give-back, built once: both run for every look-up and log-in."""
    key, amount = bindparam("b_key", type_=String()), bindparam("b_amount", type_=Integer())
    now, next_reset = _when("b_now", None), _when("b_next", None)
    insert = postgresql.insert(T) if dialect == "postgresql" else sqlite.insert(T)
    ended = T.c.resets_at <= now
    incr = insert.values(key=key, hits=amount, resets_at=next_reset).on_conflict_do_update(
        index_elements=[T.c.key],
        set_={"hits": case((ended, amount), else_=T.c.hits + amount),
              "resets_at": case((ended, next_reset), else_=T.c.resets_at)},
    ).returning(T.c.hits)
    floor = func.max if dialect == "sqlite" else func.greatest
    decr = (update(T).where(T.c.key == key, T.c.resets_at > now)
            .values(hits=floor(T.c.hits - amount, 0)).returning(T.c.hits))
    return incr, decr


def _insert(dialect: str) -> postgresql.Insert | sqlite.Insert:
    return postgresql.insert(T) if dialect == "postgresql" else sqlite.insert(T)


def _hit_many_statement(dialect: str, n: int) -> TextClause:
    """One hit in each of ``n`` windows (keys k0.., window ends r0.. if a new one starts),
    compiled once (a multi-row VALUES is a statement SQLAlchemy does not cache)."""
    now = _when("b_now", None)
    insert = _insert(dialect)
    insert = insert.values([
        {"key": bindparam(f"k{i}", type_=String()), "hits": 1,
         "resets_at": _when(f"r{i}", None)} for i in range(n)])
    ended = T.c.resets_at <= now
    return compiled_once(insert.on_conflict_do_update(
        index_elements=[T.c.key],
        set_={"hits": case((ended, 1), else_=T.c.hits + 1),
              "resets_at": case((ended, insert.excluded.resets_at), else_=T.c.resets_at)},
    ).returning(T.c.key, T.c.hits), dialect, {
        "b_now": UTCDateTime(), **{f"k{i}": String() for i in range(n)},
        **{f"r{i}": UTCDateTime() for i in range(n)}})


def _give_back_many_statement(dialect: str, n: int) -> TextClause:
    """One hit given back in each of ``n`` windows still running (never below zero). An upsert,
    not an UPDATE, so it locks rows in the order given, as the hit does: two statements locking
    the same keys in one order cannot deadlock. A window that is gone is written as an ended
    window of zero hits (it counts as zero, and the sweep deletes it)."""
    now = _when("b_now", None)
    insert = _insert(dialect)
    insert = insert.values([
        {"key": bindparam(f"k{i}", type_=String()), "hits": 0, "resets_at": now}
        for i in range(n)])
    floor = func.max if dialect == "sqlite" else func.greatest
    return compiled_once(insert.on_conflict_do_update(
        index_elements=[T.c.key],
        set_={"hits": case((T.c.resets_at > now, floor(T.c.hits - 1, 0)), else_=T.c.hits)},
    ), dialect, {"b_now": UTCDateTime(), **{f"k{i}": String() for i in range(n)}})


class SqlStorage(Storage):
    """Counters in the ``rate_limit_counters`` table of ``engine`` (made if missing). The
    engine runs in autocommit: each statement is its own transaction, and an increment is one
    statement. ``connection()`` lets several calls share one pooled connection."""

    STORAGE_SCHEME = None

    def __init__(self, engine: Engine) -> None:
        super().__init__(None, wrap_exceptions=True)
        self.engine = engine.execution_options(isolation_level="AUTOCOMMIT")
        self._held = threading.local()
        self._incr, self._decr = _statements(engine.dialect.name)
        self._hit_many: dict[int, TextClause] = {}
        self._give_back_many: dict[int, TextClause] = {}
        try:
            T.create(engine, checkfirst=True)
        except SQLAlchemyError:
            # Another process made it meanwhile, or the store is down: hits will tell (503).
            log.warning("could not make sure rate_limit_counters exists", exc_info=True)

    @property
    def base_exceptions(self) -> type[Exception] | tuple[type[Exception], ...]:
        return SQLAlchemyError

    @contextmanager
    def connection(self) -> Iterator[Connection]:
        """One connection for the calls made in this block (by this thread)."""
        held = getattr(self._held, "conn", None)
        if held is not None:
            yield held
            return
        with self.engine.connect() as conn:
            self._held.conn = conn
            try:
                yield conn
            finally:
                self._held.conn = None

    def run(self, work: Callable[[Connection], R]) -> R:
        """``work`` on a pooled connection, and once more on a fresh one when the pooled one
        turned out dead (the database restarted meanwhile): the engine does not ping every
        checkout, which would cost a round trip per statement. A store that is down still
        fails (connecting fails)."""
        try:
            with self.connection() as conn:
                return work(conn)
        except DBAPIError as exc:
            if not exc.connection_invalidated or getattr(self._held, "conn", None) is not None:
                raise
        with self.connection() as conn:
            return work(conn)

    def incr(self, key: str, expiry: int, amount: int = 1) -> int:
        now = real_now()
        params = {"b_key": key, "b_amount": amount, "b_now": now,
                  "b_next": now + timedelta(seconds=expiry)}
        return self.run(lambda conn: int(conn.execute(self._incr, params).scalar_one()))

    def decr(self, key: str, amount: int = 1) -> int:
        """Give back ``amount`` hits of a window still running (never below zero)."""
        params = {"b_key": key, "b_amount": amount, "b_now": real_now()}
        return self.run(lambda conn: int(conn.execute(self._decr, params).scalar() or 0))

    def hit_many(self, windows: Sequence[tuple[str, int]]) -> dict[str, int]:
        """Count one hit in each (key, window seconds) at once, in one statement: each key's
        count after it. Keys are written in sorted order (see _give_back_many_statement)."""
        ordered = sorted(dict(windows).items())
        n = len(ordered)
        stmt = self._hit_many.get(n)
        if stmt is None:
            stmt = self._hit_many[n] = _hit_many_statement(self.engine.dialect.name, n)
        now = real_now()
        params: dict[str, object] = {"b_now": now}
        for i, (key, expiry) in enumerate(ordered):
            params[f"k{i}"], params[f"r{i}"] = key, now + timedelta(seconds=expiry)
        return self.run(lambda conn: {key: int(hits) for key, hits in conn.execute(stmt, params)})

    def give_back_many(self, keys: Sequence[str]) -> None:
        """Give back one hit of each key's running window, in one statement."""
        ordered = sorted(set(keys))
        n = len(ordered)
        stmt = self._give_back_many.get(n)
        if stmt is None:
            stmt = self._give_back_many[n] = _give_back_many_statement(
                self.engine.dialect.name, n)
        params: dict[str, object] = {"b_now": real_now()}
        params.update({f"k{i}": key for i, key in enumerate(ordered)})
        self.run(lambda conn: conn.execute(stmt, params))

    def get_many(self, keys: Sequence[str]) -> dict[str, int]:
        """Each key's count in its running window (0 if none), in one statement."""
        stmt = select(T.c.key, T.c.hits).where(T.c.key.in_(list(keys)),
                                                T.c.resets_at > _when("now", real_now()))
        found = self.run(lambda conn: {key: int(hits) for key, hits in conn.execute(stmt)})
        return {key: found.get(key, 0) for key in keys}

    def get(self, key: str) -> int:
        stmt = select(T.c.hits).where(T.c.key == key, T.c.resets_at > _when("now", real_now()))
        return self.run(lambda conn: int(conn.execute(stmt).scalar() or 0))

    def get_expiry(self, key: str) -> float:
        now = real_now()
        stmt = select(T.c.resets_at).where(T.c.key == key, T.c.resets_at > _when("now", now))
        resets_at = self.run(lambda conn: conn.execute(stmt).scalar())
        return (resets_at or now).timestamp()

    def check(self) -> bool:
        try:
            with self.engine.connect() as conn:
                conn.execute(select(1))
        except SQLAlchemyError:
            return False
        return True

    def reset(self) -> int | None:
        with self.connection() as conn:
            return conn.execute(delete(T)).rowcount

    def clear(self, key: str) -> None:
        with self.connection() as conn:
            conn.execute(delete(T).where(T.c.key == key))

    def sweep(self) -> int:
        """Delete windows that ended (housekeeping; an ended window counts as zero anyway)."""
        with self.connection() as conn:
            return conn.execute(delete(T).where(T.c.resets_at <= _when("now", real_now())))\
                .rowcount
