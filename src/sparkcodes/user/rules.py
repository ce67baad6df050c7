"""When a token or page session stops working: pure decisions that take ``now``."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum

API = "api"
SESSION = "session"
# A session's last use is written at most this often (idle expiries are this precise).
TOUCH_EVERY = timedelta(minutes=1)


class TokenStatus(StrEnum):
    ACTIVE = "active"
    REVOKED = "revoked"
    EXPIRED = "expired"
    IDLE = "idle"  # a page session unused for longer than the idle limit


@dataclass(frozen=True)
class Lifetimes:
    """How long tokens live, as configured (None: no limit)."""

    token: timedelta | None
    session: timedelta | None
    session_idle: timedelta | None


@dataclass(frozen=True)
class TokenState:
    kind: str
    created_at: datetime
    expires_at: datetime | None
    revoked_at: datetime | None
    last_used_at: datetime | None


def status(token: TokenState, *, now: datetime, idle: timedelta | None) -> TokenStatus:
    """Revoked beats expired beats idle; expiry fails closed (an instant equal to the expiry is
    past it)."""
    if token.revoked_at is not None:
        return TokenStatus.REVOKED
    if token.expires_at is not None and token.expires_at <= now:
        return TokenStatus.EXPIRED
    if (token.kind == SESSION and idle is not None
            and (token.last_used_at or token.created_at) + idle <= now):
        return TokenStatus.IDLE
    return TokenStatus.ACTIVE


def needs_touch(token: TokenState, *, now: datetime, idle: timedelta | None) -> bool:
    """Whether to write a session's last use now: only sessions with an idle limit, at most
    once per TOUCH_EVERY (or a tenth of the idle limit, if shorter)."""
    if token.kind != SESSION or idle is None:
        return False
    return (token.last_used_at or token.created_at) + touch_every(idle) <= now


def touch_every(idle: timedelta) -> timedelta:
    return min(TOUCH_EVERY, idle / 10)
