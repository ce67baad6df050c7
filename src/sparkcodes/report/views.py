"""Pages: reports with paid and organic engagement over time."""

from __future__ import annotations

from fastapi import APIRouter

router = APIRouter(tags=["pages"])
