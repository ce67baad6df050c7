"""How campaigns, ad groups and ads are shown, with their delivery in words; shared by the JSON
endpoints and the pages."""

from __future__ import annotations

from sqlalchemy.orm import Session

from sparkcodes.ad import rules, service
from sparkcodes.ad.schemas import (
    AdGroupOut,
    AdOut,
    CampaignOut,
    ContainerDeliveryOut,
    DeliveryOut,
    from_micros,
)
from sparkcodes.kit.clock import utc_now
from sparkcodes.models import Ad, AdGroup, Campaign, Creator
from sparkcodes.spark_post.presenters import creator_card, post_card


def operation_status(obj: Campaign | AdGroup | Ad) -> str:
    if obj.deleted_at is not None:
        return "DELETE"
    return "DISABLE" if obj.disabled_at is not None else "ENABLE"


def container(views: list[service.AdView]) -> ContainerDeliveryOut:
    status, counts = rules.summarize([v.delivery for v in views])
    live = sum(1 for v in views if v.delivery.delivering)
    if not views:
        text = "No ads yet."
    elif live:
        stopped = len(views) - live
        text = f"{live} live ad{'s' * (live != 1)}" + (f", {stopped} stopped" if stopped else "")
    else:
        top = max(counts, key=lambda reason: counts[reason]) if counts else None
        text = ("Not delivering: " + rules.REASON_TEXT[rules.Reason(top)] + ".") if top else ""
    return ContainerDeliveryOut(status=status, live_ads=live, total_ads=len(views),
                                reasons=counts, text=text)


def container_note(d: ContainerDeliveryOut) -> str:
    """What follows a campaign's or ad group's delivery badge on a page: how many ads run, or
    the main reason none does (the badge already says "Not delivering" or "No ads yet")."""
    if not d.total_ads:
        return ""
    if d.live_ads:
        return d.text
    top = max(d.reasons, key=lambda reason: d.reasons[reason]) if d.reasons else None
    if top is None:
        return ""
    text = rules.REASON_TEXT[rules.Reason(top)]
    return text[:1].upper() + text[1:] + "."


def ad_out(view: service.AdView, creator: Creator) -> AdOut:
    ad, post = view.ad, view.post
    return AdOut(
        id=ad.id, tiktok_id=ad.tiktok_id, ad_group_id=ad.ad_group_id, campaign_id=ad.campaign_id,
        ad_account_id=ad.ad_account_id, spark_post_id=ad.spark_post_id, name=ad.name,
        identity_type=ad.identity_type, identity_id=ad.creator_id, tiktok_item_id=ad.post_id,
        caption=post.caption, post_revision=ad.post_revision, call_to_action=ad.call_to_action,
        landing_page_url=ad.landing_page_url, ads_only=ad.ads_only,
        operation_status=operation_status(ad), created_at=ad.created_at, post=post_card(post),
        creator=creator_card(creator),
        delivery=DeliveryOut(status=view.delivery.status,
                             reasons=[r.value for r in view.delivery.reasons],
                             text=rules.describe(view.delivery)),
    )


def ads_out(session: Session, ads: list[Ad]) -> list[AdOut]:
    views = service.deliveries(session, ads, utc_now())
    creators = service.creators_of(session, views)
    return [ad_out(v, creators[v.post.creator_id]) for v in views]


def campaign_out(session: Session, campaign: Campaign) -> CampaignOut:
    views = service.deliveries(session, service.ads_of(session, campaign=campaign), utc_now())
    return CampaignOut(
        id=campaign.id, tiktok_id=campaign.tiktok_id, ad_account_id=campaign.ad_account_id,
        name=campaign.name,
        objective=campaign.objective, budget_mode=campaign.budget_mode,
        budget=from_micros(campaign.budget_micros), operation_status=operation_status(campaign),
        created_at=campaign.created_at, delivery=container(views))


def ad_group_out(session: Session, group: AdGroup) -> AdGroupOut:
    views = service.deliveries(session, service.ads_of(session, group=group), utc_now())
    return AdGroupOut(
        id=group.id, tiktok_id=group.tiktok_id, campaign_id=group.campaign_id,
        ad_account_id=group.ad_account_id,
        name=group.name, budget=from_micros(group.budget_micros), bid=from_micros(group.bid_micros),
        schedule_start_time=group.schedule_start_at, schedule_end_time=group.schedule_end_at,
        operation_status=operation_status(group), created_at=group.created_at,
        delivery=container(views))
