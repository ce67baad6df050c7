"""Pages: webhook endpoints and their delivery log."""

from __future__ import annotations

from fastapi import APIRouter

router = APIRouter(tags=["pages"])
