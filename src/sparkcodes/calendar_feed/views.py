"""Pages: a month view of code expiries, and iCalendar subscribe links."""

from __future__ import annotations

from fastapi import APIRouter

router = APIRouter(tags=["pages"])
