"""Who may act on a campaign, ad group or ad named in the path: typed dependencies.

``CampaignRead``/``CampaignOperate``, ``AdGroupRead``/``AdGroupOperate`` and ``AdRead``/
``AdOperate`` load the object named by ``{campaign_id}``, ``{ad_group_id}`` or ``{ad_id}`` with its
ad account, for the signed-in caller of a JSON route or a page: NotFound (naming the object) for
what does not exist or belongs to a business the caller is not in, Forbidden for a role too low.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Annotated, Generic, TypeVar

from fastapi import Depends

from sparkcodes.ad import service
from sparkcodes.deps import CallerDep, SessionDep
from sparkcodes.models import Ad, AdAccount, AdGroup, Campaign, User

T = TypeVar("T", Campaign, AdGroup, Ad)


@dataclass(frozen=True)
class Held(Generic[T]):
    obj: T
    account: AdAccount
    user: User
    role: str


def _campaign(action: str) -> Callable[..., Held[Campaign]]:
    def dependency(campaign_id: str, user: CallerDep, session: SessionDep) -> Held[Campaign]:
        obj, account, role = service.held(session, user=user, model=Campaign, obj_id=campaign_id,
                                    action=action)
        assert isinstance(obj, Campaign)
        return Held(obj, account, user, role)

    return dependency


def _ad_group(action: str) -> Callable[..., Held[AdGroup]]:
    def dependency(ad_group_id: str, user: CallerDep, session: SessionDep) -> Held[AdGroup]:
        obj, account, role = service.held(session, user=user, model=AdGroup, obj_id=ad_group_id,
                                    action=action)
        assert isinstance(obj, AdGroup)
        return Held(obj, account, user, role)

    return dependency


def _ad(action: str, through_tiktok: bool = False) -> Callable[..., Held[Ad]]:
    def dependency(ad_id: str, user: CallerDep, session: SessionDep) -> Held[Ad]:
        obj, account, role = service.held(session, user=user, model=Ad, obj_id=ad_id, action=action,
                                    through_tiktok=through_tiktok)
        assert isinstance(obj, Ad)
        return Held(obj, account, user, role)

    return dependency


CampaignRead = Annotated[Held[Campaign], Depends(_campaign("read"))]
CampaignOperate = Annotated[Held[Campaign], Depends(_campaign("operate"))]
AdGroupRead = Annotated[Held[AdGroup], Depends(_ad_group("read"))]
AdGroupOperate = Annotated[Held[AdGroup], Depends(_ad_group("operate"))]
AdRead = Annotated[Held[Ad], Depends(_ad("read"))]
AdOperate = Annotated[Held[Ad], Depends(_ad("operate"))]
# Operate, on a mirrored ad too: the route pauses or enables it on TikTok (ports.AdActions).
AdOperateThrough = Annotated[Held[Ad], Depends(_ad("operate", True))]
