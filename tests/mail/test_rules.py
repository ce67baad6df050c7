"""mail.rules: when a refused message is tried again, and how many times."""

from __future__ import annotations

from datetime import timedelta

import pytest

from sparkcodes.mail import rules
from sparkcodes.mail import service as mail_service


@pytest.mark.parametrize(("attempts", "wait"), [
    (0, timedelta(minutes=1)),  # never below the first step
    (1, timedelta(minutes=1)),
    (2, timedelta(minutes=5)),
    (3, timedelta(minutes=15)),
    (4, timedelta(hours=1)),
    (5, timedelta(hours=3)),
    (6, timedelta(hours=6)),
    (7, timedelta(hours=12)),
    (8, timedelta(hours=12)),  # past the schedule (more attempts given): its last step
    (50, timedelta(hours=12)),
])
def test_the_wait_after_each_failed_attempt(attempts: int, wait: timedelta) -> None:
    assert rules.wait_after(attempts) == wait


def test_a_send_job_has_one_attempt_more_than_the_schedule_has_waits() -> None:
    assert rules.ATTEMPTS == len(rules.RETRY_SCHEDULE) + 1 == mail_service.SEND_MAX_ATTEMPTS
    # An SMTP server down for most of a day still gets every message.
    assert sum(rules.RETRY_SCHEDULE, timedelta()) > timedelta(hours=22)
    assert list(rules.RETRY_SCHEDULE) == sorted(rules.RETRY_SCHEDULE)
