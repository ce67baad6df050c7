"""Pages: a month view of code expiries, and iCalendar subscribe links."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, datetime
from typing import Any
from urllib.parse import urlencode

from fastapi import APIRouter
from fastapi.responses import Response

from sparkcodes import errors
from sparkcodes.business import rules as business_rules
from sparkcodes.business.auth import BusinessRead
from sparkcodes.calendar_feed import rules, service
from sparkcodes.creator import service as creator_service
from sparkcodes.kit.clock import utc_now
from sparkcodes.models import Business, CalendarFeed, Creator
from sparkcodes.web.kit import Web, WebForm, WebPage

router = APIRouter(tags=["pages"])

REVOKED = ("Revoked: that subscribe link no longer works. Calendars subscribed to it stop "
           "getting updates; you can remove it from them.")


def _month(web: Web, now: datetime) -> tuple[date, errors.AppError | None]:
    """The month asked for (``?month=YYYY-MM``), else the current month on the service clock."""
    text = web.request.query_params.get("month") or ""
    if not text.strip():
        return rules.month_of(now), None
    try:
        return rules.parse_month(text), None
    except errors.AppError as exc:
        return rules.month_of(now), exc


def _month_context(web: Web, base: str, now: datetime,
                   load: Callable[[date], list[service.Expiry]],
                   link: Callable[[service.Expiry], str]) -> tuple[dict[str, Any], int]:
    first, error = _month(web, now)
    by_day: dict[date, list[dict[str, Any]]] = {}
    expiries = load(first)
    for e in expiries:
        by_day.setdefault(e.ends_at.date(), []).append({
            "e": e, "href": link(e), "caption": rules.short(e.caption, 40),
            "ads": rules.ads_text(e.live_ads), "ended": e.ends_at <= now})
    prev, nxt, this = rules.shift_month(first, -1), rules.shift_month(first, 1), \
        rules.month_of(now)
    return {
        "first": first, "weeks": rules.month_grid(first), "by_day": by_day,
        "count": len(expiries), "today": now.date(), "base": base,
        "prev_url": f"{base}?month={prev:%Y-%m}", "prev_label": f"{prev:%B}",
        "next_url": f"{base}?month={nxt:%Y-%m}", "next_label": f"{nxt:%B}",
        "this_url": base if first != this else None,
        "month_value": (web.request.query_params.get("month") or "")[:20] if error
        else f"{first:%Y-%m}",
        "errors": {"month": error.message} if error else {},
    }, (error.status if error else 200)


def _feeds(feeds: list[CalendarFeed], names: dict[str, str], me: str,
           may_revoke: Callable[[CalendarFeed], bool]) -> list[dict[str, Any]]:
    """The active feeds, with who made them and whether this user may revoke them."""
    return [{"feed": f, "by": "you" if f.created_by_id == me
             else names.get(f.created_by_id, "a former member (this link no longer works)"),
             "can_revoke": may_revoke(f)}
            for f in feeds if f.revoked_at is None]


def _new_feed(web: Web, token: str) -> dict[str, str]:
    url = service.url(web.settings, token)
    return {"url": url, "webcal": rules.webcal(url)}


# --- the business's calendar --------------------------------------------------------------------

def _business(web: Web, business: Business, role: str, *, new: dict[str, str] | None = None,
              feed_errors: dict[str, str] | None = None, create_error: str | None = None,
              status: int = 200) -> Response:
    now = utc_now()
    base = f"/businesses/{business.id}/calendar"
    ctx, month_status = _month_context(
        web, base, now,
        lambda first: service.business_month(web.session, business=business, first=first,
                                             now=now),
        lambda e: f"/businesses/{business.id}/tracker?"
                  + urlencode({"post_id": e.post_id, "include_unbound": "on"}))
    names = service.member_emails(web.session, business=business)
    admin = business_rules.allows(role, "admin")
    feeds = _feeds(service.of_business(web.session, business=business), names, web.me.id,
                   lambda f: admin or f.created_by_id == web.me.id)
    ctx.update({
        "business": business, "role": role, "feeds": feeds, "new_feed": new,
        "feed_errors": feed_errors or {}, "create_error": create_error,
        "create_action": f"/businesses/{business.id}/calendar-feeds",
        "notice": REVOKED if web.request.query_params.get("revoked") == "1" else None,
    })
    return web.render("calendar_feed/business.html", ctx,
                      status=status if status != 200 else month_status)


@router.get("/businesses/{business_id}/calendar")
def business_calendar(business_id: str, web: WebPage, access: BusinessRead) -> Response:
    """A month of the business's code ends, and its calendar subscribe links."""
    business, role = access.business, access.role
    return _business(web, business, role)


