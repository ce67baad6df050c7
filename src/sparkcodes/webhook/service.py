"""Webhook endpoints (R32): managed by a business's admins, delivered at least once by the worker.

Events become rows in the business transaction (notification.service.emit); the job
"webhook.deliver" sends each delivery after commit, signs it per Standard Webhooks and retries on
settings.webhooks.retry_schedule_seconds. An endpoint failing through a whole schedule for three
days is disabled and the business told, once.
"""

from __future__ import annotations

import base64
import ipaddress
import json
import logging
import math
import secrets
import socket
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import httpx
from sqlalchemy.orm import Session

from sparkcodes import errors
from sparkcodes.audit import service as audit
from sparkcodes.business import service as business_service
from sparkcodes.config import Settings
from sparkcodes.kit import clock
from sparkcodes.kit.sealing import WEBHOOK_INFO, Sealer
from sparkcodes.models import (
    Business,
    User,
    WebhookDelivery,
    WebhookEndpoint,
    WebhookMessage,
    new_id,
)
from sparkcodes.notification import catalog
from sparkcodes.notification import service as notification
from sparkcodes.webhook import repository, rules
from sparkcodes.worker import service as jobs

log = logging.getLogger("sparkcodes.webhook")

DELIVER_JOB = "webhook.deliver"
DELIVER_MAX_ATTEMPTS = 50  # the retry schedule decides; this only bounds crashed attempts


def sealer(settings: Settings) -> Sealer:
    """Seals signing secrets under the current secret key; opens them under any configured one."""
    return Sealer(settings.secret_key, settings.previous_secret_keys, info=WEBHOOK_INFO)


def open_secret(box: Sealer, stored: str) -> str:
    """A stored signing secret in clear. Rows written before secrets were sealed hold the secret
    itself (``whsec_...``, which no sealed value starts with) until migration 0015 or
    ``sparkcodes rotate-keys`` seals them; they keep signing meanwhile."""
    if stored.startswith(rules.SECRET_PREFIX):
        return stored
    return box.open(stored)


def new_secret() -> str:
    """A Standard Webhooks secret: ``whsec_`` and the base64 of 24 random bytes."""
    return rules.SECRET_PREFIX + base64.b64encode(secrets.token_bytes(rules.SECRET_BYTES)).decode()


def _view(endpoint: WebhookEndpoint) -> dict[str, Any]:
    """What the audit log keeps of an endpoint (never the secret)."""
    return {"url": endpoint.url, "description": endpoint.description,
            "event_types": list(endpoint.event_types or []),
            "enabled": endpoint.disabled_at is None}


def access(session: Session, *, user: User, endpoint_id: str, action: str,
           include_deleted: bool = False) -> tuple[WebhookEndpoint, Business, str]:
    """The endpoint, its business and the user's role there, if that role allows ``action``.

    NotFound for an unknown or deleted endpoint and for non-members; Forbidden for a role too low.
    """
    endpoint = repository.get_endpoint(session, endpoint_id, include_deleted=include_deleted)
    if endpoint is None:
        raise errors.NotFound("No such webhook endpoint.")
    try:
        business, role = business_service.access(session, user=user,
                                                 business_id=endpoint.business_id, action=action)
    except errors.NotFound:
        raise errors.NotFound("No such webhook endpoint.") from None
    return endpoint, business, role


def _checked_url(url: str, *, allow_private_addresses: bool) -> str:
    url = rules.check_url(url)
    if not allow_private_addresses:
        rules.check_public_url(url)
    return url


def create(session: Session, *, settings: Settings, user: User, business: Business, url: str,
           description: str = "", event_types: list[str] | None = None,
           allow_private_addresses: bool = False) -> tuple[WebhookEndpoint, str]:
    """A new endpoint and its secret (returned this once; stored sealed). Raises
    InvalidWebhookUrl, WebhookUrlNotPublic (unless settings.webhooks.allow_private_addresses),
    UnknownEventType."""
    url = _checked_url(url, allow_private_addresses=allow_private_addresses)
    secret = new_secret()
    endpoint = WebhookEndpoint(
        business_id=business.id, url=url, description=description.strip(),
        secret=sealer(settings).seal(secret), created_by_id=user.id, created_at=clock.utc_now(),
        event_types=rules.check_event_types(event_types, catalog.EVENTS))
    repository.add(session, endpoint)
    audit.record(session, actor_id=user.id, action="webhook_endpoint.created",
                 target_type="webhook_endpoint", target_id=endpoint.id,
                 business_id=business.id, after=_view(endpoint))
    return endpoint, secret


