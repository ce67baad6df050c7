"""TikTok's QPS limits (§8): per app (40100) and per advertiser and path (40133), counted in
Redis when configured so every process shares them, in memory otherwise."""

from __future__ import annotations

from limits import RateLimitItemPerSecond
from limits.storage import storage_from_string
from limits.strategies import FixedWindowRateLimiter

from sparkcodes.compat.tiktok.codes import ADVERTISER_QPS, APP_QPS
from sparkcodes.compat.tiktok.envelope import TikTokError


class Throttle:
    def __init__(self, *, app_qps: int, advertiser_qps: int, storage_url: str | None) -> None:
        self.app_item = RateLimitItemPerSecond(app_qps)
        self.advertiser_item = RateLimitItemPerSecond(advertiser_qps)
        self.storage = storage_from_string(storage_url or "memory://")
        self.limiter = FixedWindowRateLimiter(self.storage)

    def app(self, app_key: str) -> None:
        if not self.limiter.hit(self.app_item, "tiktok-app", app_key):
            raise TikTokError(APP_QPS, "App reaches the QPS limit. Requests from this app are "
                              f"limited to {self.app_item.amount} per second; retry in the "
                              "next second.")

    def advertiser(self, advertiser_id: str, path: str) -> None:
        if not self.limiter.hit(self.advertiser_item, "tiktok-advertiser", advertiser_id, path):
            limit = self.advertiser_item.amount
            raise TikTokError(ADVERTISER_QPS, f"Advertiser ({advertiser_id})'s QPS ({limit + 1}) "
                              f"reaches QPS limit {limit} for current path, request is "
                              "temporarily restricted.")

    def reset(self) -> None:
        self.storage.reset()
