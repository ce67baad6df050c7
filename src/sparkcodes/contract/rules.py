"""Pure decisions about contracts: a valid window, the post's creator, status, the governing end."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta

from sparkcodes import errors

MAX_LENGTH = timedelta(days=3660)  # ten years: anything longer is a typo


@dataclass(frozen=True)
class ContractTerm:
    """What the tracker needs of one undeleted contract."""

    id: str
    creator_id: str
    post_id: str | None  # None: covers every post of the creator
    ends_at: datetime


def check_window(starts_at: datetime, ends_at: datetime) -> None:
    """The agreed window ends after it starts, and is not absurdly long."""
    if starts_at.tzinfo is None or ends_at.tzinfo is None:
        raise errors.InvalidInput("Give starts_at and ends_at with a time zone offset, e.g. ...Z.",
                                  code="invalid_contract_window")
    if ends_at <= starts_at:
        raise errors.InvalidInput("A contract must end after it starts.",
                                  code="invalid_contract_window")
    if ends_at - starts_at > MAX_LENGTH:
        raise errors.InvalidInput("A contract may span at most ten years.",
                                  code="invalid_contract_window")


def check_post(*, post_creator_id: str, creator_id: str) -> None:
    """A contract about a post names that post's creator."""
    if post_creator_id != creator_id:
        raise errors.InvalidInput("That post belongs to another creator account.",
                                  code="post_not_of_creator")


def status_at(*, starts_at: datetime, ends_at: datetime, deleted_at: datetime | None,
              now: datetime) -> str:
    """deleted, upcoming, active or ended (the end instant itself is ended)."""
    if deleted_at is not None:
        return "deleted"
    if now < starts_at:
        return "upcoming"
    if now < ends_at:
        return "active"
    return "ended"


def governing(terms: Iterable[ContractTerm], *, creator_id: str,
              post_id: str) -> ContractTerm | None:
    """The contract a Spark post answers to: the latest-ending of those naming the post, or naming
    its creator and no post."""
    best = None
    for term in terms:
        if term.creator_id != creator_id or term.post_id not in (None, post_id):
            continue
        if best is None or (term.ends_at, term.id) > (best.ends_at, best.id):
            best = term
    return best
