"""What an alert says (R23): "Ads stopped" only when ads stopped, and a late alert says how late."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from sparkcodes.notification.rules import EXPIRED, code_reminder, hours_left, late_words

END = datetime(2026, 3, 1, 12, tzinfo=UTC)
H = timedelta(hours=1)
M = timedelta(minutes=1)
DAY = timedelta(days=1)


@pytest.mark.parametrize(
    ("delta", "words"),
    [
        pytest.param(11 * M, "11 minutes", id="minutes"),
        pytest.param(H, "1 hour", id="one hour"),
        pytest.param(3 * H + 10 * M, "3 hours and 10 minutes", id="hours and minutes"),
        pytest.param(DAY + 18 * H, "1 day and 18 hours", id="a day and hours"),
        pytest.param(9 * DAY + 3 * H + 20 * timedelta(seconds=1), "9 days and 3 hours",
                     id="days: to the hour"),
        pytest.param(400 * DAY, "1 year, 1 month and 4 days", id="a year and more"),
    ],
)
def test_late_words(delta: timedelta, words: str) -> None:
    assert late_words(delta) == words


@pytest.mark.parametrize(
    ("now", "hours"),
    [
        pytest.param(END - 72 * H, 72, id="exactly T-72h"),
        pytest.param(END - 72 * H + 30 * timedelta(seconds=1), 72, id="half a minute after"),
        pytest.param(END - 30 * H, 30, id="late: the hours really left"),
        pytest.param(END - 10 * M, 1, id="minutes left: 1 h"),
    ],
)
def test_hours_left(now: datetime, hours: int) -> None:
    assert hours_left(END, now) == hours


def _told(kind: str, *, live: int, late: timedelta | None, now: datetime = END):  # type: ignore[no-untyped-def]
    return code_reminder(kind=kind, handle="maya", code_hint="SPARK-7QF2-…", account="Spring",
                         window_end=END, now=now, live_ads=live, spend_at_risk="412.50",
                         late_by=late)


@pytest.mark.parametrize(
    ("live", "late", "title", "in_body", "not_in_body"),
    [
        pytest.param(2, None, "Ads stopped: @maya's authorization expired",
                     ["2 ads in Spring stopped", "spend at risk 412.50/day"], ["late"],
                     id="ads stopped, on time"),
        pytest.param(0, None, "@maya's code expired; no ads were running on it",
                     ["nothing stopped"], ["0 ads", "Ads stopped", "late"],
                     id="nothing ran: says so"),
        pytest.param(1, 9 * DAY + 3 * H,
                     "Ads stopped: @maya's authorization expired (alert 9 days and 3 hours late)",
                     ["This alert is 9 days and 3 hours late", "1 ad in Spring stopped"], [],
                     id="ads stopped, late"),
        pytest.param(0, 2 * H,
                     "@maya's code expired; no ads were running on it (alert 2 hours late)",
                     ["This alert is 2 hours late", "nothing stopped"], ["0 ads"],
                     id="nothing ran, late"),
    ],
)
def test_expiry_alert(live: int, late: timedelta | None, title: str, in_body: list[str],
                      not_in_body: list[str]) -> None:
    told = _told(EXPIRED, live=live, late=late)
    assert told.title == title
    assert all(text in told.body for text in in_body), told.body
    assert not any(text in told.body for text in not_in_body), told.body
    assert told.late_by == (None if late is None else late_words(late))


@pytest.mark.parametrize(
    ("kind", "now", "live", "late", "title", "in_body"),
    [
        pytest.param("expiring_72h", END - 72 * H, 1, None,
                     "Ask @maya to extend: code ends in 72 h",
                     ["1 live ad in Spring will stop"], id="T-72h with an ad"),
        pytest.param("expiring_24h", END - 24 * H, 0, None,
                     "Extend or swap now: @maya's code ends in 24 h",
                     ["No ad runs on it now in Spring"], id="T-24h with no ad"),
        pytest.param("expiring_72h", END - 30 * H, 1, 42 * H,
                     "Ask @maya to extend: code ends in 30 h",
                     ["This reminder is 1 day and 18 hours late"], id="T-72h sent late"),
        pytest.param("expiring_72h", END - 20 * H, 1, 52 * H,
                     "Extend or swap now: @maya's code ends in 20 h",
                     ["This reminder is 2 days and 4 hours late"],
                     id="so late the time left is urgent"),
    ],
)
def test_expiring_reminder(kind: str, now: datetime, live: int, late: timedelta | None,
                           title: str, in_body: list[str]) -> None:
    told = _told(kind, live=live, late=late, now=now)
    assert told.title == title
    assert all(text in told.body for text in in_body), told.body
    assert "0 live ads" not in told.body


@pytest.mark.parametrize(
    ("kind", "now", "live", "title", "body_has"),
    [
        pytest.param("t72", END - 72 * H, 2, "Extend your code: it ends in 72 h",
                     "2 live ads in Glow US on your post will stop", id="reminder, live ads"),
        pytest.param("t24", END - 24 * H, 0, "Extend your code: it ends in 24 h",
                     "No ad in Glow US runs on it now", id="reminder, no ads"),
        pytest.param(EXPIRED, END, 1, "Your code expired: Glow US's ads on your post stopped",
                     "Extend the same code: the ads resume", id="expired, ads stopped"),
        pytest.param(EXPIRED, END, 0, "Your code expired; no ads were running on it",
                     "nothing stopped", id="expired, nothing stopped"),
    ],
)
def test_the_creator_reads_her_own_words(kind, now, live, title, body_has):  # type: ignore[no-untyped-def]
    told = code_reminder(kind=kind, handle="maya", code_hint="SPARK-AB12-…", account="Glow US",
                         window_end=END, now=now, live_ads=live, spend_at_risk="12.00",
                         late_by=None, reader="creator")
    assert told.title == title
    assert body_has in told.body
    assert "@maya" not in told.title + told.body and "Ask " not in told.title + told.body
    assert "spend at risk" not in told.body  # the brand's money is the brand's business
