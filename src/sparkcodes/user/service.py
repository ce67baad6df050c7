"""Sign-up, log-in and API tokens (tokens shown once, stored as a keyed hash)."""

from __future__ import annotations

import contextlib
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from sparkcodes import errors
from sparkcodes.audit import service as audit
from sparkcodes.config import Settings
from sparkcodes.kit import crypto
from sparkcodes.kit.clock import utc_now
from sparkcodes.models import ApiToken, User
from sparkcodes.throttle import rules as throttle_rules
from sparkcodes.throttle.service import Limiter
from sparkcodes.user import repository, rules

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


def lifetimes(settings: Settings) -> rules.Lifetimes:
    """How long tokens and sessions live (settings.auth); unlimited in sandbox mode unless
    auth.expire_in_sandbox is on (rehearsals move the clock weeks ahead)."""
    auth = settings.auth
    if settings.sandbox and not auth.expire_in_sandbox:
        return rules.Lifetimes(token=None, session=None, session_idle=None)
    return rules.Lifetimes(
        token=timedelta(days=auth.token_days) if auth.token_days else None,
        session=timedelta(days=auth.session_days) if auth.session_days else None,
        session_idle=(timedelta(minutes=auth.session_idle_minutes)
                      if auth.session_idle_minutes else None))


def check_password(session: Session, *, limiter: Limiter, ip: str | None, email: str,
                   password: str) -> User:
    """Raises InvalidCredentials (401) without saying which half was wrong. Failed attempts
    count per account and per client address; over a limit, RateLimited (429, Retry-After)
    before the password is even checked, Unavailable (503) if the limiter's store is down."""
    try:
        email = normalize_email(email)
        account = email
    except errors.AppError:
        email, account = "", email.strip().lower()[:254]
    reservation = limiter.reserve(limiter.logins(account=account, ip=ip))
    user = repository.by_email(session, email) if email else None
    ok = crypto.verify_password(
        user.password_hash if user else crypto.DUMMY_PASSWORD_HASH, password
    )
    if user is None or not ok:
        raise errors.AppError("Wrong e-mail or password.", code="invalid_credentials", status=401)
    reservation.release()  # a right password is no failed attempt
    return user


def issue_token(session: Session, *, settings: Settings, user: User, name: str = "",
                expires_at: datetime | None = None, lifetime: timedelta | None = None,
                kind: str = rules.API) -> tuple[ApiToken, str]:
    """Create an API token, ending at ``expires_at`` or ``lifetime`` after now (else never);
    the raw value is returned once and never stored."""
    raw = crypto.new_api_token()
    now = utc_now()
    token = ApiToken(
        user_id=user.id,
        name=name,
        kind=kind,
        token_hash=crypto.hash_api_token(settings.secret_key, raw),
        hint=raw[:8],
        created_at=now,
        expires_at=now + lifetime if lifetime is not None else expires_at,
    )
    repository.add(session, token)
    audit.record(session, actor_id=user.id, action="token.created", target_type="api_token",
                 target_id=token.id, after={"name": name, "hint": token.hint})
    return token, raw


def log_in(session: Session, *, settings: Settings, limiter: Limiter, ip: str | None,
           email: str, password: str, name: str = "") -> tuple[ApiToken, str]:
    """An API token for the right e-mail and password, ending after auth.token_days."""
    user = check_password(session, limiter=limiter, ip=ip, email=email, password=password)
    return issue_token(session, settings=settings, user=user, name=name or "log-in",
                       lifetime=lifetimes(settings).token)


def start_session(session: Session, *, settings: Settings, user: User) -> tuple[ApiToken, str]:
    """A page session: a token that also ends when idle (auth.session_idle_minutes) and at
    most auth.session_days after log-in."""
    return issue_token(session, settings=settings, user=user, name="web session",
                       lifetime=lifetimes(settings).session, kind=rules.SESSION)


@dataclass(frozen=True)
class SignedIn:
    """The token a request signed in with: its id, its lifecycle and the idle limit applied."""

    token_id: str
    state: rules.TokenState
    idle: timedelta | None
    user_id: str
    app_grant_id: str | None = None  # a developer app's token: its grant
    developer_app_id: str | None = None  # and the app it was issued to


def authenticate_token(session: Session, *, settings: Settings, token: str) -> User:
    """The user behind a bearer token (the /v1 API and pages); raises Unauthorized for unknown,
    revoked, expired or idle ones, and for tokens issued to a developer app."""
    return sign_in(session, settings=settings, token=token)[0]


def sign_in(session: Session, *, settings: Settings, token: str) -> tuple[User, SignedIn]:
    """authenticate_token, with what the token's row says (to record a session's use)."""
    user, signed_in = authenticate(session, settings=settings, token=token)
    if signed_in.app_grant_id is not None:
        raise errors.Unauthorized(
            "That token was issued to a developer app: it works only on the TikTok-compatible "
            "API under /open_api/v1.3, not on /v1 or the pages.")
    return user, signed_in


