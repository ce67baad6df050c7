"""Every /open_api path the surface does not serve: 40008 in the envelope, never a 404 page."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse

from sparkcodes.compat.tiktok import codes
from sparkcodes.compat.tiktok.envelope import TikTokError, refused
from sparkcodes.compat.tiktok.routing import PREFIX, TikTokRoute

METHODS = ["GET", "POST", "PUT", "PATCH", "DELETE"]


def build(routers: list[APIRouter]) -> APIRouter:
    """The catch-all, knowing which paths and methods the surface's ``routers`` serve."""
    served: dict[str, set[str]] = {}
    for router_ in routers:
        for route in router_.routes:
            if isinstance(route, TikTokRoute):
                served.setdefault(route.path, set()).update(route.methods or ())
    router = APIRouter()

    @router.api_route("/open_api/{path:path}", methods=METHODS, include_in_schema=False)
    async def not_served(path: str, request: Request) -> JSONResponse:
        full = "/open_api/" + path
        if full in served:
            allowed = " or ".join(sorted(served[full]))
            return refused(TikTokError(codes.PARAM_ERROR,
                                       f"{full} is called with {allowed}, not {request.method}."))
        if full + "/" in served:
            # TikTok answers a path without its trailing slash with HTTP 404 (§1).
            return refused(TikTokError(codes.NOT_SUPPORTED,
                                       f"No such path: TikTok's paths end with '/'; call "
                                       f"{full}/."), status=404)
        if not full.startswith(PREFIX + "/"):
            return refused(TikTokError(codes.NOT_SUPPORTED,
                                       f"Only API version v1.3 is served ({PREFIX}/…)."))
        return refused(TikTokError(codes.NOT_SUPPORTED,
                                   f"{full} is not supported by this server: it serves the Spark "
                                   "Ads endpoints of TikTok's Business API (see docs/tiktok.md)."))

    return router
