from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Literal

from pydantic import BaseModel, Field

from sparkcodes.kit import limits

RosterStatus = Literal["prospect", "active", "paused"]
Rate = Decimal


class RosterIn(BaseModel):
    creator_id: str | None = Field(None, max_length=32)
    handle: str | None = Field(None, max_length=limits.HANDLE_INPUT, description="e.g. @maya.moves")
    status: RosterStatus = "prospect"
    rate: Rate | None = Field(None, ge=0, le=100_000_000, decimal_places=2,
                              description="Usual fee per post")
    currency: str = Field("USD", min_length=3, max_length=limits.CURRENCY)
    notes: str = Field("", max_length=limits.NOTES)
    email: str | None = Field(None, max_length=limits.EMAIL,
                              description="The creator's e-mail. Needed for a creator who is "
                                          "not on sparkcodes: requests then reach them by "
                                          "e-mail")


class RosterPatch(BaseModel):
    status: RosterStatus | None = None
    rate: Rate | None = Field(None, ge=0, le=100_000_000, decimal_places=2,
                              description="null clears the rate")
    currency: str | None = Field(None, min_length=3, max_length=limits.CURRENCY)
    notes: str | None = Field(None, max_length=limits.NOTES)
    email: str | None = Field(None, max_length=limits.EMAIL, description="\"\" clears it")


class CodesHeld(BaseModel):
    held: int = Field(description="The creator's undeleted codes bound to this business's ad "
                                  "accounts")
    live: int
    expired: int


class RosterCreator(BaseModel):
    id: str
    handle: str
    display_name: str
    region: str
    region_supported: bool
    on_sparkcodes: bool = Field(description="False: reached by e-mail (no sparkcodes account)")


class RosterEntryOut(BaseModel):
    id: str
    business_id: str
    creator: RosterCreator
    status: str
    rate: Decimal | None
    currency: str
    notes: str
    email: str | None
    codes: CodesHeld
    created_at: datetime
    updated_at: datetime | None
