"""Pure rules of creator accounts (R1 ad settings, R2 handles and regions)."""

from __future__ import annotations

import pytest

from sparkcodes import errors
from sparkcodes.creator.rules import (
    check_disable,
    check_enable,
    normalize_handle,
    normalize_region,
)
from sparkcodes.values import LiveAd


def live_ads(n: int) -> list[LiveAd]:
    return [LiveAd(f"ad-{i}", f"Ad {i}", "acct", "Acme") for i in range(n)]


# --- R2 handles ---------------------------------------------------------------------------------

@pytest.mark.parametrize(
    ("given", "expected"),
    [
        pytest.param("ab", "ab", id="two characters"),
        pytest.param("x" * 24, "x" * 24, id="24 characters"),
        pytest.param("@" + "x" * 24, "x" * 24, id="24 characters after @"),
        pytest.param("@maya.runs", "maya.runs", id="leading @ forgiven"),
        pytest.param("  @Maya_Runs_01  ", "Maya_Runs_01", id="spaces around, case kept"),
        pytest.param("\tmaya\n", "maya", id="tab and newline around"),
        pytest.param("a.b", "a.b", id="period inside"),
        pytest.param(".ab", ".ab", id="period first"),
        pytest.param("_x", "_x", id="underscore"),
        pytest.param("123", "123", id="digits only"),
    ],
)
def test_valid_handles(given: str, expected: str) -> None:
    assert normalize_handle(given) == expected


@pytest.mark.parametrize(
    ("given", "fragment"),
    [
        pytest.param("", "2 to 24 characters", id="empty"),
        pytest.param("   ", "2 to 24 characters", id="blank"),
        pytest.param("@", "2 to 24 characters", id="only @"),
        pytest.param("a", "2 to 24 characters", id="one character"),
        pytest.param("@a", "2 to 24 characters", id="one character after @"),
        pytest.param("x" * 25, "2 to 24 characters", id="25 characters"),
        pytest.param("@@maya", "2 to 24 characters", id="two @"),
        pytest.param("maya@runs", "2 to 24 characters", id="@ inside"),
        pytest.param("maya runs", "2 to 24 characters", id="space inside"),
        pytest.param("maya-runs", "2 to 24 characters", id="hyphen"),
        pytest.param("émile", "2 to 24 characters", id="non-ASCII letter"),
        pytest.param("maya\nruns", "2 to 24 characters", id="newline inside"),
        pytest.param("maya.", "cannot end with a period", id="ends with a period"),
        pytest.param("@..", "cannot end with a period", id="only periods"),
    ],
)
def test_invalid_handles(given: str, fragment: str) -> None:
    with pytest.raises(errors.InvalidInput) as caught:
        normalize_handle(given)
    assert caught.value.code == "invalid_handle"
    assert caught.value.status == 422
    assert fragment in caught.value.message


# --- R2 regions ---------------------------------------------------------------------------------

@pytest.mark.parametrize(
    ("given", "expected"),
    [
        pytest.param("US", "US", id="upper"),
        pytest.param("us", "US", id="lower"),
        pytest.param("gB", "GB", id="mixed"),
        pytest.param("  aq\n", "AQ", id="spaces; support is decided elsewhere"),
    ],
)
def test_valid_regions(given: str, expected: str) -> None:
    assert normalize_region(given) == expected


@pytest.mark.parametrize(
    "given",
    [
        pytest.param("", id="empty"),
        pytest.param("U", id="one letter"),
        pytest.param("USA", id="three letters"),
        pytest.param("U1", id="digit"),
        pytest.param("12", id="digits"),
        pytest.param("U S", id="space inside"),
        pytest.param("U-S", id="hyphen"),
        pytest.param("ÜS", id="non-ASCII letter"),
    ],
)
def test_invalid_regions(given: str) -> None:
    with pytest.raises(errors.InvalidInput) as caught:
        normalize_region(given)
    assert caught.value.code == "invalid_region"
    assert caught.value.status == 422
    assert "two-letter country code" in caught.value.message


# --- R1 ad settings ---------------------------------------------------------------------------

@pytest.mark.parametrize(
    ("accept_terms", "terms_accepted"),
    [
        pytest.param(True, False, id="accepting now"),
        pytest.param(False, True, id="accepted before"),
        pytest.param(True, True, id="accepting again"),
    ],
)
def test_enable_with_terms(accept_terms: bool, terms_accepted: bool) -> None:
    check_enable(accept_terms=accept_terms, terms_accepted=terms_accepted)


def test_enable_without_terms_is_refused() -> None:
    with pytest.raises(errors.Conflict) as caught:
        check_enable(accept_terms=False, terms_accepted=False)
    assert caught.value.code == "terms_not_accepted"
    assert caught.value.status == 409
    assert "Accept the advertising terms (accept_terms: true)" in caught.value.message


def test_disable_without_live_ads() -> None:
    check_disable([])


@pytest.mark.parametrize("count", [1, 3], ids=["one live ad", "three live ads"])
def test_disable_is_refused_while_live_ads_run(count: int) -> None:
    ads = live_ads(count)
    with pytest.raises(errors.Conflict) as caught:
        check_disable(ads)
    assert caught.value.code == "code_in_use"
    assert caught.value.status == 409
    if count == 1:
        assert "1 live ad runs on this account's codes" in caught.value.message
        assert "switched off only after it stops" in caught.value.message
    else:
        assert f"{count} live ads run on this account's codes" in caught.value.message
        assert "switched off only after they stop" in caught.value.message
    assert caught.value.details == {"live_ads": [ad.ad_id for ad in ads]}
