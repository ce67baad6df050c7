"""Pure decisions about ad accounts."""

from __future__ import annotations

import re
from functools import cache
from zoneinfo import available_timezones

from sparkcodes import errors

_CURRENCY = re.compile(r"[A-Za-z]{3}", flags=re.ASCII)
DEFAULT_CURRENCY = "USD"


@cache
def _zones() -> frozenset[str]:
    return frozenset(available_timezones())


def check_timezone(name: str) -> str:
    """An ad account reports in an IANA time zone; InvalidInput for any other name."""
    if name not in _zones():
        raise errors.InvalidInput(f"Unknown time zone {name!r}; use an IANA name such as "
                                  "Europe/Berlin.", code="invalid_timezone")
    return name


def normalize_currency(currency: str) -> str:
    """An ISO 4217 code such as USD or EUR, upper-cased; InvalidInput (invalid_currency) for
    anything but three letters."""
    value = currency.strip()
    if not _CURRENCY.fullmatch(value):
        raise errors.InvalidInput("currency is a three-letter code such as USD or EUR.",
                                  code="invalid_currency")
    return value.upper()
