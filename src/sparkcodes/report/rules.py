"""Pure report arithmetic: TikTok's metric names from summed counters."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

COUNTERS = ("impressions", "likes", "comments", "shares", "follows", "profile_visits",
            "clicks_on_music_disc", "video_watched_2s", "video_watched_6s", "video_views_p100")
ENGAGEMENTS = ("likes", "comments", "shares", "follows", "profile_visits", "clicks_on_music_disc")


def _ratio(numerator: int, denominator: int) -> float:
    return round(numerator / denominator, 4) if denominator else 0.0


def metrics(row: dict[str, Any]) -> dict[str, Any]:
    """Counters, spend and the derived rates of one summed rollup row."""
    counts = {name: int(row.get(name) or 0) for name in COUNTERS}
    spend_micros = int(row.get("spend_micros") or 0)
    impressions = counts["impressions"]
    out: dict[str, Any] = dict(counts)
    out["engaged_view_15s"] = int(row.get("video_watched_15s") or 0)
    out["spend"] = float((Decimal(spend_micros) / 1_000_000).quantize(Decimal("0.01")))
    out["cpm"] = round(spend_micros / impressions / 1000, 2) if impressions else 0.0
    out["completion_rate"] = _ratio(counts["video_views_p100"], impressions)
    out["engagement_rate"] = _ratio(sum(counts[n] for n in ENGAGEMENTS), impressions)
    out["profile_visits_rate"] = _ratio(counts["profile_visits"], impressions)
    return out
