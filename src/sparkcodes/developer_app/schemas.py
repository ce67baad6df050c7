from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, Field

from sparkcodes.developer_app import rules
from sparkcodes.developer_app.service import GrantView
from sparkcodes.kit.text import SingleLine
from sparkcodes.models import AdAccount, DeveloperApp


class DeveloperAppIn(BaseModel):
    name: SingleLine = Field(max_length=rules.MAX_NAME,
                             description="Shown to people who authorize it")
    redirect_url: SingleLine = Field(
        max_length=rules.MAX_URL,
        description="Where the authorization step sends people back, with `auth_code`, `code` "
                    "and `state` added: https, or http on localhost/127.0.0.1/[::1] only")


class DeveloperAppPatch(BaseModel):
    name: SingleLine | None = Field(None, max_length=rules.MAX_NAME)
    redirect_url: SingleLine | None = Field(None, max_length=rules.MAX_URL)


class DeveloperAppOut(BaseModel):
    id: str
    app_id: str = Field(description="The public app_id (19 digits) for oauth2/access_token and "
                                    "the authorization link")
    name: str
    redirect_url: str
    secret_hint: str = Field(description="The secret's first characters, to tell secrets apart")
    authorize_url: str = Field(description="The authorization link to send people to (add "
                                           "`&state=...`), on the server's public URL")
    created_at: datetime
    secret_rotated_at: datetime | None
    deleted_at: datetime | None

    @classmethod
    def of(cls, app: DeveloperApp, *, base_url: str) -> DeveloperAppOut:
        return cls(id=app.id, app_id=str(app.app_id), name=app.name,
                   redirect_url=app.redirect_url, secret_hint=app.secret_hint,
                   authorize_url=base_url.rstrip("/") + authorize_path(app),
                   created_at=app.created_at,
                   secret_rotated_at=app.secret_rotated_at, deleted_at=app.deleted_at)


class DeveloperAppCreated(DeveloperAppOut):
    secret: str = Field(description="The app's secret (40 hex characters): shown this once, "
                                    "keep it")


class DeveloperAppSecretOut(BaseModel):
    id: str
    app_id: str
    secret: str = Field(description="The new secret: shown this once; the old one stopped "
                                    "working")


def authorize_path(app: DeveloperApp) -> str:
    return rules.with_params("/oauth/authorize", {"app_id": str(app.app_id),
                                                  "redirect_uri": app.redirect_url})


class AppGrantIn(BaseModel):
    app_id: str = Field(max_length=19, description="The public app_id of the app to authorize")
    redirect_uri: SingleLine | None = Field(None, max_length=rules.MAX_URL,
                                     description="Must equal the app's registered redirect "
                                                 "URL; left out, that URL is used")
    state: str | None = Field(None, max_length=rules.MAX_STATE,
                              description="Returned unchanged on the redirect URL")
    ad_account_ids: list[str] = Field(max_length=rules.MAX_AD_ACCOUNTS,
                                      description="Ad accounts of your businesses the app may "
                                                  "act on (as you, within your role)")


class GrantedAdAccount(BaseModel):
    id: str
    advertiser_id: str = Field(description="The ad account's id on /open_api/v1.3")
    name: str
    business_id: str

    @classmethod
    def of(cls, account: AdAccount) -> GrantedAdAccount:
        return cls(id=account.id, advertiser_id=str(account.tiktok_id), name=account.name,
                   business_id=account.business_id)


class GrantApp(BaseModel):
    app_id: str
    name: str
    deleted: bool


class AppGrantOut(BaseModel):
    id: str
    app: GrantApp
    ad_accounts: list[GrantedAdAccount]
    status: str = Field(description="pending (the auth_code waits to be exchanged), active (the "
                                    "app holds a token), expired (never exchanged in time) or "
                                    "revoked")
    created_at: datetime
    auth_code_expires_at: datetime
    exchanged_at: datetime | None
    revoked_at: datetime | None

    @classmethod
    def of(cls, view: GrantView) -> AppGrantOut:
        g, a = view.grant, view.app
        return cls(id=g.id, app=GrantApp(app_id=str(a.app_id), name=a.name,
                                         deleted=a.deleted_at is not None),
                   ad_accounts=[GrantedAdAccount.of(x) for x in view.ad_accounts],
                   status=view.status, created_at=g.created_at,
                   auth_code_expires_at=g.auth_code_expires_at,
                   exchanged_at=g.auth_code_used_at, revoked_at=g.revoked_at)


class AppGrantCreated(AppGrantOut):
    auth_code: str = Field(description="The one-time auth_code for oauth2/access_token: shown "
                                       "this once")
    redirect_url: str = Field(description="The app's redirect URL with auth_code, code and "
                                          "state: what a browser would be sent to")
