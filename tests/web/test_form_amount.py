"""Money typed into a form: one parser for budgets, bids, fees and rates, refusing in words."""

from __future__ import annotations

from decimal import Decimal

import pytest

from sparkcodes import errors
from sparkcodes.web.kit import form_amount

NOT_A_NUMBER = "Enter the fee as an amount such as 250 or 249.99."
FROM_ZERO = "Enter the fee as an amount from 0 to 1,000, with at most two decimals."
ABOVE_ZERO = "Enter the fee as an amount above 0 and up to 1,000, with at most two decimals."


@pytest.mark.parametrize(("text", "positive", "expected"), [
    ("", False, None),
    ("   ", True, None),
    ("250", False, Decimal("250")),
    (" 1,000 ", False, Decimal("1000")),
    ("249.99", True, Decimal("249.99")),
    ("0", False, Decimal("0")),
    ("0.01", True, Decimal("0.01")),
    ("1e2", True, Decimal("100")),
])
def test_accepted(text: str, positive: bool, expected: Decimal | None) -> None:
    assert form_amount(text, what="fee", high=1000, positive=positive) == expected


@pytest.mark.parametrize(("text", "positive", "message"), [
    ("abc", False, NOT_A_NUMBER),
    ("12,5,0.0.1", False, NOT_A_NUMBER),
    ("$5", False, NOT_A_NUMBER),
    ("NaN", False, FROM_ZERO),
    ("sNaN", True, ABOVE_ZERO),
    ("Infinity", False, FROM_ZERO),
    ("-Infinity", True, ABOVE_ZERO),
    ("-1", False, FROM_ZERO),
    ("0", True, ABOVE_ZERO),
    ("-0.01", True, ABOVE_ZERO),
    ("1000.01", False, FROM_ZERO),
    ("1e9", True, ABOVE_ZERO),
    ("1.001", False, FROM_ZERO),
    ("0.005", True, ABOVE_ZERO),
])
def test_refused_in_words(text: str, positive: bool, message: str) -> None:
    with pytest.raises(errors.AppError) as caught:
        form_amount(text, what="fee", high=1000, positive=positive)
    assert caught.value.code == "invalid_amount"
    assert caught.value.message == message
    assert caught.value.status == 422
