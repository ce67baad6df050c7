"""The steps every request between a brand and a creator takes alike: finding it for the creator
or the brand, answering it once, listing it, and telling the brand once that it lapsed. Each kind
of request describes itself in a ``Flow`` and keeps its own use cases, audit rows and messages."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Generic, Protocol, TypeVar, TypeVarTuple

from sqlalchemy import ColumnElement
from sqlalchemy.orm import Session

from sparkcodes import errors
from sparkcodes.ad_account import service as ad_account_service
from sparkcodes.creator import service as creator_service
from sparkcodes.models import AdAccount, Creator, User
from sparkcodes.notification.rules import late_words
from sparkcodes.request_flow import repository, rules
from sparkcodes.worker import service as jobs

M = TypeVar("M", bound=repository.Request)  # the request's model
Ts = TypeVarTuple("Ts")  # its listing row


class View(Protocol):
    """What the shared steps read of a kind's view of a request: the request, the creator
    account it asks and the ad account that sent it."""

    @property
    def request(self) -> repository.Request: ...
    @property
    def creator(self) -> Creator: ...
    @property
    def account(self) -> AdAccount: ...


V = TypeVar("V", bound=View)


@dataclass(frozen=True)
class Flow(Generic[M, *Ts]):
    """One kind of request, as the shared steps need to know it."""

    table: repository.Table[M, *Ts]
    ladder: rules.Ladder[Any]
    timeline: Callable[[M], rules.Timeline]
    check_open: Callable[[M, datetime], None]  # the kind's refusals, if any
    not_found: str  # the message for a request the user may not see
    notify_job: str  # the job that tells the brand a request lapsed
    payload_key: str  # the request id's name in that job's payload


def load(session: Session, flow: Flow[M, *Ts], request_id: str) -> tuple[*Ts] | None:
    """The request's listing row, None for an unknown id."""
    if "\x00" in request_id:
        return None
    return repository.one(session, flow.table, request_id)


def for_creator(view: V | None, *, user: User, flow: Flow[M, *Ts]) -> V:
    """The request if the user owns the creator account it asks; NotFound otherwise."""
    if view is None or view.creator.owner_id != user.id:
        raise errors.NotFound(flow.not_found)
    return view


def for_brand(session: Session, view: V | None, *, user: User, action: str,
              flow: Flow[M, *Ts]) -> V:
    """The request if the user's role on the requesting ad account allows ``action``; NotFound
    for everyone else (a stranger cannot tell the request exists), role_insufficient for a
    member whose role is too low."""
    if view is None:
        raise errors.NotFound(flow.not_found)
    try:
        ad_account_service.access(session, user=user, ad_account_id=view.account.id,
                                  action=action)
    except errors.NotFound:
        raise errors.NotFound(flow.not_found) from None
    return view


def audit_scope(flow: Flow[M, *Ts], view: View) -> dict[str, Any]:
    """What an audit row about the request is about, and whose timelines show it."""
    return {"target_type": flow.table.target_type, "target_id": view.request.id,
            "business_id": view.account.business_id, "creator_id": view.creator.id}


def answer(session: Session, flow: Flow[M, *Ts], request: M, now: datetime,
           write: Callable[[], bool]) -> None:
    """Answer or withdraw a pending request once: ``write`` is the conditional UPDATE; when it
    changes nothing, raise why (answered or withdrawn first, or expired), then reload the row."""
    flow.check_open(request, now)
    if not write():
        raise _refused(session, flow, request, now)
    repository.refresh(session, request)


def _refused(session: Session, flow: Flow[M, *Ts], request: M,
             now: datetime) -> errors.AppError:
    """Why a conditional answer changed nothing: someone answered first, or it expired."""
    repository.refresh(session, request)
    try:
        flow.check_open(request, now)
    except errors.AppError as exc:
        return exc
    return errors.Conflict("The request changed meanwhile; try again.", code="concurrent_update")


def of_creator(session: Session, flow: Flow[M, *Ts], *, user: User, creator_id: str,
               status: str | None, now: datetime, limit: int,
               offset: int) -> list[tuple[*Ts]]:
    """Requests about one of the user's creator accounts, newest first."""
    creator = creator_service.get_owned(session, user=user, creator_id=creator_id)
    return repository.of_creator(session, flow.table, creator.id, step=_step(flow, status),
                                 now=now, limit=limit, offset=offset)


def of_ad_account(session: Session, flow: Flow[M, *Ts], *, account: AdAccount,
                  status: str | None, now: datetime, limit: int,
                  offset: int) -> list[tuple[*Ts]]:
    """Requests the ad account sent, newest first."""
    return repository.of_ad_account(session, flow.table, account.id, step=_step(flow, status),
                                    now=now, limit=limit, offset=offset)


def of_ad_accounts(session: Session, flow: Flow[M, *Ts], *, accounts: list[AdAccount],
                   status: str | None, now: datetime, limit: int, offset: int,
                   where: Sequence[ColumnElement[bool]] = ()) -> list[tuple[*Ts]]:
    """Requests any of these ad accounts sent (a business's), newest first; ``where`` narrows
    them (see repository.of_ad_accounts)."""
    return repository.of_ad_accounts(session, flow.table, [a.id for a in accounts],
                                     step=_step(flow, status), now=now, limit=limit,
                                     offset=offset, where=where)


def _step(flow: Flow[M, *Ts], status: str | None) -> rules.Step | None:
    wanted = flow.ladder.parse(status)
    return flow.ladder.step(wanted) if wanted is not None else None


def expire_sweep(session: Session, flow: Flow[M, *Ts], *, now: datetime) -> int:
    """Queue one expiry notice per lapsed, unanswered request not noticed yet, however long ago
    it lapsed; the job's unique dedupe key makes it once. Status never depends on this sweep: it
    only notifies."""
    return jobs.enqueue_many(session, flow.notify_job, [
        ({flow.payload_key: request_id}, f"{flow.notify_job}:{request_id}")
        for request_id in repository.expired_unnoticed(session, flow.table, now=now)],
        max_attempts=5)


def notice_due(session: Session, flow: Flow[M, *Ts], request: M | None,
               now: datetime) -> bool:
    """Whether to tell the brand now that the request lapsed: it did (however long ago), and no
    earlier run told it. Marks it noticed in the same conditional write, so a concurrent rerun
    changes nothing and tells nobody."""
    if request is None or not rules.is_notice_due(flow.timeline(request), now):
        return False
    return repository.mark_noticed(session, flow.table, request.id, now)


def notice_late(flow: Flow[M, *Ts], request: M, now: datetime) -> str | None:
    """How late the expiry notice of ``request`` sent now is, in words (None: on time): the
    notice says so rather than passing an old lapse off as news."""
    late_by = rules.notice_late_by(flow.timeline(request), now)
    return late_words(late_by) if late_by is not None else None
