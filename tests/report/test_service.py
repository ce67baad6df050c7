"""The report service's pure parts: days in a range, zeros filled, and the chart series."""

from __future__ import annotations

from datetime import date, timedelta

import pytest

from sparkcodes import errors
from sparkcodes.report import rules, service

D = date(2026, 3, 1)


def test_fill_days_has_every_day_in_order_with_zeros_for_missing_ones() -> None:
    counted = rules.metrics({"likes": 2, "impressions": 10})
    out = service.fill_days({D + timedelta(days=2): counted}, D, D + timedelta(days=4))
    assert len(out) == 5
    assert [m["likes"] for m in out] == [0, 0, 2, 0, 0]
    assert out[0] == rules.metrics({}) and out[2] is counted
    assert service.fill_days({}, D, D) == [rules.metrics({})]
    # Rows outside the range are not shown.
    assert service.fill_days({D - timedelta(days=1): counted}, D, D) == [rules.metrics({})]


def test_build_split_sums_days_and_builds_chart_series() -> None:
    paid = [{"day": D, "likes": 1, "impressions": 4, "spend_micros": 40_000},
            {"day": D + timedelta(days=3), "comments": 2, "shares": 1, "impressions": 1}]
    organic = [{"day": D + timedelta(days=1), "likes": 5, "follows": 1, "impressions": 9}]
    split = service.build_split(D, D + timedelta(days=3), paid, organic)
    assert split.days == [D + timedelta(days=i) for i in range(4)]
    assert (split.paid["impressions"], split.paid["spend"], split.paid["likes"]) == (5, 0.04, 1)
    assert (split.organic["likes"], split.organic["follows"]) == (5, 1)
    engagement = split.series("engagement")
    assert engagement["days"] == ["2026-03-01", "2026-03-02", "2026-03-03", "2026-03-04"]
    assert engagement["labels"] == ["Mar 1", "Mar 2", "Mar 3", "Mar 4"]
    assert engagement["paid"] == [1, 0, 0, 3] and engagement["organic"] == [0, 6, 0, 0]
    assert sum(engagement["paid"]) == service.engagement(split.paid)
    assert sum(engagement["organic"]) == service.engagement(split.organic)
    views = split.series("impressions")
    assert views["paid"] == [4, 0, 0, 1] and views["organic"] == [0, 9, 0, 0]
    assert not split.empty
    assert service.build_split(D, D + timedelta(days=89), [], []).empty
    assert len(service.build_split(D, D + timedelta(days=89), [], []).series("likes")["paid"]) == 90


def test_date_ranges() -> None:
    assert service.last_days(7, D) == (D - timedelta(days=6), D)
    assert service.last_days(1, D) == (D, D)
    assert service.date_range(D, D + timedelta(days=365)) == (D, D + timedelta(days=365))
    assert service.date_range(None, D) == (D - timedelta(days=6), D)
    for start, end, message, reason, field in (
            (D, D - timedelta(days=1), "start_date is after end_date.", "start_after_end",
             "start_date"),
            (D, D + timedelta(days=366), "A report spans at most 366 days.", "span_too_long",
             "start_date"),
            (None, date.min, "end_date is too early.", "end_too_early", "end_date")):
        with pytest.raises(errors.InvalidInput) as caught:
            service.date_range(start, end)
        assert (caught.value.message, caught.value.code) == (message, "invalid_date_range")
        # Pages place their words by the reason, never by the message.
        assert caught.value.details == {"reason": reason, "field": field}


def test_every_metric_has_a_plain_label() -> None:
    assert set(service.LABELS) == set(rules.metrics({}))
