"""Creator transparency (R29): since when an ad runs, paid totals, misuse reports."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from sparkcodes import errors
from sparkcodes.transparency.rules import (
    PAID_METRICS,
    check_report,
    clean_reason,
    running_since,
    totals,
)

T = datetime(2026, 3, 1, 12, tzinfo=UTC)
H = timedelta(hours=1)


@pytest.mark.parametrize(("created", "start", "bound", "expected"), [
    pytest.param(T, T - H, T - 2 * H, T, id="ad created last"),
    pytest.param(T, T + H, T - H, T + H, id="schedule started last"),
    pytest.param(T - H, T - 2 * H, T, T, id="code bound last (a replaced code)"),
    pytest.param(T, T, None, T, id="no binding time"),
])
def test_running_since(created, start, bound, expected) -> None:  # type: ignore[no-untyped-def]
    assert running_since(ad_created_at=created, schedule_start_at=start, bound_at=bound) == expected


def test_totals_fill_every_metric() -> None:
    assert totals({}) == dict.fromkeys(PAID_METRICS, 0)
    assert totals({"likes": 3, "impressions": None, "spend_micros": 9})["likes"] == 3
    assert set(totals({"likes": 3})) == set(PAID_METRICS)


@pytest.mark.parametrize(("value", "code"), [
    ("", "reason_required"), ("  ", "reason_required"), (None, "reason_required"),
    ("x" * 2001, "reason_too_long"), ("a\x00", "invalid_text"),
])
def test_clean_reason_refusals(value: str | None, code: str) -> None:
    with pytest.raises(errors.InvalidInput) as exc:
        clean_reason(value)
    assert exc.value.code == code


def test_clean_reason_strips() -> None:
    assert clean_reason("  runs past the contract ") == "runs past the contract"


def test_an_unused_code_has_no_one_to_report() -> None:
    with pytest.raises(errors.Conflict) as exc:
        check_report(bound_ad_account_id=None)
    assert exc.value.code == "code_not_in_use" and "delete or regenerate" in exc.value.message
    check_report(bound_ad_account_id="acc")
