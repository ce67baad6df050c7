"""Pages: the business's tracker, filtered, with its CSV download."""

from __future__ import annotations

from fastapi import APIRouter

router = APIRouter(tags=["pages"])
