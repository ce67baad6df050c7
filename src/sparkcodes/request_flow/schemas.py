"""What requests of every kind show of the parties and the post, and the decline form."""

from __future__ import annotations

from pydantic import BaseModel, Field

from sparkcodes.kit import limits


class DeclineIn(BaseModel):
    reason: str = Field(max_length=limits.DECLINE_REASON,
                        description="Why, in words the brand can act on")


class Party(BaseModel):
    id: str
    name: str


class CreatorRef(BaseModel):
    id: str
    handle: str


class PostRef(BaseModel):
    id: str
    caption: str | None
