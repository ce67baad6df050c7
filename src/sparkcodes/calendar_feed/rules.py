"""Pure decisions of the calendar feeds: which codes show, and what each event says."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta

TOKEN_PURPOSE = "calendar-feed"
# An ended code stays on the calendar this long, so the end is still there to look back at.
KEEP_ENDED = timedelta(days=30)
EVENT_LENGTH = timedelta(minutes=30)  # the event ends when the code does
CAPTION_CHARS = 60


def shown(*, expires_at: datetime, deleted_at: datetime | None, now: datetime) -> bool:
    """Not deleted, and not ended more than KEEP_ENDED ago."""
    return deleted_at is None and expires_at > now - KEEP_ENDED


def shown_since(now: datetime) -> datetime:
    """The earliest window end still shown (for the query)."""
    return now - KEEP_ENDED


def uid(authorization_id: str) -> str:
    """Stable per code: an extension moves the same event instead of adding one."""
    return f"{authorization_id}@sparkcodes"


def to_second(instant: datetime) -> datetime:
    """iCalendar times have whole seconds: round down, so the event never ends after the code."""
    return instant.replace(microsecond=0)


def alarm_hours(offsets_hours: list[int]) -> list[int]:
    """The reminder offsets (R23) as alarms, earliest first; nonsense values are dropped."""
    return sorted({h for h in offsets_hours if h > 0}, reverse=True)


def short(text: str, limit: int = CAPTION_CHARS) -> str:
    flat = " ".join(text.split())
    return flat if len(flat) <= limit else flat[: limit - 1].rstrip() + "…"


def summary(*, handle: str, caption: str, where: str, ended: bool) -> str:
    """"Spark code ends: @handle — caption (ad account)"; "ended" once it has."""
    verb = "ended" if ended else "ends"
    text = f"Spark code {verb}: @{handle}"
    if caption.strip():
        text += f" — {short(caption)}"
    return f"{text} ({where})" if where else text


@dataclass(frozen=True)
class Event:
    """One code's window end, ready to render."""

    uid: str
    ends_at: datetime
    summary: str
    description: str
    url: str
    sequence: int
    last_modified: datetime
    alarms: list[tuple[int, str]] = field(default_factory=list)  # (hours before, text)

    @property
    def starts_at(self) -> datetime:
        return self.ends_at - EVENT_LENGTH


def alarms_for(summary_text: str, offsets_hours: list[int]) -> list[tuple[int, str]]:
    return [(h, f"In {h} h: {summary_text}") for h in alarm_hours(offsets_hours)]
