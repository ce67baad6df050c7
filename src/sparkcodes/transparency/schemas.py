from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING

from pydantic import BaseModel, Field

from sparkcodes import values
from sparkcodes.authorization import rules as code_rules
from sparkcodes.kit import limits
from sparkcodes.models import Business, MisuseReport
from sparkcodes.renewal.schemas import Party, PostRef
from sparkcodes.values import days_left, hint_display

if TYPE_CHECKING:
    from sparkcodes.transparency.service import Usage


class MisuseIn(BaseModel):
    reason: str = Field(max_length=limits.REPORT_REASON,
                        description="What the brand does wrong with the code")


class CodeUserOut(BaseModel):
    business: Party
    ad_account: Party
    since: datetime | None = Field(description="When the ad account bound the code")


class AdUsageOut(BaseModel):
    id: str
    name: str
    ad_account_id: str
    delivering: bool
    reasons: list[str] = Field(description="Why it does not deliver, when it does not")
    live_since: datetime | None = Field(description="Delivering since (live ads only)")


class PaidEngagementOut(BaseModel):
    impressions: int
    likes: int
    comments: int
    shares: int
    follows: int
    profile_visits: int


class MisuseReportOut(BaseModel):
    id: str
    authorization_id: str
    business: Party | None
    reason: str
    created_at: datetime


class UsageOut(BaseModel):
    authorization_id: str
    code_hint: str
    status: code_rules.CodeStatus
    starts_at: datetime
    expires_at: datetime
    days_left: int
    post: PostRef
    used_by: CodeUserOut | None
    live_ads: int
    ads: list[AdUsageOut]
    paid: PaidEngagementOut = Field(description="Paid engagement on the post by this code's ads")
    post_paid: PaidEngagementOut = Field(description="Paid engagement on the post by every ad")
    misuse_reports: list[MisuseReportOut]


def report_out(report: MisuseReport, business: Business | None = None) -> MisuseReportOut:
    return MisuseReportOut(
        id=report.id, authorization_id=report.authorization_id,
        business=Party(id=business.id, name=business.name) if business else None,
        reason=report.reason, created_at=report.created_at)


def usage_out(u: Usage, now: datetime) -> UsageOut:
    a = u.authorization
    used_by = None
    if u.account is not None and u.business is not None:
        used_by = CodeUserOut(business=Party(id=u.business.id, name=u.business.name),
                              ad_account=Party(id=u.account.id, name=u.account.name),
                              since=a.bound_at)
    # Keyed by a report's business_id, which is None for a report with no business.
    businesses: dict[str | None, Business] = {u.business.id: u.business} if u.business else {}
    return UsageOut(
        authorization_id=a.id, code_hint=hint_display(a.code_hint),
        status=code_rules.status_at(values.CodeState(a.expires_at, a.deleted_at,
                                                         a.ad_account_id), now),
        starts_at=a.starts_at, expires_at=a.expires_at,
        days_left=days_left(a.expires_at, now) if a.deleted_at is None else 0,
        post=PostRef(id=u.post.id, caption=u.post.caption), used_by=used_by,
        live_ads=u.live_ads,
        ads=[AdUsageOut(id=x.ad_id, name=x.name, ad_account_id=x.ad_account_id,
                        delivering=x.delivering, reasons=x.reasons, live_since=x.live_since)
             for x in u.ads],
        paid=PaidEngagementOut(**u.paid), post_paid=PaidEngagementOut(**u.post_paid),
        misuse_reports=[report_out(r, businesses.get(r.business_id)) for r in u.reports],
    )
