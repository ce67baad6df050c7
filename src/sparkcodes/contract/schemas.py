from __future__ import annotations

from datetime import datetime
from decimal import Decimal

from pydantic import AwareDatetime, BaseModel, Field

from sparkcodes.kit import limits


class ContractIn(BaseModel):
    creator_id: str = Field(max_length=32)
    post_id: str | None = Field(None, max_length=32,
                                description="Leave out for a contract covering every post")
    starts_at: AwareDatetime
    ends_at: AwareDatetime
    fee: Decimal | None = Field(None, ge=0, le=100_000_000, decimal_places=2,
                                description="Agreed fee, in the business's currency")
    notes: str = Field("", max_length=limits.NOTES)


class ContractCreator(BaseModel):
    id: str
    handle: str


class ContractOut(BaseModel):
    id: str
    business_id: str
    creator: ContractCreator
    post_id: str | None
    post_caption: str | None = Field(description="Shown while the post is public")
    starts_at: datetime
    ends_at: datetime
    fee: Decimal | None
    notes: str
    status: str = Field(description="upcoming, active, ended or deleted")
    created_by_id: str
    created_at: datetime
    deleted_at: datetime | None
