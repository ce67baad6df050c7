"""Developer apps, the grants users give them and the tokens they exchange (docs/tiktok.md).

An app has a public ``app_id`` and a secret kept only as a keyed hash. A user authorizes an app
on some of their ad accounts: that makes a grant and a one-time ``auth_code`` (hashed, short-
lived), which the app exchanges once for an access token bound to the grant. The token acts as
its user, on the granted ad accounts only, on /open_api/v1.3 only. Revoking the grant or deleting
the app revokes its tokens at once.
"""

from __future__ import annotations

import hmac
import secrets
from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from sparkcodes import errors
from sparkcodes.audit import service as audit
from sparkcodes.config import Settings
from sparkcodes.developer_app import repository, rules
from sparkcodes.kit import crypto
from sparkcodes.kit.clock import utc_now
from sparkcodes.models import (
    AdAccount,
    ApiToken,
    AppGrant,
    AppGrantAdAccount,
    Business,
    DeveloperApp,
    User,
)
from sparkcodes.user import repository as user_repository
from sparkcodes.user import service as user_service

SECRET_BYTES = 20  # 40 hex characters, as TikTok's app secrets
AUTH_CODE_BYTES = 20
SECRET_HINT = 4
MAX_APP_ID = 2**63 - 1


@dataclass
class GrantView:
    grant: AppGrant
    app: DeveloperApp
    ad_accounts: list[AdAccount]
    status: str


@dataclass
class Authorized:
    view: GrantView
    auth_code: str  # raw, returned once
    redirect_url: str  # the registered URL with auth_code, code and state


@dataclass
class Exchanged:
    grant: AppGrant
    token: ApiToken
    access_token: str  # raw, returned once
    advertisers: list[AdAccount]


def _hash_secret(settings: Settings, secret: str) -> str:
    return crypto.keyed_hash(settings.secret_key, secret, purpose="developer-app-secret")


def _hash_auth_code(settings: Settings, auth_code: str) -> str:
    return crypto.keyed_hash(settings.secret_key, auth_code, purpose="oauth-auth-code")


def _new_secret() -> str:
    return secrets.token_hex(SECRET_BYTES)


def _app_id_number(app_id: str | None) -> int | None:
    """An app_id as the number it is stored as, or None when it cannot be one."""
    text = (app_id or "").strip()
    if not (text.isascii() and text.isdigit() and len(text) <= 19) or int(text) > MAX_APP_ID:
        return None
    return int(text)


# --- apps ---------------------------------------------------------------------------------------

def register(session: Session, *, settings: Settings, user: User, name: str,
             redirect_url: str) -> tuple[DeveloperApp, str]:
    """Register an app; its secret is returned this once. Raises InvalidAppName or
    InvalidRedirectUrl (422)."""
    secret = _new_secret()
    app = DeveloperApp(owner_id=user.id, name=rules.check_name(name),
                       redirect_url=rules.check_redirect_url(redirect_url),
                       secret_hash=_hash_secret(settings, secret),
                       secret_hint=secret[:SECRET_HINT])
    repository.add(session, app)
    audit.record(session, actor_id=user.id, action="developer_app.registered",
                 target_type="developer_app", target_id=app.id,
                 after={"app_id": str(app.app_id), "name": app.name,
                        "redirect_url": app.redirect_url})
    return app, secret


def access(session: Session, *, user: User, developer_app_id: str,
           include_deleted: bool = False) -> DeveloperApp:
    """One of the user's apps; NotFound for any other id (another's apps included)."""
    app = repository.app_of_owner(session, developer_app_id, user.id,
                                  include_deleted=include_deleted)
    if app is None:
        raise errors.NotFound("No such developer app.")
    return app


def apps_of(session: Session, *, user: User) -> list[DeveloperApp]:
    """The user's live apps, oldest first."""
    return repository.apps_of(session, user.id)


def active_grant_count(session: Session, *, app: DeveloperApp) -> int:
    """How many authorizations of the app stand with a token exchanged."""
    return repository.count_active_grants(session, app.id)


