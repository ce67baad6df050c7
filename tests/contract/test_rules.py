"""Pure rules of contracts (R26): the agreed window and its words, the post's creator, the
status at an instant, at the edges. The tracker's own tests cover the governing contract."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import pytest

from sparkcodes import errors
from sparkcodes.contract import rules

NOW = datetime(2025, 6, 1, 12, tzinfo=UTC)
D, US = timedelta(days=1), timedelta(microseconds=1)
NAIVE = NOW.replace(tzinfo=None)
NO_ZONE = "Give starts_at and ends_at with a time zone offset, e.g. ...Z."


@pytest.mark.parametrize(("starts", "ends"), [
    (NOW, NOW + US),
    (NOW, NOW + D),
    (NOW, NOW + rules.MAX_LENGTH),
    (NOW - 400 * D, NOW - 300 * D),  # a window in the past is a record, not a mistake
    (NOW.astimezone(timezone(timedelta(hours=-5))), NOW + D),  # offsets other than UTC
])
def test_a_window_that_ends_after_it_starts_within_ten_years_is_accepted(
        starts: datetime, ends: datetime) -> None:
    rules.check_window(starts, ends)


@pytest.mark.parametrize(("starts", "ends", "message"), [
    (NAIVE, NOW + D, NO_ZONE),
    (NOW, NAIVE + D, NO_ZONE),
    (NAIVE, NAIVE + D, NO_ZONE),
    (NOW, NOW, "A contract must end after it starts."),
    (NOW, NOW - US, "A contract must end after it starts."),
    (NOW + D, NOW, "A contract must end after it starts."),
    (NOW, NOW + rules.MAX_LENGTH + US, "A contract may span at most ten years."),
    (NOW, NOW + 20 * 365 * D, "A contract may span at most ten years."),
])
def test_a_bad_window_is_refused_in_words(starts: datetime, ends: datetime,
                                          message: str) -> None:
    with pytest.raises(errors.InvalidInput) as exc:
        rules.check_window(starts, ends)
    assert (exc.value.code, exc.value.status, exc.value.message) == (
        "invalid_contract_window", 422, message)


def test_ten_years_means_3660_days() -> None:
    assert rules.MAX_LENGTH.days == 3660 and not rules.MAX_LENGTH.seconds


def test_a_contract_about_a_post_names_its_creator() -> None:
    rules.check_post(post_creator_id="c1", creator_id="c1")
    with pytest.raises(errors.InvalidInput) as exc:
        rules.check_post(post_creator_id="c1", creator_id="c2")
    assert (exc.value.code, exc.value.status, exc.value.message) == (
        "post_not_of_creator", 422, "That post belongs to another creator account.")


@pytest.mark.parametrize(("now", "deleted", "status"), [
    (NOW - D, None, "upcoming"),
    (NOW - US, None, "upcoming"),
    (NOW, None, "active"),  # the start instant is inside the window
    (NOW + 5 * D, None, "active"),
    (NOW + 10 * D - US, None, "active"),
    (NOW + 10 * D, None, "ended"),  # the end instant is not
    (NOW + 400 * D, None, "ended"),
    (NOW - D, NOW - 2 * D, "deleted"),  # deleted wins whatever the instant
    (NOW + 5 * D, NOW, "deleted"),
    (NOW + 400 * D, NOW, "deleted"),
    (NOW - D, NOW + 30 * D, "deleted"),  # even a deletion stamped later than now
])
def test_status_at_an_instant(now: datetime, deleted: datetime | None, status: str) -> None:
    assert rules.status_at(starts_at=NOW, ends_at=NOW + 10 * D, deleted_at=deleted,
                           now=now) == status


def test_two_contracts_ending_together_resolve_the_same_way_every_time() -> None:
    a = rules.ContractTerm(id="a", creator_id="c1", post_id="p1", ends_at=NOW + D)
    b = rules.ContractTerm(id="b", creator_id="c1", post_id=None, ends_at=NOW + D)
    for terms in ([a, b], [b, a]):
        found = rules.governing(terms, creator_id="c1", post_id="p1")
        assert found is not None and found.id == "b"
