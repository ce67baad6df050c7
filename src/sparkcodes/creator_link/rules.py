"""Pure decisions about links e-mailed to creators who are not on sparkcodes (docs/connector.md,
step 5): what state a link is in, what may be done with it, and the words the page shows."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

from sparkcodes import errors

CODE = "code"
RENEWAL = "renewal"
KINDS = (CODE, RENEWAL)
TOKEN_PURPOSE = "creator link"
# The link's token is derived from a nonce that only the outbox row holds, under the secret key:
# the database alone never yields a working link.
DERIVE_PURPOSE = "creator link token"
TOKEN_CHARS = 40
MAX_TOKEN_CHARS = 100
MAX_ATTEMPTS = 20
# How long one answer holds the link while TikTok is asked (longer than a call's retries).
BUSY_SECONDS = 120


class LinkStatus(StrEnum):
    OPEN = "open"
    ANSWERED = "answered"
    EXPIRED = "expired"
    CANCELLED = "cancelled"
    LOCKED = "locked"  # too many refused tries: the brand sends a new link


@dataclass(frozen=True)
class LinkState:
    expires_at: datetime
    answered_at: datetime | None
    cancelled_at: datetime | None
    attempts: int


def status_at(state: LinkState, now: datetime) -> LinkStatus:
    """What the link is now; an answer or a withdrawal stands even after the expiry passes."""
    if state.answered_at is not None:
        return LinkStatus.ANSWERED
    if state.cancelled_at is not None:
        return LinkStatus.CANCELLED
    if now >= state.expires_at:
        return LinkStatus.EXPIRED
    if state.attempts >= MAX_ATTEMPTS:
        return LinkStatus.LOCKED
    return LinkStatus.OPEN


def check_open(state: LinkState, now: datetime, *, brand: str) -> None:
    """Only an open link may be used; every other state says what happened and what to do."""
    status = status_at(state, now)
    if status is LinkStatus.ANSWERED:
        raise errors.Gone(f"This link has been used already: {brand} has your answer. Nothing "
                          "more to do here.", code="link_used")
    if status is LinkStatus.CANCELLED:
        raise errors.Gone(f"{brand} withdrew this request, so this link no longer works.",
                          code="link_cancelled")
    if status is LinkStatus.EXPIRED:
        raise errors.Gone(f"This link expired on {state.expires_at:%d %b %Y}. Ask {brand} to "
                          "send a new one.", code="link_expired")
    if status is LinkStatus.LOCKED:
        raise errors.Gone(f"Too many tries on this link, so it is locked. Ask {brand} to send "
                          "a new one.", code="link_locked")


def clean_post_url(text: str | None) -> str:
    """Which post the brand asks for: a TikTok link, or a few words ("your 3 May unboxing");
    no line breaks (it goes into an e-mail)."""
    value = " ".join((text or "").split())
    if len(value) > 300:
        raise errors.InvalidInput("Say which post in at most 300 characters.",
                                  code="invalid_post_url")
    return value


def end_moved(before: datetime | None, after: datetime | None) -> bool:
    """A renewal is done when TikTok now shows a later end than when it was asked."""
    return after is not None and (before is None or after > before)


def token_ok(token: str) -> bool:
    """Only a token of the shape links carry is looked up (anything else is simply unknown)."""
    return 1 <= len(token) <= MAX_TOKEN_CHARS and token.isalnum()


CODE_STEPS = (
    "Open the TikTok app and go to the post.",
    "Tap the three dots (…) or the Share arrow, then “Ad settings”.",
    "Turn on “Ad authorization” (first time: Settings → Creator settings → Ad settings).",
    "Choose the period: {days} days.",
    "Tap “Generate code”, then “Copy code”, and paste it below.",
)
RENEWAL_STEPS = (
    "Open the TikTok app and go to the post.",
    "Tap the three dots (…) or the Share arrow, then “Ad settings”.",
    "Open the code you gave {brand} and tap “Extend”: {days} more days.",
    "Come back here and press “Done”: we check the new end date with TikTok.",
)


def steps(kind: str, *, days: int, brand: str) -> list[str]:
    return [s.format(days=days, brand=brand)
            for s in (CODE_STEPS if kind == CODE else RENEWAL_STEPS)]
