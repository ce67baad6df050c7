"""Pure decisions about reminders (R23): which is due for a window end, and which to send."""

from __future__ import annotations

from datetime import datetime, timedelta

EXPIRED = "expired"
# A code that lapsed longer ago than this when first seen gets no "expired" reminder (e.g. the
# first sweep after installing): old news is not an alert.
GRACE = timedelta(days=7)


def kind_for(hours: int) -> str:
    return f"expiring_{hours}h"


def due_kinds(window_end: datetime, now: datetime, offsets_hours: list[int]) -> list[str]:
    """Every reminder whose moment has come, earliest first (T−72 h, T−24 h, then expiry)."""
    due = [kind_for(h) for h in sorted(set(offsets_hours), reverse=True)
           if now >= window_end - timedelta(hours=h)]
    if now >= window_end:
        due.append(EXPIRED)
    return due


def plan(due: list[str], already: set[str]) -> tuple[str | None, list[str]]:
    """Send only the latest due reminder not yet recorded; record earlier missed ones as skipped
    (a sweep that ran late must not send three reminders at once)."""
    if not due or due[-1] in already:
        return None, [k for k in due[:-1] if k not in already] if due else []
    return due[-1], [k for k in due[:-1] if k not in already]
