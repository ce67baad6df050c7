"""Pure decisions about creator accounts (R1, R2)."""

from __future__ import annotations

import re

from sparkcodes import errors
from sparkcodes.kit.text import counted
from sparkcodes.values import LiveAd

HANDLE_RE = re.compile(r"^[A-Za-z0-9_.]{2,24}$")


def normalize_handle(handle: str) -> str:
    """R2: TikTok's handle format; a leading @ is forgiven."""
    value = handle.strip().removeprefix("@")
    if not HANDLE_RE.match(value):
        raise errors.InvalidInput(
            "A handle has 2 to 24 characters: letters, digits, underscores and periods.",
            code="invalid_handle",
        )
    if value.endswith("."):
        raise errors.InvalidInput("A handle cannot end with a period.", code="invalid_handle")
    return value


def normalize_region(region: str) -> str:
    value = region.strip()
    if not re.fullmatch(r"[A-Za-z]{2}", value, flags=re.ASCII):
        raise errors.InvalidInput(
            "A region is a two-letter country code such as US or GB.", code="invalid_region"
        )
    return value.upper()


def check_enable(*, accept_terms: bool, terms_accepted: bool) -> None:
    """R1: the advertising terms are accepted before ad authorization goes on."""
    if not accept_terms and not terms_accepted:
        raise errors.Conflict(
            "Accept the advertising terms (accept_terms: true) to turn on ad authorization.",
            code="terms_not_accepted",
        )


def check_disable(live_ads: list[LiveAd]) -> None:
    """R1: switching off is refused while a code of the account runs a live ad."""
    if live_ads:
        raise errors.Conflict(
            f"{counted(len(live_ads), 'live ad')} "
            f"{'runs' if len(live_ads) == 1 else 'run'} on this account's codes; ad settings can "
            f"be switched off only after {'it stops' if len(live_ads) == 1 else 'they stop'}.",
            code="code_in_use",
            details={"live_ads": [ad.ad_id for ad in live_ads]},
        )
