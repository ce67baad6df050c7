"""TikTok connections of a business (docs/connector.md): link, list, check, remove."""

from __future__ import annotations

from fastapi import APIRouter

from sparkcodes.business.auth import BusinessAdmin, BusinessRead
from sparkcodes.connector import service
from sparkcodes.connector.schemas import (
    AppFlowIn,
    AppFlowStarted,
    ConnectionOut,
    SyncQueued,
    TokenLinkIn,
)
from sparkcodes.deps import SessionDep, SettingsDep

router = APIRouter(prefix="/v1", tags=["tiktok connections"])
BASE = "/businesses/{business_id}/tiktok-connections"


@router.get(BASE, response_model=list[ConnectionOut])
def list_connections(business_id: str, access: BusinessRead,
                     session: SessionDep) -> list[ConnectionOut]:
    """The business's TikTok connections, each with its state in words (never a token)."""
    return [ConnectionOut.of(v) for v in service.connections_of(session,
                                                                 business=access.business)]


@router.post(BASE, response_model=ConnectionOut, status_code=201)
def link_by_token(business_id: str, body: TokenLinkIn, access: BusinessAdmin,
                  session: SessionDep, settings: SettingsDep) -> ConnectionOut:
    """Link advertisers with a pasted long-lived access token (admins). sparkcodes first asks
    TikTok (`advertiser/info/`) whether the token reaches each advertiser. An advertiser of a
    connection whose token TikTok revoked is reconnected in place: that connection (its id, its
    mirrored rows) takes the new token. Refusals: 422 `tiktok_token_refused` (TikTok rejects the
    token), `tiktok_advertiser_not_granted` (not one of the token's advertisers),
    `invalid_base_url`, `invalid_advertiser_ids`; 409 `advertiser_already_linked`,
    `connection_changed_meanwhile` (reconnected or removed by someone else meanwhile); 503
    `tiktok_throttled`; 502 `tiktok_unreachable`."""
    done = service.link_by_token(session, settings=settings, user=access.user,
                                 business=access.business, base_url=body.base_url,
                                 access_token=body.access_token,
                                 advertiser_ids=body.advertiser_ids)
    return ConnectionOut.of(done)


@router.post(f"{BASE}/app-flow", response_model=AppFlowStarted, status_code=201)
def start_app_flow(business_id: str, body: AppFlowIn, access: BusinessAdmin,
                   session: SessionDep, settings: SettingsDep) -> AppFlowStarted:
    """Start TikTok's app flow with the business's own developer app (admins). Register
    `redirect_url` on the app, then send the admin to `authorize_url`; TikTok brings them back
    to sparkcodes, which exchanges the auth_code and links the advertisers they allowed. The
    link works once, for the admin who started it, for `connector.authorize_minutes`."""
    started = service.start_app_flow(session, settings=settings, user=access.user,
                                     business=access.business, base_url=body.base_url,
                                     app_id=body.app_id, secret=body.secret)
    return AppFlowStarted(connection=ConnectionOut.of(started.view),
                          authorize_url=started.authorize_url,
                          redirect_url=service.callback_url(settings))


@router.get(BASE + "/{connection_id}", response_model=ConnectionOut)
def get_connection(business_id: str, connection_id: str, access: BusinessRead,
                   session: SessionDep) -> ConnectionOut:
    """One connection; another business's answers 404."""
    connection = service.access(session, business=access.business, connection_id=connection_id)
    return ConnectionOut.of(service.view(session, connection))


@router.post(BASE + "/{connection_id}/check", response_model=ConnectionOut)
def check_connection(business_id: str, connection_id: str, access: BusinessAdmin,
                     session: SessionDep, settings: SettingsDep) -> ConnectionOut:
    """Check now: ask TikTok again and answer the connection's state (a broken state is an
    answer, not an error; the admins are told once when it breaks)."""
    connection = service.access(session, business=access.business, connection_id=connection_id)
    return ConnectionOut.of(service.check(session, settings=settings, connection=connection,
                                          user=access.user))


@router.delete(BASE + "/{connection_id}", status_code=204)
def remove_connection(business_id: str, connection_id: str, access: BusinessAdmin,
                      session: SessionDep, settings: SettingsDep) -> None:
    """Remove the connection; its sealed token and secret are erased at once. An app-flow
    connection first gives its token back to TikTok (`oauth2/revoke_token/`, best effort,
    recorded in the audit log). Its mirrored Spark posts leave the tracker."""
    connection = service.access(session, business=access.business, connection_id=connection_id)
    service.remove(session, settings=settings, user=access.user, connection=connection)


@router.post(BASE + "/{connection_id}/sync", response_model=SyncQueued, status_code=202)
def sync_connection(business_id: str, connection_id: str, access: BusinessAdmin,
                    session: SessionDep) -> SyncQueued:
    """Sync now (admins): queue a sync of every advertiser the connection reaches; the
    worker mirrors its Spark posts into the tracker, and `syncs` on the connection says how
    it went. Refused with 409 `connection_not_syncable` when the connection is not authorized
    yet or its token was revoked."""
    connection = service.access(session, business=access.business, connection_id=connection_id)
    return SyncQueued(advertiser_ids=service.sync_now(session, user=access.user,
                                                      connection=connection))
