"""Pure decisions about webhook endpoints and deliveries (R32): no session, no I/O.

Signing follows the Standard Webhooks specification: the receiver gets ``webhook-id`` (the
message id, stable across retries so it can de-duplicate), ``webhook-timestamp`` (Unix seconds)
and ``webhook-signature`` (``v1,<base64 HMAC-SHA256 of "id.timestamp.body">``).

Rotating a secret keeps the previous one valid for an overlap window: meanwhile the header carries
both signatures, new first (``v1,<new> v1,<old>``), which the specification allows precisely so a
receiver still holding the old secret keeps verifying until its configuration changes.
"""

from __future__ import annotations

import ipaddress
import re
import socket
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from urllib.parse import urlsplit

from standardwebhooks.webhooks import Webhook

from sparkcodes import errors
from sparkcodes.kit import limits
from sparkcodes.kit.text import refuse_control

SECRET_PREFIX = "whsec_"
SECRET_BYTES = 24
USER_AGENT = "sparkcodes-webhooks/1"
TEST_EVENT = "webhook.test"
# An endpoint whose deliveries have failed this long, through a whole retry schedule, is disabled.
DISABLE_AFTER = timedelta(days=3)
MAX_URL = limits.WEBHOOK_URL
MAX_ERROR = 1000
# After a rotation the previous secret also signs for this long, unless the rotation says otherwise.
ROTATION_OVERLAP_HOURS = 24
MAX_ROTATION_OVERLAP_HOURS = 168  # a week


class InvalidWebhookUrl(errors.InvalidInput):
    code = "invalid_webhook_url"


class UnknownEventType(errors.InvalidInput):
    code = "unknown_event_type"


class WebhookUrlNotPublic(errors.InvalidInput):
    code = "webhook_url_not_public"


class InvalidRotationOverlap(errors.InvalidInput):
    code = "invalid_rotation_overlap"


class EndpointDisabled(errors.Conflict):
    code = "webhook_endpoint_disabled"
    message = "This endpoint is disabled; re-enable it first (PATCH with enabled: true)."


def check_url(url: str) -> str:
    """An absolute http(s) URL with a host; raises InvalidWebhookUrl, or InvalidInput
    (invalid_characters) for a line break or other control character, which urlsplit would
    silently drop while the URL kept it."""
    url = refuse_control(url.strip(), name="webhook URL")
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


# --- public addresses only (no SSRF) -----------------------------------------------------------

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
PUBLIC_ONLY = "Webhook URLs must reach the public internet"
_THIS_NETWORK = ipaddress.ip_network("0.0.0.0/8")
_SHARED = ipaddress.ip_network("100.64.0.0/10")  # carrier-grade NAT (RFC 6598): not is_private
_NAT64 = ipaddress.ip_network("64:ff9b::/96")  # well-known NAT64 prefix: an IPv4 address inside
_NUMERIC_HOST = re.compile(r"^[0-9a-fx.]+$", re.IGNORECASE)


def address_problem(ip: IPAddress) -> str | None:
    """Why a webhook may not be sent to ``ip`` ("a loopback address"...), or None if public.

    IPv6 addresses that carry an IPv4 address (mapped ::ffff:a.b.c.d, NAT64, 6to4) are judged by
    that IPv4 address, since that is where the packets end up.
    """
    if isinstance(ip, ipaddress.IPv6Address):
        embedded = ip.ipv4_mapped or ip.sixtofour
        if embedded is None and ip in _NAT64:
            embedded = ipaddress.IPv4Address(int(ip) & 0xFFFFFFFF)
        if embedded is not None:
            return address_problem(embedded)
    if ip.is_unspecified or ip in _THIS_NETWORK:
        return "an unspecified address"
    if ip.is_loopback:
        return "a loopback address"
    if ip.is_link_local:
        return "a link-local address"
    if ip in _SHARED:
        return "a shared (carrier-grade NAT) address"
    if ip.is_multicast:
        return "a multicast address"
    if ip.is_reserved:
        return "a reserved address"
    if ip.is_private:
        return "a private address"
    if not ip.is_global:
        return "a non-public address"
    return None


def ip_literal(host: str) -> IPAddress | None:
    """The address a host names without DNS: an IP literal (brackets and zone allowed) or the
    numeric shorthands resolvers accept (127.1, 0x7f.1, 2130706433); None for a name."""
    host = host.strip("[]")
    try:
        return ipaddress.ip_address(host)
    except ValueError:
        pass
    if _NUMERIC_HOST.match(host):
        try:
            return ipaddress.IPv4Address(socket.inet_aton(host))  # pure parsing, no lookup
        except OSError:
            return None
    return None


def _is_standard_literal(host: str) -> bool:
    try:
        ipaddress.ip_address(host.strip("[]"))
    except ValueError:
        return False
    return True


def is_local_name(host: str) -> bool:
    """``localhost`` and any name under it (RFC 6761), with or without the trailing dot."""
    host = host.lower().rstrip(".")
    return host == "localhost" or host.endswith(".localhost")


def check_public_url(url: str) -> None:
    """Refuse a URL whose host is, without any DNS lookup, a non-public address or localhost;
    raises WebhookUrlNotPublic. Names are checked again, resolved, at every delivery."""
    host = urlsplit(url.strip()).hostname or ""
    if is_local_name(host):
        raise WebhookUrlNotPublic(f"{PUBLIC_ONLY}; {host} is this server itself.")
    ip = ip_literal(host)
    problem = None if ip is None else address_problem(ip)
    if problem is not None:
        shown = host if _is_standard_literal(host) else f"{host} ({ip})"  # 127.1 (127.0.0.1)
        raise WebhookUrlNotPublic(f"{PUBLIC_ONLY}; {shown} is {problem}.")


