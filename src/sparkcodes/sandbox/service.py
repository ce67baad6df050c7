"""The sandbox clock (like Stripe's test clocks): move the service's time forward, never back."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy.orm import Session

from sparkcodes import errors
from sparkcodes.audit import service as audit
from sparkcodes.kit import clock
from sparkcodes.sandbox import repository

MAX_STEP = timedelta(days=3650)


def sync_clock(session: Session) -> None:
    """Adopt the offset stored in the database, so every process of a deployment agrees."""
    row = repository.get(session)
    offset = timedelta(microseconds=row.offset_microseconds) if row else timedelta(0)
    if offset != clock.get_offset():
        clock.set_offset(offset)


def move(session: Session, *, actor_id: str, advance: timedelta | None,
         set_to: datetime | None) -> datetime:
    """Advance by a duration or jump to an instant; both only forward. Raises InvalidInput."""
    if (advance is None) == (set_to is None):
        raise errors.InvalidInput("Give exactly one of 'advance' or 'set'.",
                                  code="invalid_clock_move")
    row = repository.get_for_update(session)
    offset = timedelta(microseconds=row.offset_microseconds)
    now = clock.real_now() + offset
    if advance is not None:
        if advance <= timedelta(0):
            raise errors.InvalidInput(
                "The sandbox clock only moves forward: give a positive duration such as P1D.",
                code="clock_backwards",
            )
        if advance > MAX_STEP:
            raise errors.InvalidInput("One move may span at most ten years.",
                                      code="invalid_clock_move")
        target = now + advance
    else:
        assert set_to is not None
        if set_to.tzinfo is None:
            raise errors.InvalidInput(
                "Give the instant with its offset, e.g. 2026-12-01T00:00:00Z.",
                code="invalid_clock_move",
            )
        if set_to < now:
            raise errors.InvalidInput(
                f"The sandbox clock only moves forward; it reads {now.isoformat()} already.",
                code="clock_backwards",
            )
        target = set_to
    if target - now > MAX_STEP:
        raise errors.InvalidInput("One move may span at most ten years.", code="invalid_clock_move")
    new_offset = target - clock.real_now()
    row.offset_microseconds = new_offset // timedelta(microseconds=1)
    row.updated_at = clock.real_now()
    clock.set_offset(new_offset)
    audit.record(session, actor_id=actor_id, action="sandbox_clock.moved",
                 target_type="sandbox_clock", target_id="1",
                 before={"now": now}, after={"now": target})
    return clock.utc_now()
