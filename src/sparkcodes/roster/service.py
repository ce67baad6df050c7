"""Roster (R31): put a creator in the brand's pipeline, change status, rate or notes, remove."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from sparkcodes import errors
from sparkcodes.audit import service as audit
from sparkcodes.business import service as business_service
from sparkcodes.creator import repository as creator_repository
from sparkcodes.creator import rules as creator_rules
from sparkcodes.kit.clock import utc_now
from sparkcodes.models import CONTACT, Business, Creator, Post, RosterEntry, User
from sparkcodes.roster import repository, rules


@dataclass(frozen=True)
class Listed:
    """A roster entry with its creator and the codes the creator holds with the business:
    (live, expired), None when none."""

    entry: RosterEntry
    creator: Creator
    codes: tuple[int, int] | None


def of_business(session: Session, *, business: Business, status: str | None, limit: int,
                offset: int, now: datetime) -> tuple[list[Listed], int]:
    """A page of the roster by creator handle (optionally of one status), with the codes each
    creator holds with the business; and how many entries there are in all."""
    rows, total = repository.of_business(session, business.id, status=status, limit=limit,
                                         offset=offset)
    counts = repository.code_counts(session, business_id=business.id,
                                    creator_ids=[c.id for _, c in rows], now=now)
    return [Listed(e, c, counts.get(c.id)) for e, c in rows], total


def listed(session: Session, *, entry: RosterEntry, now: datetime) -> Listed:
    """One roster entry with its creator and the codes the creator holds with the business."""
    creator = creator_repository.by_id(session, entry.creator_id)
    assert creator is not None  # a foreign key
    counts = repository.code_counts(session, business_id=entry.business_id,
                                    creator_ids=[creator.id], now=now)
    return Listed(entry, creator, counts.get(creator.id))


def suggested_posts(session: Session, *, business: Business,
                    limit: int) -> list[tuple[Post, Creator]]:
    """Posts a brand may ask a code for: the public, available posts of its roster's creators,
    newest first, at most ``limit``."""
    return repository.public_posts_of_roster(session, business.id, limit=limit)


def creators_on_roster(session: Session, *, business: Business, limit: int) -> list[Creator]:
    """The creators on the business's roster, by handle, at most ``limit``."""
    rows, _ = repository.of_business(session, business.id, status=None, limit=limit, offset=0)
    return [c for _, c in rows]


def find_creator(session: Session, *, creator_id: str | None, handle: str | None) -> Creator:
    """The creator named by id or handle (a leading @ is forgiven); NotFound otherwise."""
    rules.check_creator_choice(creator_id=creator_id, handle=handle)
    if creator_id is not None:
        creator = creator_repository.by_id(session, creator_id)
    else:
        assert handle is not None
        creator = creator_repository.by_handle(session,
                                               creator_rules.normalize_handle(handle))
    if creator is None:
        raise errors.NotFound("No creator account by that name.", code="creator_not_found")
    return creator


def _creator_for_roster(session: Session, *, business: Business, creator_id: str | None,
                        handle: str | None, email: str | None) -> Creator:
    """The creator named: a sparkcodes creator; else, by handle, one the business knows from
    TikTok or its roster; else, given an e-mail, a new contact (a creator not on sparkcodes)."""
    try:
        return find_creator(session, creator_id=creator_id, handle=handle)
    except errors.NotFound:
        if handle is None:
            raise
    key = creator_rules.normalize_handle(handle)
    known = creator_repository.known_to_business(session, key, business.id)
    if known is not None:
        return known
    if email is None:
        raise errors.NotFound("No creator account by that name. To add a creator who is not on "
                              "sparkcodes, give their e-mail too: code and renewal requests "
                              "then reach them by e-mail.", code="creator_not_found")
    creator = Creator(owner_id=None, handle=key, handle_key=key.lower(), display_name=key,
                      region="", source=CONTACT)
    creator_repository.add(session, creator)
    return creator


def add(session: Session, *, user: User, business: Business, creator_id: str | None,
        handle: str | None, status: str, rate_micros: int | None, currency: str,
        notes: str, email: str | None = None) -> RosterEntry:
    """Put a creator (by id or handle) on the roster once; a second time is Conflict
    roster_entry_exists, an unknown creator NotFound creator_not_found unless an ``email`` is
    given (then the creator is kept as a contact who is not on sparkcodes)."""
    status, currency = rules.check_status(status), rules.normalize_currency(currency)
    email = rules.clean_email(email)
    creator = _creator_for_roster(session, business=business, creator_id=creator_id,
                                  handle=handle, email=email)
    entry = RosterEntry(business_id=business.id, creator_id=creator.id, status=status,
                        rate_micros=rate_micros, currency=currency, notes=notes.strip(),
                        email=email)
    try:
        with session.begin_nested():
            repository.add(session, entry)
    except IntegrityError:
        raise errors.Conflict(f"@{creator.handle} is on the roster already.",
                              code="roster_entry_exists") from None
    audit.record(session, actor_id=user.id, action="roster_entry.added",
                 target_type="roster_entry", target_id=entry.id, business_id=business.id,
                 creator_id=creator.id,
                 after={"status": entry.status, "rate_micros": rate_micros,
                        "currency": entry.currency, "email": email})
    return entry


def get(session: Session, *, user: User, entry_id: str,
        action: str) -> tuple[RosterEntry, Business]:
    """The entry if the user's role in its business allows ``action``; NotFound otherwise."""
    entry = repository.by_id(session, entry_id)
    if entry is None:
        raise errors.NotFound("No such roster entry.")
    try:
        business, _ = business_service.access(session, user=user, business_id=entry.business_id,
                                              action=action)
    except errors.NotFound:
        raise errors.NotFound("No such roster entry.") from None
    return entry, business


def update(session: Session, *, user: User, business: Business, entry: RosterEntry,
           changes: dict[str, Any]) -> RosterEntry:
    """Change status, rate, currency or notes; one audit row when anything changed."""
    if "status" in changes:
        rules.check_status(changes["status"])
    if "currency" in changes:
        changes["currency"] = rules.normalize_currency(changes["currency"])
    if "notes" in changes:
        changes["notes"] = changes["notes"].strip()
    if "email" in changes:
        changes["email"] = rules.clean_email(changes["email"])
    before = {k: getattr(entry, k) for k in changes}
    changed = {k: v for k, v in changes.items() if before[k] != v}
    if not changed:
        return entry
    for key, value in changed.items():
        setattr(entry, key, value)
    entry.updated_at = utc_now()
    session.flush()
    audit.record(session, actor_id=user.id, action="roster_entry.updated",
                 target_type="roster_entry", target_id=entry.id, business_id=business.id,
                 creator_id=entry.creator_id, before={k: before[k] for k in changed},
                 after=changed)
    return entry


def remove(session: Session, *, user: User, business: Business, entry: RosterEntry) -> None:
    """Take a creator off the roster (contracts and codes are not touched)."""
    snapshot = {"status": entry.status, "rate_micros": entry.rate_micros,
                "currency": entry.currency}
    repository.remove(session, entry)
    audit.record(session, actor_id=user.id, action="roster_entry.removed",
                 target_type="roster_entry", target_id=entry.id, business_id=business.id,
                 creator_id=entry.creator_id, before=snapshot)
