"""What every page route shares: templates, the signed-in user from the session cookie, CSRF.

Pages sign people in with a cookie holding an ordinary API token (issued by the user service and
revoked at log-out), so a browser session is exactly as strong, and as revocable, as a bearer
token. Every POST carries a per-session CSRF token (a keyed hash of the session token) in a hidden
field or the ``X-CSRF-Token`` header that HTMX sends; signed-out forms (log-in, sign-up) use a
random pre-session cookie instead.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Annotated, Any, TypeVar
from urllib.parse import quote, urlsplit

from fastapi import Depends, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from fastapi.templating import Jinja2Templates
from sqlalchemy.orm import Session

from sparkcodes import errors
from sparkcodes.config import Settings
from sparkcodes.deps import (
    SESSION_COOKIE,
    LoginRequired,
    SessionDep,
    SettingsDep,
    cookie_user,
    login_target,
)
from sparkcodes.kit import limits
from sparkcodes.kit.clock import utc_now
from sparkcodes.models import User
from sparkcodes.notification import service as notification_service
from sparkcodes.user import service as user_service
from sparkcodes.values import amounts_text, hint_display, money_text, with_currency

WEB_DIR = Path(__file__).parent
ANON_COOKIE = "sc_anon"
CSRF_FIELD = "csrf_token"
CSRF_HEADER = "x-csrf-token"
SESSION_DAYS = 30

# Pages are same-origin only: no inline scripts or styles, no framing.
CSP = ("default-src 'self'; img-src 'self' data: https: http:; style-src 'self'; "
       "script-src 'self'; object-src 'none'; base-uri 'none'; frame-ancestors 'none'; "
       "form-action 'self'")
# Prefixes that are never pages (JSON API, TikTok surface, docs, ops, assets).
NOT_PAGES = ("/v1/", "/open_api/", "/docs", "/redoc", "/openapi.json", "/health", "/metrics",
             "/static/")

T = TypeVar("T")
R = TypeVar("R", bound=Response)


# --- formatting -------------------------------------------------------------------------------

def fmt_when(value: datetime | None) -> str:
    if value is None:
        return "—"
    return value.strftime("%Y-%m-%d %H:%M UTC")


def fmt_day(value: datetime | None) -> str:
    return "—" if value is None else value.strftime("%b %-d, %Y")


def fmt_ago(value: datetime | None, now: datetime | None = None) -> str:
    """'in 3 days', '2 days ago', 'in 5 hours', 'just now' — relative to the service clock."""
    if value is None:
        return "—"
    now = now or utc_now()
    seconds = (value - now).total_seconds()
    future = seconds > 0
    s = abs(seconds)
    if s < 60:
        return "just now"
    # Rounded, so a fresh 30-day code "ends in 30 days" and one a day and a minute past its end
    # "expired 1 day ago".
    if s < 3600:
        n, unit = max(1, round(s / 60)), "minute"
    elif s < 86400:
        n, unit = max(1, round(s / 3600)), "hour"
    else:
        n, unit = max(1, round(s / 86400)), "day"
    text = f"{n} {unit}{'s' if n != 1 else ''}"
    return f"in {text}" if future else f"{text} ago"


def fmt_money(value: Decimal | int | float | None) -> str:
    if value is None:
        return "—"
    return money_text(value)


def fmt_amount(value: Decimal | int | float | None, currency: str) -> str:
    """An amount with its ISO currency code, as every page shows spend: "1,240.50 USD"; "—" when
    there is none (a CPM without impressions)."""
    if value is None:
        return "—"
    return with_currency(money_text(value), currency)


def fmt_rate(value: float | None) -> str:
    """A rate as a percentage to two places, as Ads Manager shows CTR: 0.01234 is "1.23 %";
    "—" when there is none (a CTR without impressions)."""
    if value is None:
        return "—"
    return f"{value * 100:,.2f} %"


def fmt_num(value: int | None) -> str:
    return "0" if value is None else f"{value:,}"


def form_amount(value: str, *, what: str, high: int, positive: bool = False) -> Decimal | None:
    """A money amount as typed in a form ("1,250.50"): None when empty; refused in words when it
    is not a number, out of range or finer than cents."""
    text = value.strip().replace(",", "")
    if not text:
        return None
    if len(text) > limits.AMOUNT:  # far out of range: no need to read it
        text = "Infinity"
    try:
        amount = Decimal(text)
    except InvalidOperation:
        raise errors.InvalidInput(f"Enter the {what} as an amount such as 250 or 249.99.",
                                  code="invalid_amount") from None
    if (not amount.is_finite() or (amount <= 0 if positive else amount < 0) or amount > high
            or int(amount.as_tuple().exponent) < -2):
        low = "above 0 and up" if positive else "from 0"
        raise errors.InvalidInput(f"Enter the {what} as an amount {low} to {high:,}, with at "
                                  "most two decimals.", code="invalid_amount")
    return amount


def too_long(values: Mapping[str, str], limits: Mapping[str, int]) -> dict[str, str]:
    """The fields whose typed text is longer than its limit (sparkcodes.kit.limits), each with
    the message shown next to it; empty when every field fits."""
    return {name: f"Too long: at most {limit:,} characters, and this has "
                  f"{len(values[name]):,}."
            for name, limit in limits.items() if len(values.get(name) or "") > limit}


CODE_STATUS_LABEL = {"NOT_USED": "Not used", "IN_USE": "In use", "EXPIRED": "Expired",
                     "DELETED": "Deleted"}


def humanize(value: str) -> str:
    """BUDGET_MODE_DAY -> 'Budget mode day'; LEARN_MORE -> 'Learn more'."""
    return value.replace("_", " ").capitalize()


templates = Jinja2Templates(directory=WEB_DIR / "templates")
templates.env.filters.update(when=fmt_when, day=fmt_day, ago=fmt_ago, money=fmt_money,
                             amount=fmt_amount, amounts=amounts_text, num=fmt_num, rate=fmt_rate,
                             humanize=humanize)
templates.env.globals.update(CODE_STATUS_LABEL=CODE_STATUS_LABEL, hint=hint_display,
                             limits=limits)


# --- the request's page context ---------------------------------------------------------------

def _mac(settings: Settings, purpose: str, value: str) -> str:
    digest = hmac.new(settings.secret_key.encode(), f"web-csrf:{purpose}:{value}".encode(),
                      hashlib.sha256).hexdigest()
    return digest[:48]


def safe_next(value: str | None) -> str:
    """Only same-site paths: never an open redirect."""
    if value and value.startswith("/") and not value.startswith("//") and "\\" not in value:
        return value
    return "/"


@dataclass
class Web:
    """Everything a page route needs besides its own arguments."""

    request: Request
    session: Session
    settings: Settings
    user: User | None
    csrf: str
    raw_token: str | None = None
    new_anon: str | None = None

    @property
    def htmx(self) -> bool:
        return self.request.headers.get("hx-request") == "true"

    @property
    def me(self) -> User:
        assert self.user is not None
        return self.user

    def context(self, extra: dict[str, Any]) -> dict[str, Any]:
        unread = (notification_service.unread_count(self.session, user_id=self.user.id)
                  if self.user is not None else 0)
        return {"web": self, "user": self.user, "csrf_token": self.csrf, "now": utc_now(),
                "sandbox": self.settings.sandbox, "unread": unread,
                "path": self.request.url.path, **extra}

    def render(self, name: str, ctx: dict[str, Any] | None = None, *, status: int = 200,
               headers: dict[str, str] | None = None) -> HTMLResponse:
        response = templates.TemplateResponse(self.request, name, self.context(ctx or {}),
                                              status_code=status, headers=headers)
        return self.finish(response)

    def redirect(self, url: str) -> Response:
        """After a successful form: 303 for a browser, HX-Redirect for HTMX."""
        if self.htmx:
            return self.finish(Response(status_code=200, headers={"HX-Redirect": url}))
        return self.finish(RedirectResponse(url, status_code=303))

    def finish(self, response: R) -> R:
        secure_headers(response)
        if self.new_anon:
            response.set_cookie(ANON_COOKIE, self.new_anon, httponly=True, samesite="lax",
                                secure=self.request.url.scheme == "https", path="/")
        return response

    def attempt(self, fn: Callable[..., T], /, *args: Any,
                **kwargs: Any) -> tuple[T | None, errors.AppError | None]:
        """Run a service call in a savepoint: on a refusal its writes are undone, the error is
        returned for the page to show next to the field, and the request carries on."""
        try:
            with self.session.begin_nested():
                return fn(*args, **kwargs), None
        except errors.AppError as exc:
            return None, exc

    def start_session(self, response: Response, user: User) -> None:
        """Issue a session token for the browser and put it in an HttpOnly cookie; the server
        ends it when idle or old (settings.auth), whatever the browser keeps."""
        _, raw = user_service.start_session(self.session, settings=self.settings, user=user)
        days = self.settings.auth.session_days or SESSION_DAYS
        response.set_cookie(SESSION_COOKIE, raw, max_age=days * 86400, httponly=True,
                            samesite="lax", secure=self.request.url.scheme == "https", path="/")


def secure_headers(response: R) -> R:
    response.headers.setdefault("Content-Security-Policy", CSP)
    response.headers.setdefault("X-Content-Type-Options", "nosniff")
    response.headers.setdefault("X-Frame-Options", "DENY")
    response.headers.setdefault("Referrer-Policy", "same-origin")
    # Pages can show a freshly generated code: never cache them.
    response.headers.setdefault("Cache-Control", "no-store")
    return response


def _build(request: Request, session: Session, settings: Settings, *, required: bool) -> Web:
    request.state.page = True
    user = cookie_user(request, session, settings)
    raw = request.cookies.get(SESSION_COOKIE) if user is not None else None
    if user is None:
        if required:
            raise LoginRequired(login_target(request))
        anon = request.cookies.get(ANON_COOKIE) or ""
        new = None
        if not (16 <= len(anon) <= 64):
            anon = new = secrets.token_urlsafe(24)
        return Web(request, session, settings, None, _mac(settings, "anon", anon), new_anon=new)
    return Web(request, session, settings, user, _mac(settings, "session", raw or ""), raw)


async def csrf_sent(request: Request) -> str:
    """The CSRF token of a POST: the HTMX header, else the form's hidden field."""
    header = request.headers.get(CSRF_HEADER)
    if header:
        return header
    ctype = request.headers.get("content-type", "")
    if ctype.startswith(("application/x-www-form-urlencoded", "multipart/form-data")):
        form = await request.form()
        value = form.get(CSRF_FIELD)
        return value if isinstance(value, str) else ""
    return ""


