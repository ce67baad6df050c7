"""Pure decisions about developer apps and their grants: no session, no I/O.

A redirect URL is https (or http on the loopback host, for development), with no credentials and
no fragment; the one an authorization link names must equal the registered one exactly. An
auth_code is usable once, before it expires, while its grant stands; the reason it is not is
told in words a developer can act on.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime, timedelta
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

from sparkcodes import errors
from sparkcodes.kit import limits
from sparkcodes.kit.text import refuse_control

MAX_NAME = limits.APP_NAME
MAX_URL = limits.APP_URL
MAX_STATE = limits.APP_STATE
MAX_AD_ACCOUNTS = 1000
LOOPBACK_HOSTS = ("localhost", "127.0.0.1", "::1")
# The parameters the authorization step adds to the redirect URL; a registered URL may not use
# them itself.
REDIRECT_PARAMS = ("auth_code", "code", "state", "error", "error_description")
RE_AUTHORIZE = "Please re-authorize and try again with a new auth_code."


class InvalidAppName(errors.InvalidInput):
    code = "invalid_app_name"


class InvalidRedirectUrl(errors.InvalidInput):
    code = "invalid_redirect_url"


class RedirectUriMismatch(errors.InvalidInput):
    code = "redirect_uri_mismatch"
    message = ("redirect_uri is not the redirect URL the app registered; the authorization "
               "step only sends people back to that URL.")


class NoAdAccountsChosen(errors.InvalidInput):
    code = "no_ad_accounts_chosen"
    message = "Choose at least one ad account for the app."


class TooManyAdAccounts(errors.InvalidInput):
    code = "too_many_ad_accounts"
    message = f"An authorization covers at most {MAX_AD_ACCOUNTS} ad accounts."


class InvalidState(errors.InvalidInput):
    code = "invalid_state"
    message = f"state is longer than {MAX_STATE} characters."


class AppCredentialsInvalid(errors.AppError):
    """The app_id and secret do not name a live app (which half is wrong is not said)."""

    code, status = "app_credentials_invalid", 401
    message = "The app_id and secret do not match a registered app."


class AuthCodeInvalid(errors.AppError):
    """An auth_code that cannot be exchanged; ``reason`` is unknown, used, expired or revoked."""

    code, status = "auth_code_invalid", 400

    def __init__(self, reason: str, message: str) -> None:
        super().__init__(message)
        self.reason = reason


def check_name(name: str) -> str:
    """The app's name, trimmed; raises InvalidAppName."""
    name = refuse_control(name.strip(), name="app's name")
    if not name:
        raise InvalidAppName("Give the app a name: people see it when they authorize it.")
    if len(name) > MAX_NAME:
        raise InvalidAppName(f"Keep the app's name to {MAX_NAME} characters.")
    return name


def check_redirect_url(url: str) -> str:
    """An absolute https URL (http only on localhost, 127.0.0.1 or [::1]) without credentials
    or fragment; raises InvalidRedirectUrl."""
    url = url.strip()
    if len(url) > MAX_URL:
        raise InvalidRedirectUrl(f"The redirect URL is longer than {MAX_URL} characters.")
    try:
        parts = urlsplit(url)
        host = parts.hostname
        parts.port  # noqa: B018 - raises ValueError on a port out of range
    except ValueError:
        raise InvalidRedirectUrl("The redirect URL is not a valid URL.") from None
    if parts.scheme not in ("http", "https") or not host:
        raise InvalidRedirectUrl("Give an absolute https:// URL, e.g. "
                                 "https://app.example.com/tiktok/callback.")
    if parts.scheme == "http" and host not in LOOPBACK_HOSTS:
        raise InvalidRedirectUrl("Use https: plain http is allowed only on localhost, "
                                 "127.0.0.1 or [::1] (for development).")
    if parts.username is not None or parts.password is not None:
        raise InvalidRedirectUrl("Leave credentials out of the redirect URL.")
    if parts.fragment or url.endswith("#"):
        raise InvalidRedirectUrl("Leave the #fragment out of the redirect URL: the auth_code "
                                 "is added to its query string.")
    taken = sorted({k for k, _ in parse_qsl(parts.query, keep_blank_values=True)}
                   & set(REDIRECT_PARAMS))
    if taken:
        raise InvalidRedirectUrl(f"The redirect URL may not carry {', '.join(taken)} itself: "
                                 "the authorization step adds it.")
    if any(ch.isspace() or ord(ch) < 32 for ch in url):
        raise InvalidRedirectUrl("The redirect URL may not contain spaces or control "
                                 "characters.")
    return url