def update(session: Session, *, user: User, app: DeveloperApp, name: str | None = None,
           redirect_url: str | None = None) -> DeveloperApp:
    """Rename the app or change its redirect URL (checked as at registration); pending
    auth_codes and tokens keep working."""
    before = {"name": app.name, "redirect_url": app.redirect_url}
    if name is not None:
        app.name = rules.check_name(name)
    if redirect_url is not None:
        app.redirect_url = rules.check_redirect_url(redirect_url)
    after = {"name": app.name, "redirect_url": app.redirect_url}
    if after != before:
        session.flush()
        audit.record(session, actor_id=user.id, action="developer_app.updated",
                     target_type="developer_app", target_id=app.id, before=before, after=after)
    return app


def rotate_secret(session: Session, *, settings: Settings, user: User,
                  app: DeveloperApp) -> str:
    """A new secret, returned this once; the old one stops working at once (tokens already
    exchanged keep working)."""
    secret = _new_secret()
    app.secret_hash = _hash_secret(settings, secret)
    app.secret_hint = secret[:SECRET_HINT]
    app.secret_rotated_at = utc_now()
    session.flush()
    audit.record(session, actor_id=user.id, action="developer_app.secret_rotated",
                 target_type="developer_app", target_id=app.id,
                 after={"secret_hint": app.secret_hint})
    return secret


def delete(session: Session, *, user: User, app: DeveloperApp) -> None:
    """Delete the app: every grant and every token it holds is revoked. Deleting twice is
    harmless."""
    now = utc_now()
    if not repository.delete_app(session, developer_app_id=app.id, now=now):
        return
    revoked = repository.revoke_grants(session, developer_app_id=app.id, user_id=user.id,
                                       now=now)
    tokens = repository.revoke_tokens(session, developer_app_id=app.id, now=now)
    session.refresh(app)
    audit.record(session, actor_id=user.id, action="developer_app.deleted",
                 target_type="developer_app", target_id=app.id,
                 after={"grants_revoked": len(revoked), "tokens_revoked": tokens})
    for grant_id in revoked:
        _audit_grant(session, "app_grant.revoked", actor_id=user.id, grant_id=grant_id,
                     app=app, reason="app_deleted")


# --- authorizing an app -------------------------------------------------------------------------

def app_for_authorization(session: Session, *, app_id: str | None) -> DeveloperApp:
    """The live app an authorization link names by its public app_id; NotFound otherwise."""
    number = _app_id_number(app_id)
    app = repository.live_app_by_app_id(session, number) if number is not None else None
    if app is None:
        raise errors.NotFound("No app has this app_id, or it was deleted. Check the link the "
                              "app gave you.", code="developer_app_not_found")
    return app


def grantable(session: Session, *, user: User) -> list[tuple[AdAccount, Business]]:
    """The ad accounts the user may grant: every ad account of the businesses they belong to.
    An app never does more than the user's role there allows."""
    return repository.member_ad_accounts(session, user.id)


def authorize(session: Session, *, settings: Settings, user: User, app: DeveloperApp,
              redirect_uri: str | None, state: str | None,
              ad_account_ids: list[str]) -> Authorized:
    """Grant the app the chosen ad accounts: a grant and a one-time auth_code valid for
    ``settings.tiktok.auth_code_minutes``. Raises RedirectUriMismatch, NoAdAccountsChosen or
    InvalidState (422), NotFound for an ad account the user may not act on."""
    redirect_url = rules.check_redirect_uri(app.redirect_url, redirect_uri)
    state = rules.check_state(state)
    allowed = {a.id: a for a, _ in grantable(session, user=user)}
    chosen = rules.check_ad_account_choice(ad_account_ids, set(allowed))
    raw = secrets.token_hex(AUTH_CODE_BYTES)
    now = utc_now()
    grant = AppGrant(developer_app_id=app.id, user_id=user.id,
                     auth_code_hash=_hash_auth_code(settings, raw),
                     auth_code_expires_at=rules.auth_code_expiry(
                         now, settings.tiktok.auth_code_minutes), created_at=now)
    repository.add(session, grant)
    repository.add(session, *[AppGrantAdAccount(grant_id=grant.id, ad_account_id=i)
                              for i in chosen])
    accounts = [allowed[i] for i in chosen]
    _audit_grant(session, "app_grant.created", actor_id=user.id, grant_id=grant.id, app=app,
                 accounts=accounts)
    return Authorized(view=GrantView(grant, app, accounts, _status(grant, now)), auth_code=raw,
                      redirect_url=rules.allowed_url(redirect_url, auth_code=raw, state=state))


