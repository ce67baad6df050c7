"""TikTok's QPS limits (§8): per app (40100) and per advertiser and path (40133), counted in
Redis when configured so every process shares them, in memory otherwise. A Redis that cannot be
reached refuses the call (50002) rather than letting it through or failing with 50000."""

from __future__ import annotations

import logging

from limits import RateLimitItemPerSecond
from limits.errors import StorageError
from limits.storage import storage_from_string
from limits.strategies import FixedWindowRateLimiter

from sparkcodes.compat.tiktok.codes import ADVERTISER_QPS, APP_QPS, PROCESSING_ERROR
from sparkcodes.compat.tiktok.envelope import TikTokError

log = logging.getLogger("sparkcodes.tiktok")
REDIS_TIMEOUT_SECONDS = 2.0
STORE_DOWN = ("Requests are temporarily restricted: the store that counts the QPS limit cannot "
              "be reached. Retry in a minute.")


class Throttle:
    def __init__(self, *, app_qps: int, advertiser_qps: int, storage_url: str | None) -> None:
        self.app_item = RateLimitItemPerSecond(app_qps)
        self.advertiser_item = RateLimitItemPerSecond(advertiser_qps)
        options = ({"socket_connect_timeout": REDIS_TIMEOUT_SECONDS,
                    "socket_timeout": REDIS_TIMEOUT_SECONDS} if storage_url else {})
        self.storage = storage_from_string(storage_url or "memory://", wrap_exceptions=True,
                                           **options)
        self.limiter = FixedWindowRateLimiter(self.storage)

    def _hit(self, item: RateLimitItemPerSecond, *ids: str) -> bool:
        try:
            return self.limiter.hit(item, *ids)
        except StorageError as exc:
            log.error("the QPS limit's store cannot be reached (%s): refusing the call", exc)
            raise TikTokError(PROCESSING_ERROR, STORE_DOWN) from None

    def app(self, app_key: str) -> None:
        if not self._hit(self.app_item, "tiktok-app", app_key):
            raise TikTokError(APP_QPS, "App reaches the QPS limit. Requests from this app are "
                              f"limited to {self.app_item.amount} per second; retry in the "
                              "next second.")

    def advertiser(self, advertiser_id: str, path: str) -> None:
        if not self._hit(self.advertiser_item, "tiktok-advertiser", advertiser_id, path):
            limit = self.advertiser_item.amount
            raise TikTokError(ADVERTISER_QPS, f"Advertiser ({advertiser_id})'s QPS ({limit + 1}) "
                              f"reaches QPS limit {limit} for current path, request is "
                              "temporarily restricted.")

    def reset(self) -> None:
        self.storage.reset()
