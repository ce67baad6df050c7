from __future__ import annotations

from fastapi import APIRouter, Depends, Query, Request

from sparkcodes.ad.schemas import to_micros
from sparkcodes.ad_account.auth import AdAccountOperate, AdAccountRead
from sparkcodes.code_request import service
from sparkcodes.code_request.schemas import (
    CodeRequestIn,
    CodeRequestOut,
    DeclineIn,
    code_request_out,
)
from sparkcodes.deps import SessionDep, SettingsDep, UserDep
from sparkcodes.kit.clock import utc_now
from sparkcodes.kit.pagination import Page
from sparkcodes.web.apidocs import LIMITED

router = APIRouter(prefix="/v1", tags=["code requests"])

STATUS = Query(None, max_length=20,
               description="pending, accepted, declined, expired or cancelled")


@router.post("/ad-accounts/{ad_account_id}/code-requests", response_model=CodeRequestOut,
             status_code=201)
def create_code_request(ad_account_id: str, access: AdAccountOperate, body: CodeRequestIn,
                        user: UserDep,
                        session: SessionDep, settings: SettingsDep) -> CodeRequestOut:
    """Ask a creator for a code on a post, with period, fee and terms (R25). When the creator
    accepts, the code is bound to this ad account directly. One open request per post and ad
    account: another one answers 409 code_request_already_pending until it is answered,
    withdrawn or expired. Needs the operator role."""
    account = access.account
    view = service.create(session, settings=settings, user=user, account=account,
                          post_id=body.post_id, days=body.days, fee_micros=to_micros(body.fee),
                          currency=body.currency, terms=body.terms,
                          expires_in_days=body.expires_in_days)
    return code_request_out(view, utc_now())


@router.get("/ad-accounts/{ad_account_id}/code-requests", response_model=list[CodeRequestOut])
def list_ad_account_code_requests(ad_account_id: str, access: AdAccountRead, session: SessionDep,
                                  status: str | None = STATUS,
                                  page: Page = Depends(Page.dep)) -> list[CodeRequestOut]:
    """The code requests this ad account sent, newest first."""
    account = access.account
    views = service.list_for_ad_account(session, account=account, status=status,
                                        limit=page.limit, offset=page.offset)
    now = utc_now()
    return [code_request_out(v, now) for v in views]


@router.get("/creators/{creator_id}/code-requests", response_model=list[CodeRequestOut])
def list_creator_code_requests(creator_id: str, user: UserDep, session: SessionDep,
                               status: str | None = STATUS,
                               page: Page = Depends(Page.dep)) -> list[CodeRequestOut]:
    """Brands asking for codes on this creator account's posts, newest first."""
    views = service.list_for_creator(session, user=user, creator_id=creator_id, status=status,
                                     limit=page.limit, offset=page.offset)
    now = utc_now()
    return [code_request_out(v, now) for v in views]


@router.post("/code-requests/{code_request_id}/accept", response_model=CodeRequestOut,
             responses=LIMITED)
def accept_code_request(code_request_id: str, request: Request, user: UserDep,
                        session: SessionDep, settings: SettingsDep) -> CodeRequestOut:
    """Accept: the code is generated and bound to the brand's ad account at once. The response
    shows only the code's hint; nobody, you included, ever needs the code itself."""
    view = service.get_for_creator(session, user=user, request_id=code_request_id)
    view = service.accept(session, settings=settings, limiter=request.app.state.limiter,
                          user=user, view=view)
    return code_request_out(view, utc_now())


@router.post("/code-requests/{code_request_id}/decline", response_model=CodeRequestOut)
def decline_code_request(code_request_id: str, body: DeclineIn, user: UserDep,
                         session: SessionDep) -> CodeRequestOut:
    """Decline, saying why."""
    view = service.get_for_creator(session, user=user, request_id=code_request_id)
    return code_request_out(service.decline(session, user=user, view=view, reason=body.reason),
                            utc_now())


@router.post("/code-requests/{code_request_id}/cancel", response_model=CodeRequestOut)
def cancel_code_request(code_request_id: str, user: UserDep,
                        session: SessionDep) -> CodeRequestOut:
    """Withdraw a pending request your ad account sent: the creator is told and can no longer
    accept it. Needs the operator role on the ad account."""
    view = service.get_for_brand(session, user=user, request_id=code_request_id,
                                 action="operate")
    return code_request_out(service.cancel(session, user=user, view=view), utc_now())
