from __future__ import annotations

from fastapi import APIRouter, Depends

from sparkcodes.audit.schemas import AuditEventOut
from sparkcodes.business import service
from sparkcodes.business.auth import BusinessAdmin, BusinessRead
from sparkcodes.business.schemas import (
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
            for b, role in service.of_user(session, user=user)]


@router.get("/businesses/{business_id}", response_model=BusinessOut)
def get_business(business_id: str, access: BusinessRead, session: SessionDep) -> BusinessOut:
    """One business you are a member of."""
    business, role = access.business, access.role
    return BusinessOut(id=business.id, name=business.name, created_at=business.created_at,
                       role=role)


@router.get("/businesses/{business_id}/members", response_model=list[MemberOut])
def list_members(business_id: str, access: BusinessRead, session: SessionDep) -> list[MemberOut]:
    """Members and their roles."""
    business = access.business
    return [MemberOut(user_id=u.id, email=u.email, name=u.name, role=m.role, since=m.created_at)
            for m, u in service.members(session, business=business)]


@router.put("/businesses/{business_id}/members", response_model=MemberOut)
def put_member(business_id: str, access: BusinessAdmin, body: MemberIn, user: UserDep,
               session: SessionDep) -> MemberOut:
    """Add a user (by e-mail) with a role, or change their role. Admins only."""
    business = access.business
    member = service.add_member(session, user=user, business=business, email=body.email,
                                role=body.role)
    other = next(u for m, u in service.members(session, business=business) if m.id == member.id)
    return MemberOut(user_id=other.id, email=other.email, name=other.name, role=member.role,
                     since=member.created_at)


@router.delete("/businesses/{business_id}/members/{user_id}", status_code=204)
def delete_member(business_id: str, access: BusinessAdmin, user_id: str, user: UserDep,
                  session: SessionDep) -> None:
    """Remove a member. Admins only; the last admin stays."""
    business = access.business
    service.remove_member(session, user=user, business=business, user_id=user_id)






@router.get("/businesses/{business_id}/history", response_model=list[AuditEventOut])
def business_history(business_id: str, access: BusinessRead, session: SessionDep,
                     page: Page = Depends(Page.dep)) -> list[AuditEventOut]:
    """Everything that happened in this business, newest first."""
    business = access.business
    events = service.history(session, business=business, limit=page.limit, offset=page.offset)
    return [AuditEventOut.model_validate(e) for e in events]
