"""Rate limits on failed code look-ups (R15), shared across processes through Redis when set."""

from __future__ import annotations

from limits import RateLimitItem, parse
from limits.storage import storage_from_string
from limits.strategies import MovingWindowRateLimiter


class FailureLimiter:
    """Counts failures per key; a key over its limit is refused until the window moves on."""

    def __init__(self, limit: str, storage_url: str | None) -> None:
        self.item: RateLimitItem = parse(limit)
        self.storage = storage_from_string(storage_url or "memory://")
        self.limiter = MovingWindowRateLimiter(self.storage)

    def allowed(self, *keys: str) -> bool:
        return all(self.limiter.test(self.item, "failed-lookups", key) for key in keys)

    def fail(self, *keys: str) -> bool:
        """Count one failure against every key; False once any of them is over its limit."""
        return all([self.limiter.hit(self.item, "failed-lookups", key) for key in keys])

    def reset(self) -> None:
        self.storage.reset()
