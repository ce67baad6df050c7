"""Pages: code requests, asked by a brand and answered by the creator; and the ad account's
"Requests" tab with its renewal and code requests."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

from fastapi import APIRouter, Form
from fastapi.responses import Response

from sparkcodes import errors
from sparkcodes.ad.schemas import to_micros
from sparkcodes.ad_account import service as ad_account_service
from sparkcodes.ad_account.auth import AdAccountOperate, AdAccountRead
from sparkcodes.business import rules as business_rules
from sparkcodes.code_request import rules, service
from sparkcodes.code_request.service import CodeRequestView
from sparkcodes.kit import limits
from sparkcodes.kit.clock import utc_now
from sparkcodes.models import AdAccount, Business
from sparkcodes.post import service as post_service
from sparkcodes.renewal import service as renewal_service
from sparkcodes.roster import service as roster_service
from sparkcodes.web.kit import Web, WebForm, WebPage, back, form_amount, too_long

router = APIRouter(tags=["pages"])

LISTED = 200
MAX_FEE = 10_000_000
_FIELD = {"invalid_period": "days", "invalid_currency": "currency", "terms_too_long": "terms",
          "invalid_text": "terms", "invalid_expires_in_days": "expires_in_days",
          "code_request_already_pending": "post_id"}
# The service answers API clients; on the page, say what to do.
_PLAIN = {"not_found": "No post has that id. Ask the creator for the post's id: it is the last "
                       "part of the address of their post's page on sparkcodes."}
_REASON_CODES = ("reason_required", "reason_too_long", "invalid_text")


def post_ref(value: str) -> str:
    """A post id, or a pasted sparkcodes post address whose last part is the id."""
    text = value.strip()
    if "/" in text:
        path = urlsplit(text if "//" in text else "//" + text).path
        parts = [p for p in path.split("/") if p]
        text = parts[-1] if parts else ""
    return text


def _int(value: str) -> int | None:
    text = value.strip()
    return int(text) if text.isdigit() and len(text) <= 6 else None


def _pending_first(items: list[Any], is_pending: Any) -> list[Any]:
    """Pending requests on top; each group keeps the service's newest-first order."""
    return [i for i in items if is_pending(i)] + [i for i in items if not is_pending(i)]


SUGGESTED = 200  # roster posts offered in the post field
REVIEWED = 6  # of them, the newest shown as cards with their pre-promotion review (R30)


def _requests(web: Web, account: AdAccount, business: Business, role: str, *,
              values: dict[str, str] | None = None, errs: dict[str, str] | None = None,
              card_errors: dict[str, str] | None = None, status: int = 200) -> Response:
    now = utc_now()
    renewals = renewal_service.list_for_ad_account(web.session, account=account, status=None,
                                                   limit=LISTED, offset=0)
    codes = service.list_for_ad_account(web.session, account=account, status=None,
                                        limit=LISTED, offset=0)
    suggestions = roster_service.suggested_posts(web.session, business=business,
                                                 limit=SUGGESTED)
    reviewed = [(post, creator, post_service.pre_promotion_review(
                    web.session, settings=web.settings, post=post))
                for post, creator in suggestions[:REVIEWED]]
    return web.render("code_request/requests.html", {
        "account": account, "business": business, "role": role, "tab": "requests",
        "can_operate": business_rules.allows(role, "operate"),
        "renewals": _pending_first(renewals, lambda r: r.status.value == "pending"),
        "code_requests": _pending_first(codes, lambda r: r.status(now).value == "pending"),
        "periods": web.settings.codes.allowed_periods,
        "default_period": web.settings.codes.default_period,
        "default_expiry": rules.DEFAULT_EXPIRES_IN_DAYS,
        "max_expiry": rules.MAX_EXPIRES_IN_DAYS, "max_fee": MAX_FEE,
        "public_caption": rules.public_caption, "card_errors": card_errors or {},
        "suggestions": suggestions, "reviewed": reviewed,
        "values": values or {}, "errors": errs or {}}, status=status)


@router.get("/ad-accounts/{ad_account_id}/requests")
def requests_page(ad_account_id: str, web: WebPage, access: AdAccountRead) -> Response:
    """The ad account's renewal and code requests, pending first, and a form to ask for a code."""
    account, business, role = access.account, access.business, access.role
    post_id = web.request.query_params.get("post_id", "")[:limits.POST_LINK]
    return _requests(web, account, business, role,
                     values={"post_id": post_id} if post_id else None)


