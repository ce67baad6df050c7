"""Pure decisions about posts (R3, R4, R10, R11)."""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Literal

from sparkcodes import errors
from sparkcodes.config import Review as Thresholds
from sparkcodes.kit.text import counted
from sparkcodes.values import LiveAd

KINDS = ("video", "story", "duet", "stitch")
SOUNDS = ("original", "commercial_library", "licensed")
VISIBILITIES = ("public", "friends", "private")
REVISING_FIELDS = ("sound", "cover_url")


def check_new_post(*, kind: str, original_kind: str | None, has_original: bool) -> None:
    if kind in ("duet", "stitch") and not has_original:
        raise errors.InvalidInput(
            f"A {kind} names the post it was made from (original_post_id).",
            code="original_post_required",
        )
    if kind not in ("duet", "stitch") and has_original:
        raise errors.InvalidInput(
            "Only duets and stitches have an original post.", code="original_post_not_allowed"
        )


# A post named by its TikTok video link (https://www.tiktok.com/@handle/video/7301…), its video
# id alone (19 digits), or the id the JSON API uses (32 hex characters).
_VIDEO_LINK = re.compile(r"^https?://(?:[a-z0-9-]+\.)*[a-z0-9-]+(?:\.[a-z]+)+/@[^/?#]+/video/"
                         r"(\d{1,19})(?:[/?#].*)?$", re.IGNORECASE)
_VIDEO_ID = re.compile(r"^\d{1,19}$")
_POST_ID = re.compile(r"^[0-9a-f]{32}$")
_MAX_VIDEO_ID = 2**63 - 1  # TikTok's ids fit a signed 64-bit integer


@dataclass(frozen=True)
class OriginalRef:
    """How a form names the post a duet or stitch was made from."""

    post_id: str | None = None
    tiktok_id: int | None = None


def original_ref(text: str) -> OriginalRef | None:
    """The original post as typed: None when nothing was typed; refused in words when it is not
    a post's link or ID."""
    text = text.strip()
    if not text:
        return None
    link = _VIDEO_LINK.match(text)
    digits = link.group(1) if link else text if _VIDEO_ID.match(text) else None
    if digits is not None and int(digits) <= _MAX_VIDEO_ID:
        return OriginalRef(tiktok_id=int(digits))
    if _POST_ID.match(text.lower()):
        return OriginalRef(post_id=text.lower())
    raise errors.InvalidInput(
        "Paste the original post's link (…/@handle/video/7301…) or its post ID.",
        code="original_post_invalid")


@dataclass(frozen=True)
class EditPlan:
    caption_changed: bool
    visibility_changed: bool
    new_revision: bool


def plan_edit(
    *, current: dict[str, object], changes: dict[str, object], caption_locked: bool,
    live_ads: list[LiveAd], unavailable: bool,
) -> EditPlan:
    """R4, R10: what an edit does, or why it is refused."""
    if unavailable:
        raise errors.Gone("The post was deleted or taken down.", code="post_unavailable")
    changed = {k: v for k, v in changes.items() if current.get(k) != v}
    caption_changed = "caption" in changed
    if caption_changed and caption_locked:
        raise errors.Conflict(
            "The caption cannot be edited once the post has an ad authorization; delete its "
            "codes first.",
            code="caption_locked",
        )
    visibility_changed = "visibility" in changed
    if visibility_changed and live_ads:
        raise errors.Conflict(
            "The post's visibility cannot change while it runs as a live ad.",
            code="post_in_use",
            details={"live_ads": [ad.ad_id for ad in live_ads]},
        )
    return EditPlan(
        caption_changed=caption_changed,
        visibility_changed=visibility_changed,
        new_revision=any(f in changed for f in REVISING_FIELDS),
    )


def check_delete(live_ads: list[LiveAd]) -> None:
    """R11: the owner cannot delete a post a live ad runs on (a take-down is always possible)."""
    if live_ads:
        raise errors.Conflict(
            f"This post runs in {counted(len(live_ads), 'live ad')}; it can be deleted after "
            f"{'it stops' if len(live_ads) == 1 else 'they stop'}.",
            code="post_in_use",
            details={"live_ads": [ad.ad_id for ad in live_ads]},
        )


# --- R30 pre-promotion review: is a post's organic life good enough to ask for a code, or to
# link one? The caller passes the numbers and `now`.

CheckStatus = Literal["passed", "failed", "not_enough_data"]
Verdict = Literal["ready", "not_ready", "not_enough_data"]
Tone = Literal["positive", "negative", "neutral"]
Number = int | float | None


@dataclass(frozen=True)
class Tones:
    """How many of a post's scored comments are positive, negative and neutral."""

    positive: int = 0
    negative: int = 0
    neutral: int = 0


