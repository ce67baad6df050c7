"""Pages: campaigns → ad groups → Spark Ads, each with its delivery status and, when an ad does
not deliver, the reason in words and what to do about it."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import Any
from urllib.parse import urlencode

from fastapi import APIRouter, Form
from fastapi.responses import Response
from starlette.datastructures import QueryParams

from sparkcodes import errors
from sparkcodes.ad import rules, service
from sparkcodes.ad.auth import (
    AdGroupOperate,
    AdGroupRead,
    AdOperateThrough,
    AdRead,
    CampaignOperate,
    CampaignRead,
)
from sparkcodes.ad.presenters import ad_group_out, ad_out, campaign_out, container_note
from sparkcodes.ad.schemas import to_micros
from sparkcodes.ad_account import service as ad_account_service
from sparkcodes.ad_account.auth import AdAccountOperate, AdAccountRead
from sparkcodes.business import rules as business_rules
from sparkcodes.deps import ad_actions
from sparkcodes.engagement import service as engagement_service
from sparkcodes.fallback import service as fallback_service
from sparkcodes.kit import limits
from sparkcodes.kit.clock import utc_now
from sparkcodes.models import NATIVE, Ad, AdAccount, AdGroup, Authorization, Business, Campaign
from sparkcodes.report import rules as report_rules
from sparkcodes.report import service as report_service
from sparkcodes.spark_post import presenters as spark_presenters
from sparkcodes.web.kit import Web, WebForm, WebPage, fmt_ago, form_amount, too_long

router = APIRouter(tags=["pages"])

ENDS_SOON = timedelta(hours=spark_presenters.ENDS_SOON_HOURS)
OBJECTIVE_LABELS = {o: o.replace("_", " ").capitalize() for o in rules.OBJECTIVES}
BUDGET_MODES = {"BUDGET_MODE_INFINITE": "No limit", "BUDGET_MODE_DAY": "Daily budget",
                "BUDGET_MODE_TOTAL": "Lifetime budget"}
_NOUN = {Campaign: "campaign", AdGroup: "ad group", Ad: "ad"}


def _business(web: Web, account: AdAccount) -> Business:
    return ad_account_service.business_of(web.session, account=account)


def delivery_note(view: service.AdView, code: Authorization | None) -> str:
    """What follows the page's delivery badge, which already says whether the ad delivers: why
    it does not ('The creator's authorization expired 2 days ago — ask to extend.'), the warning
    that it soon stops, or nothing; times on the service clock."""
    now = utc_now()
    if view.delivery.delivering:
        if code is not None and timedelta(0) < code.expires_at - now <= ENDS_SOON:
            return (f"The creator's authorization ends {fmt_ago(code.expires_at)} — ask to "
                    "extend now so the ad does not stop.")
        return ""
    parts = []
    for reason in view.delivery.reasons:
        if reason is rules.Reason.AUTHORIZATION_EXPIRED and code is not None:
            parts.append(f"the creator's authorization expired {fmt_ago(code.expires_at)} — "
                         "ask to extend")
        else:
            parts.append(rules.REASON_TEXT[reason])
    text = "; ".join(parts)
    return text[:1].upper() + text[1:] + "."


def delivery_sentence(view: service.AdView, code: Authorization | None) -> str:
    """'Delivering.' or 'Not delivering: the creator's authorization expired 2 days ago — ask to
    extend.': the note in a sentence that stands without a badge."""
    note = delivery_note(view, code)
    if view.delivery.delivering:
        return "Delivering." + (f" {note}" if note else "")
    return "Not delivering: " + note[:1].lower() + note[1:]


QUIET = timedelta(days=1)  # a delivering ad older than this with no impression since is quiet


def quiet_note(ad: Ad, last_day: date | None, now: datetime) -> str:
    """In sandbox mode, what a delivering ad with no recent traffic adds to its note: the
    sandbox has no audience of its own, so after the clock moves on nothing is counted until
    the simulator runs. Empty for a new ad or one with traffic within the last day."""
    if now - ad.created_at < QUIET or (last_day is not None
                                       and last_day >= (now - QUIET).date()):
        return ""
    since = f"since {last_day:%Y-%m-%d}" if last_day is not None else "yet"
    return (f"No impression counted {since}: in sandbox mode only `sparkcodes simulate` "
            "sends traffic, so run it after moving the clock.")


def ad_rows(web: Web, ads: list[Ad], account: AdAccount) -> list[dict[str, Any]]:
    views = service.deliveries(web.session, ads, utc_now())
    last_days = (engagement_service.last_paid_days(web.session, [v.ad.id for v in views])
                 if web.settings.sandbox and views else {})
    now = utc_now()
    creators = service.creators_of(web.session, views)
    codes = service.codes_of(web.session, views)
    pending = spark_presenters.pending_renewals(web.session, account, codes)
    rows = []
    for v in views:
        creator = creators[v.post.creator_id]
        code = (codes.get(v.spark_post.authorization_id)
                if v.spark_post.authorization_id else None)
        expired = rules.Reason.AUTHORIZATION_EXPIRED in v.delivery.reasons
        soon = (code is not None and code.deleted_at is None
                and timedelta(0) < code.expires_at - now <= ENDS_SOON)
        rows.append({
            "ad": v.ad, "view": v, "out": ad_out(v, creator), "creator": creator, "code": code,
            "text": delivery_sentence(v, code),
            "note": " ".join(filter(None, (delivery_note(v, code), quiet_note(
                v.ad, last_days.get(v.ad.id), now) if web.settings.sandbox
                and v.delivery.delivering else ""))),
            # A brand may ask at any time (R24); the form unfolds when the code ends soon.
            "can_ask": code is not None and code.deleted_at is None,
            # An edited post stops its ads for good (R11): the next step is a new ad of it.
            "remake": (f"/ad-groups/{v.ad.ad_group_id}?spark_post_id={v.ad.spark_post_id}"
                       "#create-ad-title"
                       if rules.Reason.POST_EDITED in v.delivery.reasons
                       and v.ad.spark_post_id else None),
            "ask_open": expired or soon,
            "pending": pending.get(code.id) if code is not None else None,
        })
    return rows


# --- numbers: the date range, the columns and the figures of a page --------------------------

# The report service's refusal of a range (its details' reason) -> the field and the words.
_RANGE_WORDS = {
    report_service.START_AFTER_END: ("from", "The first day is after the last day."),
    report_service.END_TOO_EARLY: ("to", "The last day is too early; pick a later one."),
    report_service.SPAN_TOO_LONG: ("from", f"Pick at most {report_service.MAX_DAYS} days."),
}


class NumbersView:
    """What a campaign, ad group or ad page's numbers show, from its query string: a preset
    (``range``) or a first and last day (``from``, ``to``) in the account's time zone, and the
    ticked columns (``col``; none: all) — so a link reproduces the view. Bad dates are kept
    with the message shown next to them."""

    def __init__(self, web: Web, account: AdAccount) -> None:
        # A form's answer (a POST) shows the default view.
        params = web.request.query_params if web.request.method == "GET" else QueryParams()
        self.preset = (params.get("range") or "").strip()
        self.from_text = (params.get("from") or "").strip()[:10]
        self.to_text = (params.get("to") or "").strip()[:10]
        self.columns = report_rules.chosen_columns(params.getlist("col"))
        self.chosen = len(self.columns) < len(report_rules.COLUMNS)
        self.errors: dict[str, str] = {}
        self.today = report_service.account_today(account)
        self.start: date | None = None
        self.end: date | None = None
        if self.preset == "custom" or (not self.preset and (self.from_text or self.to_text)):
            self.preset = "custom"
            self.start = self._day("from", self.from_text, "first")
            self.end = self._day("to", self.to_text, "last")
        else:
            if self.preset not in report_rules.PRESETS:
                self.preset = report_rules.DEFAULT_PRESET
            self.start, self.end = report_rules.preset_range(self.preset, self.today)

    def _day(self, name: str, text: str, which: str) -> date | None:
        if len(text) == 10:  # YYYY-MM-DD, as a date input sends it
            try:
                return date.fromisoformat(text)
            except ValueError:
                pass
        self.errors[name] = f"Enter the {which} day as a date such as 2026-03-01."
        return None

    def load(self, web: Web, account: AdAccount, level: report_service.NumbersLevel,
             obj_id: str) -> report_service.Numbers | None:
        """The figures, or None with the refusal next to the day it is about."""
        if self.errors or self.start is None or self.end is None:
            return None
        try:
            return report_service.numbers(web.session, account=account, level=level,
                                          obj_id=obj_id, start=self.start, end=self.end)
        except errors.InvalidInput as exc:
            field, words = _RANGE_WORDS.get(str(exc.details.get("reason")), ("from", exc.message))
            self.errors[field] = words
            return None

    def query(self, **change: str) -> str:
        """This view's query string, with ``change`` applied (range=... drops the custom days)."""
        pairs: list[tuple[str, str]] = []
        preset = change.get("range", self.preset)
        pairs.append(("range", preset))
        if preset == "custom":
            pairs += [("from", self.from_text), ("to", self.to_text)]
        if self.chosen:
            pairs += [("col", c) for c in self.columns]
        return urlencode(pairs)

    @property
    def status(self) -> int:
        return 422 if self.errors else 200


def _numbers(web: Web, account: AdAccount, level: report_service.NumbersLevel, obj_id: str,
             status: int) -> tuple[dict[str, Any], int]:
    """The template's numbers, and the page's status: 422 when the days cannot be read."""
    view = NumbersView(web, account)
    ctx = {"nv": view, "numbers": view.load(web, account, level, obj_id),
           "presets": report_rules.PRESETS, "columns": report_rules.COLUMNS}
    return ctx, status if status != 200 else view.status


def _children(objs: list[AdGroup] | list[Ad],
              numbers: report_service.Numbers | None, path: str) -> list[dict[str, Any]]:
    """The rows of a numbers table: every live child and each deleted one that counted
    something in the range (not linked: it has no page), with its figures."""
    if numbers is None:
        return []
    return [{"name": o.name, "href": None if o.deleted_at else path + o.id,
             "deleted": o.deleted_at is not None,
             "figures": numbers.of(o.id)}
            for o in objs if o.deleted_at is None or o.id in numbers.by_key]


# --- campaigns --------------------------------------------------------------------------------

def _to_run(web: Web, account: AdAccount) -> dict[str, Any] | None:
    """The Spark post that "Run it in an ad" brought here (``?spark_post_id=``), with the open
    ad groups it can be run in; None without one, or for one not in this account."""
    spark_post_id = web.request.query_params.get("spark_post_id", "")[:limits.POST_ID]
    if not spark_post_id:
        return None
    sp = next((s for s in spark_presenters.spark_posts(web.session, account)
               if s.id == spark_post_id), None)
    if sp is None:
        return None
    groups = [(c, g) for c in service.campaigns_of(web.session, account=account)
              if c.deleted_at is None
              for g in service.ad_groups_of(web.session, campaign=c) if g.deleted_at is None]
    return {"spark": sp, "groups": groups}


def _campaigns(web: Web, account: AdAccount, role: str, *,
               values: dict[str, str] | None = None,
               errs: dict[str, str] | None = None, status: int = 200) -> Response:
    campaigns = [campaign_out(web.session, c)
                 for c in service.campaigns_of(web.session, account=account)]
    return web.render("ad/campaigns.html", {
        "account": account, "business": _business(web, account), "campaigns": campaigns,
        "objectives": OBJECTIVE_LABELS, "budget_modes": BUDGET_MODES, "values": values or {},
        "errors": errs or {}, "tab": "campaigns", "role": role,
        "container_note": container_note, "to_run": _to_run(web, account),
        "can_operate": business_rules.allows(role, "operate")}, status=status)


@router.get("/ad-accounts/{ad_account_id}/campaigns")
def campaigns(ad_account_id: str, web: WebPage, access: AdAccountRead) -> Response:
    """The ad account's campaigns with their delivery, and a form to make one."""
    account = access.account
    return _campaigns(web, account, access.role)


@router.post("/ad-accounts/{ad_account_id}/campaigns")
def create_campaign(ad_account_id: str, web: WebForm, access: AdAccountOperate,
                    name: str = Form(""),
                    objective: str = Form("ENGAGEMENT", max_length=40),
                    budget_mode: str = Form("BUDGET_MODE_INFINITE", max_length=30),
                    budget: str = Form("")) -> Response:
    account = access.account
    values = {"name": name, "objective": objective, "budget_mode": budget_mode, "budget": budget}
    errs = too_long(values, {"name": limits.AD_NAME})
    if not name.strip():
        errs["name"] = "Give the campaign a name you will recognise."
    amount = None
    try:
        amount = form_amount(budget, what="budget", high=limits.BUDGET, positive=True)
    except errors.AppError as exc:
        errs["budget"] = exc.message
    if errs:
        return _campaigns(web, account, access.role, values=values, errs=errs, status=422)
    campaign, error = web.attempt(service.create_campaign, web.session, user=web.me,
                                  account=account, name=name, objective=objective,
                                  budget_mode=budget_mode, budget_micros=to_micros(amount))
    if error is not None:
        field = {"invalid_objective": "objective", "invalid_budget_mode": "budget_mode"}.get(
            error.code, "budget")
        return _campaigns(web, account, access.role, values=values, errs={field: error.message},
                          status=error.status)
    assert campaign is not None
    return web.redirect(f"/campaigns/{campaign.id}")


def _switch(web: Web, obj: Campaign | AdGroup | Ad, account: AdAccount, operation: str, *,
            here: str, after_delete: str,
            refused: Callable[[str, int], Response]) -> Response:
    """A page's Pause / Resume / Delete button: back to the object's page (to its parent once
    deleted), or the page again with the service's refusal."""
    _, error = web.attempt(service.set_operation, web.session, user=web.me, account=account,
                           obj=obj, operation=operation)
    if error is not None:
        return refused(error.message, error.status)
    web.session.refresh(obj)
    return web.redirect(after_delete if obj.deleted_at is not None else here)


@router.post("/campaigns/{campaign_id}/status")
def campaign_status(campaign_id: str, web: WebForm, held: CampaignOperate,
                    operation: str = Form("", max_length=10)) -> Response:
    """Switch a campaign on or off, or delete it; its ad groups and ads follow."""
    campaign, account = held.obj, held.account
    return _switch(web, campaign, account, operation, here=f"/campaigns/{campaign.id}",
                   after_delete=f"/ad-accounts/{account.id}/campaigns",
                   refused=lambda message, status: _campaign_page(
                       web, campaign, account, role=held.role, status_error=message,
                       status=status))


# --- ad groups --------------------------------------------------------------------------------

def _campaign_page(web: Web, campaign: Campaign, account: AdAccount, *, role: str,
                   values: dict[str, str] | None = None, errs: dict[str, str] | None = None,
                   status_error: str | None = None, status: int = 200) -> Response:
    every = service.ad_groups_of(web.session, campaign=campaign, include_deleted=True)
    groups = [ad_group_out(web.session, g) for g in every if g.deleted_at is None]
    figures, status = _numbers(web, account, "campaign", campaign.id, status)
    return web.render("ad/campaign.html", {
        "account": account, "business": _business(web, account),
        "campaign": campaign_out(web.session, campaign), "groups": groups,
        "numbers_rows": _children(every, figures["numbers"], "/ad-groups/"),
        "objectives": OBJECTIVE_LABELS, "budget_modes": BUDGET_MODES, "values": values or {},
        "errors": errs or {}, "status_error": status_error, "tab": "campaigns", "role": role,
        "container_note": container_note,
        "can_operate": business_rules.allows(role, "operate"), **figures}, status=status)


@router.get("/campaigns/{campaign_id}")
def campaign_page(campaign_id: str, web: WebPage, held: CampaignRead) -> Response:
    """A campaign's ad groups with their delivery, and a form to make one."""
    campaign, account = held.obj, held.account
    return _campaign_page(web, campaign, account, role=held.role)


def _instant(value: str) -> datetime | None:
    value = value.strip()
    if not value:
        return None
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError:
        raise errors.InvalidInput("Enter a date and time such as 2026-05-01 09:00.",
                                  code="invalid_datetime") from None
    return parsed.replace(tzinfo=UTC) if parsed.tzinfo is None else parsed.astimezone(UTC)


@router.post("/campaigns/{campaign_id}/ad-groups")
def create_ad_group(campaign_id: str, web: WebForm, held: CampaignOperate,
                    name: str = Form(""), budget: str = Form(""), bid: str = Form(""),
                    schedule_start: str = Form(""), schedule_end: str = Form("")) -> Response:
    campaign, account = held.obj, held.account
    values = {"name": name, "budget": budget, "bid": bid, "schedule_start": schedule_start,
              "schedule_end": schedule_end}
    errs = too_long(values, {"name": limits.AD_NAME})
    parsed: dict[str, Any] = {}
    def money(what: str, high: int) -> Callable[[str], Decimal | None]:
        return lambda text: form_amount(text, what=what, high=high, positive=True)

    for field, parse in (("budget", money("daily budget", limits.BUDGET)),
                         ("bid", money("bid", limits.BID)),
                         ("schedule_start", _instant), ("schedule_end", _instant)):
        try:
            parsed[field] = parse(values[field])
        except errors.AppError as exc:
            errs[field] = exc.message
    for field, label in (("budget", "a daily budget"), ("bid", "a CPM bid")):
        if field not in errs and parsed.get(field) is None:
            errs[field] = f"Enter {label}."
    if errs:
        return _campaign_page(web, campaign, account, role=held.role, values=values, errs=errs,
                              status=422)
    group, error = web.attempt(
        service.create_ad_group, web.session, user=web.me, account=account, campaign=campaign,
        name=name, budget_micros=to_micros(parsed["budget"]) or 0,
        bid_micros=to_micros(parsed["bid"]) or 0, schedule_start_at=parsed["schedule_start"],
        schedule_end_at=parsed["schedule_end"])
    if error is not None:
        field = "schedule_end" if error.code == "invalid_schedule" else "budget"
        return _campaign_page(web, campaign, account, role=held.role, values=values,
                              errs={field: error.message}, status=error.status)
    assert group is not None
    return web.redirect(f"/ad-groups/{group.id}")


@router.post("/ad-groups/{ad_group_id}/status")
def ad_group_status(ad_group_id: str, web: WebForm, held: AdGroupOperate,
                    operation: str = Form("", max_length=10)) -> Response:
    """Switch an ad group on or off, or delete it; its ads follow."""
    group, account = held.obj, held.account
    return _switch(web, group, account, operation, here=f"/ad-groups/{group.id}",
                   after_delete=f"/campaigns/{group.campaign_id}",
                   refused=lambda message, status: _group_page(
                       web, group, account, role=held.role, status_error=message,
                       status=status))


# --- ads --------------------------------------------------------------------------------------

def _group_page(web: Web, group: AdGroup, account: AdAccount, *, role: str,
                values: dict[str, str] | None = None, errs: dict[str, str] | None = None,
                status_error: str | None = None, status: int = 200) -> Response:
    every = service.ads_of(web.session, group=group, include_deleted=True)
    ads = [a for a in every if a.deleted_at is None]
    campaign = service.campaign_of(web.session, group)
    figures, status = _numbers(web, account, "ad_group", group.id, status)
    return web.render("ad/ad_group.html", {
        "numbers_rows": _children(every, figures["numbers"], "/ads/"), **figures,
        "account": account, "business": _business(web, account), "campaign": campaign,
        "group": ad_group_out(web.session, group), "rows": ad_rows(web, ads, account),
        "sparks": spark_presenters.spark_posts(web.session, account), "ctas": rules.CALLS_TO_ACTION,
        "values": values or {}, "errors": errs or {}, "status_error": status_error,
        "tab": "campaigns", "periods": web.settings.codes.allowed_periods,
        "default_period": web.settings.codes.default_period, "role": role,
        "container_note": container_note, "can_operate": business_rules.allows(role, "operate"),
        "fallback": fallback_service.get_policy(web.session, settings=web.settings,
                                                group=group).policy}, status=status)


@router.get("/ad-groups/{ad_group_id}")
def ad_group_page(ad_group_id: str, web: WebPage, held: AdGroupRead) -> Response:
    """An ad group's Spark Ads with their delivery, and a form to make one."""
    group, account = held.obj, held.account
    chosen = web.request.query_params.get("spark_post_id", "")[:limits.POST_ID]
    return _group_page(web, group, account, role=held.role,
                       values={"spark_post_id": chosen} if chosen else None)


_AD_FIELD = {"invalid_call_to_action": "call_to_action", "invalid_landing_page_url":
             "landing_page_url", "invalid_utm_parameter": "landing_page_url"}


@router.post("/ad-groups/{ad_group_id}/ads")
def create_ad(ad_group_id: str, web: WebForm, held: AdGroupOperate,
              spark_post_id: str = Form("", max_length=32),
              name: str = Form(""),
              call_to_action: str = Form("LEARN_MORE", max_length=40),
              landing_page_url: str = Form(""),
              ads_only: str = Form("", max_length=10)) -> Response:
    group, account = held.obj, held.account
    values = {"spark_post_id": spark_post_id, "name": name, "call_to_action": call_to_action,
              "landing_page_url": landing_page_url, "ads_only": ads_only}
    errs = too_long(values, {"name": limits.AD_NAME, "landing_page_url": limits.LANDING_URL})
    if errs:
        return _group_page(web, group, account, role=held.role, values=values, errs=errs,
                           status=422)
    if not spark_post_id:
        return _group_page(web, group, account, role=held.role, values=values, status=422,
                           errs={"spark_post_id": "Choose the Spark Ad post to run."})
    ad, error = web.attempt(service.create_ad, web.session, settings=web.settings, user=web.me,
                            account=account, group=group, spark_post_id=spark_post_id,
                            name=name, call_to_action=call_to_action,
                            landing_page_url=landing_page_url, ads_only=ads_only == "on")
    if error is not None:
        field = _AD_FIELD.get(error.code, "spark_post_id")
        return _group_page(web, group, account, role=held.role, values=values,
                           status=error.status, errs={field: error.message})
    assert ad is not None
    return web.redirect(f"/ads/{ad.id}")


def _ad_page(web: Web, ad: Ad, account: AdAccount, *, role: str, error: str | None = None,
             status: int = 200) -> Response:
    row = ad_rows(web, [ad], account)[0]
    figures, status = _numbers(web, account, "ad", ad.id, status)
    days = figures["numbers"].days if figures["numbers"] is not None else []
    return web.render("ad/ad.html", {
        **figures, "numbers_rows": [{"name": f"{d:%a}, {d:%b} {d.day}", "href": None,
                                     "deleted": False, "figures": f} for d, f in days],
        "account": account, "business": _business(web, account), "row": row,
        "group": service.ad_group_of(web.session, ad),
        "campaign": service.campaign_of(web.session, ad),
        "spark": spark_presenters.load_out(web.session, row["view"].spark_post, utc_now()),
        "periods": web.settings.codes.allowed_periods,
        "default_period": web.settings.codes.default_period, "status_error": error,
        "tab": "campaigns", "role": role, "can_operate": business_rules.allows(role, "operate")},
        status=status)


@router.get("/ads/{ad_id}")
def ad_page(ad_id: str, web: WebPage, held: AdRead) -> Response:
    """One Spark Ad: does it deliver, and if not, why — and the button to ask for an extension."""
    ad, account = held.obj, held.account
    return _ad_page(web, ad, account, role=held.role)


@router.post("/ads/{ad_id}/status")
def ad_status(ad_id: str, web: WebForm, held: AdOperateThrough,
              operation: str = Form("", max_length=10)) -> Response:
    """Enable, pause or delete an ad; an ad mirrored from TikTok is paused or enabled there."""
    ad, account = held.obj, held.account
    if account.source != NATIVE:
        # On TikTok, which ends this request's transaction before calling it: no savepoint.
        try:
            service.set_ad_status(web.session, settings=web.settings, user=web.me,
                                  account=account, ad=ad, operation=operation,
                                  actions=ad_actions(web.request))
        except errors.AppError as exc:
            return _ad_page(web, ad, account, role=held.role, error=exc.message,
                            status=exc.status)
        return web.redirect(f"/ads/{ad.id}")
    return _switch(web, ad, account, operation, here=f"/ads/{ad.id}",
                   after_delete=f"/ad-groups/{ad.ad_group_id}",
                   refused=lambda message, status: _ad_page(web, ad, account, role=held.role,
                                                            error=message, status=status))