def refusal(host: str, addresses: Sequence[IPAddress]) -> str | None:
    """The delivery log's text when any address ``host`` resolved to is not public, else None."""
    if not addresses:
        return f"refused: {host} resolves to no address"
    for ip in addresses:
        problem = address_problem(ip)
        if problem is None:
            continue
        if ip_literal(host) == ip:
            return f"refused: {host} is {problem}"
        return f"refused: {host} resolves to {ip}, {problem}"
    return None


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


@dataclass(frozen=True)
class AttemptStart:
    """The attempt about to go out: its number, and whether the one before it was cut off."""

    number: int
    interrupted: bool
    note: str | None  # what the log keeps of the cut-off attempt, until this one's outcome


def start_attempt(*, attempts: int, previous_started_at: datetime | None) -> AttemptStart:
    """An attempt is counted before its POST goes out. If the previous one is still marked as
    started, its worker stopped mid-request (killed, or lost its lease): it got no answer, and
    it counts as an attempt all the same."""
    if previous_started_at is None:
        return AttemptStart(attempts + 1, False, None)
    return AttemptStart(attempts + 1, True,
                        f"Attempt {attempts} (started {previous_started_at:%Y-%m-%d %H:%M:%S} UTC)"
                        " got no answer: the worker stopped mid-request.")


# How long past another worker's attempt's timeout its job looks again: by then that attempt has
# its outcome recorded, or its worker died mid-request.
IN_FLIGHT_GRACE = timedelta(seconds=30)


def check_back_after(timeout_seconds: float) -> timedelta:
    """When a job whose delivery another worker is attempting (a lease taken over) looks again.

    The job does not end there: the other worker may have lost its lease, and then its retry
    after a failure, or its finish, changes nothing. The delivery keeps a job until settled."""
    return timedelta(seconds=timeout_seconds) + IN_FLIGHT_GRACE


def wait_before_attempt(*, attempts: int, attempt_started_at: datetime | None,
                        last_attempt_at: datetime | None, schedule: Sequence[int],
                        now: datetime) -> timedelta | None:
    """How long until the next attempt is due on the retry schedule, or None: due now.

    The first attempt is due at once, and so is the one after an attempt cut off mid-request
    (still marked started). After a failed attempt the schedule's wait runs from when that
    attempt started; a job can come back sooner when another worker made the attempt (its own
    retry was dropped with its lease). Past the schedule's end the attempt is due: only an
    attempt's failure gives a delivery up."""
    if attempts < 1 or attempt_started_at is not None or last_attempt_at is None:
        return None
    wait = next_attempt_after(attempts, schedule)
    if wait is None or last_attempt_at + wait <= now:
        return None
    return last_attempt_at + wait - now


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


# --- secret rotation -----------------------------------------------------------------------------


def rotation_overlap(hours: int | None) -> timedelta:
    """How long the previous secret keeps signing after a rotation: ``hours`` (None: the default
    24), 0 meaning revoked at once. Raises InvalidRotationOverlap outside 0..168."""
    if hours is None:
        hours = ROTATION_OVERLAP_HOURS
    if isinstance(hours, bool) or not 0 <= hours <= MAX_ROTATION_OVERLAP_HOURS:
        raise InvalidRotationOverlap(
            f"overlap_hours must be a whole number of hours from 0 to "
            f"{MAX_ROTATION_OVERLAP_HOURS}: how long the old secret keeps signing (0 revokes it "
            "at once).", details={"overlap_hours": hours})
    return timedelta(hours=hours)


def previous_secret_expiry(*, overlap: timedelta, now: datetime) -> datetime | None:
    """When the secret a rotation at ``now`` replaces stops signing; None for a zero overlap (it
    is revoked at once). The rotation keeps only the secret it replaces, dropping any older one
    still in its window, so there are never more than two."""
    if overlap <= timedelta(0):
        return None
    return now + overlap


def previous_secret_valid_until(*, previous_secret: str | None, expires_at: datetime | None,
                                now: datetime) -> datetime | None:
    """When the previous secret stops signing, or None if it signs no more (or never did).
    Fails closed: a previous secret without an expiry does not sign."""
    if previous_secret is None or expires_at is None or now >= expires_at:
        return None
    return expires_at


def signing_secrets(*, secret: str, previous_secret: str | None,
                    previous_secret_expires_at: datetime | None, now: datetime) -> list[str]:
    """The secrets that sign an attempt made at ``now``: the current one first, then the previous
    one while its overlap window lasts."""
    valid_until = previous_secret_valid_until(previous_secret=previous_secret,
                                              expires_at=previous_secret_expires_at, now=now)
    if valid_until is None or previous_secret is None or previous_secret == secret:
        return [secret]
    return [secret, previous_secret]


def signed_headers(*, secret: str, message_id: str, timestamp: datetime, body: str,
                   previous_secret: str | None = None) -> dict[str, str]:
    """The Standard Webhooks headers (and content type, user agent) for one attempt; with a
    ``previous_secret``, the signature header carries both signatures, the current one first."""
    signature = " ".join(
        Webhook(s).sign(msg_id=message_id, timestamp=timestamp, data=body)
        for s in (secret, previous_secret) if s is not None)
    return {
        "webhook-id": message_id,
        "webhook-timestamp": str(int(timestamp.timestamp())),
        "webhook-signature": signature,
        "content-type": "application/json",
        "user-agent": USER_AGENT,
    }