def denied_redirect(*, app: DeveloperApp, redirect_uri: str | None, state: str | None) -> str:
    """Where to send a person who denied: the registered URL with error=access_denied."""
    redirect_url = rules.check_redirect_uri(app.redirect_url, redirect_uri)
    return rules.denied_url(redirect_url, state=rules.check_state(state))


# --- the user's grants --------------------------------------------------------------------------

def grants_of(session: Session, *, user: User) -> list[GrantView]:
    """The user's grants, newest first, with their apps, ad accounts and status."""
    rows = repository.grants_of(session, user.id)
    accounts = repository.granted_ad_accounts(session, [g.id for g, _ in rows])
    now = utc_now()
    return [GrantView(g, a, accounts[g.id], _status(g, now)) for g, a in rows]


def revoke_grant(session: Session, *, user: User, grant_id: str) -> GrantView:
    """Revoke one of the user's grants and its token; revoking twice is harmless. NotFound for
    another's grant."""
    grant = repository.grant_of_user(session, grant_id, user.id)
    if grant is None:
        raise errors.NotFound("No such app authorization.")
    found = repository.grant_with_app(session, grant.id)
    assert found is not None
    app = found[1]
    now = utc_now()
    if repository.revoke_grants(session, grant_ids=[grant.id], user_id=user.id, now=now):
        repository.revoke_tokens(session, grant_ids=[grant.id], now=now)
        _audit_grant(session, "app_grant.revoked", actor_id=user.id, grant_id=grant.id,
                     app=app, reason="user_revoked")
    session.refresh(grant)
    accounts = repository.granted_ad_accounts(session, [grant.id])[grant.id]
    return GrantView(grant, app, accounts, _status(grant, utc_now()))


def _status(grant: AppGrant, now: datetime) -> str:
    return rules.grant_status(auth_code_expires_at=grant.auth_code_expires_at,
                              auth_code_used_at=grant.auth_code_used_at,
                              revoked_at=grant.revoked_at, now=now)


def _audit_grant(session: Session, action: str, *, actor_id: str | None, grant_id: str,
                 app: DeveloperApp, accounts: list[AdAccount] | None = None,
                 **extra: Any) -> None:
    """One row per business whose ad accounts the grant covers, so its history shows them."""
    if accounts is None:
        accounts = repository.granted_ad_accounts(session, [grant_id])[grant_id]
    by_business: dict[str, list[AdAccount]] = defaultdict(list)
    for account in accounts:
        by_business[account.business_id].append(account)
    groups: list[tuple[str | None, list[AdAccount]]] = [*sorted(by_business.items())]
    for business_id, mine in groups or [(None, [])]:
        audit.record(session, actor_id=actor_id, action=action, target_type="app_grant",
                     target_id=grant_id, business_id=business_id,
                     after={"app_id": str(app.app_id), "app_name": app.name,
                            "ad_account_ids": [a.id for a in mine]}, **extra)


# --- the exchange (oauth2/access_token) ---------------------------------------------------------

def verify_app(session: Session, *, settings: Settings, app_id: str | None,
               secret: str | None) -> DeveloperApp:
    """The live app with this app_id and secret; AppCredentialsInvalid otherwise, without
    saying which half was wrong."""
    number = _app_id_number(app_id)
    app = repository.live_app_by_app_id(session, number) if number is not None else None
    given = _hash_secret(settings, secret or "")
    if app is None or not secret or not hmac.compare_digest(given, app.secret_hash):
        raise rules.AppCredentialsInvalid()
    return app