def tone_of(score: float, t: Thresholds) -> Tone:
    """A comment's tone from its VADER compound score: at or above the positive cut-off is
    positive (first, should the cut-offs ever overlap), at or below the negative one negative,
    in between neutral. post.repository.tones_sql is this rule in SQL."""
    if score >= t.positive_compound:
        return "positive"
    if score <= t.negative_compound:
        return "negative"
    return "neutral"


def tones(scores: Iterable[float], t: Thresholds) -> Tones:
    """The tones of these scores, counted."""
    counted = Counter(tone_of(score, t) for score in scores)
    return Tones(counted["positive"], counted["negative"], counted["neutral"])


@dataclass(frozen=True)
class OrganicNumbers:
    """What the review reads: organic views and 15-second views, and the tones of the comments
    with a VADER compound score (comments without one are left out)."""

    published_at: datetime
    views: int
    watched_15s: int
    tones: Tones = Tones()


@dataclass(frozen=True)
class CheckLine:
    name: Literal["organic_age", "completion_15s", "comment_sentiment"]
    status: CheckStatus
    numbers: dict[str, Number] = field(default_factory=dict)
    sentence: str = ""


@dataclass(frozen=True)
class Review:
    verdict: Verdict
    lines: tuple[CheckLine, ...]


def _percent(part: int, whole: int) -> float:
    return round(100.0 * part / whole, 1)


def _hours(value: float) -> str:
    return f"{value:g} h"


def age_line(published_at: datetime, now: datetime, t: Thresholds) -> CheckLine:
    hours = round(max((now - published_at).total_seconds(), 0.0) / 3600, 1)
    numbers: dict[str, Number] = {"age_hours": hours, "min_age_hours": t.min_age_hours}
    if hours >= t.min_age_hours:
        return CheckLine("organic_age", "passed", numbers,
                         f"Live for {_hours(hours)}, at least the {t.min_age_hours} h asked for.")
    left = round(t.min_age_hours - hours, 1)
    return CheckLine("organic_age", "failed", numbers,
                     f"Live for {_hours(hours)} only; wait {_hours(left)} more to see "
                     f"{t.min_age_hours} h of organic life.")


def completion_line(views: int, watched_15s: int, t: Thresholds) -> CheckLine:
    percent = _percent(min(watched_15s, views), views) if views > 0 else None
    numbers: dict[str, Number] = {
        "organic_views": views, "watched_15s": watched_15s, "completion_15s_percent": percent,
        "min_completion_15s_percent": t.min_completion_15s_percent,
        "min_organic_views": t.min_organic_views}
    if views < t.min_organic_views or percent is None:
        return CheckLine("completion_15s", "not_enough_data", numbers,
                         f"{views} organic views so far; the rate at 15 s is judged from "
                         f"{t.min_organic_views} views.")
    if percent >= t.min_completion_15s_percent:
        return CheckLine("completion_15s", "passed", numbers,
                         f"{percent:g} % of {views} organic views reached 15 s "
                         f"(at least {t.min_completion_15s_percent:g} % asked for).")
    return CheckLine("completion_15s", "failed", numbers,
                     f"Only {percent:g} % of {views} organic views reached 15 s; "
                     f"{t.min_completion_15s_percent:g} % is asked for.")


def sentiment_line(counted: Tones, t: Thresholds) -> CheckLine:
    positive, negative = counted.positive, counted.negative
    toned = positive + negative
    percent = _percent(positive, toned) if toned else None
    numbers: dict[str, Number] = {
        "comments_scored": toned + counted.neutral, "positive": positive, "negative": negative,
        "neutral": counted.neutral, "positive_percent": percent,
        "min_positive_percent": t.min_positive_percent,
        "min_toned_comments": t.min_toned_comments}
    if toned < t.min_toned_comments or percent is None:
        return CheckLine("comment_sentiment", "not_enough_data", numbers,
                         f"{toned} comments with a tone so far; the sentiment is judged from "
                         f"{t.min_toned_comments} of them.")
    if percent >= t.min_positive_percent:
        return CheckLine("comment_sentiment", "passed", numbers,
                         f"{positive} of {toned} comments with a tone are positive "
                         f"({percent:g} %, at least {t.min_positive_percent:g} % asked for).")
    return CheckLine("comment_sentiment", "failed", numbers,
                     f"Only {positive} of {toned} comments with a tone are positive "
                     f"({percent:g} %); mixed comments are a reason not to promote.")


def review(numbers: OrganicNumbers, *, now: datetime, thresholds: Thresholds) -> Review:
    """The checklist, one line per R30 condition, and its verdict: a failed line makes the post
    not ready; otherwise a line without enough data leaves the question open."""
    lines = (age_line(numbers.published_at, now, thresholds),
             completion_line(numbers.views, numbers.watched_15s, thresholds),
             sentiment_line(numbers.tones, thresholds))
    statuses = {line.status for line in lines}
    verdict: Verdict = ("not_ready" if "failed" in statuses
                        else "not_enough_data" if "not_enough_data" in statuses else "ready")
    return Review(verdict, lines)
