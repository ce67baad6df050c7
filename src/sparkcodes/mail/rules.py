"""When a message the SMTP server refused is tried again: pure functions, no I/O."""

from __future__ import annotations

from datetime import timedelta

# After the n-th failed attempt, wait RETRY_SCHEDULE[n-1]: an SMTP server down for most of a day
# still gets every message; after the last attempt the message reads failed, with why.
RETRY_SCHEDULE = (timedelta(minutes=1), timedelta(minutes=5), timedelta(minutes=15),
                  timedelta(hours=1), timedelta(hours=3), timedelta(hours=6),
                  timedelta(hours=12))
ATTEMPTS = len(RETRY_SCHEDULE) + 1


def wait_after(attempts: int) -> timedelta:
    """How long to wait after the ``attempts``-th failed attempt of a send job; past the
    schedule (a job given more attempts than it has), its last step."""
    return RETRY_SCHEDULE[min(max(attempts, 1), len(RETRY_SCHEDULE)) - 1]

