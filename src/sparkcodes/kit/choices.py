"""Parsing a query parameter into one of an enum's values, with an error naming the choices."""

from __future__ import annotations

from enum import Enum
from typing import TypeVar

from sparkcodes import errors

E = TypeVar("E", bound=Enum)


def parse_choice(enum: type[E], value: str | None, *, field: str = "status") -> E | None:
    """None for a missing or empty value (no filter); the member for a known value, any case."""
    if value is None or value == "":
        return None
    try:
        return enum(value.strip().lower())
    except ValueError:
        choices = ", ".join(str(member.value) for member in enum)
        raise errors.InvalidInput(f"{field} must be one of {choices}.",
                                  code=f"invalid_{field}") from None
