from __future__ import annotations

from fastapi import APIRouter

from sparkcodes.deps import SessionDep, SettingsDep, UserDep
from sparkcodes.developer_app import service
from sparkcodes.developer_app.auth import DeveloperAppOwned, DeveloperAppOwnedWithDeleted
from sparkcodes.developer_app.schemas import (
    AppGrantCreated,
    AppGrantIn,
    AppGrantOut,
    DeveloperAppCreated,
    DeveloperAppIn,
    DeveloperAppOut,
    DeveloperAppPatch,
    DeveloperAppSecretOut,
)

router = APIRouter(prefix="/v1", tags=["developer apps"])


@router.post("/developer-apps", response_model=DeveloperAppCreated, status_code=201)
def register(body: DeveloperAppIn, user: UserDep, session: SessionDep,
             settings: SettingsDep) -> DeveloperAppCreated:
    """Register an app for TikTok's app flow on /open_api/v1.3 (docs/tiktok.md, "Who calls").

    The answer carries the app's `secret` this once (only a keyed hash is kept). Send people to
    `authorize_url` (with your `state`); after they allow, their browser comes back to
    `redirect_url` with `auth_code`, which `POST /open_api/v1.3/oauth2/access_token/` exchanges
    for an access token. A bad redirect URL: 422 `invalid_redirect_url`.
    """
    app, secret = service.register(session, settings=settings, user=user, name=body.name,
                                   redirect_url=body.redirect_url)
    return DeveloperAppCreated(**DeveloperAppOut.of(app, base_url=settings.public_url)
                               .model_dump(), secret=secret)


@router.get("/developer-apps", response_model=list[DeveloperAppOut])
def list_apps(user: UserDep, session: SessionDep,
              settings: SettingsDep) -> list[DeveloperAppOut]:
    """Your apps (never their secrets)."""
    return [DeveloperAppOut.of(a, base_url=settings.public_url)
            for a in service.apps_of(session, user=user)]


@router.get("/developer-apps/{developer_app_id}", response_model=DeveloperAppOut)
def get_app(developer_app_id: str, app: DeveloperAppOwned, user: UserDep, session: SessionDep,
            settings: SettingsDep) -> DeveloperAppOut:
    """One of your apps."""
    return DeveloperAppOut.of(app, base_url=settings.public_url)


@router.patch("/developer-apps/{developer_app_id}", response_model=DeveloperAppOut)
def update_app(developer_app_id: str, app: DeveloperAppOwned, body: DeveloperAppPatch,
               user: UserDep,
               session: SessionDep, settings: SettingsDep) -> DeveloperAppOut:
    """Rename the app or change its redirect URL; auth_codes and tokens already issued keep
    working."""
    app = service.update(session, user=user, app=app, name=body.name,
                         redirect_url=body.redirect_url)
    return DeveloperAppOut.of(app, base_url=settings.public_url)


@router.post("/developer-apps/{developer_app_id}/rotate-secret",
             response_model=DeveloperAppSecretOut)
def rotate_secret(developer_app_id: str, app: DeveloperAppOwned, user: UserDep, session: SessionDep,
                  settings: SettingsDep) -> DeveloperAppSecretOut:
    """A new secret, shown this once; the old one stops working at once. Access tokens already
    exchanged keep working."""
    secret = service.rotate_secret(session, settings=settings, user=user, app=app)
    return DeveloperAppSecretOut(id=app.id, app_id=str(app.app_id), secret=secret)


@router.delete("/developer-apps/{developer_app_id}", status_code=204)
def delete_app(developer_app_id: str, app: DeveloperAppOwnedWithDeleted, user: UserDep,
               session: SessionDep) -> None:
    """Delete the app: every authorization people gave it, and every access token it holds, is
    revoked at once. Deleting twice is harmless."""
    service.delete(session, user=user, app=app)


@router.post("/app-grants", response_model=AppGrantCreated, status_code=201)
def authorize(body: AppGrantIn, user: UserDep, session: SessionDep,
              settings: SettingsDep) -> AppGrantCreated:
    """Authorize an app on some of your ad accounts without the browser page (for scripts and
    tests); the same as allowing it on `/oauth/authorize`.

    The answer carries the one-time `auth_code` (valid for `tiktok.auth_code_minutes`, default
    10) and the `redirect_url` a browser would be sent to. Ad accounts must be ones of your
    businesses (another's answer 404); `redirect_uri`, if given, must equal the app's
    (422 `redirect_uri_mismatch`).
    """
    app = service.app_for_authorization(session, app_id=body.app_id)
    done = service.authorize(session, settings=settings, user=user, app=app,
                             redirect_uri=body.redirect_uri, state=body.state,
                             ad_account_ids=body.ad_account_ids)
    return AppGrantCreated(**AppGrantOut.of(done.view).model_dump(), auth_code=done.auth_code,
                           redirect_url=done.redirect_url)


@router.get("/app-grants", response_model=list[AppGrantOut])
def list_grants(user: UserDep, session: SessionDep) -> list[AppGrantOut]:
    """The apps you authorized, newest first: which ad accounts, since when, and status."""
    return [AppGrantOut.of(v) for v in service.grants_of(session, user=user)]


@router.delete("/app-grants/{grant_id}", response_model=AppGrantOut)
def revoke_grant(grant_id: str, user: UserDep, session: SessionDep) -> AppGrantOut:
    """Revoke an authorization: its auth_code and access token stop working at once. Revoking
    twice is harmless."""
    return AppGrantOut.of(service.revoke_grant(session, user=user, grant_id=grant_id))
