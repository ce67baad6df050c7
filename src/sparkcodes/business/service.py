"""Businesses and their members (admin, operator, analyst)."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy.orm import Session

from sparkcodes import errors
from sparkcodes.audit import repository as audit_repository
from sparkcodes.audit import service as audit
from sparkcodes.business import repository, rules
from sparkcodes.kit.text import refuse_control
from sparkcodes.models import AdAccount, AuditEvent, Business, BusinessMember, User
from sparkcodes.user import repository as user_repository


def create(session: Session, *, user: User, name: str) -> Business:
    """A new business; its creator is its first admin."""
    name = refuse_control(name.strip(), name="business name")
    if not name:
        raise errors.InvalidInput("Give the business a name.", code="invalid_name")
    business = Business(name=name, created_by_id=user.id)
    repository.add(session, business)
    repository.add(session, BusinessMember(business_id=business.id, user_id=user.id, role="admin"))
    audit.record(session, actor_id=user.id, action="business.created", target_type="business",
                 target_id=business.id, business_id=business.id, after={"name": name})
    return business


def access(session: Session, *, user: User, business_id: str, action: str) -> tuple[Business, str]:
    """The business and the user's role, if they may take ``action``.

    Non-members get NotFound (a business you are not in does not exist for you); members whose
    role is too low get Forbidden.
    """
    member = repository.membership(session, business_id, user.id)
    business = repository.by_id(session, business_id) if member else None
    if member is None or business is None:
        raise errors.NotFound("No such business.")
    rules.check(member.role, action)
    return business, member.role


def add_member(session: Session, *, user: User, business: Business, email: str,
               role: str) -> BusinessMember:
    """Add an existing user by e-mail, or change their role."""
    other = user_repository.by_email(session, email.strip().lower())
    if other is None:
        raise errors.NotFound("No user has that e-mail; ask them to sign up first.",
                              code="user_not_found")
    member = repository.membership(session, business.id, other.id)
    if member is None:
        member = BusinessMember(business_id=business.id, user_id=other.id, role=role)
        repository.add(session, member)
        audit.record(session, actor_id=user.id, action="member.added", target_type="business",
                     target_id=business.id, business_id=business.id,
                     after={"user_id": other.id, "role": role})
        return member
    if member.role != role:
        rules.check_member_change(admins_left=repository.count_admins(session, business.id),
                                  removing_admin=member.role == "admin")
        before = member.role
        member.role = role
        session.flush()
        audit.record(session, actor_id=user.id, action="member.role_changed",
                     target_type="business", target_id=business.id, business_id=business.id,
                     before={"user_id": other.id, "role": before},
                     after={"user_id": other.id, "role": role})
    return member


def remove_member(session: Session, *, user: User, business: Business, user_id: str) -> None:
    member = repository.membership(session, business.id, user_id)
    if member is None:
        raise errors.NotFound("That user is not a member of this business.")
    rules.check_member_change(admins_left=repository.count_admins(session, business.id),
                              removing_admin=member.role == "admin")
    repository.remove_member(session, member)
    audit.record(session, actor_id=user.id, action="member.removed", target_type="business",
                 target_id=business.id, business_id=business.id,
                 before={"user_id": user_id, "role": member.role})


def of_user(session: Session, *, user: User) -> list[tuple[Business, str]]:
    """The businesses the user is a member of, each with the user's role there."""
    return repository.of_user(session, user.id)


def members(session: Session, *, business: Business) -> list[tuple[BusinessMember, User]]:
    """The business's members with their user accounts."""
    return repository.members(session, business.id)


def is_member(session: Session, *, business: Business, user_id: str) -> bool:
    """Whether this user is a member of the business."""
    return repository.membership(session, business.id, user_id) is not None


def ad_accounts(session: Session, *, business: Business) -> list[AdAccount]:
    """The business's ad accounts."""
    return repository.ad_accounts(session, business.id)


def history(session: Session, *, business: Business, limit: int,
            offset: int) -> Sequence[AuditEvent]:
    """Everything that happened in the business, as its audit trail."""
    return audit_repository.for_scope(session, business_id=business.id, limit=limit,
                                      offset=offset)
