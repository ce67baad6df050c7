"""Free text from people (reasons, messages, terms): trimmed, bounded, never holding NUL."""

from __future__ import annotations

from sparkcodes import errors


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
