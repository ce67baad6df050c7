"""sparkcodes' delivery verdicts in TikTok's status vocabulary (§5.8–5.10). The verdicts come
from ad/rules.py; this is only their names."""

from __future__ import annotations

from datetime import datetime

from sparkcodes.ad import rules as ad_rules
from sparkcodes.ad.service import AdView
from sparkcodes.models import Ad, AdGroup, Campaign

R = ad_rules.Reason

# One TikTok secondary status per sparkcodes reason; PAUSED and DELETED also name the level.
AD_SECONDARY = {
    R.NOT_STARTED: "AD_STATUS_NOT_START",
    R.ENDED: "AD_STATUS_DONE",
    R.BUDGET_EXHAUSTED: "AD_STATUS_BUDGET_EXCEED",
    R.AUTHORIZATION_EXPIRED: "AD_STATUS_ASSET_AUTHORIZATION_LOST",
    R.AUTHORIZATION_DELETED: "AD_STATUS_CREATOR_AUTHORIZATION_REVOKED",
    R.ACCOUNT_AD_SETTINGS_OFF: "AD_STATUS_CREATOR_AUTHORIZATION_REVOKED",
    R.POST_EDITED: "AD_STATUS_ASSET_AUTHORIZATION_LOST",
    R.POST_UNAVAILABLE: "AD_STATUS_ASSET_AUTHORIZATION_LOST",
    R.POST_PRIVATE: "AD_STATUS_ASSET_AUTHORIZATION_LOST",
    R.IDENTITY_UNLINKED: "AD_STATUS_ASSET_AUTHORIZATION_LOST",
    R.SPARK_POST_UNBOUND: "AD_STATUS_ASSET_AUTHORIZATION_LOST",
}
DELIVERING = "AD_STATUS_DELIVERY_OK"


def operation_status(obj: Campaign | AdGroup | Ad) -> str:
    """ENABLE or DISABLE; a deleted object reports DISABLE (its secondary status says deleted)."""
    return "ENABLE" if obj.disabled_at is None and obj.deleted_at is None else "DISABLE"


def _level(view: AdView, field: str) -> str:
    if getattr(view.ad, field) is not None:
        return "AD_STATUS"
    if getattr(view.group, field) is not None:
        return "AD_STATUS_ADGROUP"
    return "AD_STATUS_CAMPAIGN"


def ad_secondary(view: AdView) -> str:
    reasons = view.delivery.reasons
    if not reasons:
        return DELIVERING
    first = reasons[0]
    if first is R.DELETED:
        return _level(view, "deleted_at") + "_DELETE"
    if first is R.PAUSED:
        return _level(view, "disabled_at") + "_DISABLE"
    return AD_SECONDARY[first]


def ad_group_secondary(group: AdGroup, campaign: Campaign, now: datetime) -> str:
    if group.deleted_at is not None:
        return "ADGROUP_STATUS_DELETE"
    if campaign.deleted_at is not None:
        return "ADGROUP_STATUS_CAMPAIGN_DELETE"
    if group.disabled_at is not None:
        return "ADGROUP_STATUS_DISABLE"
    if campaign.disabled_at is not None:
        return "ADGROUP_STATUS_CAMPAIGN_DISABLE"
    if group.schedule_start_at > now:
        return "ADGROUP_STATUS_NOT_START"
    if group.schedule_end_at is not None and group.schedule_end_at <= now:
        return "ADGROUP_STATUS_TIME_DONE"
    return "ADGROUP_STATUS_DELIVERY_OK"


def campaign_secondary(campaign: Campaign) -> str:
    if campaign.deleted_at is not None:
        return "CAMPAIGN_STATUS_DELETE"
    if campaign.disabled_at is not None:
        return "CAMPAIGN_STATUS_DISABLE"
    return "CAMPAIGN_STATUS_ENABLE"


def modify_time(obj: Campaign | AdGroup | Ad) -> datetime:
    """The latest lifecycle change sparkcodes records for the object."""
    return max(t for t in (obj.created_at, obj.disabled_at, obj.deleted_at) if t is not None)
