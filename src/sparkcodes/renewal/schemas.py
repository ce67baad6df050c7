from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING

from pydantic import BaseModel, Field

from sparkcodes.renewal.rules import RenewalStatus
from sparkcodes.request_flow.schemas import CreatorRef as CreatorRef
from sparkcodes.request_flow.schemas import DeclineIn as DeclineIn
from sparkcodes.request_flow.schemas import Party as Party
from sparkcodes.request_flow.schemas import PostRef as PostRef
from sparkcodes.values import hint_display

if TYPE_CHECKING:  # the service imports no schema; only the checker needs the type
    from sparkcodes.renewal.service import RenewalView


class RenewalRequestIn(BaseModel):
    authorization_id: str = Field(max_length=32, description="A code bound to this ad account")
    days: int = Field(description="How many days to add: 7, 30, 60 or 365")
    message: str = Field("", max_length=1000, description="A note for the creator")


class RenewalRequestOut(BaseModel):
    id: str
    status: RenewalStatus
    authorization_id: str
    code_hint: str = Field(description="The first symbols of the code, never the code")
    window_end: datetime = Field(description="The code's current end")
    days: int
    message: str
    post: PostRef
    creator: CreatorRef
    ad_account: Party
    business: Party
    created_at: datetime
    expires_at: datetime = Field(description="Open for an answer until then (created_at + 14 "
                                             "days); unanswered, the status is then expired")
    approved_at: datetime | None
    declined_at: datetime | None
    decline_reason: str | None
    cancelled_at: datetime | None


def renewal_out(view: RenewalView) -> RenewalRequestOut:
    r, a = view.request, view.authorization
    return RenewalRequestOut(
        id=r.id, status=view.status, authorization_id=a.id, code_hint=hint_display(a.code_hint),
        window_end=a.expires_at, days=r.days, message=r.message,
        post=PostRef(id=view.post.id, caption=view.post.caption),
        creator=CreatorRef(id=view.creator.id, handle=view.creator.handle),
        ad_account=Party(id=view.account.id, name=view.account.name),
        business=Party(id=view.business.id, name=view.business.name),
        created_at=r.created_at, expires_at=view.expires_at, approved_at=r.approved_at,
        declined_at=r.declined_at, decline_reason=r.decline_reason, cancelled_at=r.cancelled_at,
    )
