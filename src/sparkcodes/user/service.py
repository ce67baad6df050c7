"""Sign-up, log-in and API tokens (tokens shown once, stored as a keyed hash)."""

from __future__ import annotations

import contextlib
from datetime import datetime

from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from sparkcodes import errors
from sparkcodes.audit import service as audit
from sparkcodes.config import Settings
from sparkcodes.kit import crypto
from sparkcodes.kit.clock import utc_now
from sparkcodes.models import ApiToken, User
from sparkcodes.user import repository

MIN_PASSWORD = 8


def normalize_email(email: str) -> str:
    value = email.strip().lower()
    local, at, domain = value.partition("@")
    if (not at or not local or "@" in domain or "." not in domain or domain.startswith(".")
            or domain.endswith(".") or " " in value or len(value) > 254):
        raise errors.InvalidInput("That does not look like an e-mail address.",
                                  code="invalid_email")
    return value


def sign_up(session: Session, *, email: str, password: str, name: str = "") -> User:
    """Create a user; raises EmailTaken (409) or InvalidInput for a weak password."""
    email = normalize_email(email)
    if len(password) < MIN_PASSWORD:
        raise errors.InvalidInput(
            f"Choose a password of at least {MIN_PASSWORD} characters.", code="weak_password"
        )
    if repository.by_email(session, email) is not None:
        raise errors.Conflict("An account with this e-mail exists; log in instead.",
                              code="email_taken")
    user = User(email=email, name=name.strip(), password_hash=crypto.hash_password(password))
    try:
        with session.begin_nested():
            repository.add(session, user)
    except IntegrityError as exc:
        raise errors.Conflict("An account with this e-mail exists; log in instead.",
                              code="email_taken") from exc
    audit.record(session, actor_id=user.id, action="user.created", target_type="user",
                 target_id=user.id, after={"email": email})
    return user


def check_password(session: Session, *, email: str, password: str) -> User:
    """Raises InvalidCredentials (401) without saying which half was wrong."""
    try:
        email = normalize_email(email)
    except errors.AppError:
        email = ""
    user = repository.by_email(session, email) if email else None
    ok = crypto.verify_password(
        user.password_hash if user else crypto.DUMMY_PASSWORD_HASH, password
    )
    if user is None or not ok:
        raise errors.AppError("Wrong e-mail or password.", code="invalid_credentials", status=401)
    return user


def issue_token(session: Session, *, settings: Settings, user: User, name: str = "",
                expires_at: datetime | None = None) -> tuple[ApiToken, str]:
    """Create an API token; the raw value is returned once and never stored."""
    raw = crypto.new_api_token()
    token = ApiToken(
        user_id=user.id,
        name=name,
        token_hash=crypto.hash_api_token(settings.secret_key, raw),
        hint=raw[:8],
        expires_at=expires_at,
    )
    repository.add(session, token)
    audit.record(session, actor_id=user.id, action="token.created", target_type="api_token",
                 target_id=token.id, after={"name": name, "hint": token.hint})
    return token, raw


def log_in(session: Session, *, settings: Settings, email: str, password: str,
           name: str = "") -> tuple[ApiToken, str]:
    user = check_password(session, email=email, password=password)
    return issue_token(session, settings=settings, user=user, name=name or "log-in")


def authenticate_token(session: Session, *, settings: Settings, token: str) -> User:
    """The user behind a bearer token (the /v1 API and pages); raises Unauthorized for unknown,
    revoked or expired ones, and for tokens issued to a developer app."""
    user, api_token = authenticate(session, settings=settings, token=token)
    if api_token.app_grant_id is not None:
        raise errors.Unauthorized(
            "That token was issued to a developer app: it works only on the TikTok-compatible "
            "API under /open_api/v1.3, not on /v1 or the pages.")
    return user


def authenticate(session: Session, *, settings: Settings, token: str) -> tuple[User, ApiToken]:
    """The user and the token row behind a raw token; Unauthorized for unknown, revoked or
    expired ones."""
    found = repository.user_by_token_hash(session, crypto.hash_api_token(settings.secret_key,
                                                                         token))
    if found is None:
        raise errors.Unauthorized("That token is not valid; log in again.")
    user, api_token = found
    if api_token.revoked_at is not None:
        raise errors.Unauthorized("That token was revoked; log in again.")
    if api_token.expires_at is not None and api_token.expires_at <= utc_now():
        raise errors.Unauthorized("That token has expired; log in again.")
    return user, api_token


def revoke_token(session: Session, *, user: User, token_id: str) -> ApiToken:
    """Revoking twice is harmless."""
    token = repository.token_of(session, user.id, token_id)
    if token is None:
        raise errors.NotFound("No such token.")
    if token.revoked_at is None:
        token.revoked_at = utc_now()
        audit.record(session, actor_id=user.id, action="token.revoked", target_type="api_token",
                     target_id=token.id)
    return token


def by_email(session: Session, *, email: str) -> User | None:
    """The user with this e-mail (normalized first; InvalidInput if it is not one), if any."""
    return repository.by_email(session, normalize_email(email))


def tokens_of(session: Session, *, user: User) -> list[ApiToken]:
    """The user's API tokens (never their values)."""
    return repository.tokens_of(session, user.id)


def log_out(session: Session, *, settings: Settings, user: User, token: str) -> None:
    """Revoke the token of a page session; an unknown or already revoked one is harmless."""
    found = repository.user_by_token_hash(session, crypto.hash_api_token(settings.secret_key,
                                                                         token))
    if found is not None:
        with contextlib.suppress(errors.NotFound):  # revoked meanwhile: harmless
            revoke_token(session, user=user, token_id=found[1].id)
