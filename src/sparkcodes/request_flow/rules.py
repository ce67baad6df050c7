"""Pure decisions every request between a brand and a creator shares (R24, R25).

A request is answered once: agreed to or declined by the creator, or withdrawn by the brand, each
a timestamp. Unanswered, it is pending until ``expires_at`` and expired from then on (expiry fails
closed: the end instant is expired). The status is derived from the timestamps and ``now``; the
expiry sweep only notifies. Each kind of request names the steps in its own words (a code request
is "accepted", a renewal "approved") and says its own refusals, through a ``Ladder``.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import Enum, StrEnum
from typing import Generic, TypeVar

from sparkcodes import errors
from sparkcodes.kit import limits
from sparkcodes.kit.choices import parse_choice
from sparkcodes.kit.text import clean_text

MAX_REASON = limits.DECLINE_REASON
# The sweep runs every minute and the notice job right after: a notice sent later than this after
# the request lapsed is late, and says so. However late, it is still sent, never dropped as old.
NOTICE_LATE_AFTER = timedelta(minutes=10)

S = TypeVar("S", bound=Enum)


class Step(StrEnum):
    """Where a request stands, in words shared by every kind of request."""

    PENDING = "pending"
    AGREED = "agreed"
    DECLINED = "declined"
    WITHDRAWN = "withdrawn"
    EXPIRED = "expired"


@dataclass(frozen=True)
class Timeline:
    """A request's lifecycle: when it lapses and the answer, if any (at most one is set)."""

    expires_at: datetime
    agreed_at: datetime | None = None
    declined_at: datetime | None = None
    withdrawn_at: datetime | None = None


def step_at(timeline: Timeline, now: datetime) -> Step:
    """An answer or a withdrawal is final; an open request is expired from ``expires_at`` on."""
    if timeline.agreed_at is not None:
        return Step.AGREED
    if timeline.declined_at is not None:
        return Step.DECLINED
    if timeline.withdrawn_at is not None:
        return Step.WITHDRAWN
    if timeline.expires_at <= now:
        return Step.EXPIRED
    return Step.PENDING


def is_notice_due(timeline: Timeline, now: datetime) -> bool:
    """The sweep tells the brand once that a request lapsed unanswered, however long ago."""
    return step_at(timeline, now) is Step.EXPIRED


def awaits_notice(timeline: Timeline, noticed_at: datetime | None, now: datetime) -> bool:
    """Whether the sweep must still tell the brand: the notice is due and none was recorded.
    request_flow.repository.awaiting_notice is this rule in SQL."""
    return noticed_at is None and is_notice_due(timeline, now)


def notice_late_by(timeline: Timeline, now: datetime) -> timedelta | None:
    """How late a notice sent now is, or None when it is on time (within NOTICE_LATE_AFTER)."""
    delay = now - timeline.expires_at
    return delay if delay > NOTICE_LATE_AFTER else None


def clean_reason(reason: str | None) -> str:
    """A decline says why, in words the brand can act on."""
    return clean_text(reason, name="reason", max_length=MAX_REASON,
                      required="Say why you decline, so the brand knows what to do next.")


@dataclass(frozen=True)
class Ladder(Generic[S]):
    """One kind of request's status words for the shared steps, and how it refuses to answer or
    withdraw a request that has expired (``refuse_expired``) or was answered or withdrawn
    (``refuse_ended``, given the status)."""

    pending: S
    agreed: S
    declined: S
    withdrawn: S
    expired: S
    refuse_expired: Callable[[Timeline], errors.AppError]
    refuse_ended: Callable[[S, Timeline], errors.AppError]

    def status(self, step: Step) -> S:
        return {Step.PENDING: self.pending, Step.AGREED: self.agreed,
                Step.DECLINED: self.declined, Step.WITHDRAWN: self.withdrawn,
                Step.EXPIRED: self.expired}[step]

    def step(self, status: S) -> Step:
        """The shared step a status word names (the inverse of ``status``)."""
        return next(s for s in Step if self.status(s) is status)

    def status_at(self, timeline: Timeline, now: datetime) -> S:
        return self.status(step_at(timeline, now))

    def parse(self, value: str | None) -> S | None:
        """The ``status`` filter of the list routes, in this kind's words; None lists every
        request."""
        return parse_choice(type(self.pending), value)

    def check_open(self, timeline: Timeline, now: datetime) -> None:
        """Answering and withdrawing apply to a pending request only: it ends once, before it
        expires."""
        step = step_at(timeline, now)
        if step is Step.EXPIRED:
            raise self.refuse_expired(timeline)
        if step is not Step.PENDING:
            raise self.refuse_ended(self.status(step), timeline)
