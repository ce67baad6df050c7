"""Pages: the business overview (its landing tab), the tracker, filtered, with its CSV download."""

from __future__ import annotations

from math import ceil
from typing import Any
from urllib.parse import urlencode

from fastapi import APIRouter
from fastapi.responses import Response, StreamingResponse

from sparkcodes import errors
from sparkcodes.business import rules as business_rules
from sparkcodes.business import service as business_service
from sparkcodes.business.auth import BusinessRead
from sparkcodes.kit.clock import utc_now
from sparkcodes.spark_post import presenters as spark_presenters
from sparkcodes.tracker import export, overview, rules, service
from sparkcodes.tracker.schemas import at_risk_by_currency, item_out
from sparkcodes.web.kit import Web, WebPage

router = APIRouter(tags=["pages"])

PER_PAGE = 50
MAX_VALUE = 40  # longer filter values are cut before parsing (the API allows at most 40)
WITHIN = [("", "Any time"), ("24h", "Within 24 hours"), ("3d", "Within 3 days"),
          ("7d", "Within 7 days"), ("30d", "Within 30 days")]
SORTS = [("expiry", "Soonest end first"), ("-expiry", "Latest end first"),
         ("days_left", "Fewest days left"), ("spend_at_risk", "Most spend at risk"),
         ("creator", "Creator A–Z")]
STATUS_LABEL = {rules.UNBOUND: "Unbound", "AUTHORIZED": "Authorized"}
FLAG_LABEL = {rules.CODE_SHORTER_THAN_CONTRACT: "Code ends before the contract",
              rules.RUNNING_PAST_CONTRACT: "Ad runs past the contract"}
# Which filter a refusal of the service is about, so it shows next to that field.
_FIELD = {"invalid_expiring_within": "expiring_within", "invalid_status": "status",
          "invalid_sort": "sort", "invalid_handle": "creator", "not_found": "ad_account_id"}
# The table's columns, in order; the user picks which to show (all by default).
COLUMNS = [("post", "Creator & post"), ("account", "Ad account"), ("status", "Code & status"),
           ("ends", "Window ends"), ("ads", "Live ads"), ("spend", "Spend at risk"),
           ("contract", "Contract"), ("actions", "Actions")]
_SINGLE = ("expiring_within", "ad_account_id", "creator", "sort", "post_id", "creator_id")
_TRUE = ("on", "true", "1")


def _raw(web: Web) -> dict[str, Any]:
    """The filters as typed (read after the access check, so a stranger learns nothing)."""
    params = web.request.query_params
    raw: dict[str, Any] = {name: (params.get(name) or "").strip()[:MAX_VALUE]
                           for name in _SINGLE}
    raw["status"] = [v[:MAX_VALUE] for v in params.getlist("status") if v.strip()][:20]
    raw["include_unbound"] = (params.get("include_unbound") or "") in _TRUE
    known = dict(COLUMNS)
    raw["col"] = [c for c in dict.fromkeys(params.getlist("col")) if c in known]
    return raw


def _query(raw: dict[str, Any]) -> service.Query:
    """The same parsing as the JSON API's filters; raises InvalidInput naming the bad one."""
    return service.query(status=raw["status"], expiring_within=raw["expiring_within"] or None,
                         ad_account_id=raw["ad_account_id"] or None,
                         creator_id=raw["creator_id"] or None, creator=raw["creator"] or None,
                         post_id=raw["post_id"] or None,
                         include_unbound=raw["include_unbound"], sort=raw["sort"] or "expiry")


def _params(raw: dict[str, Any], **override: Any) -> str:
    """The filters as a query string (empty ones left out), for paging and the CSV link."""
    pairs: list[tuple[str, str]] = [("status", s) for s in raw["status"]]
    pairs += [(name, raw[name]) for name in _SINGLE if raw[name]]
    if raw["include_unbound"]:
        pairs.append(("include_unbound", "on"))
    pairs += [("col", c) for c in raw.get("col", [])]
    pairs += [(k, str(v)) for k, v in override.items() if v]
    return urlencode(pairs)


def _page_number(web: Web) -> int:
    text = (web.request.query_params.get("page") or "1").strip()
    return max(1, min(int(text), 100_000)) if text.isdigit() else 1


