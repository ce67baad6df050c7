"""E-mail addresses as sign-up and log-in accept them."""

from __future__ import annotations

import pytest

from sparkcodes import errors
from sparkcodes.user.service import normalize_email


@pytest.mark.parametrize(("given", "expected"), [
    ("Maya@Example.COM", "maya@example.com"),
    ("  brand@glow.example  ", "brand@glow.example"),
    ("a.b+tag@sub.example.co", "a.b+tag@sub.example.co"),
])
def test_valid_emails_are_normalized(given: str, expected: str) -> None:
    assert normalize_email(given) == expected


@pytest.mark.parametrize("given", [
    "", "maya", "@example.com", "maya@", "maya@example", "maya@@example.com",
    "maya@exa@mple.com", "maya@.example.com", "maya@example.com.", "ma ya@example.com",
    "a" * 250 + "@example.com",
])
def test_invalid_emails_are_refused(given: str) -> None:
    with pytest.raises(errors.AppError) as caught:
        normalize_email(given)
    assert caught.value.code == "invalid_email"
    assert "e-mail address" in caught.value.message
