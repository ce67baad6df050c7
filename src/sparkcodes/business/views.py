"""Pages: my businesses, and one business with its ad accounts."""

from __future__ import annotations

from zoneinfo import available_timezones

from fastapi import APIRouter, Form
from fastapi.responses import Response

from sparkcodes.ad_account import service as ad_account_service
from sparkcodes.business import repository, rules, service
from sparkcodes.models import Business
from sparkcodes.web.kit import Web, WebForm, WebPage

router = APIRouter(tags=["pages"])


def _list(web: Web, *, values: dict[str, str] | None = None, errs: dict[str, str] | None = None,
          status: int = 200) -> Response:
    businesses = repository.of_user(web.session, web.me.id)
    return web.render("business/list.html", {"businesses": businesses, "values": values or {},
                                             "errors": errs or {}}, status=status)


@router.get("/businesses")
def businesses(web: WebPage) -> Response:
    """Your businesses (the brand side), and a form to make one."""
    return _list(web)


@router.post("/businesses")
def create_business(web: WebForm, name: str = Form("", max_length=200)) -> Response:
    business, error = web.attempt(service.create, web.session, user=web.me, name=name)
    if error is not None:
        return _list(web, values={"name": name}, errs={"name": error.message},
                     status=error.status)
    assert business is not None
    return web.redirect(f"/businesses/{business.id}")


def _detail(web: Web, business: Business, role: str, *, values: dict[str, str] | None = None,
            errs: dict[str, str] | None = None, status: int = 200) -> Response:
    accounts = repository.ad_accounts(web.session, business.id)
    return web.render("business/detail.html", {
        "business": business, "role": role, "accounts": accounts,
        "can_admin": rules.allows(role, "admin"), "values": values or {}, "errors": errs or {}},
        status=status)


@router.get("/businesses/{business_id}")
def business_page(business_id: str, web: WebPage) -> Response:
    """One business: its ad accounts."""
    business, role = service.access(web.session, user=web.me, business_id=business_id,
                                    action="read")
    return _detail(web, business, role)


@router.post("/businesses/{business_id}/ad-accounts")
def create_ad_account(business_id: str, web: WebForm, name: str = Form("", max_length=200),
                      region: str = Form("", max_length=8),
                      timezone: str = Form("UTC", max_length=64)) -> Response:
    business, role = service.access(web.session, user=web.me, business_id=business_id,
                                    action="admin")
    values = {"name": name, "region": region, "timezone": timezone}
    tz = timezone.strip() or "UTC"
    if tz not in available_timezones():
        return _detail(web, business, role, values=values, status=422, errs={
            "timezone": "Unknown time zone; use a name such as Europe/Berlin or UTC."})
    account, error = web.attempt(ad_account_service.create, web.session, user=web.me,
                                 business=business, name=name, region=region.strip() or None,
                                 timezone=tz)
    if error is not None:
        field = "region" if error.code == "invalid_region" else "name"
        return _detail(web, business, role, values=values, errs={field: error.message},
                       status=error.status)
    assert account is not None
    return web.redirect(f"/ad-accounts/{account.id}")