def update(session: Session, *, user: User, endpoint: WebhookEndpoint, changes: dict[str, Any],
           allow_private_addresses: bool = False) -> WebhookEndpoint:
    """Change url, description, event_types; ``enabled`` true re-enables a disabled endpoint
    (its failing clock restarts), false disables it by hand. The URL is checked as in create."""
    before = _view(endpoint)
    now = clock.utc_now()
    if "url" in changes and changes["url"] is not None:
        url = _checked_url(changes["url"], allow_private_addresses=allow_private_addresses)
        if url != endpoint.url:
            endpoint.url = url
            endpoint.failing_since = None  # a new address earns a fresh start
    if "description" in changes:
        endpoint.description = (changes["description"] or "").strip()
    if "event_types" in changes:
        endpoint.event_types = rules.check_event_types(changes["event_types"], catalog.EVENTS)
    enabled = changes.get("enabled")
    if enabled is True and endpoint.disabled_at is not None:
        endpoint.disabled_at = None
        endpoint.disabled_reason = None
        endpoint.failing_since = None
    elif enabled is False and endpoint.disabled_at is None:
        endpoint.disabled_at = now
        endpoint.disabled_reason = "Disabled by an admin."
    repository.add(session, endpoint)
    after = _view(endpoint)
    if after != before:
        audit.record(session, actor_id=user.id, action="webhook_endpoint.updated",
                     target_type="webhook_endpoint", target_id=endpoint.id,
                     business_id=endpoint.business_id, before=before, after=after)
    return endpoint


def delete(session: Session, *, user: User, endpoint: WebhookEndpoint) -> None:
    """Stop delivering to an endpoint; its pending deliveries fail. Deleting twice is harmless."""
    if repository.soft_delete(session, endpoint_id=endpoint.id, now=clock.utc_now()):
        audit.record(session, actor_id=user.id, action="webhook_endpoint.deleted",
                     target_type="webhook_endpoint", target_id=endpoint.id,
                     business_id=endpoint.business_id, before=_view(endpoint))


@dataclass(frozen=True)
class Rotated:
    """A rotation's answer: the new secret (shown this once) and until when the old one signs."""

    secret: str
    previous_secret_valid_until: datetime | None


def rotate_secret(session: Session, *, settings: Settings, user: User, endpoint: WebhookEndpoint,
                  overlap_hours: int | None = None) -> Rotated:
    """A new secret, returned this once; it signs every attempt from now on, and the secret it
    replaces also signs for ``overlap_hours`` (default 24; 0 revokes it at once). Raises
    InvalidRotationOverlap outside 0..168, NotFound if the endpoint was deleted meanwhile."""
    overlap = rules.rotation_overlap(overlap_hours)
    now = clock.utc_now()
    secret = new_secret()
    valid_until = rules.previous_secret_expiry(overlap=overlap, now=now)
    if not repository.rotate_secret(session, endpoint_id=endpoint.id,
                                    new_secret=sealer(settings).seal(secret),
                                    previous_expires_at=valid_until):
        raise errors.NotFound("No such webhook endpoint.")
    repository.refresh(session, endpoint)
    audit.record(session, actor_id=user.id, action="webhook_endpoint.secret_rotated",
                 target_type="webhook_endpoint", target_id=endpoint.id,
                 business_id=endpoint.business_id,
                 overlap_hours=int(overlap.total_seconds()) // 3600,
                 previous_secret_valid_until=valid_until)
    return Rotated(secret=secret, previous_secret_valid_until=valid_until)


def previous_secret_valid_until(endpoint: WebhookEndpoint, *,
                                now: datetime | None = None) -> datetime | None:
    """Until when the endpoint's previous secret still signs, or None."""
    return rules.previous_secret_valid_until(
        previous_secret=endpoint.previous_secret, expires_at=endpoint.previous_secret_expires_at,
        now=now or clock.utc_now())


