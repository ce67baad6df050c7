"""Pure decisions about roster entries."""

from __future__ import annotations

from sparkcodes import errors
from sparkcodes.ad_account.rules import normalize_currency

__all__ = ["STATUSES", "check_creator_choice", "check_status", "normalize_currency",
           "region_supported"]

STATUSES = ("prospect", "active", "paused")


def check_status(status: str) -> str:
    if status not in STATUSES:
        raise errors.InvalidInput(f"status must be one of {', '.join(STATUSES)}.",
                                  code="invalid_roster_status")
    return status


def check_creator_choice(*, creator_id: str | None, handle: str | None) -> None:
    """A creator is named by exactly one of id or handle."""
    if (creator_id is None) == (handle is None):
        raise errors.InvalidInput("Name the creator by exactly one of creator_id or handle.",
                                  code="creator_required")


def region_supported(region: str, supported: list[str]) -> bool:
    return region.upper() in supported
