from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, Field

from sparkcodes.config import CodeLimits
from sparkcodes.kit.crypto import MAX_CODE_INPUT
from sparkcodes.post.schemas import ReviewOut
from sparkcodes.values import Message

CodeText = str
# How many codes one bind may carry unless configured otherwise (spark_post.rules.batch_refusal).
DEFAULT_BATCH_SIZE = CodeLimits().batch_size


class PreviewIn(BaseModel):
    code: str = Field(max_length=MAX_CODE_INPUT, description="The code as the creator sent it")
    original_post_codes: list[CodeText] = Field(
        default_factory=list, max_length=DEFAULT_BATCH_SIZE,
        description="For a duet or stitch: the codes of original posts, as a bind would get "
                    "them; without one, the preview names original_post_code_required",
    )


class BindIn(BaseModel):
    codes: list[CodeText] = Field(description=f"1 to {DEFAULT_BATCH_SIZE} codes")
    original_post_codes: list[CodeText] = Field(
        default_factory=list, max_length=DEFAULT_BATCH_SIZE,
        description="Codes of the original posts, for duets and stitches among `codes`",
    )


class OwnPostIn(BaseModel):
    post_id: str = Field(max_length=32)


class CreatorCard(BaseModel):
    id: str
    handle: str
    display_name: str
    avatar_url: str | None
    region: str


class PostCard(BaseModel):
    id: str
    kind: str
    caption: str
    cover_url: str | None
    sound: str
    visibility: str
    revision: int
    published_at: datetime
    original_post_id: str | None
    views: int
    likes: int
    comments: int
    shares: int


class Window(BaseModel):
    starts_at: datetime
    expires_at: datetime
    days_left: int


class PreviewOut(BaseModel):
    code_hint: str
    eligible: bool
    already_bound_here: bool
    needs_original_post_code: bool
    creator: CreatorCard
    post: PostCard
    window: Window
    problems: list[Message]
    warnings: list[Message]
    review: ReviewOut | None = Field(
        None, description="The post's pre-promotion review (R30): advice before linking; none "
                          "for a code checked on TikTok")


class SparkPostOut(BaseModel):
    id: str
    ad_account_id: str
    identity_type: str
    status: str = Field(description="AUTHORIZED, or the first reason ads on it cannot deliver")
    stop_reasons: list[str]
    status_text: str
    post: PostCard
    creator: CreatorCard
    authorization_id: str | None
    code_hint: str | None
    window: Window | None
    bound_at: datetime
    code_replaced_at: datetime | None
    unbound_at: datetime | None
    live_ads: int = 0
    total_ads: int = 0
    ads_text: str = Field("No ads yet.", description='e.g. "2 live ads, 1 stopped: ..."')


class BindItemOut(BaseModel):
    index: int
    ok: bool
    code_hint: str | None
    created: bool = False
    replaced: bool = False
    spark_post: SparkPostOut | None = None
    error: Message | None = None
    warnings: list[Message] = []


class BindOut(BaseModel):
    bound: int
    failed: int
    results: list[BindItemOut]
