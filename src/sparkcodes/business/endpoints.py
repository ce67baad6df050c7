from __future__ import annotations

from zoneinfo import available_timezones

from fastapi import APIRouter, Depends

from sparkcodes import errors
from sparkcodes.ad_account import service as ad_account_service
from sparkcodes.audit import repository as audit_repository
from sparkcodes.audit.schemas import AuditEventOut
from sparkcodes.business import repository, service
from sparkcodes.business.schemas import (
    AdAccountIn,
    AdAccountOut,
    BusinessIn,
    BusinessOut,
    MemberIn,
    MemberOut,
)
from sparkcodes.deps import SessionDep, UserDep
from sparkcodes.kit.pagination import Page

router = APIRouter(prefix="/v1", tags=["businesses"])


@router.post("/businesses", response_model=BusinessOut, status_code=201)
def create_business(body: BusinessIn, user: UserDep, session: SessionDep) -> BusinessOut:
    """Create a business; you become its admin."""
    business = service.create(session, user=user, name=body.name)
    return BusinessOut(id=business.id, name=business.name, created_at=business.created_at,
                       role="admin")


@router.get("/businesses", response_model=list[BusinessOut])
def list_businesses(user: UserDep, session: SessionDep) -> list[BusinessOut]:
    """The businesses you are a member of, with your role."""
    return [BusinessOut(id=b.id, name=b.name, created_at=b.created_at, role=role)
            for b, role in repository.of_user(session, user.id)]


@router.get("/businesses/{business_id}", response_model=BusinessOut)
def get_business(business_id: str, user: UserDep, session: SessionDep) -> BusinessOut:
    """One business you are a member of."""
    business, role = service.access(session, user=user, business_id=business_id, action="read")
    return BusinessOut(id=business.id, name=business.name, created_at=business.created_at,
                       role=role)


@router.get("/businesses/{business_id}/members", response_model=list[MemberOut])
def list_members(business_id: str, user: UserDep, session: SessionDep) -> list[MemberOut]:
    """Members and their roles."""
    business, _ = service.access(session, user=user, business_id=business_id, action="read")
    return [MemberOut(user_id=u.id, email=u.email, name=u.name, role=m.role, since=m.created_at)
            for m, u in repository.members(session, business.id)]


@router.put("/businesses/{business_id}/members", response_model=MemberOut)
def put_member(business_id: str, body: MemberIn, user: UserDep, session: SessionDep) -> MemberOut:
    """Add a user (by e-mail) with a role, or change their role. Admins only."""
    business, _ = service.access(session, user=user, business_id=business_id, action="admin")
    member = service.add_member(session, user=user, business=business, email=body.email,
                                role=body.role)
    other = next(u for m, u in repository.members(session, business.id) if m.id == member.id)
    return MemberOut(user_id=other.id, email=other.email, name=other.name, role=member.role,
                     since=member.created_at)


@router.delete("/businesses/{business_id}/members/{user_id}", status_code=204)
def delete_member(business_id: str, user_id: str, user: UserDep, session: SessionDep) -> None:
    """Remove a member. Admins only; the last admin stays."""
    business, _ = service.access(session, user=user, business_id=business_id, action="admin")
    service.remove_member(session, user=user, business=business, user_id=user_id)


@router.post("/businesses/{business_id}/ad-accounts", response_model=AdAccountOut,
             status_code=201)
def create_ad_account(business_id: str, body: AdAccountIn, user: UserDep,
                      session: SessionDep) -> AdAccountOut:
    """Create an ad account. Admins only."""
    business, _ = service.access(session, user=user, business_id=business_id, action="admin")
    if body.timezone not in available_timezones():
        raise errors.InvalidInput(f"Unknown time zone {body.timezone!r}; use an IANA name such "
                                  "as Europe/Berlin.", code="invalid_timezone")
    account = ad_account_service.create(session, user=user, business=business, name=body.name,
                                        region=body.region, timezone=body.timezone)
    return AdAccountOut.model_validate(account)


@router.get("/businesses/{business_id}/ad-accounts", response_model=list[AdAccountOut])
def list_ad_accounts(business_id: str, user: UserDep, session: SessionDep) -> list[AdAccountOut]:
    """The business's ad accounts."""
    business, _ = service.access(session, user=user, business_id=business_id, action="read")
    return [AdAccountOut.model_validate(a) for a in repository.ad_accounts(session, business.id)]


@router.get("/businesses/{business_id}/history", response_model=list[AuditEventOut])
def business_history(business_id: str, user: UserDep, session: SessionDep,
                     page: Page = Depends(Page.dep)) -> list[AuditEventOut]:
    """Everything that happened in this business, newest first."""
    business, _ = service.access(session, user=user, business_id=business_id, action="read")
    events = audit_repository.for_scope(session, business_id=business.id, limit=page.limit,
                                        offset=page.offset)
    return [AuditEventOut.model_validate(e) for e in events]
