"""Pure decisions about reminders (R23): which is due for a window end, and which to send."""

from __future__ import annotations

from datetime import datetime, timedelta

EXPIRED = "expired"
# The sweep runs every minute: a reminder sent later than this after its moment is late, and says
# so. However late, it is still sent: a code must never stop its ads silently.
LATE_AFTER = timedelta(minutes=10)


def kind_for(hours: int) -> str:
    return f"expiring_{hours}h"


def due_at(window_end: datetime, kind: str) -> datetime:
    """The moment a reminder is due: the end itself, or ``hours`` before it."""
    if kind == EXPIRED:
        return window_end
    return window_end - timedelta(hours=int(kind.removeprefix("expiring_").removesuffix("h")))


def late_by(window_end: datetime, kind: str, now: datetime) -> timedelta | None:
    """How late a reminder sent now is, or None when it is on time (within LATE_AFTER)."""
    delay = now - due_at(window_end, kind)
    return delay if delay > LATE_AFTER else None


def due_kinds(window_end: datetime, now: datetime, offsets_hours: list[int]) -> list[str]:
    """Every reminder whose moment has come, earliest first (T−72 h, T−24 h, then expiry)."""
    due = [kind_for(h) for h in sorted(set(offsets_hours), reverse=True)
           if now >= window_end - timedelta(hours=h)]
    if now >= window_end:
        due.append(EXPIRED)
    return due


def awaiting(window_end: datetime, reminded_end: datetime | None, *, bound: bool, deleted: bool,
             now: datetime, offsets_hours: list[int]) -> bool:
    """Whether the sweep must look at a code now: in use, not deleted, a reminder of its current
    end is due, and its expiry alert (the last one) is not recorded for that end yet. However long
    ago the end was: a code is never dropped for being old. reminder.repository.awaiting is this
    rule in SQL, on the columns of the index it reads."""
    return (bound and not deleted and reminded_end != window_end
            and bool(due_kinds(window_end, now, offsets_hours)))


def horizon(now: datetime, offsets_hours: list[int]) -> datetime:
    """The latest window end with a reminder due now: the earliest reminder is due this long
    before the end."""
    return now + timedelta(hours=max(offsets_hours, default=0))


def plan(due: list[str], already: set[str]) -> tuple[str | None, list[str]]:
    """Send only the latest due reminder not yet recorded; record earlier missed ones as skipped
    (a sweep that ran late must not send three reminders at once)."""
    if not due or due[-1] in already:
        return None, [k for k in due[:-1] if k not in already] if due else []
    return due[-1], [k for k in due[:-1] if k not in already]
