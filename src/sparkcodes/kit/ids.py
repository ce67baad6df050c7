"""The TikTok id of an object as the JSON API shows it: a numeric string (docs/tiktok.md)."""

from __future__ import annotations

from typing import Annotated

from pydantic import BeforeValidator, Field

TikTokId = Annotated[
    str,
    BeforeValidator(lambda v: str(v) if isinstance(v, int) else v),
    Field(description="This object's id on the TikTok-compatible surface /open_api/v1.3 "
                      "(a 19-digit numeric string)", examples=["7301234567890123456"]),
]
