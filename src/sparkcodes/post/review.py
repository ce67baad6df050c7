"""R30 pre-promotion review: is a post's organic life good enough to ask for a code, or to link
one? Pure: the caller passes the numbers and `now`."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Literal

from sparkcodes.config import Review as Thresholds

CheckStatus = Literal["passed", "failed", "not_enough_data"]
Verdict = Literal["ready", "not_ready", "not_enough_data"]
Number = int | float | None


@dataclass(frozen=True)
class OrganicNumbers:
    """What the review reads: organic views and 15-second views, and the comments' VADER compound
    scores (comments without a score are left out by the caller)."""

    published_at: datetime
    views: int
    watched_15s: int
    comment_scores: Sequence[float] = ()


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


def sentiment_line(scores: Sequence[float], t: Thresholds) -> CheckLine:
    positive = sum(1 for s in scores if s >= t.positive_compound)
    negative = sum(1 for s in scores if s <= t.negative_compound)
    toned = positive + negative
    percent = _percent(positive, toned) if toned else None
    numbers: dict[str, Number] = {
        "comments_scored": len(scores), "positive": positive, "negative": negative,
        "neutral": len(scores) - toned, "positive_percent": percent,
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
             sentiment_line(numbers.comment_scores, thresholds))
    statuses = {line.status for line in lines}
    verdict: Verdict = ("not_ready" if "failed" in statuses
                        else "not_enough_data" if "not_enough_data" in statuses else "ready")
    return Review(verdict, lines)