def send_test(session: Session, *, user: User,
              endpoint: WebhookEndpoint) -> tuple[WebhookDelivery, WebhookMessage]:
    """One "webhook.test" message to this endpoint only, whatever its subscription. Raises
    EndpointDisabled."""
    if endpoint.disabled_at is not None:
        raise rules.EndpointDisabled()
    now = clock.utc_now()
    data = {"endpoint_id": endpoint.id, "business_id": endpoint.business_id,
            "requested_by_id": user.id, "message": "A test event from sparkcodes."}
    message = WebhookMessage(id=new_id(), business_id=endpoint.business_id,
                             event_type=rules.TEST_EVENT, created_at=now,
                             payload={"type": rules.TEST_EVENT, "timestamp": now.isoformat(),
                                      "data": data})
    delivery = WebhookDelivery(id=new_id(), message_id=message.id, endpoint_id=endpoint.id,
                               created_at=now)
    repository.add(session, message)
    repository.add(session, delivery)
    jobs.enqueue(session, DELIVER_JOB, {"delivery_id": delivery.id},
                 dedupe_key=f"{DELIVER_JOB}:{delivery.id}", max_attempts=DELIVER_MAX_ATTEMPTS)
    audit.record(session, actor_id=user.id, action="webhook_endpoint.tested",
                 target_type="webhook_endpoint", target_id=endpoint.id,
                 business_id=endpoint.business_id, message_id=message.id)
    return delivery, message


def endpoints_of(session: Session, *, business: Business) -> list[WebhookEndpoint]:
    """The business's endpoints, oldest first; deleted ones are left out."""
    return repository.endpoints_of(session, business.id)


def with_last_delivery(session: Session, *, business: Business) -> list[
        tuple[WebhookEndpoint, tuple[WebhookDelivery, WebhookMessage] | None]]:
    """The business's endpoints, oldest first, each with its latest delivery and message (None:
    nothing was sent to it yet)."""
    out: list[tuple[WebhookEndpoint, tuple[WebhookDelivery, WebhookMessage] | None]] = []
    for endpoint in repository.endpoints_of(session, business.id):
        last = repository.deliveries_of(session, endpoint.id, limit=1, offset=0)
        out.append((endpoint, last[0] if last else None))
    return out


def deliveries(session: Session, *, endpoint: WebhookEndpoint, limit: int,
               offset: int) -> list[tuple[WebhookDelivery, WebhookMessage]]:
    """A page of the endpoint's delivery log, newest first, each delivery with its message."""
    return repository.deliveries_of(session, endpoint.id, limit=limit, offset=offset)


def count_deliveries(session: Session, *, endpoint: WebhookEndpoint) -> int:
    """How many deliveries the endpoint's log holds."""
    return repository.count_deliveries(session, endpoint.id)


# --- delivery (the worker) -------------------------------------------------------------------


@dataclass(frozen=True)
class Attempt:
    """Everything one HTTP attempt needs, read in a short transaction and used outside it."""

    delivery_id: str
    endpoint_id: str
    business_id: str
    message_id: str
    url: str
    secret: str
    body: str
    previous_secret: str | None = None  # during a rotation's overlap window: it signs too
    number: int = 1  # this attempt's number, counted before the POST goes out


@dataclass(frozen=True)
class Later:
    """No attempt now, but the delivery is still open: its job comes back after ``wait``."""

    wait: timedelta
    why: str


def prepare(session: Session, *, settings: Settings, delivery_id: str,
            now: datetime) -> Attempt | Later | None:
    """The attempt to make, counted in the delivery log before its POST goes out (so an attempt
    whose worker is killed mid-request is counted too); Later while the delivery is open but no
    attempt is due (the retry schedule's wait, or another worker started one meanwhile); None
    when nothing is left to do: the delivery is settled, or its endpoint is deleted or disabled
    (then the delivery is marked failed)."""
    bundle = repository.delivery_bundle(session, delivery_id)
    if bundle is None:
        log.warning("webhook delivery %s does not exist; nothing to send", delivery_id)
        return None
    delivery, endpoint, message = bundle
    if delivery.delivered_at is not None or delivery.failed_at is not None:
        return None
    if endpoint.deleted_at is not None or endpoint.disabled_at is not None:
        why = ("Endpoint deleted." if endpoint.deleted_at is not None
               else f"Endpoint disabled: {endpoint.disabled_reason or 'no reason given'}")
        repository.fail_delivery(session, delivery_id=delivery.id, now=now, error=why)
        return None
    wait = rules.wait_before_attempt(attempts=delivery.attempts,
                                     attempt_started_at=delivery.attempt_started_at,
                                     last_attempt_at=delivery.last_attempt_at,
                                     schedule=settings.webhooks.retry_schedule_seconds, now=now)
    if wait is not None:
        return Later(wait, f"attempt {delivery.attempts + 1} is due on the retry schedule in "
                           f"{timedelta(seconds=math.ceil(wait.total_seconds()))}")
    start = rules.start_attempt(attempts=delivery.attempts,
                                previous_started_at=delivery.attempt_started_at)
    if not repository.start_attempt(session, delivery_id=delivery.id, number=start.number,
                                    interrupted=start.interrupted, note=start.note, now=now):
        return _in_flight(settings, f"another worker started attempt {start.number} meanwhile")
    body = json.dumps(message.payload, separators=(",", ":"), ensure_ascii=False)
    box = sealer(settings)
    signing = rules.signing_secrets(secret=open_secret(box, endpoint.secret),
                                    previous_secret=(open_secret(box, endpoint.previous_secret)
                                                     if endpoint.previous_secret else None),
                                    previous_secret_expires_at=endpoint.previous_secret_expires_at,
                                    now=now)
    return Attempt(delivery_id=delivery.id, endpoint_id=endpoint.id,
                   business_id=endpoint.business_id, message_id=message.id, url=endpoint.url,
                   secret=signing[0], previous_secret=signing[1] if len(signing) > 1 else None,
                   body=body, number=start.number)


