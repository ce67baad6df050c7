"""Pure decisions for creator transparency (R29): what counts as paid engagement, since when an
ad runs, and when a misuse report can be made."""

from __future__ import annotations

from datetime import datetime

from sparkcodes import errors
from sparkcodes.kit import limits
from sparkcodes.kit.text import clean_text

# The rollup metrics shown to the creator as the paid engagement on the post.
PAID_METRICS = ("impressions", "likes", "comments", "shares", "follows", "profile_visits")
MAX_REASON = limits.REPORT_REASON


def running_since(*, ad_created_at: datetime, schedule_start_at: datetime,
                  bound_at: datetime | None) -> datetime:
    """The earliest instant an ad could have delivered on the code: after the ad existed, its ad
    group's schedule started and the code was bound (pauses in between are not tracked)."""
    moments = [ad_created_at, schedule_start_at]
    if bound_at is not None:
        moments.append(bound_at)
    return max(moments)


def totals(rows: dict[str, int | None]) -> dict[str, int]:
    """Every paid metric, zero when there is no rollup yet."""
    return {name: int(rows.get(name) or 0) for name in PAID_METRICS}


def clean_reason(reason: str | None) -> str:
    return clean_text(reason, name="reason", max_length=MAX_REASON,
                      required="Describe the misuse, so the brand knows what to fix.")


def check_report(*, bound_ad_account_id: str | None) -> None:
    """A report goes to the business using the code; an unused code has none to tell."""
    if bound_ad_account_id is None:
        raise errors.Conflict(
            "Nobody uses this code yet, so there is no one to report; to stop anyone from using "
            "it, delete or regenerate it.", code="code_not_in_use")
