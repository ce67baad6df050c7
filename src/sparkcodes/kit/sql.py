"""Typed helpers for SQLAlchemy results, and aliases safe to share between threads."""

from __future__ import annotations

from typing import Any, TypeVar, cast

from sqlalchemy import CursorResult, Result, inspect
from sqlalchemy.orm import aliased

_O = TypeVar("_O")


def rowcount(result: Result[Any]) -> int:
    """Rows an UPDATE or DELETE changed: how a conditional write says whether it won.

    ``Session.execute`` is typed as returning ``Result``, but for a DML statement it returns a
    ``CursorResult``, the class that carries ``rowcount``.
    """
    return cast("CursorResult[Any]", result).rowcount


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
