"""Report pages: paid vs organic engagement over time for an ad account, a creator and a post.
The charts' embedded series must add up to the JSON reports' totals; empty states, bad dates and
other tenants' ids are covered too. Runs on SQLite, and on PostgreSQL when configured."""

from __future__ import annotations

import json
import re
from datetime import date, timedelta
from typing import Any

from fastapi.testclient import TestClient

from sparkcodes.report.rules import SOCIAL
from tests import factories as f
from tests.integration.test_pages_access import HTML, page_login
from tests.integration.test_pages_access import page_text as _text

ev = f.event


def _series(html: str, key: str) -> dict[str, Any]:
    match = re.search(rf'<script type="application/json" id="{key}-data">(.*?)</script>', html,
                      re.S)
    assert match, f"no {key} chart data on the page"
    return json.loads(match.group(1))


def _engagement(metrics: dict[str, Any]) -> int:
    return sum(metrics[name] for name in SOCIAL)


def _ok(response) -> Any:  # type: ignore[no-untyped-def]
    assert response.status_code == 200, (response.status_code, response.text[:500])
    return response.json()


def _today(client: TestClient, headers: dict[str, str]) -> date:
    return date.fromisoformat(_ok(client.get("/v1/sandbox/clock", headers=headers))["now"][:10])


class Cast:
    """A creator with two posts, one run as a Spark Ad by the brand's ad account."""

    def __init__(self, client: TestClient) -> None:
        self.creator_h = f.user(client, email="maya@example.com")
        self.creator = f.creator(client, self.creator_h, handle="maya.makes")
        self.post = f.post(client, self.creator_h, self.creator["id"], caption="Morning routine")
        self.other = f.post(client, self.creator_h, self.creator["id"], caption="Evening walk")
        code = f.code(client, self.creator_h, self.post["id"])
        self.brand_h = f.user(client, email="brand@example.com")
        self.business = f.business(client, self.brand_h, "Glow Skincare")
        self.account = f.ad_account(client, self.brand_h, self.business["id"], "Glow US")
        sp = f.spark_post_id(client, self.brand_h, self.account["id"], code["code"])
        campaign = f.campaign(client, self.brand_h, self.account["id"])
        group = f.ad_group(client, self.brand_h, campaign["id"])
        self.ad = f.ad(client, self.brand_h, group["id"], sp, name="Maya spring ad")

    def engage(self, client: TestClient) -> None:
        """Two days of paid and organic engagement (and organic on a post the brand does not
        run, which its report must leave out)."""
        post, ad = self.post["id"], self.ad["id"]
        batch = ([ev(post, "impression", ad_id=ad) for _ in range(3)]
                 + [ev(post, "like", ad_id=ad), ev(post, "comment", ad_id=ad)]
                 + [ev(post, "impression") for _ in range(5)] + [ev(post, "like")]
                 + [ev(self.other["id"], "like"), ev(self.other["id"], "impression")])
        assert _ok(f.events(client, self.creator_h, batch))["accepted"] == len(batch)
        f.advance(client, self.brand_h, "P1D")
        # A click on the ad: counted apart from the social engagement paid is compared by.
        batch = ([ev(post, "impression", ad_id=ad), ev(post, "share", ad_id=ad),
                  ev(post, "click", ad_id=ad)]
                 + [ev(post, "share"), ev(post, "follow")])
        assert _ok(f.events(client, self.brand_h, batch[:3]))["accepted"] == 3
        assert _ok(f.events(client, self.creator_h, batch[3:]))["accepted"] == 2


def _scripts_are_external_or_data(html: str) -> None:
    for tag in re.findall(r"<script[^>]*>", html):
        assert 'src="/static/' in tag or 'type="application/json"' in tag, tag


