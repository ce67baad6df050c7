"""Pure decisions about renewal requests (R24): status, expiry, who may answer, what may be asked.

A renewal request is answered once: approved, declined or cancelled, each a timestamp. Unanswered,
it stays open for RENEWAL_TTL from ``created_at`` and is expired from then on (expiry fails closed:
the end instant is expired). The status is derived from the timestamps and ``now``; the expiry
sweep only notifies. Nothing here touches the database.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum

from sparkcodes import errors, values
from sparkcodes.authorization import rules as code_rules
from sparkcodes.kit import limits
from sparkcodes.kit.text import clean_text
from sparkcodes.request_flow import rules as flow
from sparkcodes.request_flow.rules import clean_reason as clean_reason

MAX_MESSAGE = limits.RENEWAL_MESSAGE
# How long the creator has to answer; then the request lapses and the brand may ask again.
RENEWAL_TTL = timedelta(days=14)


class RenewalStatus(StrEnum):
    PENDING = "pending"
    APPROVED = "approved"
    DECLINED = "declined"
    CANCELLED = "cancelled"
    EXPIRED = "expired"


@dataclass(frozen=True)
class RenewalState:
    created_at: datetime
    approved_at: datetime | None = None
    declined_at: datetime | None = None
    cancelled_at: datetime | None = None

    @property
    def expires_at(self) -> datetime:
        """The first instant the request is no longer open (no column: derived from creation)."""
        return expiry(self.created_at)

    @property
    def timeline(self) -> flow.Timeline:
        return flow.Timeline(self.expires_at, agreed_at=self.approved_at,
                             declined_at=self.declined_at, withdrawn_at=self.cancelled_at)


def expiry(created_at: datetime) -> datetime:
    return created_at + RENEWAL_TTL


_ANSWERED = {
    RenewalStatus.APPROVED: "approved by the creator",
    RenewalStatus.DECLINED: "declined by the creator",
    RenewalStatus.CANCELLED: "cancelled by the brand",
}


def _expired(t: flow.Timeline) -> errors.AppError:
    return errors.Gone(
        f"This request expired unanswered on {t.expires_at:%Y-%m-%d %H:%M} UTC; the brand "
        "can ask again.", code="renewal_request_expired")


def _ended(status: RenewalStatus, t: flow.Timeline) -> errors.AppError:
    return errors.Conflict(f"This renewal request was already {_ANSWERED[status]}.",
                           code="renewal_request_answered")


LADDER = flow.Ladder(pending=RenewalStatus.PENDING, agreed=RenewalStatus.APPROVED,
                     declined=RenewalStatus.DECLINED, withdrawn=RenewalStatus.CANCELLED,
                     expired=RenewalStatus.EXPIRED, refuse_expired=_expired,
                     refuse_ended=_ended)


def status_at(state: RenewalState, now: datetime) -> RenewalStatus:
    """Exactly one answer can be set (the writes are conditional) and it is final; an unanswered
    request is pending until ``expires_at``, expired from then on."""
    return LADDER.status_at(state.timeline, now)


def parse_status(value: str | None) -> RenewalStatus | None:
    """The ``status`` filter of the list routes; None lists every request."""
    return LADDER.parse(value)


def check_open(state: RenewalState, now: datetime) -> None:
    """Approve, decline and cancel apply to a pending request only: it is answered once, before
    it expires."""
    LADDER.check_open(state.timeline, now)


def check_request(*, code: values.CodeState, days: int, allowed_periods: list[int],
                  max_window_days: int, pending: bool, now: datetime) -> datetime:
    """May the brand ask to extend this code by ``days`` now? Returns the end approval would give.

    The code must be live or expired (not deleted), the period one of the offered ones, no other
    request pending for the code (an expired one does not count), and the extension must fit the
    window cap (R8)."""
    if code.deleted_at is not None:
        raise errors.Gone("The creator deleted this code, so it cannot be extended; ask the "
                          "creator for a new code instead.", code="code_deleted")
    code_rules.check_period(days, allowed_periods)
    if pending:
        raise errors.Conflict("A renewal request for this code is already waiting for the "
                              "creator's answer; cancel it or wait for the answer.",
                              code="renewal_already_pending")
    return code_rules.new_expiry(code, days, now, max_window_days)


def clean_message(message: str | None) -> str:
    return clean_text(message, name="message", max_length=MAX_MESSAGE)


def is_notice_due(state: RenewalState, now: datetime) -> bool:
    """The sweep tells the brand once that a request lapsed unanswered, however long ago."""
    return flow.is_notice_due(state.timeline, now)
