from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, ConfigDict, Field

from sparkcodes.kit import limits
from sparkcodes.kit.ids import TikTokId
from sparkcodes.kit.text import SingleLine


class CreatorIn(BaseModel):
    handle: str = Field(max_length=limits.HANDLE_INPUT, examples=["maya.makes"])
    display_name: SingleLine = Field("", max_length=limits.DISPLAY_NAME)
    region: str = Field(max_length=limits.REGION, examples=["US"])
    avatar_url: SingleLine | None = Field(None, max_length=limits.AVATAR_URL)


class AdSettingsIn(BaseModel):
    enabled: bool
    accept_terms: bool = False


class CreatorOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: str
    tiktok_id: TikTokId
    handle: str
    display_name: str
    avatar_url: str | None
    region: str
    ad_settings_enabled_at: datetime | None
    ad_terms_accepted_at: datetime | None
    created_at: datetime
    ad_settings_enabled: bool = False
    region_supported: bool = True
