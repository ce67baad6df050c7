"""Limit/offset paging shared by list routes."""

from __future__ import annotations

from typing import Generic, TypeVar

from fastapi import Query
from pydantic import BaseModel

T = TypeVar("T")


class Page(BaseModel):
    limit: int
    offset: int

    @classmethod
    def dep(
        cls,
        limit: int = Query(50, ge=1, le=500, description="How many items at most"),
        offset: int = Query(0, ge=0, le=1_000_000_000, description="How many items to skip"),
    ) -> Page:
        return cls(limit=limit, offset=offset)


class Paged(BaseModel, Generic[T]):
    items: list[T]
    total: int
    limit: int
    offset: int
