from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends

from sparkcodes.business.auth import BusinessAdmin, BusinessRead
from sparkcodes.deps import SessionDep, SettingsDep, UserDep
from sparkcodes.kit.pagination import Page, Paged
from sparkcodes.webhook import service
from sparkcodes.webhook.auth import WebhookAdmin, WebhookAdminWithDeleted, WebhookRead
from sparkcodes.webhook.schemas import (
    WebhookDeliveryOut,
    WebhookEndpointCreated,
    WebhookEndpointIn,
    WebhookEndpointOut,
    WebhookEndpointPatch,
    WebhookRotateIn,
    WebhookSecretOut,
)

router = APIRouter(prefix="/v1", tags=["webhooks"])


@router.post("/businesses/{business_id}/webhook-endpoints", response_model=WebhookEndpointCreated,
             status_code=201)
def create_endpoint(business_id: str, access: BusinessAdmin, body: WebhookEndpointIn, user: UserDep,
                    session: SessionDep, settings: SettingsDep) -> WebhookEndpointCreated:
    """Register a URL to receive signed events (Standard Webhooks). Admins only.

    The answer carries the signing secret (`whsec_...`) this once: store it to verify the
    `webhook-signature` header. See docs/events.md for the catalog and verification. URLs naming
    a private, loopback or link-local address, or localhost, are refused (422
    `webhook_url_not_public`).
    """
    business = access.business
    endpoint, secret = service.create(
        session, settings=settings, user=user, business=business, url=body.url,
        description=body.description, event_types=body.event_types,
        allow_private_addresses=settings.webhooks.allow_private_addresses)
    return WebhookEndpointCreated(**WebhookEndpointOut.of(endpoint).model_dump(), secret=secret)


@router.get("/businesses/{business_id}/webhook-endpoints", response_model=list[WebhookEndpointOut])
def list_endpoints(business_id: str, access: BusinessRead,
                   session: SessionDep) -> list[WebhookEndpointOut]:
    """The business's webhook endpoints (never their secrets)."""
    business = access.business
    return [WebhookEndpointOut.of(e) for e in service.endpoints_of(session, business=business)]


@router.get("/webhook-endpoints/{endpoint_id}", response_model=WebhookEndpointOut)
def get_endpoint(endpoint_id: str, access: WebhookRead, user: UserDep,
                 session: SessionDep) -> WebhookEndpointOut:
    """One webhook endpoint (without its secret)."""
    return WebhookEndpointOut.of(access.endpoint)


@router.patch("/webhook-endpoints/{endpoint_id}", response_model=WebhookEndpointOut)
def patch_endpoint(endpoint_id: str, access: WebhookAdmin, body: WebhookEndpointPatch,
                   user: UserDep,
                   session: SessionDep, settings: SettingsDep) -> WebhookEndpointOut:
    """Change the URL, description or event types; `enabled: true` re-enables a disabled
    endpoint. Admins only. A new URL is checked as on creation (`webhook_url_not_public`)."""
    endpoint = access.endpoint
    changes = body.model_dump(include=body.model_fields_set)
    return WebhookEndpointOut.of(service.update(
        session, user=user, endpoint=endpoint, changes=changes,
        allow_private_addresses=settings.webhooks.allow_private_addresses))


@router.delete("/webhook-endpoints/{endpoint_id}", status_code=204)
def delete_endpoint(endpoint_id: str, access: WebhookAdminWithDeleted, user: UserDep,
                    session: SessionDep) -> None:
    """Stop delivering to this endpoint; pending deliveries are marked failed. Admins only."""
    service.delete(session, user=user, endpoint=access.endpoint)


@router.post("/webhook-endpoints/{endpoint_id}/rotate-secret", response_model=WebhookSecretOut)
def rotate_secret(endpoint_id: str, access: WebhookAdmin, user: UserDep, session: SessionDep,
                  settings: SettingsDep,
                  body: WebhookRotateIn | None = None) -> WebhookSecretOut:
    """Replace the signing secret; the new one is shown this once and signs every attempt from
    now on. Admins only.

    The previous secret keeps signing too for `overlap_hours` (default 24, at most 168): each
    delivery then carries both signatures, `v1,<new> v1,<old>`, so a receiver still verifying
    with the old secret accepts it until you update it; `previous_secret_valid_until` says when
    that stops. `{"overlap_hours": 0}` revokes the old secret at once (it leaked). A second
    rotation within the window keeps only the secret it replaces. Out of range: 422
    `invalid_rotation_overlap`.
    """
    endpoint = access.endpoint
    rotated = service.rotate_secret(session, settings=settings, user=user, endpoint=endpoint,
                                    overlap_hours=body.overlap_hours if body else None)
    return WebhookSecretOut(endpoint_id=endpoint.id, secret=rotated.secret,
                            previous_secret_valid_until=rotated.previous_secret_valid_until)


@router.get("/webhook-endpoints/{endpoint_id}/deliveries",
            response_model=Paged[WebhookDeliveryOut])
def list_deliveries(endpoint_id: str, access: WebhookRead, user: UserDep, session: SessionDep,
                    page: Annotated[Page, Depends(Page.dep)]) -> Paged[WebhookDeliveryOut]:
    """The delivery log, newest first: attempts, last HTTP status and error, outcome."""
    endpoint = access.endpoint
    rows = service.deliveries(session, endpoint=endpoint, limit=page.limit, offset=page.offset)
    return Paged[WebhookDeliveryOut](
        items=[WebhookDeliveryOut.of(d, m) for d, m in rows],
        total=service.count_deliveries(session, endpoint=endpoint), limit=page.limit,
        offset=page.offset)


@router.post("/webhook-endpoints/{endpoint_id}/test", response_model=WebhookDeliveryOut,
             status_code=202)
def test_endpoint(endpoint_id: str, access: WebhookAdmin, user: UserDep,
                  session: SessionDep) -> WebhookDeliveryOut:
    """Queue one `webhook.test` event to this endpoint only (nobody else is told). Admins only."""
    endpoint = access.endpoint
    delivery, message = service.send_test(session, user=user, endpoint=endpoint)
    return WebhookDeliveryOut.of(delivery, message)
