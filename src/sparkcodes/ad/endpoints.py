from __future__ import annotations

from fastapi import APIRouter, Depends, Query, Request

from sparkcodes.ad import rules, service
from sparkcodes.ad.auth import (
    AdGroupOperate,
    AdGroupRead,
    AdOperate,
    AdOperateThrough,
    AdRead,
    CampaignOperate,
    CampaignRead,
)
from sparkcodes.ad.presenters import ad_group_out, ads_out, campaign_out
from sparkcodes.ad.schemas import (
    AdGroupIn,
    AdGroupOut,
    AdGroupPatch,
    AdIn,
    AdOut,
    AdPatch,
    CampaignIn,
    CampaignOut,
    CampaignPatch,
    StatusIn,
    to_micros,
)
from sparkcodes.ad_account.auth import AdAccountOperate, AdAccountRead
from sparkcodes.deps import SessionDep, SettingsDep, UserDep, ad_actions
from sparkcodes.kit.pagination import Page

router = APIRouter(prefix="/v1", tags=["ads"])


@router.post("/ad-accounts/{ad_account_id}/campaigns", response_model=CampaignOut, status_code=201)
def create_campaign(ad_account_id: str, access: AdAccountOperate, body: CampaignIn, user: UserDep,
                    session: SessionDep) -> CampaignOut:
    """Create a campaign (objective, budget: daily, lifetime or none)."""
    account = access.account
    campaign = service.create_campaign(session, user=user, account=account, name=body.name,
                                       objective=body.objective, budget_mode=body.budget_mode,
                                       budget_micros=to_micros(body.budget))
    return campaign_out(session, campaign)


@router.get("/ad-accounts/{ad_account_id}/campaigns", response_model=list[CampaignOut])
def list_campaigns(ad_account_id: str, access: AdAccountRead, session: SessionDep,
                   include_deleted: bool = Query(False)) -> list[CampaignOut]:
    """The ad account's campaigns with their delivery."""
    account = access.account
    return [campaign_out(session, c)
            for c in service.campaigns_of(session, account=account,
                                          include_deleted=include_deleted)]


@router.get("/campaigns/{campaign_id}", response_model=CampaignOut)
def get_campaign(campaign_id: str, held: CampaignRead, user: UserDep,
                 session: SessionDep) -> CampaignOut:
    """One campaign."""
    campaign = held.obj
    return campaign_out(session, campaign)


@router.patch("/campaigns/{campaign_id}", response_model=CampaignOut)
def edit_campaign(campaign_id: str, held: CampaignOperate, body: CampaignPatch, user: UserDep,
                  session: SessionDep) -> CampaignOut:
    """Rename a campaign or change its budget mode and amount."""
    campaign, account = held.obj, held.account
    changes = body.model_dump(exclude_unset=True, exclude_none=True)
    if "budget" in changes:
        changes["budget_micros"] = to_micros(changes.pop("budget"))
    service.edit_campaign(session, user=user, account=account, campaign=campaign,
                          changes=changes)
    return campaign_out(session, campaign)


@router.post("/campaigns/{campaign_id}/status", response_model=CampaignOut)
def campaign_status(campaign_id: str, held: CampaignOperate, body: StatusIn, user: UserDep,
                    session: SessionDep) -> CampaignOut:
    """Enable, pause (DISABLE) or delete a campaign; every ad under it follows."""
    campaign, account = held.obj, held.account
    service.set_operation(session, user=user, account=account, obj=campaign,
                          operation=body.operation_status)
    return campaign_out(session, campaign)


@router.post("/campaigns/{campaign_id}/ad-groups", response_model=AdGroupOut, status_code=201)
def create_ad_group(campaign_id: str, held: CampaignOperate, body: AdGroupIn, user: UserDep,
                    session: SessionDep) -> AdGroupOut:
    """Create an ad group: daily budget, CPM bid, schedule (start defaults to now)."""
    campaign, account = held.obj, held.account
    group = service.create_ad_group(
        session, user=user, account=account, campaign=campaign, name=body.name,
        budget_micros=to_micros(body.budget) or 0, bid_micros=to_micros(body.bid) or 0,
        schedule_start_at=body.schedule_start_time, schedule_end_at=body.schedule_end_time)
    return ad_group_out(session, group)


@router.get("/campaigns/{campaign_id}/ad-groups", response_model=list[AdGroupOut])
def list_ad_groups(campaign_id: str, held: CampaignRead, user: UserDep, session: SessionDep,
                   include_deleted: bool = Query(False)) -> list[AdGroupOut]:
    """The campaign's ad groups with their delivery."""
    campaign = held.obj
    return [ad_group_out(session, g)
            for g in service.ad_groups_of(session, campaign=campaign,
                                          include_deleted=include_deleted)]


