"""Pure decisions of the calendar feeds: which codes show, and what each event says."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta

from sparkcodes import errors

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


# --- the month view of the pages ------------------------------------------------------------

_MONTH = re.compile(r"(\d{4})-(\d{1,2})", flags=re.ASCII)
MIN_YEAR, MAX_YEAR = 2000, 2200


def parse_month(text: str) -> date:
    """"2026-11" into the first day of that month; InvalidInput in plain words otherwise."""
    match = _MONTH.fullmatch(text.strip())
    if match is None:
        raise errors.InvalidInput(
            f"A month reads like 2026-11 (year, then month); {text[:20]!r} does not.",
            code="invalid_month")
    year, month = int(match.group(1)), int(match.group(2))
    if not 1 <= month <= 12:
        raise errors.InvalidInput(f"There is no month {month}: use 01 to 12.",
                                  code="invalid_month")
    if not MIN_YEAR <= year <= MAX_YEAR:
        raise errors.InvalidInput(f"Pick a year between {MIN_YEAR} and {MAX_YEAR}.",
                                  code="invalid_month")
    return date(year, month, 1)


def month_of(instant: datetime) -> date:
    """The first day of the (UTC) month ``instant`` falls in."""
    return instant.astimezone(UTC).date().replace(day=1)


def shift_month(first: date, months: int) -> date:
    """The first day of the month ``months`` away (negative: earlier)."""
    index = first.year * 12 + first.month - 1 + months
    return date(index // 12, index % 12 + 1, 1)


def month_bounds(first: date) -> tuple[datetime, datetime]:
    """[start, end) of the month in UTC."""
    start = datetime(first.year, first.month, 1, tzinfo=UTC)
    nxt = shift_month(first, 1)
    return start, datetime(nxt.year, nxt.month, 1, tzinfo=UTC)


def month_grid(first: date) -> list[list[date]]:
    """The weeks (Monday first) that cover the month, with the neighbours' days at the edges."""
    start = first - timedelta(days=first.weekday())
    end = shift_month(first, 1)
    weeks: list[list[date]] = []
    day = start
    while day < end:
        weeks.append([day + timedelta(days=i) for i in range(7)])
        day += timedelta(days=7)
    return weeks


def webcal(url: str) -> str:
    """The feed URL with the webcal:// scheme, which calendar apps open as a subscription."""
    _, sep, rest = url.partition("://")
    return f"webcal://{rest}" if sep else url


def ads_text(count: int) -> str:
    """"no live ads", "1 live ad", "3 live ads"."""
    if count == 0:
        return "no live ads"
    return f"{count} live ad{'s' if count != 1 else ''}"
