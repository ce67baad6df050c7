from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING

from pydantic import BaseModel, Field

if TYPE_CHECKING:
    from sparkcodes.fallback.service import PolicyView


class FallbackPolicyIn(BaseModel):
    action: str = Field(max_length=10, description="notify, pause or swap")
    hours_before: int | None = Field(None, description="Act this many hours before a code ends "
                                     "(1–720; the reminder setting when left out)")
    backup_ad_id: str | None = Field(None, max_length=32,
                                     description="swap only: the ad to switch on instead")


class FallbackPolicyOut(BaseModel):
    ad_group_id: str
    action: str
    hours_before: int
    backup_ad_id: str | None
    backup_ad_name: str | None
    is_default: bool = Field(description="No policy was set: the default (notify) applies")
    updated_at: datetime | None
    updated_by_id: str | None


def policy_out(view: PolicyView) -> FallbackPolicyOut:
    p, row = view.policy, view.row
    return FallbackPolicyOut(
        ad_group_id=view.group.id, action=p.action, hours_before=p.hours_before,
        backup_ad_id=p.backup_ad_id, backup_ad_name=view.backup.name if view.backup else None,
        is_default=view.is_default, updated_at=row.updated_at if row else None,
        updated_by_id=row.updated_by_id if row else None)
