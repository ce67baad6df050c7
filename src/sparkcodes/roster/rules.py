"""Pure decisions about roster entries."""

from __future__ import annotations

import re

from sparkcodes import errors
from sparkcodes.ad_account.rules import normalize_currency

__all__ = ["STATUSES", "check_creator_choice", "check_status", "clean_email",
           "normalize_currency", "region_supported"]

STATUSES = ("prospect", "active", "paused")
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")


def check_status(status: str) -> str:
    if status not in STATUSES:
        raise errors.InvalidInput(f"status must be one of {', '.join(STATUSES)}.",
                                  code="invalid_roster_status")
    return status


def clean_email(email: str | None) -> str | None:
    """A creator's contact e-mail as kept: trimmed, lower-cased, one address; None when empty."""
    value = (email or "").strip().lower()
    if not value:
        return None
    local, at, domain = value.partition("@")
    if (_CONTROL.search(value) or not at or not local or "@" in domain or "." not in domain
            or domain.startswith(".") or domain.endswith(".") or " " in value or "," in value
            or len(value) > 254):
        raise errors.InvalidInput("That does not look like an e-mail address.",
                                  code="invalid_email")
    return value


def check_creator_choice(*, creator_id: str | None, handle: str | None) -> None:
    """A creator is named by exactly one of id or handle."""
    if (creator_id is None) == (handle is None):
        raise errors.InvalidInput("Name the creator by exactly one of creator_id or handle.",
                                  code="creator_required")


def region_supported(region: str, supported: list[str]) -> bool:
    return region.upper() in supported