def exchange(session: Session, *, settings: Settings, app: DeveloperApp,
             auth_code: str) -> Exchanged:
    """Exchange an auth_code once for an access token scoped to its grant. The consume is one
    conditional UPDATE: of racing exchanges exactly one wins. Raises AuthCodeInvalid (unknown,
    used, expired or revoked)."""
    code_hash = _hash_auth_code(settings, auth_code)
    now = utc_now()
    grant = repository.consume_auth_code(session, developer_app_id=app.id, code_hash=code_hash,
                                         now=now)
    if grant is None:
        found = repository.grant_by_code(session, app.id, code_hash)
        raise rules.auth_code_refusal(
            found=found is not None,
            auth_code_expires_at=found.auth_code_expires_at if found else None,
            auth_code_used_at=found.auth_code_used_at if found else None,
            revoked_at=found.revoked_at if found else None, app_deleted=False, now=now,
            minutes=settings.tiktok.auth_code_minutes)
    raw = crypto.new_api_token()
    token = ApiToken(user_id=grant.user_id, name=f"App: {app.name}"[:120],
                     token_hash=crypto.hash_api_token(settings.secret_key, raw), hint=raw[:8],
                     developer_app_id=app.id, app_grant_id=grant.id)
    try:
        with session.begin_nested():
            repository.add(session, token)
    except IntegrityError:  # a second guard: one token per grant (uq_api_tokens_app_grant_id)
        raise rules.AuthCodeInvalid("used", "The auth_code has already been used. "
                                            f"{rules.RE_AUTHORIZE}") from None
    advertisers = repository.granted_ad_accounts_still_reachable(session, grant.id,
                                                                 grant.user_id)
    _audit_grant(session, "app_grant.exchanged", actor_id=None, grant_id=grant.id, app=app,
                 token_id=token.id, token_hint=token.hint)
    return Exchanged(grant=grant, token=token, access_token=raw, advertisers=advertisers)


def revoke_by_app(session: Session, *, settings: Settings, app: DeveloperApp,
                  access_token: str) -> list[AdAccount]:
    """The app gives up one of its tokens: its grant is revoked (twice is harmless). Returns
    the ad accounts it covered; Unauthorized for a token this app does not hold."""
    found = user_repository.user_by_token_hash(
        session, crypto.hash_api_token(settings.secret_key, access_token))
    token = found[1] if found is not None else None
    if token is None or token.developer_app_id != app.id or token.app_grant_id is None:
        raise errors.Unauthorized("This access token was not issued to this app.")
    grant_id = token.app_grant_id
    now = utc_now()
    if repository.revoke_grants(session, grant_ids=[grant_id], user_id=None, now=now):
        _audit_grant(session, "app_grant.revoked", actor_id=None, grant_id=grant_id, app=app,
                     reason="app_revoked")
    repository.revoke_tokens(session, grant_ids=[grant_id], now=now)
    return repository.granted_ad_accounts(session, [grant_id])[grant_id]


# --- app tokens on the TikTok surface -----------------------------------------------------------

def advertiser_scope(session: Session, *, token: user_service.SignedIn) -> frozenset[str] | None:
    """The ad account ids a token may act on: None for a user's own API token (its user's
    memberships decide), the granted ad accounts for a token issued to a developer app.
    Raises Unauthorized when the grant was revoked or the app deleted."""
    if token.app_grant_id is None:
        return None
    found = repository.grant_with_app(session, token.app_grant_id)
    if found is None:
        raise errors.Unauthorized("That token's app authorization no longer exists.")
    grant, app = found
    if app.deleted_at is not None:
        raise errors.Unauthorized("The app this token was issued to was deleted.")
    if grant.revoked_at is not None:
        raise errors.Unauthorized("The user revoked this app's authorization.")
    return frozenset(repository.granted_ad_account_ids(session, grant.id))


def granted_advertisers(session: Session, *, token: user_service.SignedIn) -> list[AdAccount]:
    """The granted ad accounts the token's user may still act on, by name."""
    if token.app_grant_id is None:
        return []
    return repository.granted_ad_accounts_still_reachable(session, token.app_grant_id,
                                                          token.user_id)
