"""Pages: my businesses, and one business with its ad accounts."""

from __future__ import annotations

from fastapi import APIRouter, Form
from fastapi.responses import Response

from sparkcodes.ad_account import service as ad_account_service
from sparkcodes.business import rules, service
from sparkcodes.business.auth import BusinessAdmin, BusinessRead
from sparkcodes.kit import limits
from sparkcodes.models import Business
from sparkcodes.web.kit import Web, WebForm, WebPage, too_long

router = APIRouter(tags=["pages"])


def _list(web: Web, *, values: dict[str, str] | None = None, errs: dict[str, str] | None = None,
          status: int = 200) -> Response:
    businesses = service.of_user(web.session, user=web.me)
    return web.render("business/list.html", {"businesses": businesses, "values": values or {},
                                             "errors": errs or {}}, status=status)


@router.get("/businesses")
def businesses(web: WebPage) -> Response:
    """Your businesses (the brand side), and a form to make one."""
    return _list(web)


@router.post("/businesses")
def create_business(web: WebForm, name: str = Form("")) -> Response:
    errs = too_long({"name": name}, {"name": limits.BUSINESS_NAME})
    if errs:
        return _list(web, values={"name": name}, errs=errs, status=422)
    business, error = web.attempt(service.create, web.session, user=web.me, name=name)
    if error is not None:
        return _list(web, values={"name": name}, errs={"name": error.message},
                     status=error.status)
    assert business is not None
    return web.redirect(f"/businesses/{business.id}")


def _detail(web: Web, business: Business, role: str, *, values: dict[str, str] | None = None,
            errs: dict[str, str] | None = None, status: int = 200) -> Response:
    accounts = service.ad_accounts(web.session, business=business)
    return web.render("business/detail.html", {
        "business": business, "role": role, "accounts": accounts,
        "can_admin": rules.allows(role, "admin"), "values": values or {}, "errors": errs or {}},
        status=status)


@router.get("/businesses/{business_id}")
def business_page(business_id: str, web: WebPage, access: BusinessRead) -> Response:
    """One business: its ad accounts."""
    business, role = access.business, access.role
    return _detail(web, business, role)


_AD_ACCOUNT_LIMITS = {"name": limits.AD_ACCOUNT_NAME, "region": limits.REGION,
                      "timezone": limits.TIMEZONE, "currency": limits.CURRENCY}
_AD_ACCOUNT_FIELD = {"invalid_region": "region", "invalid_timezone": "timezone",
                     "invalid_currency": "currency"}
# The service names the bad value for API clients; the form shows it in the field already.
_AD_ACCOUNT_WORDS = {"invalid_timezone": "Unknown time zone; use a name such as Europe/Berlin "
                                         "or UTC.",
                     "invalid_currency": "Enter the currency as three letters, such as USD or "
                                         "EUR."}


@router.post("/businesses/{business_id}/ad-accounts")
def create_ad_account(business_id: str, web: WebForm, access: BusinessAdmin,
                      name: str = Form(""), region: str = Form(""),
                      timezone: str = Form("UTC"), currency: str = Form("USD")) -> Response:
    business, role = access.business, access.role
    values = {"name": name, "region": region, "timezone": timezone, "currency": currency}
    errs = too_long(values, _AD_ACCOUNT_LIMITS)
    if errs:
        return _detail(web, business, role, values=values, errs=errs, status=422)
    account, error = web.attempt(ad_account_service.create, web.session, user=web.me,
                                 business=business, name=name, region=region.strip() or None,
                                 timezone=timezone.strip() or "UTC",
                                 currency=currency.strip() or "USD")
    if error is not None:
        field = _AD_ACCOUNT_FIELD.get(error.code, "name")
        message = _AD_ACCOUNT_WORDS.get(error.code, error.message)
        return _detail(web, business, role, values=values, errs={field: message},
                       status=error.status)
    assert account is not None
    return web.redirect(f"/ad-accounts/{account.id}")


