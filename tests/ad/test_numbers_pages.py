"""Issue 13, item 6: campaign, ad group and ad pages show spend, impressions, clicks, CTR, CPC,
CPM and paid likes, comments, shares and follows for a date range in the ad account's time zone,
with the currency on every amount, a table of the children (or days) with totals, and a column
chooser remembered in the link. The JSON report carries the same figures and the currency. Runs on
SQLite, and on PostgreSQL when configured."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from fastapi.testclient import TestClient

from tests import factories as f
from tests.integration.test_pages_access import HTML, page_login, page_text

ev = f.event
ZONE = "Pacific/Kiritimati"  # UTC+14: the account's "today" is often UTC's tomorrow


def _ok(response) -> Any:  # type: ignore[no-untyped-def]
    assert response.status_code == 200, (response.status_code, response.text[:500])
    return response.json()


class Numbers:
    """A brand's EUR account (UTC+14) with one campaign of two ad groups; the first runs one
    Spark Ad that had traffic today (in the account's zone) and two days ago."""

    def __init__(self, client: TestClient) -> None:
        self.creator_h = f.user(client, email="nora@example.com")
        creator = f.creator(client, self.creator_h, handle="nora.numbers")
        self.post = f.post(client, self.creator_h, creator["id"], caption="Numbers post")
        code = f.code(client, self.creator_h, self.post["id"])
        self.brand_h = f.user(client, email="numbers.brand@example.com")
        business = f.business(client, self.brand_h, "Numbers Co")
        self.account = f.ad_account(client, self.brand_h, business["id"], "Numbers EU",
                                    timezone=ZONE, currency="eur")
        sp = f.spark_post_id(client, self.brand_h, self.account["id"], code["code"])
        self.campaign = f.campaign(client, self.brand_h, self.account["id"], name="Spring push")
        # CPM bid 10.00: each paid impression costs 0.01.
        self.group = f.ad_group(client, self.brand_h, self.campaign["id"], name="Busy group")
        self.quiet = f.ad_group(client, self.brand_h, self.campaign["id"], name="Quiet group")
        self.ad = f.ad(client, self.brand_h, self.group["id"], sp, name="Nora spring ad")
        post, ad = self.post["id"], self.ad["id"]
        # Two days ago: 4 paid impressions, a like; and organic engagement, never counted.
        self._send(client, [ev(post, "impression", ad_id=ad) for _ in range(4)]
                   + [ev(post, "like", ad_id=ad), ev(post, "like"), ev(post, "impression")])
        f.advance(client, self.brand_h, "P2D")
        # Today: 8 paid impressions, 3 clicks, 2 comments, a share, a follow.
        self._send(client, [ev(post, "impression", ad_id=ad) for _ in range(8)]
                   + [ev(post, "click", ad_id=ad) for _ in range(3)]
                   + [ev(post, "comment", ad_id=ad) for _ in range(2)]
                   + [ev(post, "share", ad_id=ad), ev(post, "follow", ad_id=ad)])
        now = datetime.fromisoformat(
            _ok(client.get("/v1/sandbox/clock", headers=self.brand_h))["now"])
        self.today = now.astimezone(ZoneInfo(ZONE)).date()
        self.utc_today = now.astimezone(UTC).date()

    def _send(self, client: TestClient, batch: list[dict[str, Any]]) -> None:
        assert _ok(f.events(client, self.creator_h, batch))["accepted"] == len(batch)


def _table(markup: str) -> dict[str, list[str]]:
    """The numbers table: its header row under "head", each body row under its first cell
    and the total under "Total", each as a list of cell texts."""
    table = re.search(r'<table class="numbers-table">(.*?)</table>', markup, re.S)
    assert table, "no numbers table on the page"
    rows: dict[str, list[str]] = {}
    for i, tr in enumerate(re.findall(r"<tr>(.*?)</tr>", table.group(1), re.S)):
        cells = [page_text(c).strip() for c in re.findall(r"<t[hd][^>]*>(.*?)</t[hd]>", tr, re.S)]
        rows["head" if i == 0 else cells[0].removesuffix(" (deleted)")] = cells
    return rows


def test_campaign_page_sums_each_ad_group_with_the_currency(client):  # type: ignore[no-untyped-def]
    w = Numbers(client)
    page_login(client, "numbers.brand@example.com")
    r = client.get(f"/campaigns/{w.campaign['id']}?range=7d", headers=HTML)
    assert r.status_code == 200, r.text[:300]
    rows = _table(r.text)
    assert rows["head"] == ["Ad group", "Spend", "Impressions", "Clicks", "CTR", "CPC", "CPM",
                            "Paid likes", "Paid comments", "Paid shares", "Paid follows"]
    # 12 paid impressions at 0.01: 0.12 EUR, CPM 10.00 EUR; 3 clicks: CTR 25 %, CPC 0.04 EUR;
    # organic engagement left out.
    busy = ["0.12 EUR", "12", "3", "25.00 %", "0.04 EUR", "10.00 EUR", "1", "2", "1", "1"]
    assert rows["Busy group"] == ["Busy group", *busy]
    assert rows["Quiet group"] == ["Quiet group", "0.00 EUR", "0", "0", "—", "—", "—",
                                   "0", "0", "0", "0"]
    assert rows["Total"] == ["Total", *busy]
    text = page_text(r.text)
    assert f"days in {ZONE} · amounts in EUR" in text
    # Each ad group links to its page over the same days.
    assert f'href="/ad-groups/{w.group["id"]}?range=7d"' in r.text
    # The budget and bid of each ad group carry the currency too.
    assert "CPM bid 10.00 EUR" in text


def test_presets_count_days_in_the_accounts_time_zone(client):  # type: ignore[no-untyped-def]
    w = Numbers(client)
    page_login(client, "numbers.brand@example.com")
    rows = _table(client.get(f"/ad-groups/{w.group['id']}?range=today", headers=HTML).text)
    assert rows["Nora spring ad"][1:6] == ["0.08 EUR", "8", "3", "37.50 %", "0.03 EUR"]
    rows = _table(client.get(f"/ad-groups/{w.group['id']}?range=yesterday", headers=HTML).text)
    # No impressions: no CTR and no CPM; no clicks: no CPC.
    assert rows["Total"][1:7] == ["0.00 EUR", "0", "0", "—", "—", "—"]
    day = w.today - timedelta(days=2)
    r = client.get(f"/ad-groups/{w.group['id']}?range=custom&from={day}&to={day}", headers=HTML)
    assert _table(r.text)["Total"][1:8] == ["0.04 EUR", "4", "0", "0.00 %", "—", "10.00 EUR",
                                           "1"]
    # The preset is the account's today, not UTC's (they differ for most of a UTC day here).
    if w.today != w.utc_today:
        utc = client.get(f"/ad-groups/{w.group['id']}?range=custom&from={w.utc_today}"
                         f"&to={w.utc_today}", headers=HTML)
        assert _table(utc.text)["Total"][2] != "8"


def test_ad_page_lists_every_day_with_a_total(client):  # type: ignore[no-untyped-def]
    w = Numbers(client)
    page_login(client, "numbers.brand@example.com")
    r = client.get(f"/ads/{w.ad['id']}?range=7d", headers=HTML)
    assert r.status_code == 200
    rows = _table(r.text)
    assert rows["head"][0] == "Day"
    assert len(rows) == 1 + 7 + 1  # header, seven days, total
    def label(d: date) -> str:
        return f"{d:%a}, {d:%b} {d.day}"
    assert rows[label(w.today)][1:3] == ["0.08 EUR", "8"]
    assert rows[label(w.today - timedelta(days=2))][1:3] == ["0.04 EUR", "4"]
    assert rows[label(w.today - timedelta(days=1))][1:5] == ["0.00 EUR", "0", "0", "—"]
    assert rows["Total"] == ["Total", "0.12 EUR", "12", "3", "25.00 %", "0.04 EUR", "10.00 EUR",
                             "1", "2", "1", "1"]


def test_chosen_columns_stay_in_the_links(client):  # type: ignore[no-untyped-def]
    w = Numbers(client)
    page_login(client, "numbers.brand@example.com")
    r = client.get(f"/campaigns/{w.campaign['id']}?range=30d&col=follows&col=spend",
                   headers=HTML)
    rows = _table(r.text)
    assert rows["head"] == ["Ad group", "Spend", "Paid follows"]
    assert rows["Total"] == ["Total", "0.12 EUR", "1"]
    # Presets and the child links keep the columns; the chooser shows what is ticked.
    assert "?range=today&amp;col=spend&amp;col=follows" in r.text
    assert f'/ad-groups/{w.group["id"]}?range=30d&amp;col=spend&amp;col=follows' in r.text
    assert re.search(r'name="col" value="spend" checked', r.text)
    assert not re.search(r'name="col" value="impressions" checked', r.text)
    # Nothing ticked (or only unknown names): every column.
    rows = _table(client.get(f"/campaigns/{w.campaign['id']}?col=reach", headers=HTML).text)
    assert len(rows["head"]) == 11
    rows = _table(client.get(f"/campaigns/{w.campaign['id']}?col=ctr&col=clicks",
                             headers=HTML).text)
    assert rows["Total"] == ["Total", "3", "25.00 %"]


def test_bad_dates_are_refused_next_to_the_field(client):  # type: ignore[no-untyped-def]
    w = Numbers(client)
    page_login(client, "numbers.brand@example.com")
    base = f"/ad-groups/{w.group['id']}?range=custom"
    r = client.get(f"{base}&from=2026-13-01&to=2026-03-01", headers=HTML)
    assert r.status_code == 422
    assert "Enter the first day as a date such as 2026-03-01." in page_text(r.text)
    assert 'aria-invalid="true" aria-describedby="from-error"' in r.text
    assert "numbers-table" not in r.text
    r = client.get(f"{base}&from=2026-03-05&to=2026-03-01", headers=HTML)
    assert r.status_code == 422
    assert "The first day is after the last day." in page_text(r.text)
    r = client.get(f"{base}&from=2024-01-01&to=2026-03-01", headers=HTML)
    assert r.status_code == 422
    assert "Pick at most 366 days." in page_text(r.text)
    # An unknown preset is the default, last 7 days.
    r = client.get(f"/ad-groups/{w.group['id']}?range=forever", headers=HTML)
    assert r.status_code == 200 and 'aria-current="true">Last 7 days' in r.text


def test_deleted_ads_keep_their_numbers_in_the_table(client):  # type: ignore[no-untyped-def]
    w = Numbers(client)
    assert f.set_status(client, w.brand_h, "ad", w.ad["id"], "DELETE").status_code == 200
    page_login(client, "numbers.brand@example.com")
    r = client.get(f"/ad-groups/{w.group['id']}", headers=HTML)
    # Still counted, not linked: a deleted ad has no page.
    assert ('<th scope="row">Nora spring ad <span class="muted small">(deleted)</span></th>'
            in r.text)
    assert _table(r.text)["Total"][1:3] == ["0.12 EUR", "12"]


def test_json_report_carries_the_currency(client):  # type: ignore[no-untyped-def]
    w = Numbers(client)
    start = (w.today - timedelta(days=6)).isoformat()
    for level, obj in (("campaign", w.campaign), ("ad_group", w.group), ("ad", w.ad),
                       ("ad_account", w.account)):
        out = _ok(f.report(client, w.brand_h, level, obj["id"], start_date=start,
                           end_date=w.today.isoformat(), granularity="total"))
        assert out["currency"] == "EUR"
        assert (out["total"]["spend"], out["total"]["impressions"], out["total"]["cpm"]) == (
            0.12, 12, 10.0)
        assert (out["total"]["clicks"], out["total"]["ctr"], out["total"]["cpc"]) == (
            3, 0.25, 0.04)
    out = _ok(f.report(client, w.creator_h, "post", w.post["id"]))
    assert out["currency"] is None
