"""Pure decisions about engagement events: what each type counts, and what a paid impression
costs."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

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
    "click": ("clicks", None),
}
# Event types only an ad produces: a click is on the ad's call to action, which organic views of
# the post do not have.
PAID_ONLY = frozenset({"click"})


EARLIEST = datetime(2000, 1, 1, tzinfo=UTC)


def check_time(occurred_at: datetime, now: datetime, max_future_skew: timedelta) -> datetime:
    """The event's instant in UTC, or why it cannot be one."""
    if occurred_at.tzinfo is None:
        raise errors.InvalidInput("occurred_at needs a time zone offset, e.g. ...Z.",
                                  code="invalid_occurred_at")
    try:
        at = occurred_at.astimezone(UTC)
    except OverflowError:
        at = None
    if at is None or at < EARLIEST:
        raise errors.InvalidInput("occurred_at is before 2000.", code="invalid_occurred_at")
    if at > now + max_future_skew:
        raise errors.InvalidInput("The event is dated in the future.", code="event_in_future")
    return at


def check_batch(size: int, limit: int) -> None:
    if size == 0:
        raise errors.InvalidInput("Send at least one event.", code="batch_empty")
    if size > limit:
        raise errors.InvalidInput(f"At most {limit} events per request; {size} were sent.",
                                  code="batch_too_large")


def check_source(event_type: str, ad_id: str | None) -> None:
    """An organic event (no ad) of a type only an ad produces is refused."""
    if ad_id is None and event_type in PAID_ONLY:
        raise errors.InvalidInput(
            f"A {event_type} is on an ad's call to action: send it with the ad_id of the ad "
            "that was clicked.", code="click_needs_ad")


def comment_text(event_type: str, text: str | None) -> str | None:
    """The comment's text to keep, or None; only a comment event carries text."""
    if text is None or not text.strip():
        return None
    if event_type != "comment":
        raise errors.InvalidInput("Only a comment event carries comment_text.",
                                  code="comment_text_not_allowed")
    return text.strip()
