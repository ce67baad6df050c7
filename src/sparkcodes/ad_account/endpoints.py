"""JSON routes of ad accounts: create and list them in a business, one account, and the
business's own creator accounts linked to it (R19)."""

from __future__ import annotations

from fastapi import APIRouter

from sparkcodes.ad_account import service
from sparkcodes.ad_account.auth import AdAccountAdmin, AdAccountRead
from sparkcodes.ad_account.schemas import (
    AdAccountIn,
    AdAccountOut,
    LinkedIdentityOut,
    LinkIdentityIn,
)
from sparkcodes.business import service as business_service
from sparkcodes.business.auth import BusinessAdmin, BusinessRead
from sparkcodes.creator import service as creator_service
from sparkcodes.deps import SessionDep, UserDep

router = APIRouter(tags=["ad accounts"])


@router.post("/v1/businesses/{business_id}/ad-accounts", response_model=AdAccountOut,
             status_code=201)
def create_ad_account(business_id: str, access: BusinessAdmin, body: AdAccountIn, user: UserDep,
                      session: SessionDep) -> AdAccountOut:
    """Create an ad account. Admins only."""
    business = access.business
    account = service.create(session, user=user, business=business, name=body.name,
                                        region=body.region, timezone=body.timezone,
                                        currency=body.currency)
    return AdAccountOut.model_validate(account)


@router.get("/v1/businesses/{business_id}/ad-accounts", response_model=list[AdAccountOut])
def list_ad_accounts(business_id: str, access: BusinessRead,
                     session: SessionDep) -> list[AdAccountOut]:
    """The business's ad accounts."""
    business = access.business
    return [AdAccountOut.model_validate(a)
            for a in business_service.ad_accounts(session, business=business)]


@router.get("/v1/ad-accounts/{ad_account_id}", response_model=AdAccountOut)
def get_ad_account(ad_account_id: str, access: AdAccountRead, session: SessionDep) -> AdAccountOut:
    """One ad account of a business you are a member of."""
    account = access.account
    return AdAccountOut.model_validate(account)


@router.post("/v1/ad-accounts/{ad_account_id}/identities", response_model=LinkedIdentityOut,
             status_code=201)
def link_identity(ad_account_id: str, access: AdAccountAdmin, body: LinkIdentityIn, user: UserDep,
                  session: SessionDep) -> LinkedIdentityOut:
    """Link a creator account you own to this ad account (identity TT_USER, R19). Admins only."""
    account = access.account
    creator = creator_service.get_owned(session, user=user, creator_id=body.creator_id)
    link = service.link_identity(session, user=user, account=account, creator=creator)
    return LinkedIdentityOut(id=link.id, creator_id=creator.id, handle=creator.handle,
                             linked_at=link.linked_at)


@router.get("/v1/ad-accounts/{ad_account_id}/identities", response_model=list[LinkedIdentityOut])
def list_identities(ad_account_id: str, access: AdAccountRead, session: SessionDep
                    ) -> list[LinkedIdentityOut]:
    """Creator accounts linked to this ad account."""
    account = access.account
    return [LinkedIdentityOut(id=link.id, creator_id=creator.id, handle=creator.handle,
                              linked_at=link.linked_at)
            for link, creator in service.identities(session, account=account)]
