"""Contracts (R26): record an agreed usage window, list them, delete one (soft)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.orm import Session

from sparkcodes import errors
from sparkcodes.audit import service as audit
from sparkcodes.business import service as business_service
from sparkcodes.contract import repository, rules
from sparkcodes.creator import repository as creator_repository
from sparkcodes.kit.clock import utc_now
from sparkcodes.models import Business, Contract, Creator, Post, User
from sparkcodes.post import repository as post_repository


def create(session: Session, *, user: User, business: Business, creator_id: str,
           post_id: str | None, starts_at: datetime, ends_at: datetime,
           fee_micros: int | None, notes: str) -> tuple[Contract, Creator, Post | None]:
    """Record a contract; the window must end after it starts and the post be the creator's.
    Raises NotFound (creator, post) or InvalidInput."""
    rules.check_window(starts_at, ends_at)
    creator = creator_repository.by_id(session, creator_id)
    if creator is None:
        raise errors.NotFound("No such creator account.", code="creator_not_found")
    post = None
    if post_id is not None:
        post = post_repository.by_id(session, post_id)
        if post is None:
            raise errors.NotFound("No such post.", code="post_not_found")
        rules.check_post(post_creator_id=post.creator_id, creator_id=creator.id)
    contract = Contract(business_id=business.id, creator_id=creator.id, post_id=post_id,
                        starts_at=starts_at, ends_at=ends_at, fee_micros=fee_micros,
                        notes=notes.strip(), created_by_id=user.id)
    repository.add(session, contract)
    audit.record(session, actor_id=user.id, action="contract.created", target_type="contract",
                 target_id=contract.id, business_id=business.id, creator_id=creator.id,
                 after={"post_id": post_id, "starts_at": starts_at, "ends_at": ends_at,
                        "fee_micros": fee_micros})
    return contract, creator, post


def get(session: Session, *, user: User, contract_id: str,
        action: str) -> tuple[Contract, Business]:
    """The contract if the user's role in its business allows ``action``; NotFound otherwise."""
    contract = repository.by_id(session, contract_id)
    if contract is None:
        raise errors.NotFound("No such contract.")
    try:
        business, _ = business_service.access(session, user=user,
                                              business_id=contract.business_id, action=action)
    except errors.NotFound:
        raise errors.NotFound("No such contract.") from None
    return contract, business


def of_business(session: Session, *, business: Business, creator_id: str | None = None,
                post_id: str | None = None, include_deleted: bool = False, limit: int,
                offset: int) -> tuple[list[tuple[Contract, Creator, Post | None]], int]:
    """A page of the business's contracts, latest-ending first, with their creator and post
    (optionally of one creator or post); and how many there are in all."""
    return repository.of_business(session, business.id, creator_id=creator_id, post_id=post_id,
                                  include_deleted=include_deleted, limit=limit, offset=offset)


def parties(session: Session, *, contract: Contract) -> tuple[Creator, Post | None]:
    """The creator a contract is with, and the post it covers (None: every post)."""
    creator = creator_repository.by_id(session, contract.creator_id)
    assert creator is not None  # a foreign key
    post = post_repository.by_id(session, contract.post_id) if contract.post_id else None
    return creator, post


def delete(session: Session, *, user: User, business: Business, contract: Contract) -> Contract:
    """Soft delete; deleting twice is harmless (one audit row)."""
    if repository.soft_delete(session, contract_id=contract.id, now=utc_now()):
        audit.record(session, actor_id=user.id, action="contract.deleted",
                     target_type="contract", target_id=contract.id, business_id=business.id,
                     creator_id=contract.creator_id,
                     before={"post_id": contract.post_id, "starts_at": contract.starts_at,
                             "ends_at": contract.ends_at})
    session.refresh(contract)
    return contract


def terms(session: Session, *, business_id: str, post_ids: list[str],
          creator_ids: list[str]) -> list[rules.ContractTerm]:
    """The undeleted contracts that may govern these posts (for the tracker's flags)."""
    return [rules.ContractTerm(id=i, creator_id=c, post_id=p, ends_at=e)
            for i, c, p, e in repository.terms_for(session, business_id, post_ids=post_ids,
                                                   creator_ids=creator_ids)]
