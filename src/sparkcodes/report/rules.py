"""Pure report arithmetic: TikTok's metric names from summed counters."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

COUNTERS = ("impressions", "clicks", "likes", "comments", "shares", "follows", "profile_visits",
            "clicks_on_music_disc", "video_watched_2s", "video_watched_6s", "video_views_p100")
# The social actions on a post, paid or organic: what the pages compare paid with organic by.
SOCIAL = ("likes", "comments", "shares", "follows", "profile_visits", "clicks_on_music_disc")
# What TikTok's ``engagements`` (and engagement_rate) counts: clicks on the ad's call to action
# too, which organic views cannot have.
ENGAGEMENTS = ("clicks", *SOCIAL)


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
    # The same rules as the numbers on the pages (to the cent, half up), as floats; 0 when
    # undefined, as TikTok answers.
    out["cpm"] = float(cpm(spend_micros, impressions) or 0)
    out["cpc"] = float(cpc(spend_micros, counts["clicks"]) or 0)
    out["ctr"] = _ratio(counts["clicks"], impressions)
    out["completion_rate"] = _ratio(counts["video_views_p100"], impressions)
    out["engagement_rate"] = _ratio(sum(counts[n] for n in ENGAGEMENTS), impressions)
    out["profile_visits_rate"] = _ratio(counts["profile_visits"], impressions)
    return out


# --- the numbers on campaign, ad group and ad pages --------------------------------------------

# The date range presets of those pages, as Ads Manager offers them.
PRESETS = {"today": "Today", "yesterday": "Yesterday", "7d": "Last 7 days",
           "30d": "Last 30 days"}
DEFAULT_PRESET = "7d"
# The metric columns those pages can show, in order, with their headers; every one by default.
COLUMNS = {"spend": "Spend", "impressions": "Impressions", "clicks": "Clicks", "ctr": "CTR",
           "cpc": "CPC", "cpm": "CPM", "likes": "Paid likes", "comments": "Paid comments",
           "shares": "Paid shares", "follows": "Paid follows"}


def ctr(clicks: int, impressions: int) -> float | None:
    """Click-through rate, clicks per impression (0.0123 is 1.23 %); None without impressions."""
    if impressions <= 0:
        return None
    return clicks / impressions


def cpc(spend_micros: int, clicks: int) -> Decimal | None:
    """Cost per click, spend / clicks, to the cent (half up); None without clicks."""
    if clicks <= 0:
        return None
    return (Decimal(spend_micros) / 1_000_000 / clicks).quantize(Decimal("0.01"),
                                                                  rounding=ROUND_HALF_UP)


def cpm(spend_micros: int, impressions: int) -> Decimal | None:
    """Cost per 1,000 impressions, spend / impressions * 1000, to the cent (half up); None
    without impressions."""
    if impressions <= 0:
        return None
    return (Decimal(spend_micros) * 1000 / 1_000_000 / impressions).quantize(
        Decimal("0.01"), rounding=ROUND_HALF_UP)


def preset_range(preset: str, today: date) -> tuple[date, date]:
    """A preset's first and last day, both inclusive, given today in the ad account's time zone;
    KeyError for a name not in PRESETS."""
    span = {"today": (0, 0), "yesterday": (1, 1), "7d": (6, 0), "30d": (29, 0)}[preset]
    return today - timedelta(days=span[0]), today - timedelta(days=span[1])


def chosen_columns(ticked: list[str]) -> list[str]:
    """The metric columns a page shows, in COLUMNS order: the ticked ones, unknown names
    ignored; every one when none is ticked (as the tracker's chooser)."""
    wanted = set(ticked)
    return [name for name in COLUMNS if name in wanted] or list(COLUMNS)


def figures(row: dict[str, Any]) -> dict[str, Any]:
    """The COLUMNS of one summed rollup row (spend_micros and counters): spend as a Decimal in
    the account's currency; CPC and CPM as Decimals, CTR as a fraction, each None when what it
    divides by is zero."""
    impressions = int(row.get("impressions") or 0)
    clicks = int(row.get("clicks") or 0)
    spend_micros = int(row.get("spend_micros") or 0)
    out: dict[str, Any] = {
        "spend": (Decimal(spend_micros) / 1_000_000).quantize(Decimal("0.01"),
                                                              rounding=ROUND_HALF_UP),
        "impressions": impressions, "clicks": clicks, "ctr": ctr(clicks, impressions),
        "cpc": cpc(spend_micros, clicks), "cpm": cpm(spend_micros, impressions)}
    for name in ("likes", "comments", "shares", "follows"):
        out[name] = int(row.get(name) or 0)
    return out
