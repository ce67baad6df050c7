"""Pages: the business's creator roster and contracts."""

from __future__ import annotations

from fastapi import APIRouter

router = APIRouter(tags=["pages"])
