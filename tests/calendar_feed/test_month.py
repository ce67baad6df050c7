"""The calendar pages' month helpers: parsing ?month=, moving between months, the Monday-first
grid of weeks. No database."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest

from sparkcodes import errors
from sparkcodes.calendar_feed import rules


@pytest.mark.parametrize("text, expected", [
    ("2026-11", date(2026, 11, 1)), ("2026-1", date(2026, 1, 1)), (" 2026-02 ", date(2026, 2, 1)),
    ("2000-12", date(2000, 12, 1)), ("2200-01", date(2200, 1, 1)),
])
def test_parse_month(text: str, expected: date) -> None:
    assert rules.parse_month(text) == expected


@pytest.mark.parametrize("text, words", [
    ("", "reads like 2026-11"), ("abc", "reads like 2026-11"), ("2026/11", "reads like"),
    ("2026-11-01", "reads like"), ("26-11", "reads like"), ("2026-001", "reads like"),
    ("２０２６-11", "reads like"), ("2026-00", "no month 0"), ("2026-13", "no month 13"),
    ("1999-12", "between 2000 and 2200"), ("2201-01", "between 2000 and 2200"),
])
def test_parse_month_refuses_in_plain_words(text: str, words: str) -> None:
    with pytest.raises(errors.InvalidInput) as exc:
        rules.parse_month(text)
    assert exc.value.status == 422 and exc.value.code == "invalid_month"
    assert words in exc.value.message


@pytest.mark.parametrize("first, months, expected", [
    (date(2026, 11, 1), 1, date(2026, 12, 1)), (date(2026, 12, 1), 1, date(2027, 1, 1)),
    (date(2026, 1, 1), -1, date(2025, 12, 1)), (date(2026, 3, 1), -14, date(2025, 1, 1)),
    (date(2026, 3, 1), 0, date(2026, 3, 1)), (date(2026, 3, 1), 24, date(2028, 3, 1)),
])
def test_shift_month(first: date, months: int, expected: date) -> None:
    assert rules.shift_month(first, months) == expected


def test_month_of_and_bounds() -> None:
    assert rules.month_of(datetime(2026, 11, 30, 23, 59, tzinfo=UTC)) == date(2026, 11, 1)
    start, end = rules.month_bounds(date(2026, 12, 1))
    assert start == datetime(2026, 12, 1, tzinfo=UTC)
    assert end == datetime(2027, 1, 1, tzinfo=UTC)


@pytest.mark.parametrize("first, weeks, starts, ends", [
    # November 2026 starts on a Sunday: the first row is Oct 26 – Nov 1.
    (date(2026, 11, 1), 6, date(2026, 10, 26), date(2026, 12, 6)),
    # February 2021 starts on a Monday and has exactly four weeks.
    (date(2021, 2, 1), 4, date(2021, 2, 1), date(2021, 2, 28)),
    # June 2026 starts on a Monday, ends on a Tuesday.
    (date(2026, 6, 1), 5, date(2026, 6, 1), date(2026, 7, 5)),
    # February 2024 (leap): Thursday the 1st to Thursday the 29th.
    (date(2024, 2, 1), 5, date(2024, 1, 29), date(2024, 3, 3)),
])
def test_month_grid(first: date, weeks: int, starts: date, ends: date) -> None:
    grid = rules.month_grid(first)
    assert len(grid) == weeks
    assert all(len(week) == 7 for week in grid)
    assert grid[0][0] == starts and grid[-1][-1] == ends
    assert all(week[0].weekday() == 0 for week in grid)  # Monday first
    days = [d for week in grid for d in week]
    assert days == sorted(days) and len(set(days)) == len(days)
    in_month = [d for d in days if d.month == first.month]
    assert in_month[0] == first and len(in_month) == (rules.shift_month(first, 1) - first).days


@pytest.mark.parametrize("url, expected", [
    ("https://sc.example/v1/calendar/t.ics", "webcal://sc.example/v1/calendar/t.ics"),
    ("http://127.0.0.1:8000/v1/calendar/t.ics", "webcal://127.0.0.1:8000/v1/calendar/t.ics"),
    ("no-scheme", "no-scheme"),
])
def test_webcal(url: str, expected: str) -> None:
    assert rules.webcal(url) == expected


@pytest.mark.parametrize("count, text", [(0, "no live ads"), (1, "1 live ad"),
                                         (3, "3 live ads")])
def test_ads_text(count: int, text: str) -> None:
    assert rules.ads_text(count) == text
