"""Pure decisions about roster entries."""

from __future__ import annotations

import re

from sparkcodes import errors

STATUSES = ("prospect", "active", "paused")
_CURRENCY = re.compile(r"[A-Za-z]{3}", flags=re.ASCII)


def check_status(status: str) -> str:
    if status not in STATUSES:
        raise errors.InvalidInput(f"status must be one of {', '.join(STATUSES)}.",
                                  code="invalid_roster_status")
    return status


def normalize_currency(currency: str) -> str:
    """An ISO 4217 code such as USD or EUR, upper-cased."""
    value = currency.strip()
    if not _CURRENCY.fullmatch(value):
        raise errors.InvalidInput("currency is a three-letter code such as USD or EUR.",
                                  code="invalid_currency")
    return value.upper()


def check_creator_choice(*, creator_id: str | None, handle: str | None) -> None:
    """A creator is named by exactly one of id or handle."""
    if (creator_id is None) == (handle is None):
        raise errors.InvalidInput("Name the creator by exactly one of creator_id or handle.",
                                  code="creator_required")


def region_supported(region: str, supported: list[str]) -> bool:
    return region.upper() in supported