def authenticate(session: Session, *, settings: Settings, token: str) -> tuple[User, SignedIn]:
    """The user behind a raw token, of any kind (developer apps' included: the TikTok surface
    decides what those reach), and what its row says; Unauthorized for unknown, revoked,
    expired or idle ones."""
    row = repository.sign_in_row(session, crypto.hash_api_token(settings.secret_key, token))
    if row is None:
        raise _unknown()
    user: User = row[0]
    (_, token_id, kind, created_at, expires_at, revoked_at, last_used_at, app_grant_id,
     developer_app_id) = row
    state = rules.TokenState(kind=kind, created_at=created_at, expires_at=expires_at,
                             revoked_at=revoked_at, last_used_at=last_used_at)
    idle = lifetimes(settings).session_idle
    _check(state, now=utc_now(), idle=idle)
    return user, SignedIn(token_id=token_id, state=state, idle=idle, user_id=user.id,
                          app_grant_id=app_grant_id, developer_app_id=developer_app_id)


def _unknown() -> errors.Unauthorized:
    return errors.Unauthorized("That token is not valid; log in again.")


def _check(state: rules.TokenState, *, now: datetime, idle: timedelta | None) -> None:
    status = rules.status(state, now=now, idle=idle)
    if status is rules.TokenStatus.REVOKED:
        raise errors.Unauthorized("That token was revoked; log in again.")
    if status is rules.TokenStatus.EXPIRED:
        raise errors.Unauthorized("That token has expired; log in again.")
    if status is rules.TokenStatus.IDLE:
        assert idle is not None
        words = throttle_rules.duration_words(int(idle.total_seconds()))
        raise errors.Unauthorized(f"Your session ended after {words} without use; log in "
                                  "again.")


def state_of(token: ApiToken) -> rules.TokenState:
    return rules.TokenState(kind=token.kind, created_at=token.created_at,
                            expires_at=token.expires_at, revoked_at=token.revoked_at,
                            last_used_at=token.last_used_at)


def status_of(token: ApiToken, *, settings: Settings) -> rules.TokenStatus:
    """Whether the token works now, and if not why."""
    return rules.status(state_of(token), now=utc_now(), idle=lifetimes(settings).session_idle)


def due_for_touch(signed_in: SignedIn) -> bool:
    """Whether a session's last use is stale enough to write (see rules.needs_touch)."""
    return rules.needs_touch(signed_in.state, now=utc_now(), idle=signed_in.idle)


def touch(session: Session, *, settings: Settings, token_id: str) -> None:
    """Record a session's use now (a conditional write: racing requests write it once)."""
    idle = lifetimes(settings).session_idle
    if idle is None:
        return
    now = utc_now()
    repository.touch(session, token_id=token_id, now=now,
                     stale_before=now - rules.touch_every(idle))


def revoke_token(session: Session, *, user: User, token_id: str) -> ApiToken:
    """Revoking twice is harmless."""
    token = repository.token_of(session, user.id, token_id)
    if token is None:
        raise errors.NotFound("No such token.")
    return _revoke(session, token, actor_id=user.id)


def _revoke(session: Session, token: ApiToken, *, actor_id: str | None) -> ApiToken:
    if repository.revoke(session, token_id=token.id, now=utc_now()):
        audit.record(session, actor_id=actor_id, action="token.revoked", target_type="api_token",
                     target_id=token.id)
    session.refresh(token)
    return token


def all_tokens(session: Session, *, email: str | None = None,
               token_ids: list[str] | None = None) -> list[tuple[ApiToken, User]]:
    """Every token with its user (an operator's view, `sparkcodes tokens list`), oldest first,
    of one user or with the given ids; NotFound for an e-mail no user has."""
    user_id = None
    if email is not None:
        user = by_email(session, email=email)
        if user is None:
            raise errors.NotFound(f"No user with e-mail {email}.", code="user_not_found")
        user_id = user.id
    return repository.all_tokens(session, user_id=user_id, token_ids=token_ids)


def revoke_by_operator(session: Session, *, token_id: str) -> ApiToken:
    """An operator revokes any token by its id (`sparkcodes tokens revoke`); twice is
    harmless; NotFound for an unknown id."""
    token = repository.token_by_id(session, token_id)
    if token is None:
        raise errors.NotFound(f"No token with id {token_id}.", code="token_not_found")
    return _revoke(session, token, actor_id=None)


def revoke_all_by_operator(session: Session, *, email: str) -> list[ApiToken]:
    """Revoke every token of a user still unrevoked (sessions and developer apps' included);
    the ones revoked now."""
    user = by_email(session, email=email)
    if user is None:
        raise errors.NotFound(f"No user with e-mail {email}.", code="user_not_found")
    return [_revoke(session, token, actor_id=None)
            for token in repository.unrevoked_tokens_of(session, user.id)]


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
