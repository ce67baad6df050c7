"""Campaigns and ad groups (create, update, get, status/update) over the ads services."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Any

from fastapi.responses import JSONResponse

from sparkcodes.ad import rules as ad_rules
from sparkcodes.ad import service as ad_service
from sparkcodes.ad.schemas import from_micros, to_micros
from sparkcodes.compat.tiktok import containers, routing, shapes, status
from sparkcodes.compat.tiktok.auth import CallerDep
from sparkcodes.compat.tiktok.envelope import ok
from sparkcodes.compat.tiktok.params import bad
from sparkcodes.kit.clock import utc_now
from sparkcodes.models import AdAccount, AdGroup, Campaign

router = routing.router()


def _money(micros: int | None) -> float | None:
    value = from_micros(micros)
    return None if value is None else float(value)


def campaign_object(account: AdAccount, campaign: Campaign) -> dict[str, Any]:
    return {
        "campaign_id": str(campaign.tiktok_id),
        "campaign_name": campaign.name,
        "advertiser_id": str(account.tiktok_id),
        "objective_type": campaign.objective,
        "objective": "LANDING_PAGE",
        "campaign_type": "REGULAR_CAMPAIGN",
        "budget_mode": campaign.budget_mode,
        "budget": _money(campaign.budget_micros) or 0.0,
        "operation_status": status.operation_status(campaign),
        "secondary_status": status.campaign_secondary(campaign),
        "is_new_structure": True,
        "is_smart_performance_campaign": False,
        "create_time": shapes.tiktok_time(campaign.created_at),
        "modify_time": shapes.tiktok_time(status.modify_time(campaign)),
    }


def ad_group_object(account: AdAccount, group: AdGroup, campaign: Campaign,
                    now: datetime) -> dict[str, Any]:
    return {
        "adgroup_id": str(group.tiktok_id),
        "adgroup_name": group.name,
        "campaign_id": str(campaign.tiktok_id),
        "campaign_name": campaign.name,
        "advertiser_id": str(account.tiktok_id),
        "budget_mode": "BUDGET_MODE_DAY",
        "budget": _money(group.budget_micros),
        "billing_event": "CPM",
        "bid_type": "BID_TYPE_CUSTOM",
        "bid_price": _money(group.bid_micros),
        "optimization_goal": "REACH",
        "placement_type": "PLACEMENT_TYPE_NORMAL",
        "placements": ["PLACEMENT_TIKTOK"],
        "schedule_type": "SCHEDULE_START_END" if group.schedule_end_at else "SCHEDULE_FROM_NOW",
        "schedule_start_time": shapes.tiktok_time(group.schedule_start_at),
        "schedule_end_time": shapes.tiktok_time(group.schedule_end_at),
        "operation_status": status.operation_status(group),
        "secondary_status": status.ad_group_secondary(group, campaign, now),
        "create_time": shapes.tiktok_time(group.created_at),
        "modify_time": shapes.tiktok_time(status.modify_time(group)),
    }


# --- campaigns --------------------------------------------------------------------------------

@router.post("/campaign/create/", summary="Create a campaign")
def campaign_create(caller: CallerDep) -> JSONResponse:
    """`campaign_name`, `objective_type`, `budget_mode` (default BUDGET_MODE_INFINITE) and
    `budget`; `operation_status` DISABLE creates it paused."""
    p = caller.params
    account = caller.advertiser("operate")
    name = p.string("campaign_name", required=True, max_length=512, single_line=True) or ""
    objective = p.string("objective_type", default="ENGAGEMENT", max_length=40) or ""
    mode = p.string("budget_mode", default="BUDGET_MODE_INFINITE", max_length=30) or ""
    budget = p.amount("budget", high=Decimal(ad_rules.MAX_BUDGET))
    initial = p.choice("operation_status", ("ENABLE", "DISABLE"), default="ENABLE")
    campaign = ad_service.create_campaign(
        caller.session, user=caller.user, account=account, name=name, objective=objective,
        budget_mode=mode, budget_micros=to_micros(budget) if budget else None)
    if initial == "DISABLE":
        ad_service.set_operation(caller.session, user=caller.user, account=account,
                                 obj=campaign, operation="DISABLE")
    return ok(campaign_object(account, campaign))


@router.post("/campaign/update/", summary="Update a campaign")
def campaign_update(caller: CallerDep) -> JSONResponse:
    """Rename a campaign or change its budget."""
    p = caller.params
    account = caller.advertiser("operate")
    campaign = containers.one(caller.session, Campaign, account,
                              p.id("campaign_id", required=True) or "")
    changes: dict[str, Any] = {}
    if p.has("campaign_name"):
        changes["name"] = p.string("campaign_name", max_length=512, single_line=True) or ""
    if p.has("budget_mode"):
        changes["budget_mode"] = p.string("budget_mode", max_length=30)
    if p.has("budget"):
        changes["budget_micros"] = to_micros(p.amount("budget",
                                                      high=Decimal(ad_rules.MAX_BUDGET)))
    ad_service.edit_campaign(caller.session, user=caller.user, account=account,
                             campaign=campaign, changes=changes)
    return ok(campaign_object(account, campaign))


@router.get("/campaign/get/", summary="Get campaigns")
def campaign_get(caller: CallerDep) -> JSONResponse:
    """`filtering` {campaign_ids, primary_status, objective_type}; `fields`; `page`,
    `page_size` (1–1000, default 10)."""
    account = caller.advertiser("read")
    found = containers.listing(caller, Campaign, account)
    objective = caller.params.object("filtering").string("objective_type", max_length=40)
    items = [campaign_object(account, c) for c in found.rows
             if objective is None or c.objective == objective]
    return ok({"list": containers.pick(items, found.fields),
               "page_info": shapes.page_info(found.page, found.page_size, found.total)})


@router.post("/campaign/status/update/", summary="Enable, pause or delete campaigns")
def campaign_status_update(caller: CallerDep) -> JSONResponse:
    """`campaign_ids` (1–20) and `operation_status` ENABLE, DISABLE or DELETE; every ad under
    a campaign follows it."""
    account = caller.advertiser("operate")
    return ok(containers.status_update(caller, Campaign, account))


# --- ad groups --------------------------------------------------------------------------------

@router.post("/adgroup/create/", summary="Create an ad group")
def adgroup_create(caller: CallerDep) -> JSONResponse:
    """`campaign_id`, `adgroup_name`, daily `budget` and CPM `bid_price`; `schedule_start_time`
    and `schedule_end_time` as YYYY-MM-DD HH:MM:SS (UTC). Targeting and placement fields are
    accepted and ignored: sparkcodes delivers on TikTok placements only."""
    p = caller.params
    account = caller.advertiser("operate")
    campaign = containers.one(caller.session, Campaign, account,
                              p.id("campaign_id", required=True) or "")
    mode = p.string("budget_mode", default="BUDGET_MODE_DAY", max_length=30)
    if mode != "BUDGET_MODE_DAY":
        raise bad("budget_mode: sparkcodes ad groups have a daily budget (BUDGET_MODE_DAY).")
    if p.string("billing_event", default="CPM", max_length=30) != "CPM":
        raise bad("billing_event: sparkcodes ad groups bid per 1,000 impressions (CPM).")
    name = p.string("adgroup_name", required=True, max_length=512, single_line=True) or ""
    budget = p.amount("budget", required=True, high=Decimal(ad_rules.MAX_BUDGET))
    bid = p.amount("bid_price", required=True, high=Decimal(ad_rules.MAX_BID))
    schedule = p.choice("schedule_type", ("SCHEDULE_START_END", "SCHEDULE_FROM_NOW"),
                        default="SCHEDULE_FROM_NOW")
    start = p.instant("schedule_start_time")
    end = p.instant("schedule_end_time", required=schedule == "SCHEDULE_START_END")
    group = ad_service.create_ad_group(
        caller.session, user=caller.user, account=account, campaign=campaign, name=name,
        budget_micros=to_micros(budget) or 0, bid_micros=to_micros(bid) or 0,
        schedule_start_at=start, schedule_end_at=end if schedule == "SCHEDULE_START_END"
        else None)
    if p.choice("operation_status", ("ENABLE", "DISABLE"), default="ENABLE") == "DISABLE":
        ad_service.set_operation(caller.session, user=caller.user, account=account, obj=group,
                                 operation="DISABLE")
    return ok(ad_group_object(account, group, campaign, utc_now()))


@router.post("/adgroup/update/", summary="Update an ad group")
def adgroup_update(caller: CallerDep) -> JSONResponse:
    """Rename an ad group or change its daily budget, bid or schedule."""
    p = caller.params
    account = caller.advertiser("operate")
    group = containers.one(caller.session, AdGroup, account,
                           p.id("adgroup_id", required=True) or "")
    changes: dict[str, Any] = {}
    if p.has("adgroup_name"):
        changes["name"] = p.string("adgroup_name", max_length=512, single_line=True) or ""
    if p.has("budget"):
        changes["budget_micros"] = to_micros(p.amount("budget",
                                                      high=Decimal(ad_rules.MAX_BUDGET)))
    if p.has("bid_price"):
        changes["bid_micros"] = to_micros(p.amount("bid_price", high=Decimal(ad_rules.MAX_BID)))
    if p.has("schedule_start_time"):
        changes["schedule_start_at"] = p.instant("schedule_start_time")
    if p.has("schedule_end_time"):
        changes["schedule_end_at"] = p.instant("schedule_end_time")
    ad_service.edit_ad_group(caller.session, user=caller.user, account=account, group=group,
                             changes=changes)
    campaign = ad_service.campaign_of(caller.session, group)
    return ok(ad_group_object(account, group, campaign, utc_now()))


@router.get("/adgroup/get/", summary="Get ad groups")
def adgroup_get(caller: CallerDep) -> JSONResponse:
    """`filtering` {campaign_ids, adgroup_ids, primary_status}; `fields`; `page`, `page_size`
    (1–1000, default 10)."""
    account = caller.advertiser("read")
    found = containers.listing(caller, AdGroup, account)
    campaigns = {c.id: c for c in ad_service.page_of(
        caller.session, model=Campaign, account=account,
        ids=list({g.campaign_id for g in found.rows}), deleted=None, limit=None)[0]
        if isinstance(c, Campaign)}
    now = utc_now()
    items = [ad_group_object(account, g, campaigns[g.campaign_id], now) for g in found.rows]
    return ok({"list": containers.pick(items, found.fields),
               "page_info": shapes.page_info(found.page, found.page_size, found.total)})


@router.post("/adgroup/status/update/", summary="Enable, pause or delete ad groups")
def adgroup_status_update(caller: CallerDep) -> JSONResponse:
    """`adgroup_ids` (1–20) and `operation_status` ENABLE, DISABLE or DELETE."""
    account = caller.advertiser("operate")
    return ok(containers.status_update(caller, AdGroup, account))