def check_redirect_uri(registered: str, given: str | None) -> str:
    """The URL to send the person back to: the registered one; a given one must equal it."""
    if given is not None and given != "" and given != registered:
        raise RedirectUriMismatch()
    return registered


def check_state(state: str | None) -> str | None:
    if state is not None and len(state) > MAX_STATE:
        raise InvalidState()
    return state or None


def check_ad_account_choice(chosen: list[str], allowed: set[str]) -> list[str]:
    """The chosen ad accounts, each once, in order; every one must be one the user may act on
    (another's answers NotFound, as for an id that does not exist)."""
    unique = list(dict.fromkeys(chosen))
    if not unique:
        raise NoAdAccountsChosen()
    if len(unique) > MAX_AD_ACCOUNTS:
        raise TooManyAdAccounts()
    if any(ad_account_id not in allowed for ad_account_id in unique):
        raise errors.NotFound("No such ad account.")
    return unique


def with_params(url: str, params: Mapping[str, str | None]) -> str:
    """``url`` with ``params`` added to its query string (its own parameters kept, first)."""
    parts = urlsplit(url)
    query = parse_qsl(parts.query, keep_blank_values=True)
    query += [(k, v) for k, v in params.items() if v is not None]
    return urlunsplit((parts.scheme, parts.netloc, parts.path, urlencode(query), ""))


def allowed_url(redirect_url: str, *, auth_code: str, state: str | None) -> str:
    """Where the person goes after allowing: TikTok sends ``auth_code``; ``code`` is the same
    value under OAuth 2.0's name."""
    return with_params(redirect_url, {"auth_code": auth_code, "code": auth_code,
                                      "state": state})


def denied_url(redirect_url: str, *, state: str | None) -> str:
    """Where the person goes after denying: OAuth 2.0's ``error=access_denied``."""
    return with_params(redirect_url, {
        "error": "access_denied",
        "error_description": "The user denied the authorization.", "state": state})


def origin(url: str) -> str:
    """scheme://host[:port] of a URL (for the page's Content-Security-Policy form-action)."""
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}"


def auth_code_expiry(now: datetime, minutes: int) -> datetime:
    return now + timedelta(minutes=minutes)


def grant_status(*, auth_code_expires_at: datetime, auth_code_used_at: datetime | None,
                 revoked_at: datetime | None, now: datetime) -> str:
    """``revoked``; ``active`` (the app holds a token); ``pending`` (the auth_code waits to be
    exchanged); ``expired`` (it never was, in time)."""
    if revoked_at is not None:
        return "revoked"
    if auth_code_used_at is not None:
        return "active"
    if auth_code_expires_at > now:
        return "pending"
    return "expired"


def auth_code_refusal(*, found: bool, auth_code_expires_at: datetime | None,
                      auth_code_used_at: datetime | None, revoked_at: datetime | None,
                      app_deleted: bool, now: datetime, minutes: int) -> AuthCodeInvalid:
    """Why an auth_code could not be exchanged, in TikTok's words plus the precise reason.

    ``found`` is False for a code no grant of this app has (another app's codes included)."""
    if not found or auth_code_expires_at is None:
        return AuthCodeInvalid("unknown", "The auth_code is invalid: no authorization of this "
                                          f"app has it. {RE_AUTHORIZE}")
    if revoked_at is not None or app_deleted:
        return AuthCodeInvalid("revoked", "The auth_code is canceled: the authorization was "
                                          f"revoked. {RE_AUTHORIZE}")
    if auth_code_used_at is not None:
        return AuthCodeInvalid("used", "The auth_code has already been used: each auth_code is "
                                       f"exchanged for an access token once. {RE_AUTHORIZE}")
    if auth_code_expires_at <= now:
        return AuthCodeInvalid("expired", f"The auth_code has expired: it is valid for {minutes} "
                                          f"minutes after the authorization. {RE_AUTHORIZE}")
    return AuthCodeInvalid("unknown", f"The auth_code could not be exchanged. {RE_AUTHORIZE}")
