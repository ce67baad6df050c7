from __future__ import annotations

from fastapi import APIRouter

from sparkcodes.deps import SessionDep, SettingsDep, UserDep
from sparkcodes.fallback import service
from sparkcodes.fallback.schemas import FallbackPolicyIn, FallbackPolicyOut, policy_out

router = APIRouter(prefix="/v1", tags=["fallback"])


@router.get("/ad-groups/{ad_group_id}/fallback-policy", response_model=FallbackPolicyOut)
def get_fallback_policy(ad_group_id: str, user: UserDep, session: SessionDep,
                        settings: SettingsDep) -> FallbackPolicyOut:
    """What happens to this ad group's ads when their code is about to lapse (R27); notify
    unless set."""
    group, _ = service.load_group(session, user=user, ad_group_id=ad_group_id, action="read")
    return policy_out(service.get_policy(session, settings=settings, group=group))


@router.put("/ad-groups/{ad_group_id}/fallback-policy", response_model=FallbackPolicyOut)
def put_fallback_policy(ad_group_id: str, body: FallbackPolicyIn, user: UserDep,
                        session: SessionDep, settings: SettingsDep) -> FallbackPolicyOut:
    """Set the ad group's fallback: notify, pause the ad, or swap to a backup ad of the same ad
    account (not on the same code), `hours_before` a code ends. Needs the operator role."""
    group, account = service.load_group(session, user=user, ad_group_id=ad_group_id,
                                        action="operate")
    view = service.set_policy(session, settings=settings, user=user, account=account, group=group,
                              action=body.action, hours_before=body.hours_before,
                              backup_ad_id=body.backup_ad_id)
    return policy_out(view)
