from __future__ import annotations

from fastapi import APIRouter, Depends, Query

from sparkcodes.ad_account.auth import AdAccountOperate, AdAccountRead
from sparkcodes.deps import SessionDep, SettingsDep, UserDep
from sparkcodes.kit.pagination import Page
from sparkcodes.renewal import service
from sparkcodes.renewal.schemas import DeclineIn, RenewalRequestIn, RenewalRequestOut, renewal_out

router = APIRouter(prefix="/v1", tags=["renewal requests"])

STATUS = Query(None, max_length=20,
               description="pending, approved, declined, cancelled or expired")


@router.post("/ad-accounts/{ad_account_id}/renewal-requests", response_model=RenewalRequestOut,
             status_code=201)
def create_renewal_request(ad_account_id: str, access: AdAccountOperate, body: RenewalRequestIn,
                           user: UserDep,
                           session: SessionDep, settings: SettingsDep) -> RenewalRequestOut:
    """Ask the creator to extend a code this ad account uses (R24); one pending request per code.
    The creator has 14 days to answer; then the request expires and you may ask again. Needs the
    operator role."""
    account = access.account
    view = service.create(session, settings=settings, user=user, account=account,
                          authorization_id=body.authorization_id, days=body.days,
                          message=body.message)
    return renewal_out(view)


@router.get("/ad-accounts/{ad_account_id}/renewal-requests",
            response_model=list[RenewalRequestOut])
def list_ad_account_renewal_requests(ad_account_id: str, access: AdAccountRead, session: SessionDep,
                                     status: str | None = STATUS,
                                     page: Page = Depends(Page.dep)) -> list[RenewalRequestOut]:
    """The renewal requests this ad account sent, newest first."""
    account = access.account
    views = service.list_for_ad_account(session, account=account, status=status,
                                        limit=page.limit, offset=page.offset)
    return [renewal_out(v) for v in views]


@router.get("/creators/{creator_id}/renewal-requests", response_model=list[RenewalRequestOut])
def list_creator_renewal_requests(creator_id: str, user: UserDep, session: SessionDep,
                                  status: str | None = STATUS,
                                  page: Page = Depends(Page.dep)) -> list[RenewalRequestOut]:
    """Brands asking you to extend codes of this creator account, newest first."""
    views = service.list_for_creator(session, user=user, creator_id=creator_id, status=status,
                                     limit=page.limit, offset=page.offset)
    return [renewal_out(v) for v in views]


@router.post("/renewal-requests/{renewal_request_id}/approve", response_model=RenewalRequestOut)
def approve_renewal_request(renewal_request_id: str, user: UserDep, session: SessionDep,
                            settings: SettingsDep) -> RenewalRequestOut:
    """Extend the same code by the requested days, in one click (R24, R8)."""
    view = service.get_for_creator(session, user=user, request_id=renewal_request_id)
    return renewal_out(service.approve(session, settings=settings, user=user, view=view))


@router.post("/renewal-requests/{renewal_request_id}/decline", response_model=RenewalRequestOut)
def decline_renewal_request(renewal_request_id: str, body: DeclineIn, user: UserDep,
                            session: SessionDep) -> RenewalRequestOut:
    """Decline, saying why; the code is unchanged."""
    view = service.get_for_creator(session, user=user, request_id=renewal_request_id)
    return renewal_out(service.decline(session, user=user, view=view, reason=body.reason))


@router.post("/renewal-requests/{renewal_request_id}/cancel", response_model=RenewalRequestOut)
def cancel_renewal_request(renewal_request_id: str, user: UserDep,
                           session: SessionDep) -> RenewalRequestOut:
    """Withdraw a pending request your ad account sent. Needs the operator role."""
    view = service.get_for_brand(session, user=user, request_id=renewal_request_id,
                                 action="operate")
    return renewal_out(service.cancel(session, user=user, view=view))
