"""Pure decisions about what an alert says (R23): no session, no I/O.

An alert must never claim what did not happen ("Ads stopped … 0 ad(s)") nor hide that it is
late: a reminder sweep that ran days after a code ended still tells, and says by how much.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import datetime, timedelta

import humanize

EXPIRED = "expired"


def late_words(delta: timedelta) -> str:
    """How late, in words: "25 minutes", "3 hours and 10 minutes", "9 days and 3 hours"."""
    unit = "minutes" if delta < timedelta(days=1) else "hours"
    return humanize.precisedelta(delta, minimum_unit=unit, format="%0.0f")


def hours_left(window_end: datetime, now: datetime) -> int:
    """Whole hours until the end, rounded up (a sweep a few seconds after T−72 h says 72)."""
    return max(1, math.ceil((window_end - now) / timedelta(hours=1)))


@dataclass(frozen=True)
class CodeAlert:
    """One code's reminder as told: a title, a body, and how late in words (None: on time)."""

    title: str
    body: str
    late_by: str | None


def code_reminder(*, kind: str, handle: str, code_hint: str, account: str, window_end: datetime,
                  now: datetime, live_ads: int, spend_at_risk: str,
                  late_by: timedelta | None) -> CodeAlert:
    """The words of a T−72 h / T−24 h reminder or of the expiry alert.

    At expiry, "Ads stopped" only when ads were delivering a moment before; otherwise the code
    expired and nothing stopped. A late alert says so in its title and body.
    """
    late = late_words(late_by) if late_by is not None else None
    end = f"{window_end:%Y-%m-%d %H:%M} UTC"
    if kind == EXPIRED:
        if live_ads:
            title = f"Ads stopped: @{handle}'s authorization expired"
            body = (f"The code {code_hint} for @{handle}'s post ended at {end}. {live_ads} ad(s) "
                    f"in {account} stopped (spend at risk {spend_at_risk}/day). Ask @{handle} "
                    "to extend the same code: the ads resume as they were.")
        else:
            title = f"@{handle}'s code expired; no ads were running on it"
            body = (f"The code {code_hint} for @{handle}'s post ended at {end}. No ad in "
                    f"{account} was delivering on it, so nothing stopped. Ask @{handle} to "
                    "extend the same code before running ads on it.")
        if late:
            title += f" (alert {late} late)"
            body = (f"This alert is {late} late: the code ended at {end} and no reminder sweep "
                    f"ran since. {body}")
        return CodeAlert(title, body, late)
    hours = hours_left(window_end, now)
    title = (f"Extend or swap now: @{handle}'s code ends in {hours} h" if hours <= 24
             else f"Ask @{handle} to extend: code ends in {hours} h")
    body = f"The code {code_hint} for @{handle}'s post ends at {end}. "
    body += (f"{live_ads} live ad(s) in {account} will stop (spend at risk "
             f"{spend_at_risk}/day)." if live_ads
             else f"No ad runs on it now in {account}; new ones would stop then.")
    if late:
        body += f" This reminder is {late} late: no reminder sweep ran when it was due."
    return CodeAlert(title, body, late)
