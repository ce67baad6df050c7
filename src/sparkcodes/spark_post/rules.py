"""Pure decisions about Spark Ad posts: can the ad account run this post now, and if not, why."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

from sparkcodes.values import CodeState, CreatorState, PostState


class StopReason(StrEnum):
    AUTHORIZATION_EXPIRED = "AUTHORIZATION_EXPIRED"
    AUTHORIZATION_DELETED = "AUTHORIZATION_DELETED"
    POST_UNAVAILABLE = "POST_UNAVAILABLE"
    ACCOUNT_AD_SETTINGS_OFF = "ACCOUNT_AD_SETTINGS_OFF"
    IDENTITY_UNLINKED = "IDENTITY_UNLINKED"


REASON_TEXT = {
    StopReason.AUTHORIZATION_EXPIRED: "the creator's authorization expired",
    StopReason.AUTHORIZATION_DELETED: "the creator deleted the authorization code",
    StopReason.POST_UNAVAILABLE: "the post was deleted or taken down",
    StopReason.ACCOUNT_AD_SETTINGS_OFF: "the creator switched account ad settings off",
    StopReason.IDENTITY_UNLINKED: "the business's own account was unlinked",
}

AUTHORIZED = "AUTHORIZED"


@dataclass(frozen=True)
class SparkPostState:
    identity_type: str  # AUTH_CODE or TT_USER
    code: CodeState | None
    original_code: CodeState | None
    post: PostState
    creator: CreatorState
    identity_linked: bool = True
    # For a duet or stitch: the post it was made from and that post's creator account (R3).
    original_post: PostState | None = None
    original_creator: CreatorState | None = None


def stop_reasons(state: SparkPostState, now: datetime) -> list[StopReason]:
    """Every reason an ad on this Spark post could not deliver now; empty means it may run."""
    reasons: list[StopReason] = []
    codes = [c for c in (state.code, state.original_code) if c is not None]
    if state.identity_type == "AUTH_CODE":
        if state.code is None or any(_by(c.deleted_at, now) for c in codes):
            # No code at all fails closed, like a deleted one.
            reasons.append(StopReason.AUTHORIZATION_DELETED)
        elif any(c.expires_at <= now for c in codes):
            reasons.append(StopReason.AUTHORIZATION_EXPIRED)
    elif not state.identity_linked:
        reasons.append(StopReason.IDENTITY_UNLINKED)
    posts = [p for p in (state.post, state.original_post) if p is not None]
    if any(_by(p.deleted_at, now) or _by(p.taken_down_at, now) for p in posts):
        reasons.append(StopReason.POST_UNAVAILABLE)
    creators = [c for c in (state.creator, state.original_creator) if c is not None]
    if state.identity_type == "AUTH_CODE" and any(
        c.ad_settings_enabled_at is None for c in creators
    ):
        reasons.append(StopReason.ACCOUNT_AD_SETTINGS_OFF)
    return reasons


def _by(instant: datetime | None, now: datetime) -> bool:
    """Had it happened by ``now``? (An event from before a deletion still counts.)"""
    return instant is not None and instant <= now


def status_at(state: SparkPostState, now: datetime) -> str:
    reasons = stop_reasons(state, now)
    return reasons[0].value if reasons else AUTHORIZED


def window_end(state: SparkPostState) -> datetime | None:
    """When the Spark post stops being runnable by time alone: the earliest code end."""
    ends = [c.expires_at for c in (state.code, state.original_code) if c is not None]
    return min(ends) if ends else None


class BatchRefusal(StrEnum):
    EMPTY = "batch_empty"
    TOO_LARGE = "batch_too_large"


def batch_refusal(size: int, limit: int) -> BatchRefusal | None:
    """Why ``size`` codes cannot go in one bind or preview (limit: settings.codes.batch_size),
    or None when they can."""
    if size == 0:
        return BatchRefusal.EMPTY
    if size > limit:
        return BatchRefusal.TOO_LARGE
    return None
