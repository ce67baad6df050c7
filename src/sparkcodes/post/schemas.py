from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from sparkcodes.kit import limits
from sparkcodes.kit.ids import TikTokId
from sparkcodes.kit.text import SingleLine
from sparkcodes.post import rules

Kind = Literal["video", "story", "duet", "stitch"]
Sound = Literal["original", "commercial_library", "licensed"]
Visibility = Literal["public", "friends", "private"]


class PostIn(BaseModel):
    caption: str = Field("", max_length=limits.CAPTION)
    kind: Kind = "video"
    sound: Sound = "original"
    visibility: Visibility = "public"
    original_post_id: str | None = Field(None, max_length=32)
    cover_url: SingleLine | None = Field(None, max_length=limits.COVER_URL)


class PostPatch(BaseModel):
    caption: str | None = Field(None, max_length=limits.CAPTION)
    sound: Sound | None = None
    visibility: Visibility | None = None
    cover_url: SingleLine | None = Field(None, max_length=limits.COVER_URL)


class OrganicStats(BaseModel):
    views: int
    likes: int
    comments: int
    shares: int


class PostOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: str
    tiktok_id: TikTokId
    creator_id: str
    kind: str
    caption: str
    sound: str
    visibility: str
    original_post_id: str | None
    cover_url: str | None
    revision: int
    published_at: datetime
    deleted_at: datetime | None
    taken_down_at: datetime | None
    take_down_reason: str | None
    stats: OrganicStats | None = None
    caption_locked: bool = False


class TakeDownIn(BaseModel):
    reason: str = Field(min_length=1, max_length=limits.TAKE_DOWN_REASON)


class CheckLineOut(BaseModel):
    name: Literal["organic_age", "completion_15s", "comment_sentiment"]
    status: Literal["passed", "failed", "not_enough_data"]
    numbers: dict[str, int | float | None] = Field(
        description="The figures behind the line and the thresholds it was held to")
    sentence: str


class ReviewOut(BaseModel):
    """R30 pre-promotion review: the post's organic life against the thresholds."""

    verdict: Literal["ready", "not_ready", "not_enough_data"] = Field(
        description="not_ready when a line failed; not_enough_data when none failed but one "
                    "lacks data")
    lines: list[CheckLineOut]


def review_out(result: rules.Review) -> ReviewOut:
    return ReviewOut(verdict=result.verdict, lines=[
        CheckLineOut(name=line.name, status=line.status, numbers=dict(line.numbers),
                     sentence=line.sentence) for line in result.lines])