@router.get("/businesses/{business_id}/overview")
def overview_page(business_id: str, web: WebPage, access: BusinessRead) -> Response:
    """The page a brand opens each morning: codes ending this week, what stopped, the daily
    spend at risk, and requests still waiting for a creator."""
    business, role = access.business, access.role
    accounts = business_service.ad_accounts(web.session, business=business)
    view = overview.overview(web.session, business=business, accounts=accounts, now=utc_now())
    return web.render("tracker/overview.html", {
        "business": business, "role": role, "accounts": accounts, "o": view,
        "ending": [item_out(i) for i in view.ending],
        "stopped": [item_out(i) for i in view.stopped],
        "spend_at_risk": at_risk_by_currency(view.at_risk),
        "pending": spark_presenters.pending_renewals_of(web.session,
                                                        [*view.ending, *view.stopped]),
        "status_label": STATUS_LABEL,
        "can_operate": business_rules.allows(role, "operate"),
        "periods": web.settings.codes.allowed_periods,
        "default_period": web.settings.codes.default_period,
        "week_url": f"/businesses/{business.id}/tracker?expiring_within=7d",
        "stopped_url": f"/businesses/{business.id}/tracker?"
                       + urlencode([("status", s) for s in overview.STOPPED]
                                   + [("sort", "-expiry")]),
    })


@router.get("/businesses/{business_id}/tracker")
def tracker_page(business_id: str, web: WebPage, access: BusinessRead) -> Response:
    """Every Spark post of the business across its ad accounts, filtered, sorted and paged."""
    business, role = access.business, access.role
    raw = _raw(web)
    number = _page_number(web)
    errs: dict[str, str] = {}
    status = 200
    result = None
    try:
        q = _query(raw)
    except errors.AppError as exc:
        errs[_FIELD.get(exc.code, "status")] = exc.message
        status = exc.status
    else:
        result, error = web.attempt(service.track, web.session, business=business, q=q,
                                    now=utc_now(), limit=PER_PAGE,
                                    offset=(number - 1) * PER_PAGE)
        if error is not None:
            errs[_FIELD.get(error.code, "status")] = error.message
            status = error.status
    accounts = business_service.ad_accounts(web.session, business=business)
    within = list(WITHIN)
    if raw["expiring_within"] and raw["expiring_within"] not in dict(within):
        within.append((raw["expiring_within"], raw["expiring_within"]))
    total = result.total if result else 0
    exact = result.total_exact if result else True
    pages = max(1, ceil(total / PER_PAGE))
    first = (number - 1) * PER_PAGE + 1
    base = f"/businesses/{business.id}/tracker"
    shown = raw["col"] or [key for key, _ in COLUMNS]
    pending = spark_presenters.pending_renewals_of(web.session,
                                                   result.items if result else [])
    return web.render("tracker/page.html", {
        "business": business, "role": role, "raw": raw, "errors": errs, "accounts": accounts,
        "within_choices": within, "sort_choices": SORTS, "statuses": rules.STATUSES,
        "status_label": STATUS_LABEL, "flag_label": FLAG_LABEL,
        "items": [item_out(i) for i in result.items] if result else [],
        "as_of": result.now if result else utc_now(),
        "page_spend": at_risk_by_currency(result.items) if result else None,
        "total": total, "total_exact": exact, "number": number, "pages": pages, "first": first,
        "last": min(total, number * PER_PAGE),
        "prev_url": f"{base}?{_params(raw, page=number - 1)}" if number > 1 else None,
        "next_url": f"{base}?{_params(raw, page=number + 1)}"
        if number < pages or not exact else None,
        "first_url": f"{base}?{_params(raw)}",
        "csv_url": f"/businesses/{business.id}/tracker.csv?{_params(raw)}".rstrip("?"),
        "filtered": any(raw[name] for name in (*_SINGLE, "status", "include_unbound")
                        if name != "sort"),
        "columns": COLUMNS, "shown": shown,
        "ad_ids": {i.spark_post.id: i.ad_ids for i in result.items} if result else {},
        "pending": pending, "can_operate": business_rules.allows(role, "operate"),
        "periods": web.settings.codes.allowed_periods,
        "default_period": web.settings.codes.default_period,
    }, status=status)


@router.get("/businesses/{business_id}/tracker.csv")
def tracker_csv(business_id: str, web: WebPage, access: BusinessRead) -> Response:
    """The tracker as CSV, like the JSON API's tracker.csv: the same filters and order, every
    matching row; a bad filter is a 422 page."""
    business = access.business
    q = _query(_raw(web))
    service.check(web.session, business=business, q=q)
    now = utc_now()
    filename = export.filename(now)
    return web.finish(StreamingResponse(
        export.streamed(web.request.app.state.db, business_id=business.id, q=q, now=now),
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="{filename}"'}))
