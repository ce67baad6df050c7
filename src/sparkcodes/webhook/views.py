"""Pages: a business's webhook endpoints, one endpoint's settings and its delivery log.

Access is the JSON API's: every member may read endpoints and their log; only admins add, change,
test, rotate or delete them. The signing secret is shown once, on the answer that made it.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Annotated, Any

from fastapi import APIRouter, Form
from fastapi.responses import Response

from sparkcodes.business import rules as business_rules
from sparkcodes.business.auth import BusinessAdmin, BusinessRead
from sparkcodes.kit import limits
from sparkcodes.models import Business, WebhookDelivery, WebhookEndpoint, WebhookMessage
from sparkcodes.notification import catalog
from sparkcodes.web.kit import Web, WebForm, WebPage, fmt_when
from sparkcodes.webhook import rules, service
from sparkcodes.webhook.auth import WebhookAdmin, WebhookAdminWithDeleted, WebhookRead

router = APIRouter(tags=["pages"])

PER_PAGE = 25
MAX_DESCRIPTION = limits.WEBHOOK_DESCRIPTION
MAX_EVENT_TYPES = 100

LIST_NOTICES = {
    "deleted": "Endpoint deleted: nothing more is sent to it, and deliveries still waiting for "
               "it were marked failed.",
}
ENDPOINT_NOTICES = {"saved": "Settings saved."}
# The rotate form's choice -> overlap_hours: keep the old secret signing a while, or revoke it.
OLD_SECRET_CHOICES = {"keep": rules.ROTATION_OVERLAP_HOURS, "revoke": 0}
# Ticked checkboxes; none ticked sends nothing, which means every event.
EventTypes = Annotated[list[str] | None, Form()]
_FIELD_OF_ERROR = {"invalid_webhook_url": "url", "unknown_event_type": "event_types"}


# --- words for states -------------------------------------------------------------------------

def endpoint_state(e: WebhookEndpoint) -> dict[str, str]:
    """The endpoint's badge and the sentence after it, which never repeats the badge."""
    status = rules.endpoint_status(deleted_at=e.deleted_at, disabled_at=e.disabled_at,
                                   failing_since=e.failing_since)
    if status == "disabled":
        why = e.disabled_reason or "No reason was recorded."
        return {"badge": "bad", "label": "Disabled",
                "text": f"Since {fmt_when(e.disabled_at)}. {why} Nothing is sent until "
                        "an admin enables it again."}
    if status == "failing":
        days = rules.DISABLE_AFTER.days
        return {"badge": "neutral", "label": "Enabled, failing",
                "text": f"Deliveries have failed since {fmt_when(e.failing_since)}; they are "
                        f"retried. If every delivery keeps failing for {days} days the endpoint "
                        "is disabled."}
    if status == "deleted":
        return {"badge": "muted", "label": "Deleted", "text": ""}
    return {"badge": "ok", "label": "Enabled", "text": "Events are sent as they happen."}


def previous_secret_text(e: WebhookEndpoint) -> str | None:
    """The rotation window in words, while the previous secret still signs."""
    until = service.previous_secret_valid_until(e)
    if until is None:
        return None
    return (f"The previous secret also signs until {fmt_when(until)}: every delivery carries "
            "two signatures, so a receiver still using the old secret keeps accepting them. "
            "Update your receiver before then.")


def delivery_row(d: WebhookDelivery, m: WebhookMessage,
                 schedule: Sequence[int]) -> dict[str, Any]:
    """One line of the delivery log, in words."""
    status = rules.delivery_status(delivered_at=d.delivered_at, failed_at=d.failed_at)
    if status == "delivered":
        badge, label, when = "ok", "Delivered", f"at {fmt_when(d.delivered_at)}"
    elif status == "failed":
        badge, label, when = "bad", "Failed", f"gave up at {fmt_when(d.failed_at)}"
    elif d.attempts == 0:
        badge, label, when = "neutral", "Queued", "waiting for the first attempt"
    elif d.attempt_started_at is not None:
        badge, label = "neutral", "Sending"
        when = f"attempt {d.attempts} started at {fmt_when(d.attempt_started_at)}"
    else:
        wait = rules.next_attempt_after(d.attempts, schedule)
        retry_at = d.last_attempt_at + wait if wait is not None and d.last_attempt_at else None
        badge, label = "neutral", "Retrying"
        when = f"next try at {fmt_when(retry_at)}" if retry_at else "next try soon"
    if d.last_error:
        result = d.last_error
    elif d.last_status is not None:
        result = f"HTTP {d.last_status}: accepted by your endpoint"
    elif d.attempts == 0 and status != "failed":
        result = "Not sent yet"
    else:
        result = "—"
    return {"id": d.id, "event_type": m.event_type, "message_id": m.id,
            "created_at": d.created_at, "attempts": d.attempts,
            "interrupted": d.interrupted_attempts, "badge": badge, "label": label,
            "when": when, "result": result}


