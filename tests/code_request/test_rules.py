"""Code requests (R25): derived status and expiry, answered once, what may be requested."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from sparkcodes import errors
from sparkcodes.code_request.rules import (
    CodeRequestState,
    CodeRequestStatus,
    check_not_pending,
    check_open,
    clean_currency,
    clean_reason,
    clean_terms,
    expiry,
    is_notice_due,
    parse_status,
    request_problems,
    status_at,
)
from sparkcodes.values import CreatorState, PostState

NOW = datetime(2026, 3, 1, 12, tzinfo=UTC)
D = timedelta(days=1)
TICK = timedelta(microseconds=1)
END = NOW + 7 * D
REGIONS = ["US", "GB"]
ON = CreatorState("US", NOW)


@pytest.mark.parametrize(("state", "now", "expected"), [
    pytest.param(CodeRequestState(END), NOW, CodeRequestStatus.PENDING, id="pending"),
    pytest.param(CodeRequestState(END), END - TICK, CodeRequestStatus.PENDING,
                 id="just before expiry"),
    pytest.param(CodeRequestState(END), END, CodeRequestStatus.EXPIRED,
                 id="exactly at expiry (fails closed)"),
    pytest.param(CodeRequestState(END, accepted_at=NOW), END + D, CodeRequestStatus.ACCEPTED,
                 id="accepted stays accepted"),
    pytest.param(CodeRequestState(END, declined_at=NOW), END + D, CodeRequestStatus.DECLINED,
                 id="declined stays declined"),
    pytest.param(CodeRequestState(END, cancelled_at=NOW), NOW, CodeRequestStatus.CANCELLED,
                 id="withdrawn"),
    pytest.param(CodeRequestState(END, cancelled_at=NOW), END + D, CodeRequestStatus.CANCELLED,
                 id="withdrawn stays withdrawn past expiry"),
])
def test_status_at(state: CodeRequestState, now: datetime, expected: CodeRequestStatus) -> None:
    assert status_at(state, now) is expected


@pytest.mark.parametrize(("state", "now", "error", "status", "fragment"), [
    (CodeRequestState(END), END, "code_request_expired", 410, "expired on 2026-03-08 12:00 UTC"),
    (CodeRequestState(END, accepted_at=NOW), NOW, "code_request_answered", 409,
     "already accepted"),
    (CodeRequestState(END, declined_at=NOW), NOW, "code_request_answered", 409,
     "already declined"),
    (CodeRequestState(END, declined_at=NOW), END + D, "code_request_answered", 409,
     "already declined"),
    (CodeRequestState(END, cancelled_at=NOW), NOW, "code_request_cancelled", 409,
     "The brand withdrew this code request on 2026-03-01 12:00 UTC; there is nothing left to "
     "answer."),
    (CodeRequestState(END, cancelled_at=NOW), END + D, "code_request_cancelled", 409,
     "withdrew this code request"),
])
def test_check_open_refusals(state, now, error, status, fragment) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(errors.AppError) as exc:
        check_open(state, now)
    assert (exc.value.code, exc.value.status) == (error, status)
    assert fragment in exc.value.message


def test_a_pending_request_is_open() -> None:
    check_open(CodeRequestState(END), END - TICK)


def test_one_open_request_per_post_and_ad_account() -> None:
    check_not_pending(None)
    with pytest.raises(errors.AppError) as exc:
        check_not_pending(datetime(2026, 12, 1, 10, tzinfo=UTC))
    assert (exc.value.code, exc.value.status) == ("code_request_already_pending", 409)
    assert exc.value.message == (
        "This ad account already asked for a code on this post; the request is open until "
        "2026-12-01 10:00 UTC. Withdraw it to ask again.")


@pytest.mark.parametrize(("days", "expected"), [
    (None, NOW + 7 * D), (1, NOW + D), (30, NOW + 30 * D),
])
def test_expiry(days: int | None, expected: datetime) -> None:
    assert expiry(NOW, days) == expected


@pytest.mark.parametrize("days", [0, -1, 31, 10**9])
def test_expiry_refusals(days: int) -> None:
    with pytest.raises(errors.InvalidInput) as exc:
        expiry(NOW, days)
    assert exc.value.code == "invalid_expires_in_days" and "between 1 and 30" in exc.value.message


@pytest.mark.parametrize(("value", "expected"), [
    (None, "USD"), ("", "USD"), ("eur", "EUR"), (" GBP ", "GBP"),
])
def test_clean_currency(value: str | None, expected: str) -> None:
    assert clean_currency(value) == expected


@pytest.mark.parametrize("value", ["US", "EURO", "U$D", "12A", "\x00\x00\x00"])
def test_clean_currency_refusals(value: str) -> None:
    with pytest.raises(errors.InvalidInput) as exc:
        clean_currency(value)
    assert exc.value.code == "invalid_currency" and "three-letter" in exc.value.message


@pytest.mark.parametrize(("fn", "value", "code"), [
    (clean_terms, "x" * 5001, "terms_too_long"),
    (clean_terms, "\x00", "invalid_text"),
    (clean_reason, " ", "reason_required"),
    (clean_reason, "x" * 501, "reason_too_long"),
])
def test_text_refusals(fn, value, code) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(errors.InvalidInput) as exc:
        fn(value)
    assert exc.value.code == code


def _codes(creator: CreatorState, post: PostState) -> list[str]:
    return [p.code for p in request_problems(creator=creator, post=post,
                                             supported_regions=REGIONS)]


@pytest.mark.parametrize(("creator", "post", "expected"), [
    pytest.param(ON, PostState(), [], id="a video"),
    pytest.param(CreatorState("AQ", NOW), PostState(), ["region_not_supported"], id="region"),
    pytest.param(CreatorState("US", None), PostState(), ["ad_settings_off"], id="settings off"),
    pytest.param(ON, PostState(kind="story"), ["story_not_supported"], id="story"),
    pytest.param(ON, PostState(deleted_at=NOW), ["post_unavailable"], id="deleted post"),
    pytest.param(ON, PostState(taken_down_at=NOW), ["post_unavailable"], id="taken down"),
    pytest.param(ON, PostState(kind="duet", original_post_id="p0", original_kind="video"),
                 ["original_post_code_required"], id="duet"),
    pytest.param(ON, PostState(kind="stitch", original_post_id="p0", original_kind="video"),
                 ["original_post_code_required"], id="stitch"),
    pytest.param(ON, PostState(kind="duet", original_post_id="p0", original_kind="duet"),
                 ["nested_duet_not_supported"], id="duet of a duet"),
    pytest.param(CreatorState("AQ", None), PostState(kind="story"),
                 ["region_not_supported", "ad_settings_off", "story_not_supported"],
                 id="everything, in the order a person fixes them"),
])
def test_request_problems_match_generation(creator, post, expected) -> None:  # type: ignore[no-untyped-def]
    assert _codes(creator, post) == expected


def test_the_duet_problem_says_what_to_do() -> None:
    (problem,) = request_problems(creator=ON, post=PostState(kind="duet", original_post_id="p"),
                                  supported_regions=REGIONS)
    assert "bind both codes together" in problem.message and problem.status == 409


@pytest.mark.parametrize(("state", "now", "due"), [
    pytest.param(CodeRequestState(END), END - TICK, False, id="still pending"),
    pytest.param(CodeRequestState(END), END, True, id="just expired"),
    pytest.param(CodeRequestState(END), END + 7 * D, True, id="a week on: late, still due"),
    pytest.param(CodeRequestState(END), END + 800 * D, True, id="years on: never dropped"),
    pytest.param(CodeRequestState(END, accepted_at=NOW), END + D, False, id="accepted"),
    pytest.param(CodeRequestState(END, declined_at=NOW), END + D, False, id="declined"),
    pytest.param(CodeRequestState(END, cancelled_at=NOW), END + D, False, id="withdrawn"),
])
def test_is_notice_due(state: CodeRequestState, now: datetime, due: bool) -> None:
    assert is_notice_due(state, now) is due


def test_parse_status() -> None:
    assert parse_status("Expired") is CodeRequestStatus.EXPIRED
    assert parse_status("cancelled") is CodeRequestStatus.CANCELLED
    assert parse_status(None) is None
    with pytest.raises(errors.InvalidInput) as exc:
        parse_status("approved")
    assert exc.value.code == "invalid_status"
    assert "pending, accepted, declined, expired, cancelled" in exc.value.message