@router.get("/ad-groups/{ad_group_id}", response_model=AdGroupOut)
def get_ad_group(ad_group_id: str, held: AdGroupRead, user: UserDep,
                 session: SessionDep) -> AdGroupOut:
    """One ad group."""
    group = held.obj
    return ad_group_out(session, group)


@router.patch("/ad-groups/{ad_group_id}", response_model=AdGroupOut)
def edit_ad_group(ad_group_id: str, held: AdGroupOperate, body: AdGroupPatch, user: UserDep,
                  session: SessionDep) -> AdGroupOut:
    """Rename an ad group or change its daily budget, CPM bid or schedule."""
    group, account = held.obj, held.account
    given = body.model_dump(exclude_unset=True, exclude_none=True)
    renames = {"budget": "budget_micros", "bid": "bid_micros",
               "schedule_start_time": "schedule_start_at", "schedule_end_time": "schedule_end_at"}
    changes = {renames.get(k, k): (to_micros(v) if k in ("budget", "bid") else v)
               for k, v in given.items()}
    service.edit_ad_group(session, user=user, account=account, group=group, changes=changes)
    return ad_group_out(session, group)


@router.post("/ad-groups/{ad_group_id}/status", response_model=AdGroupOut)
def ad_group_status(ad_group_id: str, held: AdGroupOperate, body: StatusIn, user: UserDep,
                    session: SessionDep) -> AdGroupOut:
    """Enable, pause (DISABLE) or delete an ad group."""
    group, account = held.obj, held.account
    service.set_operation(session, user=user, account=account, obj=group,
                          operation=body.operation_status)
    return ad_group_out(session, group)


@router.post("/ad-groups/{ad_group_id}/ads", response_model=AdOut, status_code=201)
def create_ad(ad_group_id: str, held: AdGroupOperate, body: AdIn, user: UserDep,
              session: SessionDep,
              settings: SettingsDep) -> AdOut:
    """Create a Spark Ad from a Spark post of this ad account (its identity and caption come
    from the post)."""
    if body.ad_text is not None:
        raise rules.CAPTION_LOCKED
    group, account = held.obj, held.account
    ad = service.create_ad(session, settings=settings, user=user, account=account, group=group,
                           spark_post_id=body.spark_post_id, name=body.name,
                           call_to_action=body.call_to_action,
                           landing_page_url=body.landing_page_url, ads_only=body.ads_only)
    return ads_out(session, [ad])[0]


@router.get("/ad-groups/{ad_group_id}/ads", response_model=list[AdOut])
def list_group_ads(ad_group_id: str, held: AdGroupRead, user: UserDep, session: SessionDep,
                   include_deleted: bool = Query(False)) -> list[AdOut]:
    """The ad group's ads with their delivery status."""
    group = held.obj
    return ads_out(session, service.ads_of(session, group=group, include_deleted=include_deleted))


@router.get("/ad-accounts/{ad_account_id}/ads", response_model=list[AdOut])
def list_account_ads(ad_account_id: str, access: AdAccountRead, session: SessionDep,
                     page: Page = Depends(Page.dep),
                     include_deleted: bool = Query(False)) -> list[AdOut]:
    """Every ad of the ad account with its delivery status and the reasons it does not deliver."""
    account = access.account
    return ads_out(session, service.ads_of(session, account=account,
                                           include_deleted=include_deleted,
                                           limit=page.limit, offset=page.offset))


@router.get("/ads/{ad_id}", response_model=AdOut)
def get_ad(ad_id: str, held: AdRead, user: UserDep, session: SessionDep) -> AdOut:
    """One ad with its delivery status."""
    ad = held.obj
    return ads_out(session, [ad])[0]


@router.patch("/ads/{ad_id}", response_model=AdOut)
def edit_ad(ad_id: str, held: AdOperate, body: AdPatch, user: UserDep,
            session: SessionDep) -> AdOut:
    """Change an ad's name, call to action or landing page (never its caption)."""
    if body.ad_text is not None:
        raise rules.CAPTION_LOCKED
    ad, account = held.obj, held.account
    service.edit_ad(session, user=user, account=account, ad=ad,
                    changes=body.model_dump(exclude_unset=True, exclude_none=True,
                                            exclude={"ad_text"}))
    return ads_out(session, [ad])[0]


@router.post("/ads/{ad_id}/status", response_model=AdOut)
def ad_status(ad_id: str, held: AdOperateThrough, body: StatusIn, user: UserDep,
              request: Request, session: SessionDep, settings: SettingsDep) -> AdOut:
    """Enable, pause (DISABLE) or delete an ad. An ad mirrored from TikTok is paused or enabled
    on TikTok (ad/status/update) and synced back; deleting it is refused (409
    `mirrored_from_tiktok`: delete it in TikTok Ads Manager)."""
    ad, account = held.obj, held.account
    ad = service.set_ad_status(session, settings=settings, user=user, account=account, ad=ad,
                               operation=body.operation_status,
                               actions=ad_actions(request))
    return ads_out(session, [ad])[0]
