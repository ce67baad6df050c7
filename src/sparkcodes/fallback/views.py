"""Pages: the business's fallback policies (R27), one per ad group, and setting one."""

from __future__ import annotations

from fastapi import APIRouter, Form
from fastapi.responses import Response

from sparkcodes import errors
from sparkcodes.ad.auth import AdGroupOperate
from sparkcodes.business import rules as business_rules
from sparkcodes.business import service as business_service
from sparkcodes.business.auth import BusinessRead
from sparkcodes.fallback import rules, service
from sparkcodes.models import Business
from sparkcodes.web.kit import Web, WebForm, WebPage

router = APIRouter(tags=["pages"])

ACTIONS = [(rules.NOTIFY, "Notify me", "Only tell the team; the ad stops when the code ends."),
           (rules.PAUSE, "Pause the ad", "Pause it ahead of the end, so it never dies silently."),
           (rules.SWAP, "Swap to a backup ad", "Pause it and switch on another ad instead.")]
# The service words its refusals for API clients (field names); the form says them plainly.
_WORDS = {
    "invalid_fallback_action": "Choose what happens: notify, pause, or swap to a backup ad.",
    "invalid_hours_before": f"Choose between {rules.MIN_HOURS} and {rules.MAX_HOURS} hours "
                            "before the code ends.",
    "backup_ad_required": "A swap needs a backup ad: choose the ad to switch on instead.",
    "not_found": "That backup ad is not in this ad account; choose another one.",
}


def _hours(value: str) -> int | None:
    """The typed hours; None (the default) when left empty; a refusal when not a number."""
    text = value.strip()
    if not text:
        return None
    if not text.isdigit() or len(text) > 6:
        raise errors.InvalidInput(_WORDS["invalid_hours_before"], code="invalid_hours_before")
    return int(text)


def _page(web: Web, business: Business, role: str, *, group_id: str | None = None,
          values: dict[str, str] | None = None, error: str | None = None,
          saved: str | None = None, status: int = 200) -> Response:
    accounts = business_service.ad_accounts(web.session, business=business)
    rows = service.policies_of(web.session, settings=web.settings, accounts=accounts)
    return web.render("fallback/page.html", {
        "business": business, "role": role, "rows": rows, "accounts": accounts,
        "actions": ACTIONS, "can_operate": business_rules.allows(role, "operate"),
        "default_hours": web.settings.reminders.fallback_hours,
        "min_hours": rules.MIN_HOURS, "max_hours": rules.MAX_HOURS,
        "group_id": group_id, "values": values or {}, "error": error, "saved": saved,
    }, status=status)


@router.get("/businesses/{business_id}/fallback")
def fallback_page(business_id: str, web: WebPage, access: BusinessRead,
                  saved: str = "") -> Response:
    """What happens to each ad group's ads when their code is about to lapse unrenewed."""
    return _page(web, access.business, access.role, saved=saved[:32] or None)


@router.post("/ad-groups/{ad_group_id}/fallback-policy")
def set_fallback(ad_group_id: str, web: WebForm, held: AdGroupOperate,
                 action: str = Form("", max_length=10), hours_before: str = Form("", max_length=10),
                 backup_ad_id: str = Form("", max_length=32)) -> Response:
    """Set the ad group's fallback policy from the form; a refusal shows next to its form."""
    group, account = held.obj, held.account
    business, role = business_service.access(web.session, user=web.me,
                                             business_id=account.business_id, action="operate")
    values = {"action": action, "hours_before": hours_before, "backup_ad_id": backup_ad_id}
    swap = action.strip().lower() == rules.SWAP
    try:
        hours = _hours(hours_before)
    except errors.AppError as exc:
        return _page(web, business, role, group_id=group.id, values=values,
                     error=exc.message, status=exc.status)
    _, error = web.attempt(service.set_policy, web.session, settings=web.settings, user=web.me,
                           account=account, group=group, action=action, hours_before=hours,
                           backup_ad_id=(backup_ad_id or None) if swap else None)
    if error is not None:
        return _page(web, business, role, group_id=group.id, values=values,
                     error=_WORDS.get(error.code, error.message), status=error.status)
    return web.redirect(f"/businesses/{business.id}/fallback?saved={group.id}#group-{group.id}")
