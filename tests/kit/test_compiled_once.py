"""kit.sql.compiled_once: a statement SQLAlchemy cannot cache (a multi-row VALUES upsert) runs
from text compiled once, binds its typed parameters and its literals as the statement would,
and is not compiled again on later executions."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import Column, Integer, MetaData, String, Table, bindparam, case, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine.default import DefaultExecutionContext

from sparkcodes.kit.sql import compiled_once
from sparkcodes.kit.types import UTCDateTime

WHEN = datetime(2026, 3, 1, 9, 30, 15, 123456, tzinfo=UTC)


@pytest.fixture
def table(engine):  # type: ignore[no-untyped-def]
    meta = MetaData()
    t = Table("compiled_once_probe", meta, Column("key", String(20), primary_key=True),
              Column("hits", Integer, nullable=False), Column("at", UTCDateTime(), nullable=False))
    meta.drop_all(engine)
    meta.create_all(engine)
    yield t
    meta.drop_all(engine)


def _upsert(dialect: str, t: Table, n: int):  # type: ignore[no-untyped-def]
    """One hit for each of n keys; a row seen before ``b_now`` starts again at 1."""
    insert = (postgresql.insert(t) if dialect == "postgresql" else sqlite.insert(t)).values([
        {"key": bindparam(f"k{i}", type_=String()), "hits": 1,
         "at": bindparam(f"a{i}", type_=UTCDateTime())} for i in range(n)])
    stale = t.c.at < bindparam("b_now", type_=UTCDateTime())
    return insert.on_conflict_do_update(
        index_elements=[t.c.key],
        set_={"hits": case((stale, 1), else_=t.c.hits + 1), "at": insert.excluded.at},
    ).returning(t.c.key, t.c.hits)


def test_a_multi_row_upsert_runs_from_text_compiled_once(engine, table) -> None:  # type: ignore[no-untyped-def]
    dialect = engine.dialect.name
    assert _upsert(dialect, table, 2)._generate_cache_key() is None  # why the helper exists
    stmt = compiled_once(_upsert(dialect, table, 2), dialect, {
        "b_now": UTCDateTime(), "k0": String(), "k1": String(), "a0": UTCDateTime(),
        "a1": UTCDateTime()})
    params = {"b_now": WHEN - timedelta(days=1), "k0": "alpha", "k1": "beta",
              "a0": WHEN, "a1": WHEN + timedelta(hours=1)}
    runs = []
    with engine.begin() as conn:
        for _ in range(3):
            result = conn.execute(stmt, params)
            runs.append(dict(result.all()))
            context = result.context
            assert isinstance(context, DefaultExecutionContext)
        assert context.cache_hit == context.dialect.CACHE_HIT
        rows = conn.execute(select(table).order_by(table.c.key)).all()
        # A later b_now: every row was seen before it, so each starts again.
        fresh = dict(conn.execute(stmt, {**params, "b_now": WHEN + timedelta(days=1)}).all())
    assert runs == [{"alpha": 1, "beta": 1}, {"alpha": 2, "beta": 2}, {"alpha": 3, "beta": 3}]
    assert [tuple(r) for r in rows] == [("alpha", 3, WHEN), ("beta", 3, WHEN + timedelta(hours=1))]
    assert fresh == {"alpha": 1, "beta": 1}


def test_a_parameter_the_statement_lacks_is_refused(engine, table) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(ValueError, match=r"the statement has no parameter \['k7'\]"):
        compiled_once(_upsert(engine.dialect.name, table, 1), engine.dialect.name,
                      {"b_now": UTCDateTime(), "k0": String(), "a0": UTCDateTime(),
                       "k7": String()})