def _check_csrf(web: Web, sent: str) -> None:
    if not sent or not hmac.compare_digest(sent, web.csrf):
        raise errors.Forbidden("This form has expired or did not come from sparkcodes; reload "
                               "the page and try again.", code="csrf_failed")


def page(request: Request, session: SessionDep, settings: SettingsDep) -> Web:
    """A page for signed-in users (others are sent to /login)."""
    return _build(request, session, settings, required=True)


def page_optional(request: Request, session: SessionDep, settings: SettingsDep) -> Web:
    """A page anyone may see (log-in, sign-up)."""
    return _build(request, session, settings, required=False)


def form(request: Request, session: SessionDep, settings: SettingsDep,
         sent: Annotated[str, Depends(csrf_sent)]) -> Web:
    """A POST by a signed-in user, with its CSRF token checked."""
    web = _build(request, session, settings, required=True)
    _check_csrf(web, sent)
    return web


def form_optional(request: Request, session: SessionDep, settings: SettingsDep,
                  sent: Annotated[str, Depends(csrf_sent)]) -> Web:
    """A POST from a signed-out form (log-in, sign-up), CSRF-checked with the pre-session cookie."""
    web = _build(request, session, settings, required=False)
    _check_csrf(web, sent)
    return web


WebPage = Annotated[Web, Depends(page)]
WebPageOptional = Annotated[Web, Depends(page_optional)]
WebForm = Annotated[Web, Depends(form)]
WebFormOptional = Annotated[Web, Depends(form_optional)]


def back(web: Web, fallback: str) -> str:
    """The same-site page the form was sent from (for a redirect after a plain POST)."""
    ref = urlsplit(web.request.headers.get("hx-current-url")
                   or web.request.headers.get("referer", ""))
    if ref.netloc and ref.netloc == web.request.url.netloc and ref.path:
        return safe_next(ref.path + (f"?{ref.query}" if ref.query else ""))
    return fallback


def login_url(next_url: str) -> str:
    return "/login?next=" + quote(safe_next(next_url), safe="/")
