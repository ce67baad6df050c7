"""Who calls the TikTok surface: the ``Access-Token`` (a sparkcodes API token, or a token a
developer app exchanged for an auth_code) and the advertisers it may act on."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated

from fastapi import Depends, Header, Request
from sqlalchemy.orm import Session

from sparkcodes import errors
from sparkcodes.ad_account import service as ad_account_service
from sparkcodes.compat.tiktok import codes
from sparkcodes.compat.tiktok.envelope import TikTokError
from sparkcodes.compat.tiktok.params import Params
from sparkcodes.compat.tiktok.throttle import Throttle
from sparkcodes.config import Settings
from sparkcodes.deps import SessionDep, SettingsDep
from sparkcodes.developer_app import service as developer_app_service
from sparkcodes.models import AdAccount, User
from sparkcodes.user import service as user_service


def raw_token(request: Request) -> str:
    """The header TikTok documents; the query form the YML fragments declare also works."""
    token = request.headers.get("access-token") or request.query_params.get("access_token")
    if not token or not token.strip():
        raise TikTokError(codes.TOKEN_EMPTY, codes.TOKEN_EMPTY_MESSAGE)
    return token.strip()


@dataclass
class Caller:
    """One request to the surface: who, with which token, and its parameters."""

    request: Request
    session: Session
    settings: Settings
    user: User
    token: user_service.SignedIn
    scope: frozenset[str] | None
    params: Params

    @property
    def throttle(self) -> Throttle:
        return self.request.app.state.tiktok_throttle

    @property
    def path(self) -> str:
        return self.request.url.path

    def advertiser(self, action: str = "read", *, name: str = "advertiser_id",
                   value: str | None = None) -> AdAccount:
        """The ad account named by ``advertiser_id`` if this token may take ``action`` on it.

        Unknown ids, other tenants' accounts and accounts outside an app's grant all answer
        40001 alike, so ids cannot be probed; a role too low says which role is needed.
        """
        advertiser_id = value if value is not None else self.params.id(name, required=True)
        assert advertiser_id is not None
        refused = TikTokError(codes.NO_PERMISSION,
                              f"No permission to operate advertiser {advertiser_id}: it is not "
                              "an ad account this access token may use.")
        try:
            account, _, _ = ad_account_service.access(
                self.session, user=self.user, ad_account_id=None, action=action,
                tiktok_id=int(advertiser_id))
        except errors.NotFound:
            raise refused from None
        except errors.Forbidden as exc:
            raise TikTokError(codes.NO_PERMISSION, exc.message) from None
        if self.scope is not None and account.id not in self.scope:
            raise refused
        self.throttle.advertiser(advertiser_id, self.path)
        return account


def authenticate(request: Request, session: Session,
                 settings: Settings) -> tuple[User, user_service.SignedIn, frozenset | None]:
    raw = raw_token(request)
    try:
        user, token = user_service.authenticate(session, settings=settings, token=raw)
    except errors.Unauthorized:
        raise TikTokError(codes.TOKEN_INVALID, codes.TOKEN_INVALID_MESSAGE) from None
    scope = developer_app_service.advertiser_scope(session, token=token)
    request.state.user = user
    return user, token, scope


def app_key(token: user_service.SignedIn) -> str:
    """The throttle's "app": the developer app a token was issued to, else the token's user."""
    app_id = token.developer_app_id
    return f"app:{app_id}" if app_id else f"user:{token.user_id}"


async def _params(request: Request) -> Params:
    if request.method == "GET":
        return Params.from_query_items(request.query_params.multi_items())
    return Params.from_body(await request.body())


ParamsDep = Annotated[Params, Depends(_params)]


def caller(request: Request, session: SessionDep, settings: SettingsDep, params: ParamsDep,
           access_token: Annotated[str | None, Header(
               alias="Access-Token", description="A sparkcodes API token, or a developer app's "
               "token from oauth2/access_token/ (the query form ?access_token= works too)")] = None,
           ) -> Caller:
    user, token, scope = authenticate(request, session, settings)
    request.app.state.tiktok_throttle.app(app_key(token))
    return Caller(request, session, settings, user, token, scope, params)


CallerDep = Annotated[Caller, Depends(caller)]
