"""Free text from people (reasons, messages, terms): trimmed, bounded, never holding NUL.

Names and URLs (a business's name, a webhook's URL, ...) are one line of text: they go into
e-mail subjects and headers, calendar entries and log lines, where a line break would split or
forge a line. ``SingleLine`` is the pydantic type every such field of a request uses; the same
check (``refuse_control``) guards the services that pages and the CLI call with raw strings.
"""

from __future__ import annotations

import unicodedata
from typing import Annotated

from pydantic import AfterValidator
from pydantic_core import PydanticCustomError

from sparkcodes import errors

# The validation error type a request refused for control characters carries; the API answers
# it with the code INVALID_CHARACTERS.
CONTROL_ERROR = "control_characters"
INVALID_CHARACTERS = "invalid_characters"
CONTROL_MESSAGE = ("may not contain control characters (line breaks, tabs and the like); "
                   "give it on one line")


def has_control(value: str) -> bool:
    """True if ``value`` holds a C0/C1 control character (CR, LF, tab, NUL, ESC, DEL, ...) or a
    Unicode line or paragraph separator."""
    return any(unicodedata.category(c) in ("Cc", "Zl", "Zp") for c in value)


def refuse_control(value: str, *, name: str) -> str:
    """``value`` unchanged, or InvalidInput (invalid_characters) naming the field."""
    if has_control(value):
        raise errors.InvalidInput(f"The {name} {CONTROL_MESSAGE}.", code=INVALID_CHARACTERS)
    return value


def _single_line(value: str) -> str:
    if has_control(value):
        raise PydanticCustomError(CONTROL_ERROR, CONTROL_MESSAGE)
    return value


SingleLine = Annotated[str, AfterValidator(_single_line)]


def clean_text(value: str | None, *, name: str, max_length: int,
               required: str | None = None) -> str:
    """The trimmed text; ``required`` is the message when it may not be empty."""
    text = (value or "").strip()
    if "\x00" in text:
        verb = "contain" if name.endswith("s") else "contains"
        raise errors.InvalidInput(f"The {name} {verb} a NUL character.", code="invalid_text")
    if required is not None and not text:
        raise errors.InvalidInput(required, code=f"{name}_required")
    if len(text) > max_length:
        raise errors.InvalidInput(f"The {name} may be at most {max_length} characters.",
                                  code=f"{name}_too_long")
    return text


def counted(n: int, noun: str, plural: str | None = None) -> str:
    """``n`` and the noun in the number it needs: "1 live ad", "2 live ads", "0 live ads"."""
    return f"{n} {noun if n == 1 else plural or noun + 's'}"