def event_choices(selected: Sequence[str]) -> list[catalog.EventType]:
    """The events a business can receive (creator-only events never reach a business; test
    events always arrive, whatever is ticked), plus any already chosen."""
    return [e for e in catalog.EVENTS.values()
            if (e.audience != "creator" and e.name != rules.TEST_EVENT) or e.name in selected]


def _form_errors(description: str, event_types: list[str]) -> dict[str, str]:
    """What the JSON schema checks before the service: sizes."""
    errs = {}
    if len(description.strip()) > MAX_DESCRIPTION:
        errs["description"] = f"Keep the description to {MAX_DESCRIPTION} characters."
    if len(event_types) > MAX_EVENT_TYPES:
        errs["event_types"] = f"Choose at most {MAX_EVENT_TYPES} event types."
    return errs


# --- the business's endpoints ------------------------------------------------------------------

def _list(web: Web, business: Business, role: str, *, values: dict[str, Any] | None = None,
          errs: dict[str, str] | None = None, notice: str | None = None,
          status: int = 200) -> Response:
    schedule = web.settings.webhooks.retry_schedule_seconds
    rows = [{"e": e, "state": endpoint_state(e),
             "last": delivery_row(*last, schedule) if last else None}
            for e, last in service.with_last_delivery(web.session, business=business)]
    values = values or {}
    return web.render("webhook/list.html", {
        "business": business, "role": role, "rows": rows,
        "can_admin": business_rules.allows(role, "admin"),
        "events": event_choices(values.get("event_types", [])), "values": values,
        "errors": errs or {}, "notice": notice}, status=status)


@router.get("/businesses/{business_id}/webhooks")
def endpoints_page(business_id: str, web: WebPage, access: BusinessRead,
                   done: str = "") -> Response:
    """The business's webhook endpoints, and a form to add one (admins)."""
    business, role = access.business, access.role
    return _list(web, business, role, notice=LIST_NOTICES.get(done))


@router.post("/businesses/{business_id}/webhook-endpoints")
def create_endpoint(business_id: str, web: WebForm, access: BusinessAdmin,
                    url: str = Form(""), description: str = Form(""),
                    event_types: EventTypes = None) -> Response:
    """Add an endpoint; the answer shows its signing secret, this once."""
    business, role = access.business, access.role
    event_types = event_types or []
    values = {"url": url, "description": description, "event_types": event_types}
    errs = _form_errors(description, event_types)
    if errs:
        return _list(web, business, role, values=values, errs=errs, status=422)
    created, error = web.attempt(
        service.create, web.session, settings=web.settings, user=web.me, business=business, url=url,
        description=description, event_types=event_types,
        allow_private_addresses=web.settings.webhooks.allow_private_addresses)
    if error is not None:
        return _list(web, business, role, values=values, status=error.status,
                     errs={_FIELD_OF_ERROR.get(error.code, "url"): error.message})
    assert created is not None
    endpoint, secret = created
    return web.render("webhook/created.html", {
        "business": business, "endpoint": endpoint, "secret": secret,
        "state": endpoint_state(endpoint)}, status=201)


# --- one endpoint -------------------------------------------------------------------------------


def _page_number(value: str) -> int:
    try:
        return max(1, min(int(value), 1_000_000))
    except ValueError:
        return 1


