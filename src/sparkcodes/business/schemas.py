from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from sparkcodes.kit.ids import TikTokId

Role = Literal["admin", "operator", "analyst"]


class BusinessIn(BaseModel):
    name: str = Field(max_length=120)


class BusinessOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: str
    name: str
    created_at: datetime
    role: str | None = None


class MemberIn(BaseModel):
    email: str = Field(max_length=254)
    role: Role = "operator"


class MemberOut(BaseModel):
    user_id: str
    email: str
    name: str
    role: str
    since: datetime


class AdAccountIn(BaseModel):
    name: str = Field(max_length=120)
    region: str | None = Field(None, max_length=8)
    timezone: str = Field("UTC", max_length=64)


class AdAccountOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: str
    tiktok_id: TikTokId
    business_id: str
    name: str
    region: str | None
    timezone: str
    created_at: datetime


class LinkIdentityIn(BaseModel):
    creator_id: str = Field(max_length=32)


class LinkedIdentityOut(BaseModel):
    id: str
    creator_id: str
    handle: str
    linked_at: datetime
