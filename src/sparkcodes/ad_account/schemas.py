from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, ConfigDict, Field

from sparkcodes.kit import limits
from sparkcodes.kit.ids import TikTokId
from sparkcodes.kit.text import SingleLine


class AdAccountIn(BaseModel):
    name: SingleLine = Field(max_length=limits.AD_ACCOUNT_NAME)
    region: str | None = Field(None, max_length=limits.REGION)
    timezone: str = Field("UTC", max_length=limits.TIMEZONE)
    currency: str = Field("USD", max_length=limits.CURRENCY,
                          description="ISO 4217 code every amount of the account is in")


class AdAccountOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: str
    tiktok_id: TikTokId
    business_id: str
    name: str
    region: str | None
    timezone: str
    currency: str
    created_at: datetime


class LinkIdentityIn(BaseModel):
    creator_id: str = Field(max_length=32)


class LinkedIdentityOut(BaseModel):
    id: str
    creator_id: str
    handle: str
    linked_at: datetime
