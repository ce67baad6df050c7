"""The limiter's counters in SQL, as a `limits` storage: one row per fixed window, incremented
by one atomic upsert (INSERT ... ON CONFLICT DO UPDATE ... RETURNING), so concurrent hits from
any number of threads and processes are counted exactly. Time is real time (the windows are
about attackers, not about the sandbox clock)."""

from __future__ import annotations

import logging
from datetime import datetime, timedelta
from typing import cast

from limits.storage import Storage
from sqlalchemy import Engine, Table, bindparam, case, delete, func, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.exc import SQLAlchemyError

from sparkcodes.kit.clock import real_now
from sparkcodes.kit.types import UTCDateTime
from sparkcodes.models import RateLimitCounter

log = logging.getLogger("sparkcodes.throttle")
T = cast(Table, RateLimitCounter.__table__)


def _when(name: str, value: datetime):  # type: ignore[no-untyped-def]
    return bindparam(name, value, type_=UTCDateTime())


class SqlStorage(Storage):
    """Counters in the ``rate_limit_counters`` table of ``engine`` (made if missing)."""

    STORAGE_SCHEME = None

    def __init__(self, engine: Engine) -> None:
        super().__init__(None, wrap_exceptions=True)
        self.engine = engine
        try:
            T.create(engine, checkfirst=True)
        except SQLAlchemyError:
            # Another process made it meanwhile, or the store is down: hits will tell (503).
            log.warning("could not make sure rate_limit_counters exists", exc_info=True)

    @property
    def base_exceptions(self) -> type[Exception] | tuple[type[Exception], ...]:
        return SQLAlchemyError

    def incr(self, key: str, expiry: int, amount: int = 1) -> int:
        now = real_now()
        insert = (postgresql.insert(T) if self.engine.dialect.name == "postgresql"
                  else sqlite.insert(T))
        ended = T.c.resets_at <= _when("now", now)
        statement = insert.values(key=key, hits=amount,
                                  resets_at=now + timedelta(seconds=expiry)).on_conflict_do_update(
            index_elements=[T.c.key],
            set_={"hits": case((ended, amount), else_=T.c.hits + amount),
                  "resets_at": case((ended, _when("next", now + timedelta(seconds=expiry))),
                                    else_=T.c.resets_at)},
        ).returning(T.c.hits)
        with self.engine.begin() as conn:
            return int(conn.execute(statement).scalar_one())

    def decr(self, key: str, amount: int = 1) -> int:
        """Give back ``amount`` hits of a window still running (never below zero)."""
        now = real_now()
        with self.engine.begin() as conn:
            hits = conn.execute(
                update(T).where(T.c.key == key, T.c.resets_at > _when("now", now))
                .values(hits=func.max(T.c.hits - amount, 0)
                        if self.engine.dialect.name == "sqlite"
                        else func.greatest(T.c.hits - amount, 0))
                .returning(T.c.hits)).scalar()
        return int(hits or 0)

    def get(self, key: str) -> int:
        with self.engine.connect() as conn:
            hits = conn.execute(select(T.c.hits).where(
                T.c.key == key, T.c.resets_at > _when("now", real_now()))).scalar()
        return int(hits or 0)

    def get_expiry(self, key: str) -> float:
        now = real_now()
        with self.engine.connect() as conn:
            resets_at = conn.execute(select(T.c.resets_at).where(
                T.c.key == key, T.c.resets_at > _when("now", now))).scalar()
        return (resets_at or now).timestamp()

    def check(self) -> bool:
        try:
            with self.engine.connect() as conn:
                conn.execute(select(1))
        except SQLAlchemyError:
            return False
        return True

    def reset(self) -> int | None:
        with self.engine.begin() as conn:
            return conn.execute(delete(T)).rowcount

    def clear(self, key: str) -> None:
        with self.engine.begin() as conn:
            conn.execute(delete(T).where(T.c.key == key))

    def sweep(self) -> int:
        """Delete windows that ended (housekeeping; an ended window counts as zero anyway)."""
        with self.engine.begin() as conn:
            return conn.execute(delete(T).where(T.c.resets_at <= _when("now", real_now())))\
                .rowcount
