"""Pure decisions about code requests (R25): status, expiry, what may be requested and answered.

Status is derived from the timestamps and ``expires_at`` (expiry fails closed: the end instant is
expired); the expiry sweep only notifies. A request ends once: accepted or declined by the creator,
or withdrawn (cancelled) by the brand. Every function that depends on time takes ``now``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Protocol

from sparkcodes import errors, values
from sparkcodes.authorization import rules as code_rules
from sparkcodes.kit import limits
from sparkcodes.kit.text import clean_text
from sparkcodes.request_flow import rules as flow
from sparkcodes.request_flow.rules import clean_reason as clean_reason

DEFAULT_EXPIRES_IN_DAYS = 7
MAX_EXPIRES_IN_DAYS = 30
MAX_TERMS = limits.TERMS
_CURRENCY = re.compile(r"^[A-Z]{3}$")


class CodeRequestStatus(StrEnum):
    PENDING = "pending"
    ACCEPTED = "accepted"
    DECLINED = "declined"
    EXPIRED = "expired"
    CANCELLED = "cancelled"


@dataclass(frozen=True)
class CodeRequestState:
    expires_at: datetime
    accepted_at: datetime | None = None
    declined_at: datetime | None = None
    cancelled_at: datetime | None = None

    @property
    def timeline(self) -> flow.Timeline:
        return flow.Timeline(self.expires_at, agreed_at=self.accepted_at,
                             declined_at=self.declined_at, withdrawn_at=self.cancelled_at)


def _expired(t: flow.Timeline) -> errors.AppError:
    return errors.Gone(
        f"This code request expired on {t.expires_at:%Y-%m-%d %H:%M} UTC without an "
        "answer; the brand can send a new one.", code="code_request_expired")


def _ended(status: CodeRequestStatus, t: flow.Timeline) -> errors.AppError:
    if status is CodeRequestStatus.CANCELLED:
        return errors.Conflict(
            f"The brand withdrew this code request on {t.withdrawn_at:%Y-%m-%d %H:%M} UTC; "
            "there is nothing left to answer.", code="code_request_cancelled")
    return errors.Conflict(f"This code request was already {status.value}.",
                           code="code_request_answered")


LADDER = flow.Ladder(pending=CodeRequestStatus.PENDING, agreed=CodeRequestStatus.ACCEPTED,
                     declined=CodeRequestStatus.DECLINED, withdrawn=CodeRequestStatus.CANCELLED,
                     expired=CodeRequestStatus.EXPIRED, refuse_expired=_expired,
                     refuse_ended=_ended)


def status_at(state: CodeRequestState, now: datetime) -> CodeRequestStatus:
    """An answer or a withdrawal is final; an open request is expired from ``expires_at`` on."""
    return LADDER.status_at(state.timeline, now)


def parse_status(value: str | None) -> CodeRequestStatus | None:
    """The ``status`` filter of the list routes; None lists every request."""
    return LADDER.parse(value)


def check_open(state: CodeRequestState, now: datetime) -> None:
    """Accept, decline and cancel apply to a pending request only: it ends once, before expiry."""
    LADDER.check_open(state.timeline, now)


def check_not_pending(pending_expires_at: datetime | None) -> None:
    """One open request per ad account and post: ``pending_expires_at`` is the open one's expiry,
    None when there is none. Withdrawing it, or its answer or expiry, allows a new one."""
    if pending_expires_at is not None:
        raise errors.Conflict(
            "This ad account already asked for a code on this post; the request is open until "
            f"{pending_expires_at:%Y-%m-%d %H:%M} UTC. Withdraw it to ask again.",
            code="code_request_already_pending")


def expiry(now: datetime, expires_in_days: int | None) -> datetime:
    """How long the creator has to answer: 7 days unless the brand says otherwise (1–30)."""
    days = DEFAULT_EXPIRES_IN_DAYS if expires_in_days is None else expires_in_days
    if not 1 <= days <= MAX_EXPIRES_IN_DAYS:
        raise errors.InvalidInput(
            f"expires_in_days must be between 1 and {MAX_EXPIRES_IN_DAYS}; {days} is not.",
            code="invalid_expires_in_days")
    return now + timedelta(days=days)


def clean_currency(value: str | None) -> str:
    code = (value or "USD").strip().upper()
    if not _CURRENCY.match(code):
        raise errors.InvalidInput("currency must be a three-letter ISO 4217 code, such as USD.",
                                  code="invalid_currency")
    return code


def clean_terms(value: str | None) -> str:
    return clean_text(value, name="terms", max_length=MAX_TERMS)


def request_problems(*, creator: values.CreatorState, post: values.PostState,
                     supported_regions: list[str]) -> list[code_rules.Problem]:
    """R1–R3 as at generation (same codes), and a duet or stitch, which binds only together with
    a code of its original post, so a request cannot deliver it alone."""
    problems = code_rules.generation_problems(creator=creator, post=post,
                                              supported_regions=supported_regions)
    if (post.kind in ("duet", "stitch") and post.original_post_id is not None
            and not any(p.code == "nested_duet_not_supported" for p in problems)):
        problems.append(code_rules.Problem(
            "original_post_code_required",
            f"This post is a {post.kind}: it runs only together with a code of the post it was "
            "made from, so it cannot be requested alone; bind both codes together instead."))
    return problems


def is_notice_due(state: CodeRequestState, now: datetime) -> bool:
    """The sweep tells the brand once that a request lapsed, however long ago."""
    return flow.is_notice_due(state.timeline, now)


class Captioned(Protocol):
    """What public_caption reads of a post."""

    @property
    def caption(self) -> str: ...
    @property
    def visibility(self) -> str: ...


def public_caption(post: Captioned) -> str | None:
    """A brand sees a public post's caption only: a private post's id reveals nothing."""
    return post.caption if post.visibility == "public" else None
