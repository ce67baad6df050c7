from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from sparkcodes.kit import limits
from sparkcodes.kit.text import SingleLine

Role = Literal["admin", "operator", "analyst"]


class BusinessIn(BaseModel):
    name: SingleLine = Field(max_length=limits.BUSINESS_NAME)


class BusinessOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: str
    name: str
    created_at: datetime
    role: str | None = None


class MemberIn(BaseModel):
    email: str = Field(max_length=limits.EMAIL)
    role: Role = "operator"


class MemberOut(BaseModel):
    user_id: str
    email: str
    name: str
    role: str
    since: datetime
