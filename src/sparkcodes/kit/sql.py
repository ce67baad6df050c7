"""Typed helpers for SQLAlchemy results."""

from __future__ import annotations

from typing import Any, cast

from sqlalchemy import CursorResult, Result


def rowcount(result: Result[Any]) -> int:
    """Rows an UPDATE or DELETE changed: how a conditional write says whether it won.

    ``Session.execute`` is typed as returning ``Result``, but for a DML statement it returns a
    ``CursorResult``, the class that carries ``rowcount``.
    """
    return cast("CursorResult[Any]", result).rowcount
