"""Spend at risk never adds amounts in different currencies: a brand with a USD and a EUR ad
account sees each row in its account's currency, and the page, the overview, the API, the CSV
and the CLI total per currency."""

from __future__ import annotations

from decimal import Decimal

import pytest
from fastapi.testclient import TestClient

from sparkcodes.tracker.rules import per_currency
from sparkcodes.values import amounts_text
from tests import factories as f
from tests.integration.test_pages_access import HTML, page_login
from tests.integration.test_pages_access import page_text as _text


@pytest.mark.parametrize(("pairs", "expected"), [
    ([], {}),
    ([("USD", 890_000)], {"USD": 890_000}),
    ([("USD", 500_000), ("EUR", 880_000), ("USD", 390_000)],
     {"USD": 890_000, "EUR": 880_000}),                          # largest first
    ([("EUR", 100_000), ("CHF", 100_000)],
     {"CHF": 100_000, "EUR": 100_000}),                          # ties by code
    ([("JPY", 0), ("USD", 10_000)], {"USD": 10_000, "JPY": 0}),
])
def test_per_currency(pairs: list[tuple[str, int]], expected: dict[str, int]) -> None:
    got = per_currency(pairs)
    assert got == expected and list(got) == list(expected)


@pytest.mark.parametrize(("by_currency", "expected"), [
    ({}, "0.00"),
    ({"USD": Decimal("0.00")}, "0.00"),
    ({"USD": Decimal("1240.5")}, "1,240.50 USD"),
    ({"USD": Decimal("0.89"), "JPY": Decimal("0"), "EUR": Decimal("0.88")},
     "0.89 USD · 0.88 EUR"),                                     # zeros left out, order kept
])
def test_amounts_text(by_currency: dict[str, Decimal], expected: str) -> None:
    assert amounts_text(by_currency) == expected


def _world(client: TestClient) -> dict:  # type: ignore[type-arg]
    """One creator's two codes ending in 5 days, one bound in a USD account and one in a EUR
    account, each with a live ad that spent yesterday: 0.09 USD and 0.04 EUR."""
    creator_h = f.user(client, email="creator@example.com")
    creator = f.creator(client, creator_h, handle="maya.makes")
    brand_h = f.user(client, email="brand@example.com")
    business = f.business(client, brand_h, "Glow Skincare")
    out: dict = {"brand_h": brand_h, "business": business}  # type: ignore[type-arg]
    events = []
    for name, currency, impressions in (("Glow US", "USD", 9), ("Glow EU", "EUR", 4)):
        account = f.ad_account(client, brand_h, business["id"], name, currency=currency)
        post = f.post(client, creator_h, creator["id"], caption=f"Routine {currency}")
        code = f.code(client, creator_h, post["id"], days=7)
        sp = f.spark_post_id(client, brand_h, account["id"], code["code"])
        group = f.ad_group(client, brand_h, f.campaign(client, brand_h, account["id"])["id"])
        ad = f.ad(client, brand_h, group["id"], sp)
        events += [f.event(post["id"], "impression", ad_id=ad["id"]) for _ in range(impressions)]
    body = f._ok(f.events(client, creator_h, events))
    assert body["accepted"] == len(events), body
    f.advance(client, brand_h, "P1D")  # yesterday's spend is what is at risk
    return out


def test_spend_at_risk_is_kept_per_currency(client):  # type: ignore[no-untyped-def]
    w = _world(client)
    biz = w["business"]["id"]
    api = f._ok(client.get(f"/v1/businesses/{biz}/tracker", headers=w["brand_h"]))
    rows = {i["ad_account"]["name"]: i for i in api["items"]}
    assert {n: (r["spend_at_risk"], r["ad_account"]["currency"]) for n, r in rows.items()} == {
        "Glow US": ("0.09", "USD"), "Glow EU": ("0.04", "EUR")}
    assert api["spend_at_risk_by_currency"] == {"USD": "0.09", "EUR": "0.04"}

    csv = client.get(f"/v1/businesses/{biz}/tracker.csv", headers=w["brand_h"]).text
    header, *lines = csv.splitlines()
    at = header.split(",").index("currency")
    assert sorted(line.split(",")[at] for line in lines) == ["EUR", "USD"]

    page_login(client, "brand@example.com")
    page = _text(client.get(f"/businesses/{biz}/tracker", headers=HTML).text)
    assert "spend at risk on this page 0.09 USD · 0.04 EUR" in page
    assert "0.09 USD" in page and "0.04 EUR" in page and "0.13" not in page
    overview = _text(client.get(f"/businesses/{biz}/overview", headers=HTML).text)
    assert "0.09 USD · 0.04 EUR daily spend at risk" in overview
    assert "0.09 USD /day at risk" in overview and "0.04 EUR /day at risk" in overview
