"""The numbers pages' pure parts: CTR, CPC, CPM, the figures of a summed row, the date range presets
and the column chooser."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

from sparkcodes.report import rules

TODAY = date(2026, 3, 10)


@pytest.mark.parametrize(("clicks", "impressions", "expected"), [
    (0, 0, None),          # no impressions: no CTR, shown as "—"
    (5, 0, None),
    (0, 100, 0.0),
    (1, 100, 0.01),
    (3, 8, 0.375),
    (100, 100, 1.0),
    (1, -1, None),
])
def test_ctr_is_clicks_per_impression(clicks: int, impressions: int,
                                      expected: float | None) -> None:
    assert rules.ctr(clicks, impressions) == expected


@pytest.mark.parametrize(("spend_micros", "clicks", "expected"), [
    (0, 0, None),                                # no clicks: no CPC, shown as "—"
    (12_400_000, 0, None),
    (0, 10, Decimal("0.00")),
    (12_400_000, 1, Decimal("12.40")),
    (12_400_000, 8, Decimal("1.55")),
    (1_000_000, 3, Decimal("0.33")),             # 1.00 / 3
    (2_000_000, 3, Decimal("0.67")),             # half up to the cent
    (5_000, 1, Decimal("0.01")),                 # 0.005 → 0.01
    (4_999, 1, Decimal("0.00")),
    (1_000_000, -1, None),
])
def test_cpc_is_spend_per_click(spend_micros: int, clicks: int,
                                expected: Decimal | None) -> None:
    assert rules.cpc(spend_micros, clicks) == expected


@pytest.mark.parametrize(("spend_micros", "impressions", "expected"), [
    (0, 0, None),                                # no impressions: no CPM, shown as "—"
    (12_400_000, 0, None),
    (0, 1_000, Decimal("0.00")),
    (12_400_000, 1_000, Decimal("12.40")),       # 12.40 for 1,000 impressions
    (12_400_000, 2_000, Decimal("6.20")),
    (1_000_000, 3, Decimal("333.33")),           # 1.00 / 3 * 1000
    (2_000_000, 3, Decimal("666.67")),           # half up to the cent
    (5, 1, Decimal("0.01")),                     # 0.000005 * 1000 = 0.005 → 0.01
    (4, 1, Decimal("0.00")),
])
def test_cpm_is_spend_per_thousand_impressions(spend_micros: int, impressions: int,
                                               expected: Decimal | None) -> None:
    assert rules.cpm(spend_micros, impressions) == expected


@pytest.mark.parametrize(("row", "expected"), [
    ({}, {"spend": Decimal("0.00"), "impressions": 0, "clicks": 0, "ctr": None, "cpc": None,
          "cpm": None, "likes": 0, "comments": 0, "shares": 0, "follows": 0}),
    ({"impressions": 2_000, "spend_micros": 24_805_000, "clicks": 25, "likes": 7, "comments": 2,
      "shares": 1, "follows": 3, "profile_visits": 9, "day": TODAY},
     {"spend": Decimal("24.81"), "impressions": 2_000, "clicks": 25, "ctr": 0.0125,
      "cpc": Decimal("0.99"), "cpm": Decimal("12.40"), "likes": 7, "comments": 2, "shares": 1,
      "follows": 3}),
    ({"impressions": 10, "spend_micros": 100_000, "clicks": 0},       # clicks none: CTR 0
     {"spend": Decimal("0.10"), "impressions": 10, "clicks": 0, "ctr": 0.0, "cpc": None,
      "cpm": Decimal("10.00"), "likes": 0, "comments": 0, "shares": 0, "follows": 0}),
    ({"impressions": None, "spend_micros": None, "likes": None, "clicks": None},
     {"spend": Decimal("0.00"), "impressions": 0, "clicks": 0, "ctr": None, "cpc": None,
      "cpm": None, "likes": 0, "comments": 0, "shares": 0, "follows": 0}),
])
def test_figures_are_the_columns_of_a_summed_row(row: dict[str, object],
                                                 expected: dict[str, object]) -> None:
    out = rules.figures(row)
    assert out == expected
    assert set(out) == set(rules.COLUMNS)


@pytest.mark.parametrize(("preset", "expected"), [
    ("today", (date(2026, 3, 10), date(2026, 3, 10))),
    ("yesterday", (date(2026, 3, 9), date(2026, 3, 9))),
    ("7d", (date(2026, 3, 4), date(2026, 3, 10))),
    ("30d", (date(2026, 2, 9), date(2026, 3, 10))),
])
def test_presets_end_today_in_the_accounts_zone(preset: str,
                                                expected: tuple[date, date]) -> None:
    assert rules.preset_range(preset, TODAY) == expected
    assert preset in rules.PRESETS


def test_presets_cross_month_and_year_ends() -> None:
    assert rules.preset_range("yesterday", date(2027, 1, 1)) == (date(2026, 12, 31),
                                                                 date(2026, 12, 31))
    assert rules.preset_range("30d", date(2026, 3, 1)) == (date(2026, 1, 31), date(2026, 3, 1))
    with pytest.raises(KeyError):
        rules.preset_range("90d", TODAY)


@pytest.mark.parametrize(("ticked", "expected"), [
    ([], list(rules.COLUMNS)),                                   # none ticked: all
    (["spend"], ["spend"]),
    (["follows", "spend", "cpm"], ["spend", "cpm", "follows"]),  # in the table's order
    (["spend", "spend"], ["spend"]),
    (["clicks", "ctr"], ["clicks", "ctr"]),
    (["ctr", "nonsense"], ["ctr"]),
    (["reach", "nonsense"], list(rules.COLUMNS)),                # unknown names are ignored
    (["likes", "nonsense"], ["likes"]),
])
def test_chosen_columns(ticked: list[str], expected: list[str]) -> None:
    assert rules.chosen_columns(ticked) == expected


@pytest.mark.parametrize(("row", "clicks", "ctr", "cpc", "engagements"), [
    ({}, 0, 0.0, 0.0, 0),
    ({"impressions": 400, "clicks": 6, "spend_micros": 4_000_000}, 6, 0.015, 0.67, 6),
    ({"impressions": 3, "clicks": 1, "likes": 1, "spend_micros": 30_000}, 1, 0.3333, 0.03, 2),
    ({"impressions": 0, "clicks": 2, "spend_micros": 0}, 2, 0.0, 0.0, 2),
    # An exact half cent rounds up, as on the pages (rules.cpc); a float division gave 0.01.
    ({"impressions": 100, "clicks": 2, "spend_micros": 30_000}, 2, 0.02, 0.02, 2),
])
def test_report_metrics_carry_clicks_ctr_and_cpc(row: dict[str, int], clicks: int, ctr: float,
                                                 cpc: float, engagements: int) -> None:
    """/v1's and TikTok's report metrics: CTR a fraction to 4 places (TikTok's surface writes
    it in percent), CPC in money to the cent, 0 when undefined, as CPM; clicks are engagements,
    as TikTok counts them."""
    out = rules.metrics(row)
    assert (out["clicks"], out["ctr"], out["cpc"]) == (clicks, ctr, cpc)
    assert out["cpc"] == float(rules.cpc(int(row.get("spend_micros", 0)), clicks) or 0)
    assert sum(out[name] for name in rules.ENGAGEMENTS) == engagements
