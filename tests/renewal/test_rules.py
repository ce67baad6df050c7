"""Renewal requests (R24): derived status, expiry, answered once, what may be asked."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from sparkcodes import errors
from sparkcodes.renewal.rules import (
    RENEWAL_TTL,
    RenewalState,
    RenewalStatus,
    check_open,
    check_request,
    clean_message,
    clean_reason,
    is_notice_due,
    parse_status,
    status_at,
)
from sparkcodes.values import CodeState

NOW = datetime(2026, 3, 1, 12, tzinfo=UTC)
D = timedelta(days=1)
US = timedelta(microseconds=1)
PERIODS = [7, 30, 60, 365]
ASKED = NOW - 3 * D  # a request asked three days ago: open until ASKED + 14 days
DEADLINE = ASKED + RENEWAL_TTL


def test_the_creator_has_fourteen_days_to_answer() -> None:
    assert timedelta(days=14) == RENEWAL_TTL
    assert RenewalState(ASKED).expires_at == ASKED + 14 * D


@pytest.mark.parametrize(("state", "now", "expected"), [
    pytest.param(RenewalState(ASKED), NOW, RenewalStatus.PENDING, id="unanswered"),
    pytest.param(RenewalState(ASKED), ASKED, RenewalStatus.PENDING, id="just asked"),
    pytest.param(RenewalState(ASKED), DEADLINE - US, RenewalStatus.PENDING,
                 id="a microsecond before the deadline"),
    pytest.param(RenewalState(ASKED), DEADLINE, RenewalStatus.EXPIRED,
                 id="at the deadline: fails closed"),
    pytest.param(RenewalState(ASKED), DEADLINE + 30 * D, RenewalStatus.EXPIRED, id="long after"),
    pytest.param(RenewalState(ASKED, approved_at=NOW), NOW, RenewalStatus.APPROVED,
                 id="approved"),
    pytest.param(RenewalState(ASKED, declined_at=NOW), NOW, RenewalStatus.DECLINED,
                 id="declined"),
    pytest.param(RenewalState(ASKED, cancelled_at=NOW), NOW, RenewalStatus.CANCELLED,
                 id="cancelled"),
    pytest.param(RenewalState(ASKED, approved_at=DEADLINE - US), DEADLINE + D,
                 RenewalStatus.APPROVED, id="approved stays approved after the deadline"),
    pytest.param(RenewalState(ASKED, declined_at=NOW), DEADLINE, RenewalStatus.DECLINED,
                 id="declined stays declined after the deadline"),
    pytest.param(RenewalState(ASKED, cancelled_at=NOW), DEADLINE + D, RenewalStatus.CANCELLED,
                 id="cancelled stays cancelled after the deadline"),
])
def test_status_at(state: RenewalState, now: datetime, expected: RenewalStatus) -> None:
    assert status_at(state, now) is expected


@pytest.mark.parametrize(("state", "now", "fragment"), [
    (RenewalState(ASKED, approved_at=NOW), NOW, "already approved by the creator"),
    (RenewalState(ASKED, declined_at=NOW), NOW, "already declined by the creator"),
    (RenewalState(ASKED, cancelled_at=NOW), NOW, "already cancelled by the brand"),
    (RenewalState(ASKED, approved_at=NOW), DEADLINE + D, "already approved by the creator"),
    (RenewalState(ASKED, cancelled_at=NOW), DEADLINE, "already cancelled by the brand"),
])
def test_an_answered_request_is_not_answered_again(state: RenewalState, now: datetime,
                                                   fragment: str) -> None:
    with pytest.raises(errors.Conflict) as exc:
        check_open(state, now)
    assert exc.value.code == "renewal_request_answered" and fragment in exc.value.message


@pytest.mark.parametrize("now", [ASKED, NOW, DEADLINE - US])
def test_a_pending_request_is_open(now: datetime) -> None:
    check_open(RenewalState(ASKED), now)


@pytest.mark.parametrize("late", [timedelta(0), US, 100 * D])
def test_an_expired_request_is_gone_and_says_when(late: timedelta) -> None:
    asked = datetime(2026, 11, 24, 10, tzinfo=UTC)
    with pytest.raises(errors.Gone) as exc:
        check_open(RenewalState(asked), asked + RENEWAL_TTL + late)
    assert (exc.value.code, exc.value.status) == ("renewal_request_expired", 410)
    assert exc.value.message == ("This request expired unanswered on 2026-12-08 10:00 UTC; the "
                                 "brand can ask again.")


@pytest.mark.parametrize(("state", "now", "due"), [
    pytest.param(RenewalState(ASKED), DEADLINE - US, False, id="still open"),
    pytest.param(RenewalState(ASKED), DEADLINE, True, id="just lapsed"),
    pytest.param(RenewalState(ASKED), DEADLINE + 7 * D, True, id="a week on: late, still due"),
    pytest.param(RenewalState(ASKED), DEADLINE + 800 * D, True, id="years on: never dropped"),
    pytest.param(RenewalState(ASKED, approved_at=NOW), DEADLINE, False, id="approved"),
    pytest.param(RenewalState(ASKED, declined_at=NOW), DEADLINE, False, id="declined"),
    pytest.param(RenewalState(ASKED, cancelled_at=NOW), DEADLINE, False, id="cancelled"),
])
def test_is_notice_due(state: RenewalState, now: datetime, due: bool) -> None:
    assert is_notice_due(state, now) is due


@pytest.mark.parametrize(("value", "expected"), [
    (None, None), ("", None), ("pending", RenewalStatus.PENDING),
    (" Approved ", RenewalStatus.APPROVED), ("CANCELLED", RenewalStatus.CANCELLED),
    ("expired", RenewalStatus.EXPIRED),
])
def test_parse_status(value: str | None, expected: RenewalStatus | None) -> None:
    assert parse_status(value) is expected


def test_parse_status_names_the_choices() -> None:
    with pytest.raises(errors.InvalidInput) as exc:
        parse_status("lapsed")
    assert exc.value.code == "invalid_status"
    assert "pending, approved, declined, cancelled, expired" in exc.value.message


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
