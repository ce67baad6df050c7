"""Pure rules of the roster (R31): statuses, currencies, naming the creator, supported regions."""

from __future__ import annotations

import pytest

from sparkcodes import errors
from sparkcodes.roster import rules


def test_the_statuses_are_the_pipeline_in_order() -> None:
    assert rules.STATUSES == ("prospect", "active", "paused")


@pytest.mark.parametrize("status", ["prospect", "active", "paused"])
def test_each_status_is_accepted_as_given(status: str) -> None:
    assert rules.check_status(status) == status


@pytest.mark.parametrize("status", [
    "", " ", "Active", "ACTIVE", " active", "active ", "archived", "removed", "pending",
    "prospects", "pause",
])
def test_any_other_status_is_refused_naming_the_allowed_ones(status: str) -> None:
    with pytest.raises(errors.InvalidInput) as exc:
        rules.check_status(status)
    assert exc.value.code == "invalid_roster_status"
    assert exc.value.status == 422
    assert exc.value.message == "status must be one of prospect, active, paused."


@pytest.mark.parametrize(("given", "stored"), [
    ("USD", "USD"),
    ("usd", "USD"),
    ("Eur", "EUR"),
    (" gbp ", "GBP"),
    ("\tJPY\n", "JPY"),
    ("xxx", "XXX"),  # ISO 4217's "no currency" is still three letters
])
def test_a_currency_is_three_letters_upper_cased(given: str, stored: str) -> None:
    assert rules.normalize_currency(given) == stored


@pytest.mark.parametrize("given", [
    "", "   ", "US", "USDD", "U D", "U$D", "12E", "840", "ÜSD", "ЕUR",  # Cyrillic Е
    "US-", "€", "usd.",
])
def test_anything_else_is_refused_with_an_example(given: str) -> None:
    with pytest.raises(errors.InvalidInput) as exc:
        rules.normalize_currency(given)
    assert exc.value.code == "invalid_currency"
    assert exc.value.status == 422
    assert exc.value.message == "currency is a three-letter code such as USD or EUR."


@pytest.mark.parametrize(("creator_id", "handle"), [("c1", None), (None, "maya")])
def test_a_creator_is_named_by_id_or_by_handle(creator_id: str | None,
                                               handle: str | None) -> None:
    rules.check_creator_choice(creator_id=creator_id, handle=handle)


@pytest.mark.parametrize(("creator_id", "handle"), [(None, None), ("c1", "maya")])
def test_naming_the_creator_by_neither_or_both_is_refused(creator_id: str | None,
                                                          handle: str | None) -> None:
    with pytest.raises(errors.InvalidInput) as exc:
        rules.check_creator_choice(creator_id=creator_id, handle=handle)
    assert exc.value.code == "creator_required"
    assert exc.value.status == 422
    assert exc.value.message == "Name the creator by exactly one of creator_id or handle."


@pytest.mark.parametrize(("region", "supported"), [
    ("US", True), ("us", True), ("Gb", True), ("DE", False), ("", False), ("USA", False),
])
def test_a_region_is_supported_whatever_its_case(region: str, supported: bool) -> None:
    assert rules.region_supported(region, ["US", "GB"]) is supported


def test_no_region_is_supported_by_an_empty_list() -> None:
    assert rules.region_supported("US", []) is False
