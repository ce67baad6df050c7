"""Campaigns → ad groups → Spark Ads (R20), and their delivery status at any instant."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy.orm import Session

from sparkcodes import errors
from sparkcodes.ad import repository, rules
from sparkcodes.ad_account import repository as ad_account_repository
from sparkcodes.ad_account import service as ad_account_service
from sparkcodes.audit import service as audit
from sparkcodes.authorization import repository as authorization_repository
from sparkcodes.business import repository as business_repository
from sparkcodes.config import Settings
from sparkcodes.creator import repository as creator_repository
from sparkcodes.kit.clock import utc_now
from sparkcodes.kit.text import refuse_control
from sparkcodes.models import (
    NATIVE,
    Ad,
    AdAccount,
    AdGroup,
    Authorization,
    Business,
    Campaign,
    Creator,
    Post,
    SparkPost,
    User,
)
from sparkcodes.ports import AdActions
from sparkcodes.post import repository as post_repository
from sparkcodes.spark_post import service as spark_post_service
from sparkcodes.values import LiveAd

Lifecycle = repository.Lifecycle

_NOUN: dict[type, str] = {Campaign: "campaign", AdGroup: "ad group", Ad: "ad"}

OPERATIONS = ("ENABLE", "DISABLE", "DELETE")


def local_day(instant: datetime, timezone: str) -> date:
    return instant.astimezone(ZoneInfo(timezone)).date()


# --- creation ---------------------------------------------------------------------------------

def create_campaign(session: Session, *, user: User, account: AdAccount, name: str,
                    objective: str, budget_mode: str, budget_micros: int | None) -> Campaign:
    if objective not in rules.OBJECTIVES:
        raise errors.InvalidInput(f"objective must be one of {', '.join(rules.OBJECTIVES)}.",
                                  code="invalid_objective")
    rules.check_budget(budget_mode, budget_micros)
    name = refuse_control(name.strip(), name="campaign name")
    campaign = Campaign(ad_account_id=account.id, name=name or "Campaign",
                        objective=objective, budget_mode=budget_mode,
                        budget_micros=None if budget_mode == "BUDGET_MODE_INFINITE"
                        else budget_micros, created_by_id=user.id)
    repository.add(session, campaign)
    audit.record(session, actor_id=user.id, action="campaign.created", target_type="campaign",
                 target_id=campaign.id, business_id=account.business_id,
                 after={"name": campaign.name, "objective": objective,
                        "budget_mode": budget_mode, "budget_micros": campaign.budget_micros})
    return campaign


def create_ad_group(session: Session, *, user: User, account: AdAccount, campaign: Campaign,
                    name: str, budget_micros: int, bid_micros: int,
                    schedule_start_at: datetime | None,
                    schedule_end_at: datetime | None) -> AdGroup:
    _check_alive(campaign, "campaign")
    if budget_micros <= 0 or bid_micros <= 0:
        raise errors.InvalidInput("An ad group needs a positive daily budget and CPM bid.",
                                  code="invalid_budget")
    start = schedule_start_at or utc_now()
    rules.check_schedule(start, schedule_end_at)
    name = refuse_control(name.strip(), name="ad group name")
    group = AdGroup(campaign_id=campaign.id, ad_account_id=account.id,
                    name=name or "Ad group", budget_micros=budget_micros,
                    bid_micros=bid_micros, schedule_start_at=start,
                    schedule_end_at=schedule_end_at, created_by_id=user.id)
    repository.add(session, group)
    audit.record(session, actor_id=user.id, action="ad_group.created", target_type="ad_group",
                 target_id=group.id, business_id=account.business_id,
                 after={"name": group.name, "campaign_id": campaign.id,
                        "budget_micros": budget_micros, "bid_micros": bid_micros,
                        "schedule_start_at": start, "schedule_end_at": schedule_end_at})
    return group


def create_ad(session: Session, *, settings: Settings, user: User, account: AdAccount,
              group: AdGroup, spark_post_id: str, name: str, call_to_action: str,
              landing_page_url: str, ads_only: bool) -> Ad:
    """R20: a Spark Ad runs a bound post from the creator's identity; its caption is the post's."""
    _check_alive(group, "ad group")
    campaign = repository.get(session, Campaign, group.campaign_id)
    _check_alive(campaign, "campaign")
    spark = spark_post_service.get_in_account(session, account=account,
                                              spark_post_id=spark_post_id)
    if spark.unbound_at is not None:
        raise errors.Conflict("That Spark post was unbound; bind the code again first.",
                              code="spark_post_unbound")
    rules.check_call_to_action(call_to_action)
    url = rules.check_landing_url(landing_page_url)
    post = post_repository.by_id(session, spark.post_id)
    assert post is not None  # spark_posts.post_id is a foreign key
    rules.check_identity_capacity(
        repository.count_on_identity(session, ad_account_id=account.id,
                                     creator_id=post.creator_id),
        settings.codes.ads_per_identity)
    name = refuse_control(name.strip(), name="ad name")
    if not name:
        creator = creator_repository.by_id(session, post.creator_id)
        assert creator is not None  # posts.creator_id is a foreign key
        name = rules.default_ad_name(creator.handle, post.caption,
                                     repository.names_in_group(session, group.id))
    ad = Ad(ad_group_id=group.id, campaign_id=group.campaign_id, ad_account_id=account.id,
            spark_post_id=spark.id, post_id=post.id, post_revision=post.revision,
            identity_type=spark.identity_type, creator_id=post.creator_id,
            name=name, call_to_action=call_to_action,
            landing_page_url=url, ads_only=ads_only, created_by_id=user.id)
    repository.add(session, ad)
    if post.visibility != "public" and not ads_only:
        # R4: a private post becomes public when it starts running as an ad (unless ads only).
        before = post.visibility
        post.visibility = "public"
        audit.record(session, actor_id=user.id, action="post.made_public", target_type="post",
                     target_id=post.id, creator_id=post.creator_id,
                     before={"visibility": before}, after={"visibility": "public"}, ad_id=ad.id)
    audit.record(session, actor_id=user.id, action="ad.created", target_type="ad",
                 target_id=ad.id, business_id=account.business_id, creator_id=post.creator_id,
                 after={"name": ad.name, "ad_group_id": group.id, "spark_post_id": spark.id,
                        "identity_type": ad.identity_type, "call_to_action": call_to_action,
                        "landing_page_url": url, "ads_only": ads_only})
    return ad


def edit_campaign(session: Session, *, user: User, account: AdAccount, campaign: Campaign,
                  changes: dict[str, Any]) -> Campaign:
    """Rename a campaign or change its budget (mode and amount checked together)."""
    _check_alive(campaign, "campaign")
    if "name" in changes:
        changes["name"] = _name(changes["name"], "campaign")
    if "budget_mode" in changes or "budget_micros" in changes:
        mode = changes.get("budget_mode", campaign.budget_mode)
        micros = changes.get("budget_micros", campaign.budget_micros)
        rules.check_budget(mode, micros)
        if mode == "BUDGET_MODE_INFINITE":
            changes["budget_micros"] = None
    return _apply(session, user=user, account=account, obj=campaign, noun="campaign",
                  changes=changes)


def edit_ad_group(session: Session, *, user: User, account: AdAccount, group: AdGroup,
                  changes: dict[str, Any]) -> AdGroup:
    """Rename an ad group, or change its daily budget, CPM bid or schedule."""
    _check_alive(group, "ad group")
    if "name" in changes:
        changes["name"] = _name(changes["name"], "ad group")
    for key in ("budget_micros", "bid_micros"):
        if key in changes and (changes[key] is None or changes[key] <= 0):
            raise errors.InvalidInput("An ad group needs a positive daily budget and CPM bid.",
                                      code="invalid_budget")
    if "schedule_start_at" in changes or "schedule_end_at" in changes:
        rules.check_schedule(changes.get("schedule_start_at", group.schedule_start_at),
                             changes.get("schedule_end_at", group.schedule_end_at))
    return _apply(session, user=user, account=account, obj=group, noun="ad_group",
                  changes=changes)


def _name(value: str, noun: str) -> str:
    name = refuse_control(value.strip(), name=f"{noun} name")
    if not name:
        raise errors.InvalidInput(f"Give the {noun} a name.", code="invalid_name")
    return name


def _apply(session: Session, *, user: User, account: AdAccount, obj: Campaign | AdGroup,
           noun: str, changes: dict[str, Any]) -> Any:
    before = {k: getattr(obj, k) for k in changes}
    for key, value in changes.items():
        setattr(obj, key, value)
    session.flush()
    if before != changes:
        audit.record(session, actor_id=user.id, action=f"{noun}.edited", target_type=noun,
                     target_id=obj.id, business_id=account.business_id, before=before,
                     after=changes)
    return obj


def edit_ad(session: Session, *, user: User, account: AdAccount, ad: Ad,
            changes: dict[str, Any]) -> Ad:
    """Name, call to action and landing page can change; the caption never (it is the post's)."""
    _check_alive(ad, "ad")
    if "call_to_action" in changes:
        rules.check_call_to_action(changes["call_to_action"])
    if "landing_page_url" in changes:
        changes["landing_page_url"] = rules.check_landing_url(changes["landing_page_url"])
    before = {k: getattr(ad, k) for k in changes}
    for key, value in changes.items():
        setattr(ad, key, value)
    session.flush()
    if before != changes:
        audit.record(session, actor_id=user.id, action="ad.edited", target_type="ad",
                     target_id=ad.id, business_id=account.business_id, before=before,
                     after=changes)
    return ad


def _check_alive(obj: Campaign | AdGroup | Ad | None, noun: str) -> None:
    if obj is None:
        raise errors.NotFound(f"No such {noun}.")
    if obj.deleted_at is not None:
        raise errors.Gone(f"That {noun} was deleted.", code=f"{noun.replace(' ', '_')}_deleted")


def set_operation(session: Session, *, user: User | None, account: AdAccount,
                  obj: Campaign | AdGroup | Ad, operation: str) -> Campaign | AdGroup | Ad:
    """ENABLE, DISABLE (pause) or DELETE; deleted objects cannot change (TikTok's rule).
    ``user`` is None when the system acts (a fallback policy, R27)."""
    if operation not in OPERATIONS:
        raise errors.InvalidInput("operation_status must be ENABLE, DISABLE or DELETE.",
                                  code="invalid_operation_status")
    noun = {Campaign: "campaign", AdGroup: "ad_group", Ad: "ad"}[type(obj)]
    if obj.deleted_at is not None:
        if operation == "DELETE":
            return obj  # deleting twice is harmless
        raise errors.Gone(f"That {noun.replace('_', ' ')} was deleted and cannot change.",
                          code=f"{noun}_deleted")
    now = utc_now()
    field, value, action = {
        "ENABLE": ("disabled_at", None, "enabled"),
        "DISABLE": ("disabled_at", now, "paused"),
        "DELETE": ("deleted_at", now, "deleted"),
    }[operation]
    if operation == "DISABLE" and obj.disabled_at is not None:
        return obj
    if operation == "ENABLE" and obj.disabled_at is None:
        return obj
    if not repository.set_switch(session, type(obj), obj.id, field=field, value=value):
        session.refresh(obj)
        raise errors.Gone(f"That {noun.replace('_', ' ')} was deleted meanwhile.",
                          code=f"{noun}_deleted")
    session.refresh(obj)
    audit.record(session, actor_id=user.id if user else None, action=f"{noun}.{action}",
                 target_type=noun,
                 target_id=obj.id, business_id=account.business_id)
    return obj


# --- delivery ---------------------------------------------------------------------------------

@dataclass
class AdView:
    """An ad with everything its delivery depends on, and the verdict at ``now``."""

    ad: Ad
    group: AdGroup
    campaign: Campaign
    spark_post: SparkPost
    post: Post
    delivery: rules.Delivery
    input: rules.DeliveryInput


def deliveries(session: Session, ads: list[Ad], now: datetime) -> list[AdView]:
    """Delivery status of many ads at one instant, in a fixed number of queries."""
    if not ads:
        return []
    rel = repository.load_related(session, ads)
    accounts = rel["accounts"]
    days = {a.ad_group_id: local_day(now, accounts[a.ad_account_id].timezone) for a in ads}
    group_spend = repository.spend_by(session, "ad_group_id", set(days), set(days.values()))
    day_campaigns = {a.campaign_id for a in ads
                     if rel["campaigns"][a.campaign_id].budget_mode == "BUDGET_MODE_DAY"}
    total_campaigns = {a.campaign_id for a in ads
                       if rel["campaigns"][a.campaign_id].budget_mode == "BUDGET_MODE_TOTAL"}
    campaign_day = repository.spend_by(session, "campaign_id", day_campaigns,
                                       set(days.values()))
    campaign_total = repository.spend_by(session, "campaign_id", total_campaigns, None)
    out = []
    for ad in ads:
        day = days[ad.ad_group_id]
        campaign = rel["campaigns"][ad.campaign_id]
        spent_campaign = (campaign_day.get((campaign.id, day), 0)
                          if campaign.budget_mode == "BUDGET_MODE_DAY"
                          else campaign_total.get((campaign.id, None), 0))
        view = build_view(ad, rel, spent_today=group_spend.get((ad.ad_group_id, day), 0),
                          spent_campaign=spent_campaign, now=now)
        out.append(view)
    return out


def build_view(ad: Ad, rel: repository.Related, *, spent_today: int, spent_campaign: int,
               now: datetime) -> AdView:
    group = rel["groups"][ad.ad_group_id]
    campaign = rel["campaigns"][ad.campaign_id]
    spark = rel["sparks"][ad.spark_post_id]
    post = rel["posts"][ad.post_id]
    creator = rel["creators"][post.creator_id]
    auths = rel["auths"]
    code = auths.get(spark.authorization_id) if spark.authorization_id else None
    original_code = (auths.get(spark.original_authorization_id)
                     if spark.original_authorization_id else None)
    original_post = rel["posts"].get(post.original_post_id) if post.original_post_id else None
    spark_state = spark_post_service.state_of(
        spark, post, creator, code, original_code,
        identity_linked=(ad.ad_account_id, ad.creator_id) in rel["links"],
        original=(original_post, rel["creators"][original_post.creator_id])
        if original_post else None,
    )
    d_in = rules.DeliveryInput(
        ad=rules.AdState(created_at=ad.created_at, post_revision=ad.post_revision,
                         ads_only=ad.ads_only, switch=rules.Switch(ad.disabled_at, ad.deleted_at)),
        ad_group=rules.AdGroupState(
            schedule_start_at=group.schedule_start_at, schedule_end_at=group.schedule_end_at,
            daily_budget_micros=group.budget_micros, spent_today_micros=spent_today,
            switch=rules.Switch(group.disabled_at, group.deleted_at)),
        campaign=rules.CampaignState(
            budget_mode=campaign.budget_mode, budget_micros=campaign.budget_micros,
            spent_micros=spent_campaign,
            switch=rules.Switch(campaign.disabled_at, campaign.deleted_at)),
        spark_post=spark_state,
        spark_post_unbound=spark.unbound_at is not None,
        post_revision=post.revision,
        post_visibility=post.visibility,
        revised_after_at=rel.get("revisions", {}).get((post.id, ad.post_revision + 1)),
    )
    return AdView(ad, group, campaign, spark, post, rules.delivery_status(d_in, now), d_in)


def live_ads(session: Session, ads: list[Ad], now: datetime) -> list[LiveAd]:
    """The ads among these that deliver now ("in use by a live ad", R12)."""
    return live_ads_of_views(session, deliveries(session, ads, now))


def live_ads_of_views(session: Session, views: list[AdView]) -> list[LiveAd]:
    live = [v for v in views if v.delivery.delivering]
    if not live:
        return []
    businesses: dict[str, Business | None] = {
        acc.id: business_repository.by_id(session, acc.business_id)
        for acc in (ad_account_repository.by_id(session, v.ad.ad_account_id) for v in live)
        if acc
    }
    names = {account_id: business.name if business else ""
             for account_id, business in businesses.items()}
    return [LiveAd(ad_id=v.ad.id, ad_name=v.ad.name, ad_account_id=v.ad.ad_account_id,
                   business_name=names.get(v.ad.ad_account_id, ""))
            for v in live]


def held(session: Session, *, user: User, model: type[Lifecycle], obj_id: str,
         action: str, through_tiktok: bool = False) -> tuple[Lifecycle, AdAccount, str]:
    """A campaign, ad group or ad with its ad account and the user's role there, if that role
    allows ``action``; NotFound (naming the object) when it does not exist or the user is no
    member."""
    noun = _NOUN[model]
    obj = repository.get(session, model, obj_id)
    if obj is None:
        raise errors.NotFound(f"No such {noun}.")
    try:
        account, _, role = ad_account_service.access(session, user=user,
                                                     ad_account_id=obj.ad_account_id,
                                                     action=action, through_tiktok=through_tiktok)
    except errors.NotFound:
        raise errors.NotFound(f"No such {noun}.") from None
    return obj, account, role


def set_ad_status(session: Session, *, settings: Settings, user: User, account: AdAccount,
                  ad: Ad, operation: str, actions: AdActions | None) -> Ad:
    """ENABLE, DISABLE or DELETE an ad where it lives: here (``set_operation``), or, for an ad
    mirrored from TikTok, on TikTok (pause and enable; then synced back). Deleting a mirrored
    ad is left to TikTok Ads Manager: MirroredFromTikTok."""
    if account.source == NATIVE:
        changed = set_operation(session, user=user, account=account, obj=ad, operation=operation)
        assert isinstance(changed, Ad)
        return changed
    if operation not in ("ENABLE", "DISABLE"):
        if operation not in OPERATIONS:
            raise errors.InvalidInput("operation_status must be ENABLE, DISABLE or DELETE.",
                                      code="invalid_operation_status")
        raise errors.MirroredFromTikTok(details={"ad_account_id": account.id})
    if actions is None:
        raise errors.MirroredFromTikTok(details={"ad_account_id": account.id})
    if ad.deleted_at is not None:
        raise errors.Gone("That ad was deleted and cannot change.", code="ad_deleted")
    actions.set_ad_status(session, settings=settings, user=user, account=account, ad=ad,
                          enable=operation == "ENABLE")
    session.refresh(ad)
    return ad


def by_tiktok_ids(session: Session, *, model: type[repository.Lifecycle], account: AdAccount,
                  tiktok_ids: list[int]) -> dict[int, repository.Lifecycle]:
    """The ad account's campaigns, ad groups or ads by TikTok id; others' are not found."""
    return repository.by_tiktok_ids(session, model, account.id, tiktok_ids)


def page_of(session: Session, *, model: type[repository.Lifecycle], account: AdAccount,
            ids: list[str] | None = None, campaign_ids: list[str] | None = None,
            ad_group_ids: list[str] | None = None, deleted: bool | None = False,
            limit: int | None, offset: int = 0) -> tuple[list[repository.Lifecycle], int]:
    """One page of the ad account's campaigns, ad groups or ads, oldest first, and the total."""
    return repository.page_of(session, model, ad_account_id=account.id, ids=ids,
                              campaign_ids=campaign_ids, ad_group_ids=ad_group_ids,
                              deleted=deleted, limit=limit, offset=offset)


# --- reading ----------------------------------------------------------------------------------

def campaigns_of(session: Session, *, account: AdAccount,
                 include_deleted: bool = False) -> list[Campaign]:
    """The ad account's campaigns, oldest first; deleted ones only when asked for."""
    return repository.campaigns_of(session, account.id, include_deleted=include_deleted)


def ad_groups_of(session: Session, *, campaign: Campaign,
                 include_deleted: bool = False) -> list[AdGroup]:
    """The campaign's ad groups, oldest first; deleted ones only when asked for."""
    return repository.ad_groups_of(session, campaign.id, include_deleted=include_deleted)


def ads_of(session: Session, *, account: AdAccount | None = None,
           campaign: Campaign | None = None, group: AdGroup | None = None,
           spark_post_ids: list[str] | None = None, include_deleted: bool = False,
           limit: int | None = None, offset: int = 0) -> list[Ad]:
    """The ads of an ad account, a campaign, an ad group or some Spark posts, oldest first."""
    return repository.ads_where(
        session, ad_account_id=account.id if account else None,
        campaign_id=campaign.id if campaign else None, ad_group_id=group.id if group else None,
        spark_post_ids=spark_post_ids, include_deleted=include_deleted, limit=limit,
        offset=offset)


def campaign_of(session: Session, obj: AdGroup | Ad) -> Campaign:
    """The campaign an ad group or an ad belongs to."""
    campaign = repository.get(session, Campaign, obj.campaign_id)
    assert campaign is not None  # campaign_id is a foreign key; campaigns are never removed
    return campaign


def ad_group_of(session: Session, ad: Ad) -> AdGroup:
    """The ad group an ad belongs to."""
    group = repository.get(session, AdGroup, ad.ad_group_id)
    assert group is not None  # ad_group_id is a foreign key; ad groups are never removed
    return group


def creators_of(session: Session, views: list[AdView]) -> dict[str, Creator]:
    """The creator accounts behind these ads' posts, by id."""
    return creator_repository.by_ids(session, {v.post.creator_id for v in views})


def codes_of(session: Session, views: list[AdView]) -> dict[str, Authorization]:
    """The codes these ads' Spark posts run on now, by id, in one statement."""
    return authorization_repository.by_ids(
        session, {v.spark_post.authorization_id for v in views if v.spark_post.authorization_id})
