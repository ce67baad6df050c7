from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import TYPE_CHECKING

from pydantic import BaseModel, Field

from sparkcodes.ad.schemas import from_micros
from sparkcodes.code_request import rules
from sparkcodes.code_request.rules import CodeRequestStatus
from sparkcodes.request_flow.schemas import CreatorRef, Party, PostRef
from sparkcodes.request_flow.schemas import DeclineIn as DeclineIn
from sparkcodes.values import hint_display

if TYPE_CHECKING:  # the service imports no schema; only the checker needs the type
    from sparkcodes.code_request.service import CodeRequestView


class CodeRequestIn(BaseModel):
    post_id: str = Field(max_length=32, description="The post you want to run as a Spark Ad")
    days: int = Field(description="The code's period: 7, 30, 60 or 365")
    fee: Decimal | None = Field(None, ge=0, le=10_000_000, description="What you offer to pay")
    currency: str | None = Field(None, max_length=3, description="ISO 4217, USD when left out")
    terms: str = Field("", max_length=5000, description="Usage terms the creator agrees to")
    expires_in_days: int | None = Field(None, description="Days the creator has to answer "
                                        "(1–30, 7 when left out)")


class CodeRequestOut(BaseModel):
    id: str
    status: CodeRequestStatus
    post: PostRef
    creator: CreatorRef
    ad_account: Party
    business: Party
    days: int
    fee: Decimal | None
    currency: str
    terms: str
    created_at: datetime
    expires_at: datetime = Field(description="When an unanswered request lapses")
    accepted_at: datetime | None
    declined_at: datetime | None
    decline_reason: str | None
    cancelled_at: datetime | None = Field(description="When the brand withdrew it")
    authorization_id: str | None = Field(description="The code the acceptance produced")
    code_hint: str | None = Field(description="Its first symbols: the code itself is never shown")
    window_end: datetime | None
    spark_post_id: str | None = Field(description="The Spark post it made in the ad account")


def code_request_out(view: CodeRequestView, now: datetime) -> CodeRequestOut:
    r, a = view.request, view.authorization
    return CodeRequestOut(
        id=r.id, status=view.status(now),
        post=PostRef(id=view.post.id, caption=rules.public_caption(view.post)),
        creator=CreatorRef(id=view.creator.id, handle=view.creator.handle),
        ad_account=Party(id=view.account.id, name=view.account.name),
        business=Party(id=view.business.id, name=view.business.name),
        days=r.days, fee=from_micros(r.fee_micros), currency=r.currency, terms=r.terms,
        created_at=r.created_at, expires_at=r.expires_at, accepted_at=r.accepted_at,
        declined_at=r.declined_at, decline_reason=r.decline_reason, cancelled_at=r.cancelled_at,
        authorization_id=a.id if a else None,
        code_hint=hint_display(a.code_hint) if a else None,
        window_end=a.expires_at if a else None, spark_post_id=view.spark_post_id,
    )
