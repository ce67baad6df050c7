"""Typed helpers for SQLAlchemy results, and aliases safe to share between threads."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any, TypeVar, cast

from sqlalchemy import (
    ARRAY,
    ClauseElement,
    ColumnElement,
    CursorResult,
    Result,
    TextClause,
    any_,
    bindparam,
    inspect,
    select,
    text,
)
from sqlalchemy.dialects.postgresql.base import PGDialect
from sqlalchemy.dialects.sqlite.base import SQLiteDialect
from sqlalchemy.orm import QueryableAttribute, Session, aliased
from sqlalchemy.orm.util import identity_key
from sqlalchemy.sql.compiler import Compiled
from sqlalchemy.types import TypeEngine

_O = TypeVar("_O")
_V = TypeVar("_V")


def rowcount(result: Result[Any]) -> int:
    """Rows an UPDATE or DELETE changed: how a conditional write says whether it won.

    ``Session.execute`` is typed as returning ``Result``, but for a DML statement it returns a
    ``CursorResult``, the class that carries ``rowcount``.
    """
    return cast("CursorResult[Any]", result).rowcount


def compiled_once(statement: ClauseElement, dialect: str,
                  parameters: dict[str, TypeEngine[Any]]) -> TextClause:
    """``statement`` as the SQL it compiles to on ``dialect``, for statements SQLAlchemy cannot
    cache: a multi-row VALUES has no cache key, so it is compiled again on every execution
    (a third of a code preview's CPU went to compiling the limiter's two upserts). The text is
    compiled once; executing it binds ``parameters`` (name: type, so their values are converted
    as the statement's own would be) and the literals the statement holds, and compiles nothing
    more. ``dialect`` is 'postgresql' or 'sqlite'."""
    # The drivers' own dialects may write casts after parameters (":k0::VARCHAR"), which text()
    # would not read as parameters: compile for the plain dialects, then let the driver's
    # dialect cast the typed parameters as it does for any statement.
    named = (PGDialect(paramstyle="named") if dialect == "postgresql"
             else SQLiteDialect(paramstyle="named"))
    compiled: Compiled = statement.compile(dialect=named)
    literals = {name: value for name, value in compiled.params.items() if name not in parameters}
    missing = set(parameters) - set(compiled.params)
    if missing:
        raise ValueError(f"the statement has no parameter {sorted(missing)}")
    return text(compiled.string).bindparams(
        *(bindparam(name, type_=type_) for name, type_ in parameters.items()),
        *(bindparam(name, value) for name, value in literals.items()))


def among(session: Session, column: ColumnElement[_V] | QueryableAttribute[_V],
          values: Iterable[_V]) -> ColumnElement[bool]:
    """``column IN values``, on PostgreSQL as ``column = ANY(:values)``: one array parameter.

    An IN list is one bound parameter per value, and a statement with more than 50 of them
    (or longer than 4 KiB) is one psycopg does not cache: it parses it again in Python on every
    execution, and SQLAlchemy expands the list into the SQL each time. For a sweep's 900 ads that
    parse cost more than the queries did. With one array the statement is the same whatever
    the number of values, compiled and parsed once. SQLite keeps the IN list (its driver does
    not parse the SQL).
    """
    wanted = list(values)
    element = (column.__clause_element__() if isinstance(column, QueryableAttribute)
               else column)
    if session.get_bind().dialect.name == "postgresql":
        return element == any_(bindparam(None, wanted, type_=ARRAY(element.type)))
    return element.in_(wanted)


_M = TypeVar("_M")


def by_ids(session: Session, model: type[_M], ids: Iterable[str | None]) -> dict[str, _M]:
    """The rows of ``model`` with these ids (None and unknown ids skipped), by id, in at most one
    statement: rows this session already holds, loaded and not expired, are taken from its
    identity map, and only the others are read.

    A SELECT of a row the session holds returns that same object without changing it, so the
    result is what one SELECT of every id would give; it costs only what is missing (the
    tracker's rows hold the Spark posts, posts, creators, codes and accounts their ads' delivery
    status then asks for again)."""
    wanted = {i for i in ids if i}
    out: dict[str, _M] = {}
    for ident in wanted:
        held = session.identity_map.get(identity_key(model, ident))
        if held is not None and not inspect(held).expired_attributes \
                and held not in session.deleted:
            out[ident] = held
    missing = wanted - out.keys()
    if missing:
        mapper = inspect(model)
        key = mapper.primary_key[0]
        name = mapper.get_property_by_column(key).key
        out.update({getattr(row, name): row
                    for row in session.scalars(select(model).where(among(session, key, missing)))})
    return out


def shared_alias(entity: type[_O], name: str | None = None) -> type[_O]:
    """``aliased(entity)`` for a module-level alias that request threads share, its column
    collection built now, at import, while one thread runs.

    An alias builds its ``.c`` collection on first use, and on CPython with the GIL that is not
    atomic (SQLAlchemy guards it with a lock only on free-threaded builds): two threads using a
    fresh alias at once can each build their own column objects. One thread's set ends up in the
    alias's column adapter, the other's in the compiled statement the engine caches, and every
    row of that query then fails with ``NoSuchColumnError: Could not locate column in row for
    column 'Anonymous alias of posts.id'``, for as long as the cache entry lives: freshly started
    API processes whose first requests were simultaneous binds answered them, sometimes every
    bind for the rest of their life, with HTTP 500.
    """
    alias = aliased(entity, name=name)
    inspect(alias).selectable.c  # noqa: B018 - built for its side effect
    return alias
