"""Pages: code requests, asked by a brand and answered by the creator."""

from __future__ import annotations

from fastapi import APIRouter

router = APIRouter(tags=["pages"])
