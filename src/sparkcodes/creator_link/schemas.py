from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Literal

from pydantic import BaseModel, Field

from sparkcodes.kit import limits
from sparkcodes.request_flow.schemas import Party


class CreatorLinkIn(BaseModel):
    kind: Literal["code", "renewal"] = Field(description="code: ask for a Spark code for a "
                                             "post; renewal: ask to extend a code you hold")
    ad_account_id: str | None = Field(None, max_length=32,
                                      description="kind code: a TikTok-linked ad account")
    post_url: str | None = Field(None, max_length=300,
                                 description="kind code: which post (its TikTok link, or words)")
    spark_post_id: str | None = Field(None, max_length=32,
                                      description="kind renewal: the Spark post whose code "
                                                  "should be extended")
    days: int = Field(description="The period asked (code) or the days to add (renewal)")
    fee: Decimal | None = Field(None, ge=0, le=10_000_000, decimal_places=2)
    currency: str | None = Field(None, max_length=limits.CURRENCY)
    message: str = Field("", max_length=limits.TERMS)


class CreatorRef(BaseModel):
    id: str
    handle: str


class CreatorLinkOut(BaseModel):
    """A request e-mailed to a creator who is not on sparkcodes. The link itself is never
    returned: it exists only in the e-mail."""

    id: str
    kind: str
    status: Literal["open", "answered", "expired", "cancelled", "locked"]
    creator: CreatorRef
    email: str
    ad_account: Party
    business: Party
    post_url: str
    spark_post_id: str | None
    days: int
    fee: Decimal | None
    currency: str
    message: str
    created_at: datetime
    expires_at: datetime
    answered_at: datetime | None
    result_spark_post_id: str | None
    end_before: datetime | None
    end_after: datetime | None
    tries: int
    last_refusal: str | None
