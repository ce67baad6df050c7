"""Pure decisions about engagement events: what each type counts, and what a paid impression costs."""

from __future__ import annotations

from datetime import datetime, timedelta

from sparkcodes import errors

# event type -> (rollup metric, post counter or None)
EVENT_TYPES: dict[str, tuple[str, str | None]] = {
    "impression": ("impressions", "views"),
    "view_2s": ("video_watched_2s", None),
    "view_6s": ("video_watched_6s", None),
    "view_15s": ("video_watched_15s", None),
    "completion": ("video_views_p100", None),
    "like": ("likes", "likes"),
    "comment": ("comments", "comments"),
    "share": ("shares", "shares"),
    "follow": ("follows", None),
    "profile_visit": ("profile_visits", None),
    "music_click": ("clicks_on_music_disc", None),
}


def check_time(occurred_at: datetime, now: datetime, max_future_skew: timedelta) -> None:
    if occurred_at.tzinfo is None:
        raise errors.InvalidInput("occurred_at needs a time zone offset, e.g. ...Z.",
                                  code="invalid_occurred_at")
    if occurred_at > now + max_future_skew:
        raise errors.InvalidInput("The event is dated in the future.", code="event_in_future")


def check_batch(size: int, limit: int) -> None:
    if size == 0:
        raise errors.InvalidInput("Send at least one event.", code="batch_empty")
    if size > limit:
        raise errors.InvalidInput(f"At most {limit} events per request; {size} were sent.",
                                  code="batch_too_large")
