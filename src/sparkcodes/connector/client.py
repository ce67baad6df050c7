"""Calls to TikTok's Business API v1.3 (or any server speaking it): ``httpx`` for the wire,
``tenacity`` for retries, ``limits`` for the per-app and per-advertiser budget.

Retried, with exponential backoff and jitter and a bounded number of attempts: TikTok's throttle
and transient codes (40100, 40133, 40016, 50002), timeouts, transport errors and HTTP 5xx, and a
call over this process's own budget. Not retried: 40102/40105 (the token is gone; the caller
marks the connection) and every other refusal. No secret is ever logged: not by this module, and
not by httpx, whose request log has its query string's secrets masked.
"""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

import httpx
from limits import RateLimitItemPerSecond
from limits.storage import storage_from_string
from limits.strategies import FixedWindowRateLimiter
from tenacity import (
    RetryCallState,
    Retrying,
    retry_if_exception,
    stop_after_attempt,
    wait_exponential,
    wait_random,
)

from sparkcodes.config import Connector
from sparkcodes.connector import rules

log = logging.getLogger("sparkcodes.connector")

RETRYABLE_KINDS = frozenset({"retry", "unreachable", "budget"})
_SECRET_PARAM = re.compile(r"((?:secret|access_token|auth_code|app_secret)=)[^&\s'\"]*", re.I)


class _MaskSecrets(logging.Filter):
    """Masks secrets in query strings of httpx's "HTTP Request: GET …" lines."""

    def filter(self, record: logging.LogRecord) -> bool:
        if record.args:
            record.msg = record.getMessage()
            record.args = None
        record.msg = _SECRET_PARAM.sub(r"\1***", str(record.msg))
        return True


_mask = _MaskSecrets()
for _name in ("httpx", "httpcore"):
    if _mask not in logging.getLogger(_name).filters:
        logging.getLogger(_name).addFilter(_mask)


class TikTokCallError(Exception):
    """A call that did not succeed. ``kind``: retry (throttled or transient, attempts spent),
    unreachable (no answer, or not TikTok's envelope), budget (this process's own budget, attempts
    spent), revoked (the token), gone (no such advertiser, or not the token's), refused."""

    def __init__(self, kind: str, code: int | None, message: str) -> None:
        super().__init__(rules.failure_words(kind, code, message))
        self.kind = kind
        self.code = code
        self.message = message


class Budget:
    """Calls per second per app and per advertiser, counted in Redis when configured (every
    process shares it), in this process's memory otherwise."""

    def __init__(self, *, app_qps: int, advertiser_qps: int, storage_url: str | None) -> None:
        self.app_item = RateLimitItemPerSecond(app_qps)
        self.advertiser_item = RateLimitItemPerSecond(advertiser_qps)
        self.storage = storage_from_string(storage_url or "memory://")
        self.limiter = FixedWindowRateLimiter(self.storage)

    def take(self, app_key: str, advertiser_id: str | None) -> bool:
        if not self.limiter.test(self.app_item, "connector-app", app_key):
            return False
        if advertiser_id is not None and not self.limiter.test(
                self.advertiser_item, "connector-advertiser", advertiser_id):
            return False
        self.limiter.hit(self.app_item, "connector-app", app_key)
        if advertiser_id is not None:
            self.limiter.hit(self.advertiser_item, "connector-advertiser", advertiser_id)
        return True

    def reset(self) -> None:
        self.storage.reset()


@lru_cache
def budget(app_qps: int, advertiser_qps: int, storage_url: str | None) -> Budget:
    """The process's one budget for these limits (one per configuration)."""
    return Budget(app_qps=app_qps, advertiser_qps=advertiser_qps, storage_url=storage_url)


def _retryable(exc: BaseException) -> bool:
    return isinstance(exc, TikTokCallError) and exc.kind in RETRYABLE_KINDS


def _before_sleep(state: RetryCallState) -> None:
    exc = state.outcome.exception() if state.outcome else None
    if isinstance(exc, TikTokCallError):
        log.info("TikTok call retried (attempt %d): %s %s", state.attempt_number, exc.kind,
                 exc.code)


@dataclass
class TikTokClient:
    """One connection's calls: its base URL, its app's key in the budget, its settings."""

    base_url: str
    app_key: str
    settings: Connector
    budget: Budget
    transport: httpx.BaseTransport | None = None
    calls: int = 0  # requests sent (retries included), for the sync run's record

    def get(self, path: str, *, access_token: str | None = None,
            params: dict[str, Any] | None = None,
            advertiser_id: str | None = None) -> dict[str, Any]:
        return self._call("GET", path, access_token=access_token, params=params,
                          advertiser_id=advertiser_id)

    def post(self, path: str, *, access_token: str | None = None,
             body: dict[str, Any] | None = None,
             advertiser_id: str | None = None) -> dict[str, Any]:
        return self._call("POST", path, access_token=access_token, body=body,
                          advertiser_id=advertiser_id)

    def _call(self, method: str, path: str, **kwargs: Any) -> dict[str, Any]:
        """``data`` of TikTok's envelope; TikTokCallError when the call did not succeed."""
        retrying = Retrying(
            retry=retry_if_exception(_retryable),
            wait=wait_exponential(multiplier=self.settings.backoff_initial_seconds,
                                  max=self.settings.backoff_max_seconds)
            + wait_random(0, self.settings.backoff_initial_seconds),
            stop=stop_after_attempt(self.settings.max_attempts),
            before_sleep=_before_sleep,
            reraise=True)
        with httpx.Client(base_url=self.base_url, timeout=self.settings.timeout_seconds,
                          transport=self.transport, follow_redirects=False) as http:
            return retrying(self._once, http, method, path, **kwargs)

    def _once(self, http: httpx.Client, method: str, path: str, *,
              access_token: str | None = None, params: dict[str, Any] | None = None,
              body: dict[str, Any] | None = None,
              advertiser_id: str | None = None) -> dict[str, Any]:
        if not self.budget.take(self.app_key, advertiser_id):
            raise TikTokCallError("budget", None, "This connection's call budget is spent for "
                                                  "this second.")
        self.calls += 1
        headers = {"Access-Token": access_token} if access_token else {}
        url = f"{rules.API_PREFIX}/{path.strip('/')}/"
        try:
            response = http.request(method, url, headers=headers, params=params, json=body)
        except httpx.TimeoutException:
            raise TikTokCallError("unreachable", None, "TikTok did not answer in time.") from None
        except httpx.TransportError as exc:
            raise TikTokCallError("unreachable", None,
                                  f"TikTok could not be reached ({type(exc).__name__}).") from None
        if rules.retryable_http(response.status_code):
            raise TikTokCallError("unreachable", None,
                                  f"TikTok answered HTTP {response.status_code}.")
        try:
            envelope = response.json()
            code = int(envelope["code"])
        except (ValueError, KeyError, TypeError):
            raise TikTokCallError("refused", None,
                                  f"The base URL did not answer as TikTok's API does (HTTP "
                                  f"{response.status_code}, not its JSON envelope).") from None
        message = str(envelope.get("message") or "")[:400]
        verdict = rules.verdict(code)
        if verdict != "ok":
            raise TikTokCallError(verdict, code, message)
        data = envelope.get("data")
        return data if isinstance(data, dict) else {}
