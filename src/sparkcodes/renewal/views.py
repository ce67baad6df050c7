"""Pages: the brand asks to extend a code (R24); the creator approves or declines in one click."""

from __future__ import annotations

from fastapi import APIRouter, Form
from fastapi.responses import Response

from sparkcodes.ad_account.auth import AdAccountOperate
from sparkcodes.authorization import service as authorization_service
from sparkcodes.authorization.schemas import authorization_out
from sparkcodes.kit.clock import utc_now
from sparkcodes.notification import watch
from sparkcodes.renewal import service
from sparkcodes.web.kit import Web, WebForm, back

router = APIRouter(tags=["pages"])


def _days(value: str) -> int:
    try:
        return int(value)
    except ValueError:
        return -1


@router.post("/ad-accounts/{ad_account_id}/renewal-requests")
def ask(ad_account_id: str, web: WebForm, access: AdAccountOperate,
        authorization_id: str = Form("", max_length=32),
        days: str = Form("30", max_length=4), message: str = Form("")) -> Response:
    """R24: one click for the brand to ask the creator to extend a code this account uses."""
    account = access.account
    view, error = web.attempt(service.create, web.session, settings=web.settings, user=web.me,
                              account=account, authorization_id=authorization_id,
                              days=_days(days), message=message)
    ctx = {"view": view, "error": error.message if error else None, "account": account,
           "authorization_id": authorization_id, "periods": web.settings.codes.allowed_periods,
           "days": _days(days), "message": message}
    if web.htmx:
        return web.render("renewal/_asked.html", ctx, status=error.status if error else 201)
    if error is not None:
        return web.render("renewal/asked.html", ctx, status=error.status)
    return web.redirect(back(web, f"/ad-accounts/{account.id}"))


def _answered(web: Web, view: service.RenewalView, *, error: str | None, status: int,
              code_card: bool = False) -> Response:
    """The request's card, and (out of band) the code's card when the page shows it."""
    if not web.htmx:
        if error is None:
            return web.redirect(back(web, f"/creators/{view.creator.id}"))
        return web.render("renewal/answer_error.html", {"r": view, "error": error},
                          status=status)
    web.session.refresh(view.authorization)
    users = authorization_service.users_of(web.session, [view.authorization], watch=watch)
    code = authorization_out(view.authorization, utc_now(), users.get(view.authorization.id))
    return web.render("renewal/_answered.html", {
        "r": view, "error": error, "c": code, "periods": web.settings.codes.allowed_periods,
        "default_period": web.settings.codes.default_period, "code_errors": {},
        "code_notices": {}, "code_card": code_card}, status=status)


@router.post("/renewal-requests/{renewal_request_id}/approve")
def approve(renewal_request_id: str, web: WebForm,
            code_card: str = Form("", max_length=1)) -> Response:
    """R24, R8: extend the same code by the requested days; ``code_card`` when the page shows
    the code's card, to refresh it."""
    view = service.get_for_creator(web.session, user=web.me, request_id=renewal_request_id)
    _, error = web.attempt(service.approve, web.session, settings=web.settings, user=web.me,
                           view=view)
    web.session.refresh(view.request)
    return _answered(web, view, error=error.message if error else None,
                     status=error.status if error else 200, code_card=code_card == "1")


@router.post("/renewal-requests/{renewal_request_id}/decline")
def decline(renewal_request_id: str, web: WebForm,
            reason: str = Form("")) -> Response:
    """Decline, saying why; the code is unchanged."""
    view = service.get_for_creator(web.session, user=web.me, request_id=renewal_request_id)
    _, error = web.attempt(service.decline, web.session, user=web.me, view=view, reason=reason)
    web.session.refresh(view.request)
    return _answered(web, view, error=error.message if error else None,
                     status=error.status if error else 200)


@router.post("/renewal-requests/{renewal_request_id}/cancel")
def cancel(renewal_request_id: str, web: WebForm) -> Response:
    """The brand withdraws a pending request."""
    view = service.get_for_brand(web.session, user=web.me, request_id=renewal_request_id,
                                 action="operate")
    _, error = web.attempt(service.cancel, web.session, user=web.me, view=view)
    web.session.refresh(view.request)
    ctx = {"r": view, "error": error.message if error else None}
    if web.htmx:
        return web.render("renewal/_brand_request.html", ctx,
                          status=error.status if error else 200)
    return web.redirect(back(web, f"/ad-accounts/{view.account.id}"))