def resolve(host: str, port: int) -> list[str]:
    """The addresses the system resolver gives for ``host``, in its order of preference."""
    infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    return list(dict.fromkeys(str(info[4][0]) for info in infos))


def post(attempt: Attempt, *, timeout: float, allow_private_addresses: bool = False,
         transport: httpx.BaseTransport | None = None) -> tuple[int | None, str | None]:
    """POST the signed message once: (HTTP status, error text or None on 2xx).

    The host is resolved here, once; if any of its addresses is not public the attempt is
    refused unsent (unless settings.webhooks.allow_private_addresses). The request then goes to
    the checked address itself, with the original Host header and TLS name (SNI and certificate
    check), so a DNS answer that changes after the check (rebinding) is never used. Redirects are
    not followed: a 3xx is a failed attempt, like any other non-2xx answer.

    webhook-timestamp is the wall clock, not the sandbox clock: receivers compare it with their
    own clock (five minutes' tolerance) to refuse replays.
    """
    try:
        url = httpx.URL(attempt.url)
        host = url.raw_host.decode("ascii")
        port = url.port or (443 if url.scheme == "https" else 80)
        addresses = [ipaddress.ip_address(a) for a in resolve(host, port)]
    except (OSError, ValueError, httpx.InvalidURL) as exc:
        return None, rules.error_text(status=None,
                                      exception=f"DNS lookup failed for {attempt.url}: {exc}")
    if not allow_private_addresses or not addresses:
        refused = rules.refusal(host, addresses)
        if refused is not None:
            return None, rules.error_text(status=None, exception=refused)
    headers = rules.signed_headers(secret=attempt.secret, message_id=attempt.message_id,
                                   timestamp=clock.real_now(), body=attempt.body,
                                   previous_secret=attempt.previous_secret)
    headers["host"] = url.netloc.decode("ascii")
    try:
        response = _send_pinned(url, addresses, headers=headers, body=attempt.body.encode(),
                                timeout=timeout, transport=transport)
    except Exception as exc:  # connection refused, timeout, bad TLS...: all retried on schedule
        return None, rules.error_text(status=None, exception=f"{type(exc).__name__}: {exc}")
    if rules.is_success(response.status_code):
        return response.status_code, None
    return response.status_code, rules.error_text(status=response.status_code, body=response.text)


def _send_pinned(url: httpx.URL, addresses: list[rules.IPAddress], *, headers: dict[str, str],
                 body: bytes, timeout: float,
                 transport: httpx.BaseTransport | None) -> httpx.Response:
    """POST to each checked address in turn until one accepts the connection; the URL keeps its
    host name for the Host header (set by the caller) and for TLS (SNI, certificate check)."""
    host = url.raw_host.decode("ascii")
    extensions = {} if rules.ip_literal(host) is not None else {"sni_hostname": host}
    # No proxy or .netrc from the environment: the request must go to the address checked.
    # A CA bundle named by SSL_CERT_FILE / SSL_CERT_DIR is still honoured.
    verify = httpx.create_ssl_context(trust_env=True)
    with httpx.Client(timeout=timeout, follow_redirects=False, transport=transport,
                      trust_env=False, verify=verify) as client:
        for ip in addresses[:-1]:
            try:
                return client.post(url.copy_with(host=str(ip)), headers=headers, content=body,
                                   extensions=extensions)
            except httpx.ConnectError:  # refused or unreachable: the next address may answer
                continue
        return client.post(url.copy_with(host=str(addresses[-1])), headers=headers,
                           content=body, extensions=extensions)


