from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING

from pydantic import BaseModel, Field

from sparkcodes import values
from sparkcodes.authorization import rules
from sparkcodes.models import Authorization
from sparkcodes.values import Message, days_left, hint_display

if TYPE_CHECKING:  # the service imports no schema; only the checker needs the type
    from sparkcodes.authorization.service import CodeUser


class GenerateIn(BaseModel):
    days: int | None = Field(None, description="7, 30, 60 or 365; 30 when left out")


class ExtendIn(BaseModel):
    days: int = Field(description="7, 30, 60 or 365")


class LiveAdOut(BaseModel):
    ad_id: str
    ad_name: str
    ad_account_id: str


class CodeUserOut(BaseModel):
    business_id: str
    business_name: str
    ad_account_id: str
    ad_account_name: str
    since: datetime | None
    live_ads: list[LiveAdOut]


class AuthorizationOut(BaseModel):
    id: str
    post_id: str
    code_hint: str = Field(description="The first symbols of the code, to tell codes apart")
    days: int
    starts_at: datetime
    expires_at: datetime
    status: rules.CodeStatus
    days_left: int
    deleted_at: datetime | None
    regenerated_at: datetime | None
    used_by: CodeUserOut | None = None


class NewAuthorizationOut(AuthorizationOut):
    code: str = Field(description="Shown once: send it to the brand; sparkcodes keeps only a hash")
    warnings: list[Message] = []


def authorization_out(a: Authorization, now: datetime,
                      user: CodeUser | None = None) -> AuthorizationOut:
    used_by = None
    if user is not None:
        used_by = CodeUserOut(
            business_id=user.business.id, business_name=user.business.name,
            ad_account_id=user.ad_account.id, ad_account_name=user.ad_account.name,
            since=user.since,
            live_ads=[LiveAdOut(ad_id=x.ad_id, ad_name=x.ad_name, ad_account_id=x.ad_account_id)
                      for x in user.live_ads],
        )
    return AuthorizationOut(
        id=a.id, post_id=a.post_id, code_hint=hint_display(a.code_hint), days=a.days,
        starts_at=a.starts_at, expires_at=a.expires_at,
        status=rules.status_at(
            values.CodeState(a.expires_at, a.deleted_at, a.ad_account_id), now
        ),
        days_left=days_left(a.expires_at, now) if a.deleted_at is None else 0,
        deleted_at=a.deleted_at, regenerated_at=a.regenerated_at, used_by=used_by,
    )
