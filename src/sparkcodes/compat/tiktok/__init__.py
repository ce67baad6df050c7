"""The TikTok Business API v1.3 surface under /open_api/v1.3: translation only. It parses
TikTok's request shapes, calls the services the JSON API calls and renders TikTok's response
shapes (docs/tiktok.md). No rule lives here."""

from __future__ import annotations

from fastapi import FastAPI
from fastapi.routing import APIRoute

from sparkcodes.compat.tiktok.throttle import Throttle
from sparkcodes.config import Settings


def install(app: FastAPI, settings: Settings) -> None:
    """Add the surface's routes and the catch-all that answers every other /open_api path."""
    from sparkcodes.compat.tiktok import (
        ad,
        advertiser,
        campaign,
        fallback,
        identity,
        oauth,
        report,
        tt_video,
    )

    app.state.tiktok_throttle = Throttle(app_qps=settings.tiktok.app_qps,
                                         advertiser_qps=settings.tiktok.advertiser_qps,
                                         storage_url=settings.redis_url)
    routers = [m.router for m in (oauth, advertiser, tt_video, identity, campaign, ad, report)]
    for router in routers:
        app.include_router(router)
    app.include_router(fallback.build(routers))
    if settings.sandbox:
        from sparkcodes.compat.tiktok import faults

        paths = frozenset(faults.scope_of(route.path) for r in routers for route in r.routes
                          if isinstance(route, APIRoute))
        faults.install(app, app.state.limiter.storage, paths)