def record_outcome(session: Session, *, attempt: Attempt, status: int | None, error: str | None,
                   settings: Settings, now: datetime) -> Later | None:
    """Record the outcome of the attempt (counted when it started); returns when the job comes
    back while the delivery is open (the retry schedule's wait after a failure, or a look once a
    later attempt another worker started has had its time), None once it is settled (delivered,
    or failed for good after the whole schedule)."""
    delivered = rules.is_success(status)
    number = attempt.number
    if not repository.complete_attempt(session, delivery_id=attempt.delivery_id, number=number,
                                       now=now, status=status,
                                       error=None if delivered else error, delivered=delivered):
        if repository.is_settled(session, attempt.delivery_id):
            return None
        return _in_flight(settings, f"attempt {number} ended ({error or status}) after another "
                                    "worker started a later one")
    if delivered:
        repository.mark_healthy(session, endpoint_id=attempt.endpoint_id)
        return None
    repository.mark_failing(session, endpoint_id=attempt.endpoint_id, now=now)
    wait = rules.next_attempt_after(number, settings.webhooks.retry_schedule_seconds)
    if wait is not None:
        return Later(wait, f"attempt {number} failed ({error}); next attempt in {wait}")
    repository.fail_delivery(session, delivery_id=attempt.delivery_id, now=now)
    _disable_if_failing(session, endpoint_id=attempt.endpoint_id, now=now)
    return None


def give_up(session: Session, *, delivery_id: str, now: datetime, why: str) -> bool:
    """Mark an open delivery failed, saying why; False if it was settled already."""
    return repository.fail_delivery(session, delivery_id=delivery_id, now=now,
                                    error=why[:rules.MAX_ERROR])


def _in_flight(settings: Settings, why: str) -> Later:
    """Another worker's attempt is in flight: look again once it has had its whole timeout."""
    return Later(rules.check_back_after(settings.webhooks.timeout_seconds), why)


def _disable_if_failing(session: Session, *, endpoint_id: str, now: datetime) -> None:
    """Disable an endpoint failing for three days and tell its business, exactly once."""
    reason = (f"Every delivery failed for {rules.DISABLE_AFTER.days} days, through the whole "
              "retry schedule.")
    if not repository.disable_if_failing_since(session, endpoint_id=endpoint_id,
                                               cutoff=now - rules.DISABLE_AFTER, now=now,
                                               reason=reason):
        return
    endpoint = repository.get_endpoint(session, endpoint_id)
    assert endpoint is not None
    repository.refresh(session, endpoint)
    audit.record(session, actor_id=None, action="webhook_endpoint.disabled",
                 target_type="webhook_endpoint", target_id=endpoint.id,
                 business_id=endpoint.business_id, reason=reason,
                 failing_since=endpoint.failing_since)
    notification.emit(
        session, event_type="webhook_endpoint.disabled",
        title=f"Webhook endpoint disabled: {endpoint.url}",
        body=(f"Deliveries to {endpoint.url} have failed since "
              f"{endpoint.failing_since:%Y-%m-%d %H:%M} UTC, through every retry, so the endpoint "
              "was disabled. Fix the receiver, then re-enable the endpoint (PATCH "
              f"/v1/webhook-endpoints/{endpoint.id} with enabled: true)."),
        data={"endpoint_id": endpoint.id, "url": endpoint.url,
              "failing_since": endpoint.failing_since, "disabled_at": endpoint.disabled_at,
              "reason": reason},
        business_ids={endpoint.business_id})


def rotate_keys(session: Session, *, settings: Settings) -> int:
    """Seal every stored signing secret under the current secret key: secrets sealed under a
    previous key, and any still stored in clear. How many endpoints changed. Raises SealBroken
    (nothing changed) if a secret opens under none of the configured keys."""
    box = sealer(settings)

    def resealed(stored: str | None) -> str | None:
        if stored is None:
            return None
        if stored.startswith(rules.SECRET_PREFIX):
            return box.seal(stored)
        return None if box.is_current(stored) else box.reseal(stored)

    changed = 0
    for endpoint_id, secret, previous in repository.stored_secrets(session):
        values = {name: value for name, value in (("secret", resealed(secret)),
                                                  ("previous_secret", resealed(previous)))
                  if value is not None}
        if values:
            repository.reseal(session, endpoint_id=endpoint_id, values=values)
            changed += 1
    return changed