def test_ad_account_report_charts_paid_against_organic(client):  # type: ignore[no-untyped-def]
    c = Cast(client)
    c.engage(client)
    today = _today(client, c.brand_h)
    page_login(client, "brand@example.com")
    r = client.get(f"/ad-accounts/{c.account['id']}/reports?days=7", headers=HTML)
    assert r.status_code == 200, r.text[:500]
    _scripts_are_external_or_data(r.text)
    assert 'src="/static/chartjs/chart.umd.min.js"' in r.text and "/static/charts.js" in r.text
    assert '<a href="/ad-accounts/' + c.account["id"] + '/reports" aria-current="page">' in r.text

    engagement, views = _series(r.text, "engagement"), _series(r.text, "views")
    first = today - timedelta(days=6)
    assert engagement["days"] == [(first + timedelta(days=i)).isoformat() for i in range(7)]
    assert engagement["paid"][:5] == [0] * 5 and engagement["organic"][:5] == [0] * 5

    api = _ok(f.report(client, c.brand_h, "ad_account", c.account["id"],
                       start_date=first.isoformat(), end_date=today.isoformat(),
                       granularity="total"))["total"]
    assert sum(engagement["paid"]) == _engagement(api) == 3
    assert sum(views["paid"]) == api["impressions"] == 4
    # Organic: only the post the account runs, as the creator's own report counts it.
    post = _ok(f.report(client, c.creator_h, "post", c.post["id"],
                        start_date=first.isoformat(), end_date=today.isoformat()))
    assert sum(engagement["organic"]) == _engagement(post["organic"]) == 3
    assert sum(views["organic"]) == post["organic"]["impressions"] == 5
    assert engagement["paid"][-2:] == [2, 1] and engagement["organic"][-2:] == [1, 2]

    text = _text(r.text)
    assert "Show the numbers" in text and "Paid (Spark Ads): 3 · Organic: 3" in text
    # The click is a row of its own; organic views have no ad to click.
    assert api["clicks"] == 1
    assert ('<tr><th scope="row">Clicks</th><td class="num">1</td><td class="num">—</td></tr>'
            in r.text)
    assert re.search(r'<th scope="row">Click-through rate</th><td class="num">25\.0%\s*</td>'
                     r'<td class="num">—\s*</td>', r.text)
    assert re.search(r'<canvas id="engagement-canvas" data-chart="engagement-data" role="img" '
                     r'aria-label="Engagement per day from [^"]+: 3 paid engagements from Spark '
                     r'Ads and 3 organic\."', r.text)
    # The totals table in plain labels, amounts in the account's currency.
    assert "Views 4 5" in text and "Spend 0.04 USD —" in text
    assert "Maya spring ad Delivering 0.04 USD 4 3" in text  # the per-ad row


def test_creator_report_and_each_posts_report(client):  # type: ignore[no-untyped-def]
    c = Cast(client)
    c.engage(client)
    today = _today(client, c.creator_h)
    page_login(client, "maya@example.com")
    r = client.get(f"/creators/{c.creator['id']}/reports?days=30", headers=HTML)
    assert r.status_code == 200, r.text[:500]
    _scripts_are_external_or_data(r.text)
    engagement, views = _series(r.text, "engagement"), _series(r.text, "views")
    assert len(engagement["days"]) == 30 and engagement["days"][-1] == today.isoformat()
    first = today - timedelta(days=29)
    reports = [_ok(f.report(client, c.creator_h, "post", p["id"], start_date=first.isoformat(),
                            end_date=today.isoformat())) for p in (c.post, c.other)]
    assert sum(engagement["paid"]) == sum(_engagement(p["paid"]) for p in reports) == 3
    assert sum(engagement["organic"]) == sum(_engagement(p["organic"]) for p in reports) == 4
    assert sum(views["organic"]) == sum(p["organic"]["impressions"] for p in reports) == 6
    text = _text(r.text)
    assert "Paid vs organic engagement on my posts" in text
    # One row per post, linking to its own report over the same days.
    assert f'href="/posts/{c.post["id"]}/report?days=30"' in r.text
    assert f'href="/posts/{c.other["id"]}/report?days=30"' in r.text
    assert "Morning routine 4 5 1 1 1 0 1 1 3 3" in text
    assert "Evening walk 0 1 0 1 0 0 0 0 0 1" in text

    r = client.get(f"/posts/{c.post['id']}/report?days=30", headers=HTML)
    assert r.status_code == 200, r.text[:500]
    engagement = _series(r.text, "engagement")
    assert (sum(engagement["paid"]), sum(engagement["organic"])) == (
        _engagement(reports[0]["paid"]), _engagement(reports[0]["organic"]))
    assert "Paid vs organic engagement on this post" in _text(r.text)
    # Custom dates carry through to the post links.
    r = client.get(f"/creators/{c.creator['id']}/reports",
                   params={"start": today.isoformat(), "end": today.isoformat()}, headers=HTML)
    assert r.status_code == 200
    assert f'/posts/{c.post["id"]}/report?start={today.isoformat()}&amp;end=' in r.text
    assert len(_series(r.text, "engagement")["days"]) == 1


