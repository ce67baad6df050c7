"""The TikTok Business API v1.3 surface under /open_api/v1.3: translation only. It parses
TikTok's request shapes, calls the services the JSON API calls and renders TikTok's response
shapes (docs/tiktok.md). No rule lives here."""

from __future__ import annotations

from fastapi import FastAPI

from sparkcodes.compat.tiktok.throttle import Throttle
from sparkcodes.config import Settings


def install(app: FastAPI, settings: Settings) -> None:
    from sparkcodes.compat.tiktok import fallback

    app.state.tiktok_throttle = Throttle(app_qps=settings.tiktok.app_qps,
                                         advertiser_qps=settings.tiktok.advertiser_qps,
                                         storage_url=settings.redis_url)
    for module in _modules():
        app.include_router(module.router)
    app.include_router(fallback.build(app))  # last: every other /open_api path


def _modules() -> list:  # type: ignore[type-arg]
    import importlib

    out = []
    for name in ("oauth", "advertiser", "tt_video", "identity", "campaign", "ad", "report"):
        try:
            out.append(importlib.import_module(f"sparkcodes.compat.tiktok.{name}"))
        except ModuleNotFoundError as exc:
            if exc.name != f"sparkcodes.compat.tiktok.{name}":
                raise
    return out
