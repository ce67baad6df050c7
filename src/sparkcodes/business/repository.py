from __future__ import annotations

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from sparkcodes.models import AdAccount, Business, BusinessMember, User


def add(session: Session, obj: object) -> None:
    session.add(obj)
    session.flush()


def by_id(session: Session, business_id: str) -> Business | None:
    return session.get(Business, business_id)


def membership(session: Session, business_id: str, user_id: str) -> BusinessMember | None:
    return session.scalar(
        select(BusinessMember).where(
            BusinessMember.business_id == business_id, BusinessMember.user_id == user_id
        )
    )


def of_user(session: Session, user_id: str) -> list[tuple[Business, str]]:
    rows = session.execute(
        select(Business, BusinessMember.role)
        .join(BusinessMember, BusinessMember.business_id == Business.id)
        .where(BusinessMember.user_id == user_id)
        .order_by(Business.name)
    ).all()
    return [(b, role) for b, role in rows]


def members(session: Session, business_id: str) -> list[tuple[BusinessMember, User]]:
    rows = session.execute(
        select(BusinessMember, User)
        .join(User, User.id == BusinessMember.user_id)
        .where(BusinessMember.business_id == business_id)
        .order_by(User.email)
    ).all()
    return [(m, u) for m, u in rows]


def count_admins(session: Session, business_id: str) -> int:
    return session.scalar(
        select(func.count()).select_from(BusinessMember).where(
            BusinessMember.business_id == business_id, BusinessMember.role == "admin"
        )
    ) or 0


def remove_member(session: Session, member: BusinessMember) -> None:
    session.delete(member)
    session.flush()


def ad_accounts(session: Session, business_id: str) -> list[AdAccount]:
    return list(
        session.scalars(
            select(AdAccount).where(AdAccount.business_id == business_id).order_by(AdAccount.name)
        )
    )