def test_empty_reports_say_what_to_do_next(client):  # type: ignore[no-untyped-def]
    creator_h = f.user(client, email="new.creator@example.com")
    creator = f.creator(client, creator_h, handle="fresh")
    brand_h = f.user(client, email="new.brand@example.com")
    account = f.ad_account(client, brand_h, f.business(client, brand_h, "Newco")["id"], "New")
    page_login(client, "new.brand@example.com")
    r = client.get(f"/ad-accounts/{account['id']}/reports", headers=HTML)
    assert r.status_code == 200
    text = _text(r.text)
    assert "No engagement yet: reports fill in as your Spark Ads deliver" in text
    assert "No Spark Ads yet" in text and "engagement-data" not in r.text
    assert 'value="30" selected' in r.text  # the default period
    page_login(client, "new.creator@example.com")
    r = client.get(f"/creators/{creator['id']}/reports", headers=HTML)
    assert r.status_code == 200
    assert "No engagement yet" in _text(r.text) and "No posts yet" in _text(r.text)


def test_an_empty_report_while_ads_deliver_does_not_ask_for_a_spark_ad(client):  # type: ignore[no-untyped-def]
    cast = Cast(client)  # its ad delivers; nothing was counted (as after a sandbox clock jump)
    page_login(client, "brand@example.com")
    text = _text(client.get(f"/ad-accounts/{cast.account['id']}/reports", headers=HTML).text)
    assert "Start a Spark Ad" not in text
    assert "Nothing counted in these days yet" in text
    assert "1 Spark Ad delivers now, but no view or engagement was counted between" in text
    assert "sparkcodes simulate" in text  # the tests run in sandbox mode


def test_bad_periods_are_refused_next_to_the_field(client):  # type: ignore[no-untyped-def]
    c = Cast(client)
    page_login(client, "brand@example.com")
    url = f"/ad-accounts/{c.account['id']}/reports"
    for params, field, message in (
        ({"start": "2026-03-02", "end": "2026-03-01"}, "start",
         "The first day is after the last day."),
        ({"start": "2025-01-01", "end": "2026-01-02"}, "start",
         "A report spans at most 366 days; pick a later first day."),
        ({"start": "2026-02-30"}, "start", "Enter the first day as a date such as 2026-03-01."),
        ({"end": "soon"}, "end", "Enter the last day as a date such as 2026-03-01."),
        ({"days": "5"}, "days", "Choose the last 7, 30 or 90 days."),
        ({"end": "0001-01-03"}, "end", "The last day is too early; pick a later one."),
    ):
        r = client.get(url, params=params, headers=HTML)
        assert r.status_code == 422, (params, r.status_code)
        assert re.search(rf'id="{field}-error"[^>]*>{re.escape(message)}<', r.text), params
        assert f'aria-describedby="{field}-error"' in r.text
        assert "engagement-data" not in r.text
    page_login(client, "maya@example.com")
    r = client.get(f"/posts/{c.post['id']}/report", params={"start": "2026-03-02",
                                                            "end": "2026-03-01"}, headers=HTML)
    assert r.status_code == 422 and "The first day is after the last day." in r.text


def test_reports_are_only_for_their_owners(client):  # type: ignore[no-untyped-def]
    c = Cast(client)
    c.engage(client)
    # The brand runs the post but does not own the creator account or the post.
    page_login(client, "brand@example.com")
    for url, message in ((f"/creators/{c.creator['id']}/reports", "No such creator account."),
                         (f"/posts/{c.post['id']}/report", "No such post.")):
        r = client.get(url, headers=HTML)
        assert r.status_code == 404 and message in r.text, url
        assert "Morning routine" not in r.text
        # Even with a bad period: access is checked first.
        assert client.get(url + "?days=5", headers=HTML).status_code == 404
    # The creator cannot read the brand's ad account report.
    page_login(client, "maya@example.com")
    r = client.get(f"/ad-accounts/{c.account['id']}/reports?days=5", headers=HTML)
    assert r.status_code == 404 and "No such ad account." in r.text
    # An analyst of the brand's business may read it.
    f.user(client, email="reader@example.com")
    f._ok(client.put(f"/v1/businesses/{c.business['id']}/members", headers=c.brand_h,
                     json={"email": "reader@example.com", "role": "analyst"}))
    page_login(client, "reader@example.com")
    r = client.get(f"/ad-accounts/{c.account['id']}/reports?days=7", headers=HTML)
    assert r.status_code == 200 and sum(_series(r.text, "views")["paid"]) == 4
