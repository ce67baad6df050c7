"""The ladder every request shares (R24, R25): derived status, answered once, refusals, notices."""

from __future__ import annotations

import itertools
from datetime import UTC, datetime, timedelta
from enum import StrEnum

import pytest

from sparkcodes import errors
from sparkcodes.request_flow.rules import (
    NOTICE_LATE_AFTER,
    Ladder,
    Step,
    Timeline,
    awaits_notice,
    clean_reason,
    is_notice_due,
    notice_late_by,
    step_at,
)

NOW = datetime(2026, 3, 1, 12, tzinfo=UTC)
D = timedelta(days=1)
TICK = timedelta(microseconds=1)
END = NOW + 7 * D


class Word(StrEnum):
    """A kind of request's own words, none of them the shared ones."""

    OPEN = "open"
    YES = "yes"
    NO = "no"
    TAKEN_BACK = "taken back"
    LAPSED = "lapsed"


def _expired(t: Timeline) -> errors.AppError:
    return errors.Gone(f"lapsed at {t.expires_at:%H:%M}", code="toy_expired")


def _ended(word: Word, t: Timeline) -> errors.AppError:
    return errors.Conflict(f"already {word.value}", code="toy_answered")


LADDER = Ladder(pending=Word.OPEN, agreed=Word.YES, declined=Word.NO, withdrawn=Word.TAKEN_BACK,
                expired=Word.LAPSED, refuse_expired=_expired, refuse_ended=_ended)

# Every combination of the three answers (a real request has at most one; the writes are
# conditional) at every moment around the expiry: the first answer in the ladder's order wins,
# and an unanswered request is pending before END and expired from END on.
MOMENTS = {"long before": NOW, "just before": END - TICK, "at the end": END,
           "just after": END + TICK, "long after": END + 30 * D}


def _expected(agreed: bool, declined: bool, withdrawn: bool, now: datetime) -> Step:
    if agreed:
        return Step.AGREED
    if declined:
        return Step.DECLINED
    if withdrawn:
        return Step.WITHDRAWN
    return Step.EXPIRED if now >= END else Step.PENDING


CASES = [
    pytest.param(Timeline(END, agreed_at=NOW if a else None, declined_at=NOW if d else None,
                          withdrawn_at=NOW if w else None), now, _expected(a, d, w, now),
                 id=f"agreed={a}-declined={d}-withdrawn={w}-{moment}")
    for a, d, w in itertools.product((False, True), repeat=3)
    for moment, now in MOMENTS.items()
]


@pytest.mark.parametrize(("timeline", "now", "expected"), CASES)
def test_step_at(timeline: Timeline, now: datetime, expected: Step) -> None:
    assert step_at(timeline, now) is expected


@pytest.mark.parametrize(("timeline", "now", "expected"), [
    pytest.param(Timeline(END), END - TICK, Step.PENDING, id="the last instant is open"),
    pytest.param(Timeline(END), END, Step.EXPIRED, id="the end instant is expired (fails closed)"),
    pytest.param(Timeline(END, agreed_at=END - TICK), END + 365 * D, Step.AGREED,
                 id="an answer outlives the expiry"),
    pytest.param(Timeline(END, withdrawn_at=NOW), END + D, Step.WITHDRAWN,
                 id="a withdrawal outlives the expiry"),
])
def test_step_at_edges(timeline: Timeline, now: datetime, expected: Step) -> None:
    assert step_at(timeline, now) is expected


@pytest.mark.parametrize(("step", "word"), [
    (Step.PENDING, Word.OPEN), (Step.AGREED, Word.YES), (Step.DECLINED, Word.NO),
    (Step.WITHDRAWN, Word.TAKEN_BACK), (Step.EXPIRED, Word.LAPSED),
])
def test_a_ladder_names_every_step_once(step: Step, word: Word) -> None:
    assert LADDER.status(step) is word
    assert LADDER.step(word) is step


@pytest.mark.parametrize(("timeline", "now", "expected"), CASES)
def test_status_at_is_step_at_in_the_kind_s_words(timeline, now, expected) -> None:  # type: ignore[no-untyped-def]
    assert LADDER.status_at(timeline, now) is LADDER.status(expected)


@pytest.mark.parametrize(("value", "expected"), [
    (None, None), ("", None), ("open", Word.OPEN), ("YES", Word.YES), (" lapsed ", Word.LAPSED),
    ("taken back", Word.TAKEN_BACK),
])
def test_parse(value: str | None, expected: Word | None) -> None:
    assert LADDER.parse(value) is expected