# --- members ----------------------------------------------------------------------------------

ROLE_HELP = {
    "analyst": "Sees ad accounts, Spark Ad posts, reports, webhooks and history; changes nothing.",
    "operator": "Everything an analyst can, plus links and unlinks codes and runs campaigns "
                "and ads.",
    "admin": "Everything an operator can, plus manages ad accounts, members and webhooks.",
}


def _members(web: Web, business: Business, role: str, *, values: dict[str, str] | None = None,
             errs: dict[str, str] | None = None, notice: str | None = None,
             status: int = 200) -> Response:
    members = service.members(web.session, business=business)
    return web.render("business/members.html", {
        "business": business, "role": role, "members": members, "roles": rules.ROLES,
        "role_help": ROLE_HELP, "can_admin": rules.allows(role, "admin"),
        "admins": sum(1 for m, _ in members if m.role == "admin"), "values": values or {},
        "errors": errs or {}, "notice": notice}, status=status)


def _member_notice(web: Web, business: Business, done: str, who: str) -> str | None:
    """The words after a change, from the database (never from the query string)."""
    if done == "removed":
        return "Member removed: they no longer see this business."
    if done == "saved" and who:
        for member, other in service.members(web.session, business=business):
            if other.id == who:
                return f"Saved: {other.email} is {member.role} of this business."
    return None


@router.get("/businesses/{business_id}/members")
def members_page(business_id: str, web: WebPage, access: BusinessRead, done: str = "",
                 who: str = "") -> Response:
    """The business's members and their roles; admins add, change and remove them."""
    business, role = access.business, access.role
    return _members(web, business, role, notice=_member_notice(web, business, done, who))


@router.post("/businesses/{business_id}/members")
def put_member(business_id: str, web: WebForm, access: BusinessAdmin,
               email: str = Form(""), role: str = Form("", max_length=20),
               row: str = Form("", max_length=32)) -> Response:
    """Add a signed-up person by e-mail with a role, or change a member's role. Admins only."""
    business, my_role = access.business, access.role
    if row and not service.is_member(web.session, business=business, user_id=row):
        row = ""
    # A member's own row reports its refusals there; the "Add member" form next to its fields.
    email_field = f"member-{row}" if row else "email"
    role_field = f"member-{row}" if row else "role"
    values = {} if row else {"email": email, "role": role}
    if len(email) > limits.EMAIL:
        return _members(web, business, my_role, values=values, status=422,
                        errs={email_field: too_long({"e": email}, {"e": limits.EMAIL})["e"]})
    if not email.strip():
        return _members(web, business, my_role, values=values, status=422, errs={
            email_field: "Enter the e-mail address the person signed up with."})
    if role not in rules.ROLES:
        return _members(web, business, my_role, values=values, status=422, errs={
            role_field: "Choose a role: analyst, operator or admin."})
    member, error = web.attempt(service.add_member, web.session, user=web.me, business=business,
                                email=email, role=role)
    if error is not None:
        field = email_field if error.code == "user_not_found" else role_field
        return _members(web, business, my_role, values=values, errs={field: error.message},
                        status=error.status)
    assert member is not None
    return web.redirect(f"/businesses/{business.id}/members?done=saved&who={member.user_id}")


@router.post("/businesses/{business_id}/members/{user_id}/remove")
def remove_member(business_id: str, access: BusinessAdmin, user_id: str, web: WebForm) -> Response:
    """Remove a member (admins only; the last admin stays)."""
    business, my_role = access.business, access.role
    _, error = web.attempt(service.remove_member, web.session, user=web.me, business=business,
                           user_id=user_id)
    if error is not None:
        known = service.is_member(web.session, business=business, user_id=user_id)
        return _members(web, business, my_role, status=error.status,
                        errs={f"member-{user_id}" if known else "general": error.message})
    if user_id == web.me.id:  # you left: this business is no longer yours to see
        return web.redirect("/businesses")
    return web.redirect(f"/businesses/{business.id}/members?done=removed")
