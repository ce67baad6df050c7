from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from decimal import Decimal

from pydantic import BaseModel, Field

from sparkcodes.ad.schemas import from_micros
from sparkcodes.tracker import rules
from sparkcodes.tracker.service import Item, Result
from sparkcodes.values import hint_display


class TrackerCreator(BaseModel):
    id: str
    handle: str


class TrackerPost(BaseModel):
    id: str
    kind: str
    caption: str


class TrackerAdAccount(BaseModel):
    id: str
    name: str
    timezone: str
    source: str = Field(description="native, or tiktok: mirrored from a linked TikTok advertiser")
    business_id: str
    currency: str = Field(description="ISO 4217 code of the account's amounts (spend_at_risk)")


class TrackerContract(BaseModel):
    id: str
    post_id: str | None = Field(description="None: the contract covers every post of the creator")
    ends_at: datetime


class TrackerItemOut(BaseModel):
    spark_post_id: str
    creator: TrackerCreator
    post: TrackerPost
    ad_account: TrackerAdAccount
    identity_type: str = Field(description="AUTH_CODE (a creator's code) or TT_USER (own post)")
    authorization_id: str | None
    code_hint: str | None
    status: str = Field(description="AUTHORIZED, UNBOUND, or the first reason ads cannot deliver")
    stop_reasons: list[str]
    window_end: datetime | None
    days_left: int | None = Field(description="Whole days left, rounded up; 0 once ended")
    hours_left: int | None = Field(description="Whole hours left, rounded up; 0 once ended")
    live_ads: int
    total_ads: int
    spend_at_risk: Decimal = Field(
        description="Yesterday's spend (ad account time zone) of the ads live on it now: what "
                    "stops each day if the code lapses; in ad_account.currency")
    contract: TrackerContract | None
    flags: list[str] = Field(description="code_shorter_than_contract, running_past_contract")
    bound_at: datetime
    unbound_at: datetime | None


class TrackerOut(BaseModel):
    items: list[TrackerItemOut]
    total: int = Field(description="How many Spark posts match; a lower bound when total_exact "
                                    "is false")
    total_exact: bool = Field(description="False when counting stopped: at least `total` match "
                                          "(counting stops past 10,000 matches, or past the page's "
                                          "end; with a status filter it reads 2,000 rows)")
    limit: int
    offset: int
    as_of: datetime
    spend_at_risk: Decimal = Field(description="Sum over the items of this page, whatever their "
                                               "currency: read spend_at_risk_by_currency when "
                                               "the page spans accounts in several")
    spend_at_risk_by_currency: dict[str, Decimal] = Field(
        description="The page's spend at risk per currency (ISO 4217), largest first")
    next: str | None = Field(description="Pass as `after` (with the same filters and sort) for "
                                         "the next page; null on the last page")


def money(micros: int) -> Decimal:
    """Micros as an amount with two decimals (0 reads 0.00)."""
    return from_micros(micros) or Decimal("0.00")


def at_risk_by_currency(items: Iterable[Item]) -> dict[str, Decimal]:
    """The spend at risk of these rows per currency of their ad accounts, largest first
    (rules.per_currency)."""
    return {c: money(m) for c, m in rules.per_currency(
        (i.account.currency, i.spend_at_risk_micros) for i in items).items()}


def item_out(i: Item) -> TrackerItemOut:
    return TrackerItemOut(
        spark_post_id=i.spark_post.id,
        creator=TrackerCreator(id=i.creator.id, handle=i.creator.handle),
        post=TrackerPost(id=i.post.id, kind=i.post.kind, caption=i.post.caption),
        ad_account=TrackerAdAccount(id=i.account.id, name=i.account.name,
                                    source=i.account.source, business_id=i.account.business_id,
                                    timezone=i.account.timezone, currency=i.account.currency),
        identity_type=i.spark_post.identity_type, authorization_id=i.spark_post.authorization_id,
        code_hint=hint_display(i.code.code_hint) if i.code else None,
        status=i.status, stop_reasons=i.stop_reasons, window_end=i.window_end,
        days_left=i.days_left, hours_left=i.hours_left, live_ads=i.live_ads,
        total_ads=i.total_ads, spend_at_risk=money(i.spend_at_risk_micros),
        contract=TrackerContract(id=i.contract.id, post_id=i.contract.post_id,
                                 ends_at=i.contract.ends_at) if i.contract else None,
        flags=i.flags, bound_at=i.spark_post.bound_at, unbound_at=i.spark_post.unbound_at,
    )


def tracker_out(result: Result, *, limit: int, offset: int) -> TrackerOut:
    return TrackerOut(items=[item_out(i) for i in result.items], total=result.total,
                      total_exact=result.total_exact, limit=limit,
                      offset=offset, as_of=result.now,
                      spend_at_risk=money(result.spend_at_risk_micros),
                      spend_at_risk_by_currency=at_risk_by_currency(result.items),
                      next=rules.cursor_text(result.next) if result.next is not None else None)