@pytest.mark.parametrize("value", ["pending", "agreed", "withdrawn", "bogus"])
def test_parse_knows_only_the_kind_s_words(value: str) -> None:
    with pytest.raises(errors.InvalidInput) as exc:
        LADDER.parse(value)
    assert exc.value.code == "invalid_status"
    assert exc.value.message == "status must be one of open, yes, no, taken back, lapsed."


@pytest.mark.parametrize(("timeline", "now", "code", "status", "message"), [
    (Timeline(END), END, "toy_expired", 410, "lapsed at 12:00"),
    (Timeline(END), END + 30 * D, "toy_expired", 410, "lapsed at 12:00"),
    (Timeline(END, agreed_at=NOW), NOW, "toy_answered", 409, "already yes"),
    (Timeline(END, declined_at=NOW), END + D, "toy_answered", 409, "already no"),
    (Timeline(END, withdrawn_at=NOW), NOW, "toy_answered", 409, "already taken back"),
    (Timeline(END, withdrawn_at=NOW), END, "toy_answered", 409, "already taken back"),
])
def test_check_open_refusals(timeline, now, code, status, message) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(errors.AppError) as exc:
        LADDER.check_open(timeline, now)
    assert (exc.value.code, exc.value.status, exc.value.message) == (code, status, message)


@pytest.mark.parametrize(("timeline", "now", "expected"), CASES)
def test_check_open_passes_exactly_the_pending(timeline, now, expected) -> None:  # type: ignore[no-untyped-def]
    if expected is Step.PENDING:
        LADDER.check_open(timeline, now)
    else:
        with pytest.raises(errors.AppError):
            LADDER.check_open(timeline, now)


@pytest.mark.parametrize(("timeline", "now", "expected"), [
    pytest.param(Timeline(END), END - TICK, False, id="still pending"),
    pytest.param(Timeline(END), END, True, id="just lapsed"),
    pytest.param(Timeline(END), END + 7 * D, True, id="a week on: late, still due"),
    pytest.param(Timeline(END), END + 800 * D, True, id="years on: never dropped"),
    pytest.param(Timeline(END, agreed_at=NOW), END + D, False, id="agreed"),
    pytest.param(Timeline(END, declined_at=NOW), END + D, False, id="declined"),
    pytest.param(Timeline(END, withdrawn_at=NOW), END + D, False, id="withdrawn"),
])
def test_is_notice_due(timeline: Timeline, now: datetime, expected: bool) -> None:
    assert is_notice_due(timeline, now) is expected


@pytest.mark.parametrize(("noticed_at", "now", "expected"), [
    pytest.param(None, END - TICK, False, id="still pending"),
    pytest.param(None, END, True, id="lapsed, not told"),
    pytest.param(None, END + 800 * D, True, id="lapsed long ago, not told"),
    pytest.param(END + D, END + 2 * D, False, id="told"),
])
def test_awaits_notice(noticed_at: datetime | None, now: datetime, expected: bool) -> None:
    assert awaits_notice(Timeline(END), noticed_at, now) is expected
    assert awaits_notice(Timeline(END, agreed_at=NOW), noticed_at, now) is False


@pytest.mark.parametrize(("now", "expected"), [
    pytest.param(END, None, id="at the lapse: on time"),
    pytest.param(END + NOTICE_LATE_AFTER, None, id="within the tolerance: on time"),
    pytest.param(END + NOTICE_LATE_AFTER + TICK, NOTICE_LATE_AFTER + TICK, id="just late"),
    pytest.param(END + 9 * D, 9 * D, id="more than a week: late, still sent"),
])
def test_notice_late_by(now: datetime, expected: timedelta | None) -> None:
    assert notice_late_by(Timeline(END), now) == expected


@pytest.mark.parametrize(("value", "expected"), [
    ("  too expensive ", "too expensive"), ("x" * 500, "x" * 500),
])
def test_clean_reason(value: str, expected: str) -> None:
    assert clean_reason(value) == expected


@pytest.mark.parametrize(("value", "code"), [
    (None, "reason_required"), ("", "reason_required"), ("   ", "reason_required"),
    ("x" * 501, "reason_too_long"), ("no\x00", "invalid_text"),
])
def test_clean_reason_refusals(value: str | None, code: str) -> None:
    with pytest.raises(errors.InvalidInput) as exc:
        clean_reason(value)
    assert exc.value.code == code
    if code == "reason_required":
        assert exc.value.message == "Say why you decline, so the brand knows what to do next."