@router.post("/businesses/{business_id}/calendar-feeds")
def create_business_feed(business_id: str, web: WebForm, access: BusinessRead) -> Response:
    """A new secret subscribe link of the business's code ends, shown once."""
    business, role = access.business, access.role
    made, error = web.attempt(service.create_for_business, web.session, settings=web.settings,
                              user=web.me, business=business)
    if error is not None:
        return _business(web, business, role, create_error=error.message, status=error.status)
    assert made is not None
    return _business(web, business, role, new=_new_feed(web, made[1]), status=201)


# --- a creator account's calendar ---------------------------------------------------------------

def _creator(web: Web, creator: Creator, *, new: dict[str, str] | None = None,
             create_error: str | None = None, status: int = 200) -> Response:
    now = utc_now()
    base = f"/creators/{creator.id}/calendar"
    ctx, month_status = _month_context(
        web, base, now,
        lambda first: service.creator_month(web.session, creator=creator, first=first, now=now),
        lambda e: f"/posts/{e.post_id}")
    feeds = _feeds(service.of_creator(web.session, creator=creator), {}, web.me.id,
                   lambda f: True)
    ctx.update({
        "creator": creator, "feeds": feeds, "new_feed": new, "feed_errors": {},
        "create_error": create_error,
        "create_action": f"/creators/{creator.id}/calendar-feeds",
        "notice": REVOKED if web.request.query_params.get("revoked") == "1" else None,
    })
    return web.render("calendar_feed/creator.html", ctx,
                      status=status if status != 200 else month_status)


@router.get("/creators/{creator_id}/calendar")
def creator_calendar(creator_id: str, web: WebPage) -> Response:
    """A month of your creator account's code ends, and its calendar subscribe links."""
    creator = creator_service.get_owned(web.session, user=web.me, creator_id=creator_id)
    return _creator(web, creator)


@router.post("/creators/{creator_id}/calendar-feeds")
def create_creator_feed(creator_id: str, web: WebForm) -> Response:
    """A new secret subscribe link of the creator account's code ends, shown once."""
    creator = creator_service.get_owned(web.session, user=web.me, creator_id=creator_id)
    made, error = web.attempt(service.create_for_creator, web.session, settings=web.settings,
                              user=web.me, creator=creator)
    if error is not None:
        return _creator(web, creator, create_error=error.message, status=error.status)
    assert made is not None
    return _creator(web, creator, new=_new_feed(web, made[1]), status=201)


# --- revoking -----------------------------------------------------------------------------------

@router.post("/calendar-feeds/{feed_id}/revoke")
def revoke_feed(feed_id: str, web: WebForm) -> Response:
    """Revoke a subscribe link (its maker, a business admin, or the creator account's owner)."""
    feed, error = web.attempt(service.get_for_revoke, web.session, user=web.me, feed_id=feed_id)
    if error is not None:
        if error.status == 404:
            raise error
        # Forbidden: a member of the feed's business who may not revoke it; say so beside it.
        business, role = service.business_of(web.session, user=web.me, feed_id=feed_id)
        return _business(web, business, role, feed_errors={feed_id: error.message},
                         status=error.status)
    assert feed is not None
    service.revoke(web.session, user=web.me, feed=feed)
    if feed.business_id is not None:
        return web.redirect(f"/businesses/{feed.business_id}/calendar?revoked=1")
    return web.redirect(f"/creators/{feed.creator_id}/calendar?revoked=1")