@router.post("/ad-accounts/{ad_account_id}/code-requests")
def create(ad_account_id: str, web: WebForm, access: AdAccountOperate,
           post_id: str = Form(""), days: str = Form("", max_length=6), fee: str = Form(""),
           currency: str = Form("USD"), terms: str = Form(""),
           expires_in_days: str = Form("")) -> Response:
    """R25: ask a creator for a code on a post; on acceptance it is bound here directly."""
    account, business, role = access.account, access.business, access.role
    values = {"post_id": post_id, "days": days, "fee": fee, "currency": currency,
              "terms": terms, "expires_in_days": expires_in_days}
    errs = too_long(values, {"post_id": limits.POST_LINK, "currency": limits.CURRENCY,
                             "terms": limits.TERMS})
    ref = post_ref(post_id)
    if not ref:
        errs["post_id"] = "Enter the id of the post you want to run as a Spark Ad."
    try:
        amount = form_amount(fee, what="fee", high=MAX_FEE)
    except errors.AppError as exc:
        errs["fee"] = exc.message
    expiry = _int(expires_in_days) if expires_in_days.strip() else None
    if expires_in_days.strip() and expiry is None:
        errs["expires_in_days"] = (f"Enter a whole number of days from 1 to "
                                   f"{rules.MAX_EXPIRES_IN_DAYS}.")
    if errs:
        return _requests(web, account, business, role, values=values, errs=errs, status=422)
    period = _int(days)
    view, error = web.attempt(service.create, web.session, settings=web.settings, user=web.me,
                              account=account, post_id=ref,
                              days=period if period is not None else -1,
                              fee_micros=to_micros(amount), currency=currency, terms=terms,
                              expires_in_days=expiry)
    if error is not None:
        field = _FIELD.get(error.code, "post_id")
        return _requests(web, account, business, role, values=values, status=error.status,
                         errs={field: _PLAIN.get(error.code, error.message)})
    assert view is not None
    return web.redirect(f"/ad-accounts/{account.id}/requests")


# --- the brand withdraws ------------------------------------------------------------------------

@router.post("/code-requests/{code_request_id}/cancel")
def cancel(code_request_id: str, web: WebForm) -> Response:
    """R25: the brand withdraws a pending request; the creator can no longer accept it."""
    view = service.get_for_brand(web.session, user=web.me, request_id=code_request_id,
                                 action="operate")
    _, error = web.attempt(service.cancel, web.session, user=web.me, view=view)
    fresh = service.get_for_brand(web.session, user=web.me, request_id=code_request_id,
                                  action="operate")
    card_errors = {fresh.request.id: error.message} if error is not None else {}
    status = error.status if error is not None else 200
    if web.htmx:
        return web.render("code_request/_brand_request.html", {
            "r": fresh, "can_operate": True, "public_caption": rules.public_caption,
            "card_errors": card_errors}, status=status)
    if error is None:
        return web.redirect(back(web, f"/ad-accounts/{fresh.account.id}/requests"))
    _, _, role = ad_account_service.access(web.session, user=web.me,
                                           ad_account_id=fresh.account.id, action="operate")
    return _requests(web, fresh.account, fresh.business, role, card_errors=card_errors,
                     status=status)


# --- the creator answers ---------------------------------------------------------------------

def _answered(web: Web, view: CodeRequestView, *, error: errors.AppError | None) -> Response:
    """The request's card in place (HTMX), else back to the creator page, or an error page."""
    status = error.status if error else 200
    ctx: dict[str, Any] = {"r": view, "error": None, "reason_error": None}
    if error is not None:
        ctx["reason_error" if error.code in _REASON_CODES else "error"] = error.message
    if web.htmx:
        return web.render("code_request/_creator_request.html", ctx, status=status)
    if error is None:
        return web.redirect(back(web, f"/creators/{view.creator.id}"))
    return web.render("code_request/answer_error.html", ctx, status=status)


@router.post("/code-requests/{code_request_id}/accept")
def accept(code_request_id: str, web: WebForm) -> Response:
    """R25: generate the code and bind it to the brand's ad account; nobody sees it."""
    view = service.get_for_creator(web.session, user=web.me, request_id=code_request_id)
    fresh, error = web.attempt(service.accept, web.session, settings=web.settings,
                               limiter=web.request.app.state.limiter, user=web.me, view=view)
    if fresh is None:
        fresh = service.get_for_creator(web.session, user=web.me, request_id=code_request_id)
    return _answered(web, fresh, error=error)


@router.post("/code-requests/{code_request_id}/decline")
def decline(code_request_id: str, web: WebForm,
            reason: str = Form("")) -> Response:
    """Decline, saying why; no code is made."""
    view = service.get_for_creator(web.session, user=web.me, request_id=code_request_id)
    _, error = web.attempt(service.decline, web.session, user=web.me, view=view, reason=reason)
    fresh = service.get_for_creator(web.session, user=web.me, request_id=code_request_id)
    return _answered(web, fresh, error=error)
