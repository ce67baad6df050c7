"""TikTok's app flow (§9.1 AuthenticationApi): exchange an auth_code for an access token, list
the advertisers a token was granted, and give a token up. The rules are developer_app's."""

from __future__ import annotations

from fastapi import Request
from fastapi.responses import JSONResponse
from sqlalchemy.orm import Session

from sparkcodes import errors
from sparkcodes.compat.tiktok import codes, routing
from sparkcodes.compat.tiktok.auth import CallerDep, ParamsDep
from sparkcodes.compat.tiktok.envelope import TikTokError, ok
from sparkcodes.compat.tiktok.params import Params, bad
from sparkcodes.config import Settings
from sparkcodes.deps import SessionDep, SettingsDep
from sparkcodes.developer_app import rules, service
from sparkcodes.models import AdAccount, DeveloperApp

router = routing.router()

# TikTok's numeric permission scopes (first level): ad account management (1), ads management
# (2), reporting (4), creative management (6): what this surface serves. Within them a token may
# do what its user's role allows on the granted advertisers.
SCOPE = [1, 2, 4, 6]
MAX_CREDENTIAL = 200


def _text(params: Params, name: str) -> str:
    """A required credential: text that can be hashed (a lone surrogate cannot)."""
    value = params.string(name, required=True, max_length=MAX_CREDENTIAL) or ""
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        raise bad(f"{name} must be valid Unicode text.") from None
    return value


def _app(request: Request, params: Params, session: Session,
         settings: Settings) -> DeveloperApp:
    """The app named by ``app_id`` and ``secret``; 40101 otherwise. Counts against its QPS."""
    app_id, secret = _text(params, "app_id"), _text(params, "secret")
    try:
        app = service.verify_app(session, settings=settings, app_id=app_id, secret=secret)
    except rules.AppCredentialsInvalid as exc:
        raise TikTokError(codes.INVALID_APP, exc.message) from None
    request.app.state.tiktok_throttle.app(f"app:{app.id}")
    return app


def _ids(accounts: list[AdAccount]) -> list[str]:
    return [str(a.tiktok_id) for a in accounts]


@router.post("/oauth2/access_token/", summary="Exchange an auth_code for an access token")
def access_token(request: Request, params: ParamsDep, session: SessionDep,
                 settings: SettingsDep) -> JSONResponse:
    """Body `{app_id, secret, auth_code}`. The auth_code (from the redirect after a person
    authorized the app) is exchanged once; the token acts as that person on the advertisers
    they chose, on /open_api/v1.3 only, until they revoke it. `data`: `{access_token,
    advertiser_ids, scope}`. Wrong app_id or secret: 40101; an unknown, used, expired or
    revoked auth_code: 40110."""
    app = _app(request, params, session, settings)
    auth_code = _text(params, "auth_code")
    try:
        done = service.exchange(session, settings=settings, app=app, auth_code=auth_code)
    except rules.AuthCodeInvalid as exc:
        raise TikTokError(codes.OAUTH_CODE_INVALID, exc.message) from None
    return ok({"access_token": done.access_token, "advertiser_ids": _ids(done.advertisers),
               "scope": SCOPE})


@router.get("/oauth2/advertiser/get/", summary="List the advertisers that authorized the app")
def advertiser_get(caller: CallerDep) -> JSONResponse:
    """Query `app_id`, `secret`; header `Access-Token`. The advertisers the token was granted
    that its user may still act on: `data.list` of `{advertiser_id, advertiser_name}`. A token
    issued to another app, or a personal API token: 40105."""
    app = _app(caller.request, caller.params, caller.session, caller.settings)
    if caller.token.developer_app_id != app.id:
        raise TikTokError(codes.TOKEN_INVALID,
                          f"{codes.TOKEN_INVALID_MESSAGE} This access token was not issued to "
                          f"app {app.app_id}.")
    accounts = service.granted_advertisers(caller.session, token=caller.token)
    return ok({"list": [{"advertiser_id": str(a.tiktok_id), "advertiser_name": a.name}
                        for a in accounts]})


@router.post("/oauth2/revoke_token/", summary="Revoke an access token the app holds")
def revoke_token(request: Request, params: ParamsDep, session: SessionDep,
                 settings: SettingsDep) -> JSONResponse:
    """Body `{app_id, secret, access_token}`: the app gives the token up; the authorization
    behind it is revoked (twice is harmless). `data`: `{app_id, advertiser_ids}`, the
    advertisers the token no longer reaches."""
    app = _app(request, params, session, settings)
    token = _text(params, "access_token")
    try:
        accounts = service.revoke_by_app(session, settings=settings, app=app,
                                         access_token=token)
    except errors.Unauthorized as exc:
        raise TikTokError(codes.TOKEN_INVALID, f"{codes.TOKEN_INVALID_MESSAGE} {exc.message}"
                          ) from None
    return ok({"app_id": str(app.app_id), "advertiser_ids": _ids(accounts)})
