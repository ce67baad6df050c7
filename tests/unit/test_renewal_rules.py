"""Renewal requests (R24): derived status, answered once, what may be asked."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from sparkcodes import errors
from sparkcodes.authorization.rules import CodeState
from sparkcodes.renewal.rules import (
    RenewalState,
    RenewalStatus,
    check_open,
    check_request,
    clean_message,
    clean_reason,
    parse_status,
    status_of,
)

NOW = datetime(2026, 3, 1, 12, tzinfo=UTC)
D = timedelta(days=1)
PERIODS = [7, 30, 60, 365]


@pytest.mark.parametrize(("state", "expected"), [
    pytest.param(RenewalState(), RenewalStatus.PENDING, id="unanswered"),
    pytest.param(RenewalState(approved_at=NOW), RenewalStatus.APPROVED, id="approved"),
    pytest.param(RenewalState(declined_at=NOW), RenewalStatus.DECLINED, id="declined"),
    pytest.param(RenewalState(cancelled_at=NOW), RenewalStatus.CANCELLED, id="cancelled"),
])
def test_status_of(state: RenewalState, expected: RenewalStatus) -> None:
    assert status_of(state) is expected


@pytest.mark.parametrize(("state", "fragment"), [
    (RenewalState(approved_at=NOW), "already approved by the creator"),
    (RenewalState(declined_at=NOW), "already declined by the creator"),
    (RenewalState(cancelled_at=NOW), "already cancelled by the brand"),
])
def test_an_answered_request_is_not_answered_again(state: RenewalState, fragment: str) -> None:
    with pytest.raises(errors.Conflict) as exc:
        check_open(state)
    assert exc.value.code == "renewal_request_answered" and fragment in exc.value.message


def test_a_pending_request_is_open() -> None:
    check_open(RenewalState())


@pytest.mark.parametrize(("value", "expected"), [
    (None, None), ("", None), ("pending", RenewalStatus.PENDING),
    (" Approved ", RenewalStatus.APPROVED), ("CANCELLED", RenewalStatus.CANCELLED),
])
def test_parse_status(value: str | None, expected: RenewalStatus | None) -> None:
    assert parse_status(value) is expected


def test_parse_status_names_the_choices() -> None:
    with pytest.raises(errors.InvalidInput) as exc:
        parse_status("expired")
    assert exc.value.code == "invalid_status"
    assert "pending, approved, declined, cancelled" in exc.value.message


def _ask(code: CodeState, days: int = 30, pending: bool = False) -> datetime:
    return check_request(code=code, days=days, allowed_periods=PERIODS, max_window_days=365,
                         pending=pending, now=NOW)


@pytest.mark.parametrize(("code", "days", "expected_end"), [
    pytest.param(CodeState(NOW + 2 * D, ad_account_id="acc"), 30, NOW + 32 * D, id="live"),
    pytest.param(CodeState(NOW - 2 * D, ad_account_id="acc"), 7, NOW + 7 * D,
                 id="expired: from now"),
    pytest.param(CodeState(NOW + 300 * D, ad_account_id="acc"), 60, NOW + 360 * D,
                 id="just under the cap"),
])
def test_check_request_returns_the_end_approval_would_give(code: CodeState, days: int,
                                                           expected_end: datetime) -> None:
    assert _ask(code, days) == expected_end


@pytest.mark.parametrize(("code", "days", "pending", "error", "status", "fragment"), [
    pytest.param(CodeState(NOW + D, deleted_at=NOW), 30, False, "code_deleted", 410,
                 "deleted this code", id="deleted"),
    pytest.param(CodeState(NOW + D, deleted_at=NOW), 30, True, "code_deleted", 410,
                 "deleted this code", id="deleted beats pending"),
    pytest.param(CodeState(NOW + D), 14, False, "invalid_period", 422, "14 is not one",
                 id="period"),
    pytest.param(CodeState(NOW + D), 30, True, "renewal_already_pending", 409,
                 "already waiting", id="pending"),
    pytest.param(CodeState(NOW + 340 * D), 60, False, "window_too_long", 409,
                 "at most 25 more days", id="past the cap"),
])
def test_check_request_refusals(code: CodeState, days: int, pending: bool, error: str,
                                status: int, fragment: str) -> None:
    with pytest.raises(errors.AppError) as exc:
        _ask(code, days, pending)
    assert (exc.value.code, exc.value.status) == (error, status)
    assert fragment in exc.value.message


@pytest.mark.parametrize(("value", "expected"), [
    (None, ""), ("", ""), ("  please extend  ", "please extend"), ("x" * 1000, "x" * 1000),
])
def test_clean_message(value: str | None, expected: str) -> None:
    assert clean_message(value) == expected


@pytest.mark.parametrize(("fn", "value", "code"), [
    (clean_message, "x" * 1001, "message_too_long"),
    (clean_message, "a\x00b", "invalid_text"),
    (clean_reason, "", "reason_required"),
    (clean_reason, "   ", "reason_required"),
    (clean_reason, None, "reason_required"),
    (clean_reason, "x" * 501, "reason_too_long"),
    (clean_reason, "no\x00", "invalid_text"),
])
def test_text_refusals(fn, value, code) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(errors.InvalidInput) as exc:
        fn(value)
    assert exc.value.code == code and exc.value.status == 422


def test_clean_reason_strips() -> None:
    assert clean_reason("  busy  ") == "busy"
