"""user.rules: when a token or page session stops working, in tables at fixed instants."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from sparkcodes.user import rules
from sparkcodes.user.rules import API, SESSION, TokenState, TokenStatus

T0 = datetime(2026, 12, 1, 9, 0, tzinfo=UTC)
HOUR = timedelta(hours=1)


def token(kind: str = SESSION, *, expires: timedelta | None = None, revoked: bool = False,
          used: timedelta | None = None) -> TokenState:
    return TokenState(kind=kind, created_at=T0, expires_at=T0 + expires if expires else None,
                      revoked_at=T0 if revoked else None,
                      last_used_at=T0 + used if used is not None else None)


@pytest.mark.parametrize(("state", "at", "idle", "expected"), [
    (token(API), T0 + 1000 * HOUR, HOUR, TokenStatus.ACTIVE),  # API tokens are never idle
    (token(API, expires=HOUR), T0 + HOUR - timedelta(seconds=1), None, TokenStatus.ACTIVE),
    (token(API, expires=HOUR), T0 + HOUR, None, TokenStatus.EXPIRED),  # fails closed
    (token(API, expires=HOUR, revoked=True), T0 + 2 * HOUR, None, TokenStatus.REVOKED),
    (token(SESSION), T0 + HOUR - timedelta(seconds=1), HOUR, TokenStatus.ACTIVE),
    (token(SESSION), T0 + HOUR, HOUR, TokenStatus.IDLE),  # never used: idle from creation
    (token(SESSION, used=2 * HOUR), T0 + 2.5 * HOUR, HOUR, TokenStatus.ACTIVE),
    (token(SESSION, used=2 * HOUR), T0 + 3 * HOUR, HOUR, TokenStatus.IDLE),
    (token(SESSION, used=2 * HOUR), T0 + 30 * HOUR, None, TokenStatus.ACTIVE),  # no idle limit
    (token(SESSION, expires=24 * HOUR, used=24 * HOUR), T0 + 24 * HOUR, HOUR,
     TokenStatus.EXPIRED),  # busy, but past its absolute end
    (token(SESSION, expires=24 * HOUR, revoked=True), T0, HOUR, TokenStatus.REVOKED),
])
def test_status(state: TokenState, at: datetime, idle: timedelta | None,
                expected: TokenStatus) -> None:
    assert rules.status(state, now=at, idle=idle) is expected


@pytest.mark.parametrize(("state", "at", "idle", "expected"), [
    (token(API), T0 + HOUR, HOUR, False),  # API tokens keep no last use
    (token(SESSION), T0 + HOUR, None, False),  # no idle limit: nothing to record
    (token(SESSION), T0 + timedelta(seconds=59), HOUR, False),
    (token(SESSION), T0 + timedelta(seconds=60), HOUR, True),
    (token(SESSION, used=HOUR), T0 + HOUR + timedelta(seconds=30), HOUR, False),
    (token(SESSION, used=HOUR), T0 + HOUR + timedelta(seconds=60), HOUR, True),
    # A short idle limit is recorded more often (a tenth of it).
    (token(SESSION), T0 + timedelta(seconds=30), timedelta(minutes=5), True),
    (token(SESSION), T0 + timedelta(seconds=29), timedelta(minutes=5), False),
])
def test_needs_touch(state: TokenState, at: datetime, idle: timedelta | None,
                     expected: bool) -> None:
    assert rules.needs_touch(state, now=at, idle=idle) is expected
