"""Pure decisions about ad accounts."""

from __future__ import annotations

from functools import cache
from zoneinfo import available_timezones

from sparkcodes import errors


@cache
def _zones() -> frozenset[str]:
    return frozenset(available_timezones())


def check_timezone(name: str) -> str:
    """An ad account reports in an IANA time zone; InvalidInput for any other name."""
    if name not in _zones():
        raise errors.InvalidInput(f"Unknown time zone {name!r}; use an IANA name such as "
                                  "Europe/Berlin.", code="invalid_timezone")
    return name