def _endpoint_page(web: Web, endpoint: WebhookEndpoint, business: Business, role: str, *,
                   page: int = 1, values: dict[str, Any] | None = None,
                   errs: dict[str, str] | None = None, notice: str | None = None,
                   secret: str | None = None, sent: str | None = None,
                   status: int = 200) -> Response:
    schedule = web.settings.webhooks.retry_schedule_seconds
    total = service.count_deliveries(web.session, endpoint=endpoint)
    pages = max(1, -(-total // PER_PAGE))
    page = min(page, pages)
    deliveries = [delivery_row(d, m, schedule) for d, m in service.deliveries(
        web.session, endpoint=endpoint, limit=PER_PAGE, offset=(page - 1) * PER_PAGE)]
    sent_row = next((r for r in deliveries if r["id"] == sent), None) if sent else None
    if values is None:
        values = {"url": endpoint.url, "description": endpoint.description,
                  "event_types": list(endpoint.event_types or []),
                  "enabled": endpoint.disabled_at is None}
    return web.render("webhook/endpoint.html", {
        "business": business, "role": role, "endpoint": endpoint,
        "state": endpoint_state(endpoint), "can_admin": business_rules.allows(role, "admin"),
        "deliveries": deliveries, "total": total, "page": page, "pages": pages,
        "sent": sent_row, "events": event_choices(values.get("event_types", [])),
        "catalog": catalog.EVENTS, "values": values, "errors": errs or {}, "notice": notice,
        "secret": secret, "previous_secret": previous_secret_text(endpoint),
        "overlap_hours": rules.ROTATION_OVERLAP_HOURS}, status=status)


@router.get("/webhook-endpoints/{endpoint_id}")
def endpoint_page(endpoint_id: str, web: WebPage, access: WebhookRead, page: str = "1",
                  sent: str = "",
                  done: str = "") -> Response:
    """One endpoint: its settings, actions and delivery log (newest first, paged)."""
    endpoint, business, role = access.endpoint, access.business, access.role
    return _endpoint_page(web, endpoint, business, role, page=_page_number(page),
                          sent=sent or None, notice=ENDPOINT_NOTICES.get(done))


@router.post("/webhook-endpoints/{endpoint_id}")
def update_endpoint(endpoint_id: str, web: WebForm, access: WebhookAdmin,
                    url: str = Form(""), description: str = Form(""),
                    event_types: EventTypes = None,
                    enabled: str = Form("", max_length=10)) -> Response:
    """Change the URL, description, events; ticking "Enabled" re-enables a disabled endpoint."""
    endpoint, business, role = access.endpoint, access.business, access.role
    event_types = event_types or []
    on = enabled in ("on", "true", "1")
    values = {"url": url, "description": description, "event_types": event_types,
              "enabled": on}
    errs = _form_errors(description, event_types)
    if errs:
        return _endpoint_page(web, endpoint, business, role, values=values, errs=errs,
                              status=422)
    _, error = web.attempt(service.update, web.session, user=web.me, endpoint=endpoint,
                           changes={"url": url, "description": description,
                                    "event_types": event_types, "enabled": on},
                           allow_private_addresses=web.settings.webhooks.allow_private_addresses)
    if error is not None:
        web.session.refresh(endpoint)
        return _endpoint_page(web, endpoint, business, role, values=values, status=error.status,
                              errs={_FIELD_OF_ERROR.get(error.code, "url"): error.message})
    return web.redirect(f"/webhook-endpoints/{endpoint.id}?done=saved")


@router.post("/webhook-endpoints/{endpoint_id}/test")
def test_endpoint(endpoint_id: str, web: WebForm, access: WebhookAdmin) -> Response:
    """Queue one webhook.test event to this endpoint only; the log then shows it."""
    endpoint, business, role = access.endpoint, access.business, access.role
    sent, error = web.attempt(service.send_test, web.session, user=web.me, endpoint=endpoint)
    if error is not None:
        message = error.message
        if isinstance(error, rules.EndpointDisabled):
            message = ("This endpoint is disabled, so a test cannot be sent: tick “Enabled” in "
                       "its settings below and save first.")
        return _endpoint_page(web, endpoint, business, role, errs={"test": message},
                              status=error.status)
    assert sent is not None
    delivery, _ = sent
    return web.redirect(f"/webhook-endpoints/{endpoint.id}?sent={delivery.id}")


@router.post("/webhook-endpoints/{endpoint_id}/rotate-secret")
def rotate_secret(endpoint_id: str, web: WebForm, access: WebhookAdmin,
                  old_secret: str = Form("keep", max_length=20)) -> Response:
    """A new signing secret, shown on this answer only; the old one keeps signing for 24 hours
    ("keep", recommended) or stops at once ("revoke", it leaked)."""
    endpoint, business, role = access.endpoint, access.business, access.role
    if old_secret not in OLD_SECRET_CHOICES:
        return _endpoint_page(web, endpoint, business, role, status=422,
                              errs={"old_secret": "Choose whether the old secret keeps working "
                                                  "for a while or stops now."})
    rotated = service.rotate_secret(web.session, settings=web.settings, user=web.me,
                                    endpoint=endpoint,
                                    overlap_hours=OLD_SECRET_CHOICES[old_secret])
    if rotated.previous_secret_valid_until is None:
        notice = ("Secret rotated and the old secret revoked: every delivery from now on is "
                  "signed with the new secret below only. Update your receiver now; until then "
                  "it rejects them (they are retried).")
    else:
        notice = ("Secret rotated: every delivery is signed with the new secret below, and "
                  "also with the old one until "
                  f"{fmt_when(rotated.previous_secret_valid_until)}. Update your receiver "
                  "before then.")
    return _endpoint_page(web, endpoint, business, role, secret=rotated.secret, notice=notice)


@router.post("/webhook-endpoints/{endpoint_id}/delete")
def delete_endpoint(endpoint_id: str, web: WebForm, access: WebhookAdminWithDeleted) -> Response:
    """Stop delivering to this endpoint, then back to the list."""
    endpoint, business = access.endpoint, access.business
    service.delete(web.session, user=web.me, endpoint=endpoint)
    return web.redirect(f"/businesses/{business.id}/webhooks?done=deleted")
