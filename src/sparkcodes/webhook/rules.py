"""Pure decisions about webhook endpoints and deliveries (R32): no session, no I/O.

Signing follows the Standard Webhooks specification: the receiver gets ``webhook-id`` (the
message id, stable across retries so it can de-duplicate), ``webhook-timestamp`` (Unix seconds)
and ``webhook-signature`` (``v1,<base64 HMAC-SHA256 of "id.timestamp.body">``).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import datetime, timedelta
from urllib.parse import urlsplit

from standardwebhooks.webhooks import Webhook

from sparkcodes import errors

SECRET_PREFIX = "whsec_"
SECRET_BYTES = 24
USER_AGENT = "sparkcodes-webhooks/1"
TEST_EVENT = "webhook.test"
# An endpoint whose deliveries have failed this long, through a whole retry schedule, is disabled.
DISABLE_AFTER = timedelta(days=3)
MAX_URL = 2000
MAX_ERROR = 1000


class InvalidWebhookUrl(errors.InvalidInput):
    code = "invalid_webhook_url"


class UnknownEventType(errors.InvalidInput):
    code = "unknown_event_type"


class EndpointDisabled(errors.Conflict):
    code = "webhook_endpoint_disabled"
    message = "This endpoint is disabled; re-enable it first (PATCH with enabled: true)."


def check_url(url: str) -> str:
    """An absolute http(s) URL with a host; raises InvalidWebhookUrl."""
    url = url.strip()
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise InvalidWebhookUrl("Give an absolute http:// or https:// URL, e.g. "
                                "https://example.com/hooks/sparkcodes.")
    if len(url) > MAX_URL:
        raise InvalidWebhookUrl(f"The URL is longer than {MAX_URL} characters.")
    if parts.username or parts.password:
        raise InvalidWebhookUrl("Leave credentials out of the URL: every delivery is signed, "
                                "verify the signature instead.")
    return url


def check_event_types(event_types: Iterable[str] | None, known: Iterable[str]) -> list[str]:
    """The subscription, sorted and de-duplicated; empty means every event. Raises
    UnknownEventType naming the first type not in the catalog."""
    known = set(known)
    chosen = sorted({t.strip() for t in (event_types or [])})
    unknown = [t for t in chosen if t not in known]
    if unknown:
        raise UnknownEventType(f"Unknown event type {unknown[0]!r}; see docs/events.md for the "
                               "catalog.", details={"unknown": unknown})
    return chosen


def subscribed(event_types: Sequence[str], event_type: str) -> bool:
    """An empty subscription receives every event."""
    return not event_types or event_type in event_types


def endpoint_status(*, deleted_at: datetime | None, disabled_at: datetime | None,
                    failing_since: datetime | None) -> str:
    """deleted, disabled, failing (still delivering, with retries pending) or enabled."""
    if deleted_at is not None:
        return "deleted"
    if disabled_at is not None:
        return "disabled"
    return "failing" if failing_since is not None else "enabled"


def delivery_status(*, delivered_at: datetime | None, failed_at: datetime | None) -> str:
    if delivered_at is not None:
        return "delivered"
    return "failed" if failed_at is not None else "pending"


def is_success(status: int | None) -> bool:
    return status is not None and 200 <= status < 300


def next_attempt_after(attempts: int, schedule: Sequence[int]) -> timedelta | None:
    """After the ``attempts``-th failed attempt, wait ``schedule[attempts-1]`` seconds; None once
    the schedule is exhausted (the delivery has failed for good)."""
    if attempts < 1 or attempts > len(schedule):
        return None
    return timedelta(seconds=schedule[attempts - 1])


def should_disable(*, failing_since: datetime | None, now: datetime,
                   after: timedelta = DISABLE_AFTER) -> bool:
    """Disable only an endpoint that has been failing continuously for ``after``."""
    return failing_since is not None and now - failing_since >= after


def error_text(*, status: int | None, body: str = "", exception: str | None = None) -> str:
    """What the delivery log shows for a failed attempt, bounded in size."""
    if exception is not None:
        text = exception
    else:
        snippet = " ".join(body.split())[:300]
        text = f"HTTP {status}" + (f": {snippet}" if snippet else "")
    return text[:MAX_ERROR]


def signed_headers(*, secret: str, message_id: str, timestamp: datetime,
                   body: str) -> dict[str, str]:
    """The Standard Webhooks headers (and content type, user agent) for one attempt."""
    signature = Webhook(secret).sign(msg_id=message_id, timestamp=timestamp, data=body)
    return {
        "webhook-id": message_id,
        "webhook-timestamp": str(int(timestamp.timestamp())),
        "webhook-signature": signature,
        "content-type": "application/json",
        "user-agent": USER_AGENT,
    }
