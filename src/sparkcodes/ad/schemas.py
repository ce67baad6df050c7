from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Literal

from pydantic import AwareDatetime, BaseModel, Field

from sparkcodes.ad.rules import MAX_BID, MAX_BUDGET
from sparkcodes.kit import limits
from sparkcodes.kit.ids import TikTokId
from sparkcodes.kit.text import SingleLine
from sparkcodes.spark_post.schemas import CreatorCard, PostCard

Money = Decimal
Operation = Literal["ENABLE", "DISABLE", "DELETE"]


def to_micros(amount: Decimal | None) -> int | None:
    return None if amount is None else int((amount * 1_000_000).to_integral_value())


def from_micros(micros: int | None) -> Decimal | None:
    return None if micros is None else (Decimal(micros) / 1_000_000).quantize(Decimal("0.01"))


class CampaignIn(BaseModel):
    name: SingleLine = Field(max_length=limits.AD_NAME)
    objective: str = Field("ENGAGEMENT", max_length=40)
    budget_mode: str = Field("BUDGET_MODE_INFINITE", max_length=30)
    budget: Money | None = Field(None, ge=0, le=MAX_BUDGET,
                                 description="In the account's currency")


class AdGroupIn(BaseModel):
    name: SingleLine = Field(max_length=limits.AD_NAME)
    budget: Money = Field(gt=0, le=MAX_BUDGET, description="Daily budget")
    bid: Money = Field(gt=0, le=MAX_BID, description="CPM bid: price of 1,000 impressions")
    schedule_start_time: AwareDatetime | None = Field(None, description="With an offset, e.g. ...Z")
    schedule_end_time: AwareDatetime | None = Field(None, description="With an offset, e.g. ...Z")


class CampaignPatch(BaseModel):
    name: SingleLine | None = Field(None, max_length=limits.AD_NAME)
    budget_mode: str | None = Field(None, max_length=30)
    budget: Money | None = Field(None, ge=0, le=MAX_BUDGET)


class AdGroupPatch(BaseModel):
    name: SingleLine | None = Field(None, max_length=limits.AD_NAME)
    budget: Money | None = Field(None, gt=0, le=MAX_BUDGET, description="Daily budget")
    bid: Money | None = Field(None, gt=0, le=MAX_BID, description="CPM bid")
    schedule_start_time: AwareDatetime | None = None
    schedule_end_time: AwareDatetime | None = None


class AdIn(BaseModel):
    spark_post_id: str = Field(max_length=32)
    name: SingleLine = Field("", max_length=limits.AD_NAME)
    call_to_action: str = Field("LEARN_MORE", max_length=40)
    landing_page_url: SingleLine = Field(max_length=limits.LANDING_URL)
    ads_only: bool = Field(False, description="Run without showing on the creator's profile")
    ad_text: str | None = Field(None, description="Not allowed: a Spark Ad uses the post's caption")


class AdPatch(BaseModel):
    name: SingleLine | None = Field(None, max_length=limits.AD_NAME)
    call_to_action: str | None = Field(None, max_length=40)
    landing_page_url: SingleLine | None = Field(None, max_length=limits.LANDING_URL)
    ad_text: str | None = Field(None, description="Not allowed: a Spark Ad uses the post's caption")


class StatusIn(BaseModel):
    operation_status: Operation


class DeliveryOut(BaseModel):
    status: str = Field(description="DELIVERING or NOT_DELIVERING")
    reasons: list[str]
    text: str


class ContainerDeliveryOut(BaseModel):
    status: str
    live_ads: int
    total_ads: int
    reasons: dict[str, int] = Field(description="How many ads stopped for each reason")
    text: str


class CampaignOut(BaseModel):
    id: str
    tiktok_id: TikTokId
    ad_account_id: str
    name: str
    objective: str
    budget_mode: str
    budget: Money | None
    operation_status: str
    created_at: datetime
    delivery: ContainerDeliveryOut


class AdGroupOut(BaseModel):
    id: str
    tiktok_id: TikTokId
    campaign_id: str
    ad_account_id: str
    name: str
    budget: Money
    bid: Money
    schedule_start_time: datetime
    schedule_end_time: datetime | None
    operation_status: str
    created_at: datetime
    delivery: ContainerDeliveryOut


class AdOut(BaseModel):
    id: str
    tiktok_id: TikTokId
    ad_group_id: str
    campaign_id: str
    ad_account_id: str
    spark_post_id: str
    name: str
    identity_type: str
    identity_id: str
    tiktok_item_id: str
    caption: str = Field(description="The post's caption; Spark Ads cannot change it")
    post_revision: int
    call_to_action: str
    landing_page_url: str
    ads_only: bool
    operation_status: str
    created_at: datetime
    post: PostCard
    creator: CreatorCard
    delivery: DeliveryOut
