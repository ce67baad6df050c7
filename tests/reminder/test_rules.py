"""Which reminder is due, and which to send when a sweep ran late (R23)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from sparkcodes.reminder.rules import (
    EXPIRED,
    LATE_AFTER,
    awaiting,
    due_at,
    due_kinds,
    horizon,
    kind_for,
    late_by,
    plan,
)

END = datetime(2026, 3, 1, 12, tzinfo=UTC)
H = timedelta(hours=1)
TICK = timedelta(microseconds=1)
OFFSETS = [72, 24]
K72, K24 = kind_for(72), kind_for(24)


@pytest.mark.parametrize(
    ("now", "expected"),
    [
        pytest.param(END - 100 * H, [], id="long before"),
        pytest.param(END - 72 * H - TICK, [], id="just before T-72h"),
        pytest.param(END - 72 * H, [K72], id="exactly T-72h"),
        pytest.param(END - 24 * H - TICK, [K72], id="just before T-24h"),
        pytest.param(END - 24 * H, [K72, K24], id="exactly T-24h"),
        pytest.param(END - TICK, [K72, K24], id="just before the end"),
        pytest.param(END, [K72, K24, EXPIRED], id="exactly the end (fails closed)"),
        pytest.param(END + 100 * H, [K72, K24, EXPIRED], id="long after"),
    ],
)
def test_due_kinds(now: datetime, expected: list[str]) -> None:
    assert due_kinds(END, now, OFFSETS) == expected


def test_offsets_in_any_order_and_duplicated() -> None:
    assert due_kinds(END, END, [24, 72, 24]) == [K72, K24, EXPIRED]
    assert due_kinds(END, END - 48 * H, [12]) == []


@pytest.mark.parametrize(
    ("due", "already", "send", "skip"),
    [
        pytest.param([], set(), None, [], id="nothing due"),
        pytest.param([K72], set(), K72, [], id="first reminder"),
        pytest.param([K72], {K72}, None, [], id="already sent"),
        pytest.param([K72, K24], {K72}, K24, [], id="second reminder"),
        pytest.param([K72, K24, EXPIRED], set(), EXPIRED, [K72, K24],
                     id="late sweep: only expiry sent, others skipped"),
        pytest.param([K72, K24, EXPIRED], {K72}, EXPIRED, [K24], id="late after the first"),
        pytest.param([K72, K24, EXPIRED], {EXPIRED}, None, [K72, K24],
                     id="expiry already recorded"),
    ],
)
def test_plan(due: list[str], already: set[str], send: str | None, skip: list[str]) -> None:
    assert plan(due, already) == (send, skip)


@pytest.mark.parametrize(
    ("kind", "expected"),
    [
        pytest.param(K72, END - 72 * H, id="T-72h"),
        pytest.param(K24, END - 24 * H, id="T-24h"),
        pytest.param(EXPIRED, END, id="expiry"),
    ],
)
def test_due_at(kind: str, expected: datetime) -> None:
    assert due_at(END, kind) == expected


DAY = timedelta(days=1)


@pytest.mark.parametrize(
    ("kind", "now", "expected"),
    [
        pytest.param(EXPIRED, END, None, id="at the end: on time"),
        pytest.param(EXPIRED, END + LATE_AFTER, None, id="within the tolerance: on time"),
        pytest.param(EXPIRED, END + LATE_AFTER + TICK, LATE_AFTER + TICK, id="just late"),
        pytest.param(EXPIRED, END + 9 * DAY + 3 * H, 9 * DAY + 3 * H,
                     id="a week and more: late, never dropped"),
        pytest.param(EXPIRED, END + 800 * DAY, 800 * DAY, id="years: still late, still sent"),
        pytest.param(K72, END - 72 * H + TICK, None, id="T-72h on time"),
        pytest.param(K72, END - 30 * H, 42 * H, id="T-72h sent at T-30h"),
        pytest.param(K24, END - 23 * H, H, id="T-24h an hour late"),
    ],
)
def test_late_by(kind: str, now: datetime, expected: timedelta | None) -> None:
    assert late_by(END, kind, now) == expected


@pytest.mark.parametrize(
    ("now", "told", "bound", "deleted", "expected"),
    [
        pytest.param(END - 73 * H, None, True, False, False, id="no reminder due yet"),
        pytest.param(END - 72 * H, None, True, False, True, id="T-72h due"),
        pytest.param(END - TICK, END, True, False, False, id="end told (e.g. settled)"),
        pytest.param(END + 800 * DAY, None, True, False, True, id="ended years ago, untold"),
        pytest.param(END + DAY, END, True, False, False, id="expiry told"),
        pytest.param(END + DAY, END - DAY, True, False, True, id="an earlier end told: re-armed"),
        pytest.param(END, None, False, False, False, id="never bound"),
        pytest.param(END, None, True, True, False, id="deleted"),
    ],
)
def test_awaiting(now: datetime, told: datetime | None, bound: bool, deleted: bool,
                  expected: bool) -> None:
    assert awaiting(END, told, bound=bound, deleted=deleted, now=now,
                    offsets_hours=OFFSETS) is expected


def test_horizon_is_the_earliest_offset_ahead() -> None:
    assert horizon(END, OFFSETS) == END + 72 * H
    assert horizon(END, []) == END
