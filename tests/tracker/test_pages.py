"""Pages: the business's tracker (filters, paging, CSV) and the calendar month views with their
subscribe links, for a business and for a creator account."""

from __future__ import annotations

import re
from datetime import datetime
from urllib.parse import urlsplit

from fastapi.testclient import TestClient

from sparkcodes.kit.clock import utc_now
from sparkcodes.tracker import views as tracker_views
from tests import factories as f
from tests.integration.test_pages_access import HTML, page_login
from tests.integration.test_pages_access import page_text as _text


def _world(client: TestClient) -> dict:  # type: ignore[type-arg]
    """The pages' world with a second ad account, and Maya's code bound to Glow US with one
    delivering ad on it."""
    w = f.page_world(client)
    brand_h, account = w["brand_h"], w["account"]
    other_account = f.ad_account(client, brand_h, w["business"]["id"], "Glow EU")
    sp = f.spark_post_id(client, brand_h, account["id"], w["code"]["code"])
    campaign = f.campaign(client, brand_h, account["id"])
    group = f.ad_group(client, brand_h, campaign["id"])
    ad = f.ad(client, brand_h, group["id"], sp)
    return {**w, "other_account": other_account, "spark_post_id": sp, "ad": ad}


def _month(iso: str) -> str:
    return datetime.fromisoformat(iso.replace("Z", "+00:00")).strftime("%Y-%m")


def _error(html: str, field: str) -> str:
    match = re.search(rf'id="{field}-error"[^>]*>([^<]+)<', html)
    assert match, f"no error next to {field}"
    return match.group(1)


# --- tracker -------------------------------------------------------------------------------------

def test_tracker_lists_every_spark_post_with_its_window_and_ads(client):  # type: ignore[no-untyped-def]
    w = _world(client)
    page_login(client, "brand@example.com")
    biz = w["business"]["id"]
    r = client.get(f"/businesses/{biz}/tracker", headers=HTML)
    assert r.status_code == 200
    page = _text(r.text)
    crumbs = _text(re.search(r'<nav aria-label="Breadcrumb".*?</nav>', r.text, re.S).group(0))
    assert crumbs.split() == ["Businesses", "Glow", "Skincare", "Tracker"]
    assert re.search(r'href="/businesses/[^"]+/tracker" aria-current="page">Tracker<', r.text)
    assert "@maya.makes" in page and "Morning routine" in page and "Glow US" in page
    assert "Authorized" in page and "ends in 30 days" in page
    assert "1 of 1" in page  # one live ad of one
    assert "Showing 1–1 of 1" in page
    assert w["code"]["code"] not in r.text  # only the hint
    assert re.search(rf'href="/businesses/{biz}/tracker.csv"[^>]*>Download CSV<', r.text)
    assert 'class="table-scroll"' in r.text
    # The filter form: GET, each input labelled.
    assert re.search(rf'<form method="get" action="/businesses/{biz}/tracker"', r.text)
    for name in ("expiring_within", "ad_account_id", "creator", "sort"):
        assert f'<label for="{name}">' in r.text and f'id="{name}"' in r.text


def test_tracker_filters_show_the_services_words_next_to_the_field(client):  # type: ignore[no-untyped-def]
    w = _world(client)
    page_login(client, "brand@example.com")
    url = f"/businesses/{w['business']['id']}/tracker"
    r = client.get(url, params={"expiring_within": "abc"}, headers=HTML)
    assert r.status_code == 422
    assert "expiring_within reads like 3d, 72h, 2w or 1d12h" in _error(r.text, "expiring_within")
    assert 'aria-describedby="expiring_within-error"' in r.text
    assert "Download CSV" not in r.text
    r = client.get(url, params={"status": "NOPE"}, headers=HTML)
    assert r.status_code == 422 and "Unknown status NOPE" in _error(r.text, "status")
    r = client.get(url, params={"sort": "cheapest"}, headers=HTML)
    assert r.status_code == 422 and "sort is one of" in _error(r.text, "sort")
    r = client.get(url, params={"creator": "no way!"}, headers=HTML)
    assert r.status_code == 422 and "A handle has 2 to 24" in _error(r.text, "creator")
    stranger_h = f.user(client)
    stranger_biz = f.business(client, stranger_h, "Elsewhere")
    stranger_account = f.ad_account(client, stranger_h, stranger_biz["id"])
    r = client.get(url, params={"ad_account_id": stranger_account["id"]}, headers=HTML)
    assert r.status_code == 404 and _error(r.text, "ad_account_id") == "No such ad account."


def test_tracker_filters_narrow_and_say_so_when_nothing_matches(client):  # type: ignore[no-untyped-def]
    w = _world(client)
    page_login(client, "brand@example.com")
    url = f"/businesses/{w['business']['id']}/tracker"
    for params in ({"expiring_within": "24h"}, {"ad_account_id": w["other_account"]["id"]},
                   {"creator": "someone_else"}, {"status": "AUTHORIZATION_EXPIRED"}):
        r = client.get(url, params=params, headers=HTML)
        assert r.status_code == 200, params
        page = _text(r.text)
        assert "No Spark Ad post matches these filters" in page, params
        assert "Clear filters" in page
    r = client.get(url, params={"expiring_within": "30d", "creator": "@maya.makes",
                                "ad_account_id": w["account"]["id"], "status": "AUTHORIZED",
                                "sort": "-expiry"}, headers=HTML)
    assert r.status_code == 200 and "@maya.makes" in r.text
    assert re.search(r'<option value="30d" selected>Within 30 days<', r.text)
    assert re.search(r'value="AUTHORIZED" checked', r.text)
    csv_link = re.search(r'href="([^"]+\.csv[^"]*)"', r.text).group(1).replace("&amp;", "&")
    assert "expiring_within=30d" in csv_link and "sort=-expiry" in csv_link
    assert "status=AUTHORIZED" in csv_link and "creator=%40maya.makes" in csv_link
    # The Spark post's window ends: the status filter and "expired N days ago" follow the clock.
    f.advance(client, w["brand_h"], "P32D")
    r = client.get(url, params={"status": "AUTHORIZATION_EXPIRED"}, headers=HTML)
    assert r.status_code == 200 and "expired 2 days ago" in _text(r.text)


def test_tracker_pages_keep_the_filters(client, monkeypatch):  # type: ignore[no-untyped-def]
    w = _world(client)
    for caption in ("Second post", "Third post"):
        post = f.post(client, w["creator_h"], w["creator"]["id"], caption=caption)
        code = f.code(client, w["creator_h"], post["id"])
        f.spark_post_id(client, w["brand_h"], w["account"]["id"], code["code"])
    monkeypatch.setattr(tracker_views, "PER_PAGE", 2)
    page_login(client, "brand@example.com")
    url = f"/businesses/{w['business']['id']}/tracker"
    r = client.get(url, params={"creator": "maya.makes"}, headers=HTML)
    assert "Showing 1–2 of 3" in _text(r.text) and 'rel="prev"' not in r.text
    nxt = re.search(r'href="([^"]+)" rel="next"', r.text).group(1).replace("&amp;", "&")
    assert "creator=maya.makes" in nxt and "page=2" in nxt
    r = client.get(nxt, headers=HTML)
    assert r.status_code == 200 and "Showing 3–3 of 3" in _text(r.text)
    assert 'rel="next"' not in r.text
    prev = re.search(r'href="([^"]+)" rel="prev"', r.text).group(1).replace("&amp;", "&")
    assert "creator=maya.makes" in prev and "page=1" in prev
    r = client.get(url, params={"page": "9"}, headers=HTML)
    assert "Nothing on this page" in _text(r.text) and "Back to page 1" in r.text


def test_tracker_csv_is_the_apis_csv_by_cookie(client):  # type: ignore[no-untyped-def]
    w = _world(client)
    biz = w["business"]["id"]
    api = client.get(f"/v1/businesses/{biz}/tracker.csv", params={"sort": "creator"},
                     headers=w["brand_h"])
    page_login(client, "brand@example.com")
    r = client.get(f"/businesses/{biz}/tracker.csv", params={"sort": "creator"}, headers=HTML)
    assert r.status_code == 200
    assert r.headers["content-type"].startswith("text/csv")
    assert re.fullmatch(r'attachment; filename="tracker-\d{8}-\d{4}\.csv"',
                        r.headers["content-disposition"])
    assert r.text == api.text
    assert r.text.splitlines()[0].startswith("creator_handle,post_id,caption")
    assert "maya.makes" in r.text
    r = client.get(f"/businesses/{biz}/tracker.csv", params={"expiring_within": "abc"},
                   headers=HTML)
    assert r.status_code == 422 and "expiring_within reads like" in r.text
    with TestClient(client.app) as stranger:  # no session cookie: to the log-in page
        r = stranger.get(f"/businesses/{biz}/tracker.csv", headers=HTML,
                         follow_redirects=False)
        assert r.status_code == 303 and r.headers["location"].startswith("/login")


def test_tracker_empty_states(client):  # type: ignore[no-untyped-def]
    brand_h = f.user(client, email="new.brand@example.com")
    business = f.business(client, brand_h, "Fresh Brand")
    page_login(client, "new.brand@example.com")
    url = f"/businesses/{business['id']}/tracker"
    page = _text(client.get(url, headers=HTML).text)
    assert "No ad accounts yet" in page and "Add an ad account" in page
    f.ad_account(client, brand_h, business["id"], "Fresh US")
    page = _text(client.get(url, headers=HTML).text)
    assert "No Spark Ad posts yet" in page and "Go to Fresh US" in page


# --- the business calendar -----------------------------------------------------------------------

def test_calendar_month_shows_each_code_end_on_its_day(client):  # type: ignore[no-untyped-def]
    w = _world(client)
    page_login(client, "brand@example.com")
    biz = w["business"]["id"]
    url = f"/businesses/{biz}/calendar"
    now = utc_now()
    r = client.get(url, headers=HTML)
    assert r.status_code == 200
    assert f'<h2 id="month-title">{now:%B %Y}</h2>' in r.text  # the service clock's month
    assert r.text.count('aria-current="date"') == 1 and "Today" in r.text
    assert re.search(r'href="/businesses/[^"]+/calendar" aria-current="page">Calendar<', r.text)
    assert "<th scope=\"col\"><abbr title=\"Monday\">Mon</abbr></th>" in r.text
    month = _month(w["code"]["expires_at"])
    r = client.get(url, params={"month": month}, headers=HTML)
    assert r.status_code == 200
    end = datetime.fromisoformat(w["code"]["expires_at"].replace("Z", "+00:00"))
    cell = re.search(r'<td class="in-month has-ends[^"]*"[^>]*>(.*?)</td>', r.text, re.S)
    assert cell, "no day with code ends"
    text = _text(cell.group(1))
    assert f"{end:%a, %b} {end.day}" in text
    assert "@maya.makes" in text and "Morning routine" in text and "1 live ad" in text
    assert "Glow US" in text and "1 code ends in" in _text(r.text)
    link = re.search(r'<a href="([^"]+)">@maya.makes</a>', cell.group(1)).group(1)
    tracked = client.get(link.replace("&amp;", "&"), headers=HTML)
    assert "post_id=" + w["post"]["id"] in link and tracked.status_code == 200
    assert "Showing the codes of one post only." in _text(tracked.text)
    assert "Showing 1–1 of 1" in _text(tracked.text)
    # The months around it.
    assert re.search(r'href="[^"]+\?month=\d{4}-\d{2}" rel="prev"', r.text)
    assert re.search(r'href="[^"]+\?month=\d{4}-\d{2}" rel="next"', r.text)
    # An empty month says so.
    r = client.get(url, params={"month": "2001-02"}, headers=HTML)
    assert r.status_code == 200 and "No code ends in February 2001" in _text(r.text)
    assert "Nothing ends this month" in _text(r.text)


def test_calendar_default_month_follows_the_sandbox_clock(client):  # type: ignore[no-untyped-def]
    w = _world(client)
    f.advance(client, w["brand_h"], "P40D")
    page_login(client, "brand@example.com")
    r = client.get(f"/businesses/{w['business']['id']}/calendar", headers=HTML)
    assert f'<h2 id="month-title">{utc_now():%B %Y}</h2>' in r.text


def test_calendar_bad_month_is_a_plain_422(client):  # type: ignore[no-untyped-def]
    w = _world(client)
    page_login(client, "brand@example.com")
    url = f"/businesses/{w['business']['id']}/calendar"
    for value, words in (("abc", "A month reads like 2026-11"), ("2026-13", "no month 13"),
                         ("1066-10", "between 2000 and 2200")):
        r = client.get(url, params={"month": value}, headers=HTML)
        assert r.status_code == 422, value
        assert words in _error(r.text, "month"), value
        assert 'aria-describedby="month-error"' in r.text


def test_subscribe_link_is_shown_once_and_revoked_with_a_confirm(client):  # type: ignore[no-untyped-def]
    w = _world(client)
    token = page_login(client, "brand@example.com")
    biz = w["business"]["id"]
    page = _text(client.get(f"/businesses/{biz}/calendar", headers=HTML).text)
    assert "No subscribe link yet." in page
    r = client.post(f"/businesses/{biz}/calendar-feeds", headers=HTML,
                    data={"csrf_token": token})
    assert r.status_code == 201
    url = re.search(r'id="new-code"[^>]*>([^<]+)<', r.text).group(1)
    assert url.startswith("http://127.0.0.1:8000/v1/calendar/") and url.endswith(".ics")
    assert f'href="webcal://{url.split("://", 1)[1]}"' in r.text
    assert 'data-copy="#new-code"' in r.text and "Shown only once." in r.text
    assert "Google Calendar" in r.text and "Apple Calendar" in r.text and "Outlook" in r.text
    assert r.headers["cache-control"] == "no-store"
    assert client.get(urlsplit(url).path).status_code == 200  # the feed itself works
    r = client.get(f"/businesses/{biz}/calendar", headers=HTML)
    assert url not in r.text and urlsplit(url).path.rsplit("/", 1)[1] not in r.text
    assert "by you" in _text(r.text)
    feed_id = re.search(r'action="/calendar-feeds/([^/]+)/revoke"', r.text).group(1)
    assert re.search(r'data-confirm="Revoke this subscribe link\?', r.text)
    r = client.post(f"/calendar-feeds/{feed_id}/revoke", headers=HTML,
                    data={"csrf_token": token}, follow_redirects=False)
    assert r.status_code == 303 and r.headers["location"] == f"/businesses/{biz}/calendar?revoked=1"
    page = _text(client.get(r.headers["location"], headers=HTML).text)
    assert "Revoked: that subscribe link no longer works." in page
    assert "No subscribe link yet." in page
    assert client.get(urlsplit(url).path).status_code == 404
    # Revoking twice is harmless.
    r = client.post(f"/calendar-feeds/{feed_id}/revoke", headers=HTML,
                    data={"csrf_token": token}, follow_redirects=False)
    assert r.status_code == 303


def test_analyst_reads_the_tracker_subscribes_but_may_not_revoke_others(app, client):  # type: ignore[no-untyped-def]
    """Per the service any member may make a business feed (action "read"); revoking one is for
    its maker or an admin, so an analyst gets 403 on the admin's feed."""
    w = _world(client)
    biz = w["business"]["id"]
    admins_feed = f._ok(client.post(f"/v1/businesses/{biz}/calendar-feeds",
                                    headers=w["brand_h"]), 201)
    analyst_h = f.member(client, w["brand_h"], biz, "analyst")
    email = f._ok(client.get("/v1/me", headers=analyst_h))["email"]
    with TestClient(app) as browser:
        token = page_login(browser, email)
        r = browser.get(f"/businesses/{biz}/tracker", headers=HTML)
        assert r.status_code == 200 and "@maya.makes" in r.text
        r = browser.get(f"/businesses/{biz}/calendar", headers=HTML)
        assert r.status_code == 200
        assert "by brand@example.com" in _text(r.text)
        assert "Only its maker or an admin can revoke it." in r.text
        r = browser.post(f"/calendar-feeds/{admins_feed['id']}/revoke", headers=HTML,
                         data={"csrf_token": token})
        assert r.status_code == 403
        assert ("Only the member who made this feed, or an admin, can revoke it."
                in _error(r.text, f"feed-{admins_feed['id']}"))
        r = browser.post(f"/businesses/{biz}/calendar-feeds", headers=HTML,
                         data={"csrf_token": token})
        assert r.status_code == 201 and 'id="new-code"' in r.text
        own = re.findall(r'action="/calendar-feeds/([^/]+)/revoke"', r.text)
        assert len(own) == 1 and own[0] != admins_feed["id"]
        r = browser.post(f"/calendar-feeds/{own[0]}/revoke", headers=HTML,
                         data={"csrf_token": token}, follow_redirects=False)
        assert r.status_code == 303
    listed = f._ok(client.get(f"/v1/businesses/{biz}/calendar-feeds", headers=w["brand_h"]))
    assert {x["id"]: x["active"] for x in listed}[admins_feed["id"]] is True


# --- the creator calendar ------------------------------------------------------------------------

def test_creator_calendar_shows_own_codes_and_feeds(client):  # type: ignore[no-untyped-def]
    w = _world(client)
    token = page_login(client, "creator@example.com")
    cid = w["creator"]["id"]
    url = f"/creators/{cid}/calendar"
    r = client.get(url, params={"month": _month(w["code"]["expires_at"])}, headers=HTML)
    assert r.status_code == 200
    page = _text(r.text)
    crumbs = _text(re.search(r'<nav aria-label="Breadcrumb".*?</nav>', r.text, re.S).group(0))
    assert crumbs.split() == ["Creator", "accounts", "@maya.makes", "Calendar"]
    assert "Calendar: when your Spark codes end" in page
    cell = re.search(r'<td class="in-month has-ends[^"]*"[^>]*>(.*?)</td>', r.text, re.S)
    text = _text(cell.group(1))
    assert "@maya.makes" in text and "1 live ad" in text and "Glow Skincare" in text
    assert f'href="/posts/{w["post"]["id"]}"' in cell.group(1)
    r = client.get(url, params={"month": "nope"}, headers=HTML)
    assert r.status_code == 422 and "A month reads like" in _error(r.text, "month")
    r = client.post(f"/creators/{cid}/calendar-feeds", headers=HTML, data={"csrf_token": token})
    assert r.status_code == 201
    feed_url = re.search(r'id="new-code"[^>]*>([^<]+)<', r.text).group(1)
    assert client.get(urlsplit(feed_url).path).status_code == 200
    feed_id = re.search(r'action="/calendar-feeds/([^/]+)/revoke"', r.text).group(1)
    r = client.post(f"/calendar-feeds/{feed_id}/revoke", headers=HTML,
                    data={"csrf_token": token}, follow_redirects=False)
    assert r.status_code == 303 and r.headers["location"] == f"{url}?revoked=1"
    assert "Revoked" in client.get(r.headers["location"], headers=HTML).text
    assert client.get(urlsplit(feed_url).path).status_code == 404


def test_creator_calendar_is_only_for_its_owner(app, client):  # type: ignore[no-untyped-def]
    w = _world(client)
    with TestClient(app) as brand:
        token = page_login(brand, "brand@example.com")
        cid = w["creator"]["id"]
        assert brand.get(f"/creators/{cid}/calendar", headers=HTML).status_code == 404
        r = brand.post(f"/creators/{cid}/calendar-feeds", headers=HTML,
                       data={"csrf_token": token})
        assert r.status_code == 404
    token = page_login(client, "creator@example.com")
    r = client.get(f"/businesses/{w['business']['id']}/calendar", headers=HTML)
    assert r.status_code == 404


def _row(html: str, spark_post_id: str) -> str:
    match = re.search(rf'<tr id="row-{spark_post_id}">.*?</tr>', html, re.S)
    assert match, "no row for the Spark post"
    return match.group(0)


def test_tracker_rows_carry_their_actions(client):  # type: ignore[no-untyped-def]
    w = _world(client)
    token = page_login(client, "brand@example.com")
    biz, account = w["business"]["id"], w["account"]["id"]
    row = _row(client.get(f"/businesses/{biz}/tracker", headers=HTML).text, w["spark_post_id"])
    assert f'href="/ads/{w["ad"]["id"]}"' in row and "Open the ad" in row
    assert f'href="/ad-accounts/{account}#apply-title"' in row and "Swap code" in row
    # 30 days left: asking to extend is there already, folded (R24 sets no window).
    assert "<summary>Ask to extend</summary>" in row
    assert f'action="/ad-accounts/{account}/renewal-requests"' in row
    r = client.post(f"/ad-accounts/{account}/renewal-requests", headers=HTML,
                    data={"csrf_token": token, "authorization_id": w["code"]["id"],
                          "days": "60"}, follow_redirects=False)
    assert r.status_code == 303
    row = _row(client.get(f"/businesses/{biz}/tracker", headers=HTML).text, w["spark_post_id"])
    assert "Extension requested" in _text(row) and "by 60 days" in _text(row)
    assert "Withdraw request" in row


def test_tracker_shows_the_chosen_columns_and_keeps_them_across_pages(client):  # type: ignore[no-untyped-def]
    w = _world(client)
    page_login(client, "brand@example.com")
    biz = w["business"]["id"]
    full = client.get(f"/businesses/{biz}/tracker", headers=HTML).text
    heads = re.findall(r'<th scope="col"[^>]*>([^<]+)<', full)
    assert [h.replace("&amp;", "&") for h in heads] == [
        label for _, label in tracker_views.COLUMNS]
    assert 'data-label="Spend at risk"' in full  # each cell names its column on a phone
    r = client.get(f"/businesses/{biz}/tracker?col=post&col=ends&col=actions&col=bogus",
                   headers=HTML)
    assert r.status_code == 200
    heads = re.findall(r'<th scope="col"[^>]*>([^<]+)<', r.text)
    assert [h.replace("&amp;", "&") for h in heads] == ["Creator & post", "Window ends",
                                                         "Actions"]
    assert "Glow US</a>" not in _row(r.text, w["spark_post_id"])  # the ad account is hidden
    assert re.search(r'name="col" value="spend">', r.text)  # unticked
    assert re.search(r'name="col" value="ends" checked>', r.text)


def test_analyst_sees_row_actions_they_may_not_take_disabled_with_the_reason(app, client):  # type: ignore[no-untyped-def]
    w = _world(client)
    f.user(client, email="analyst@example.com")
    client.put(f"/v1/businesses/{w['business']['id']}/members", headers=w["brand_h"],
               json={"email": "analyst@example.com", "role": "analyst"})
    page_login(client, "analyst@example.com")
    row = _row(client.get(f"/businesses/{w['business']['id']}/tracker", headers=HTML).text,
               w["spark_post_id"])
    assert "Open the ad" in row  # reading is theirs
    assert "<form" not in row
    assert re.search(r'<button type="button" class="outline small" disabled[^>]*title="Your role '
                     r'can read only; operators and admins ask creators to extend\."', row)
    assert 'title="Your role can read only; operators and admins link codes."' in row
def test_tracker_page_says_at_least_when_counting_stopped(client, monkeypatch):  # type: ignore[no-untyped-def]
    """Past the count's bound the page reads "of 2+" and still offers the next page."""
    from sparkcodes.tracker import service as tracker_service

    w = _world(client)
    for caption in ("Second post", "Third post"):
        post = f.post(client, w["creator_h"], w["creator"]["id"], caption=caption)
        code = f.code(client, w["creator_h"], post["id"])
        f.spark_post_id(client, w["brand_h"], w["account"]["id"], code["code"])
    monkeypatch.setattr(tracker_views, "PER_PAGE", 1)
    monkeypatch.setattr(tracker_service, "TOTAL_BOUND", 2)
    page_login(client, "brand@example.com")
    r = client.get(f"/businesses/{w['business']['id']}/tracker", headers=HTML)
    text = _text(r.text)
    assert "Showing 1–1 of 2+" in text and "Page 1" in text and "Page 1 of" not in text
    nxt = re.search(r'href="([^"]+)" rel="next"', r.text).group(1).replace("&amp;", "&")
    r = client.get(nxt, headers=HTML)
    assert "Showing 2–2 of 2+" in _text(r.text) and 'rel="next"' in r.text
    r = client.get(nxt.replace("page=2", "page=3"), headers=HTML)
    assert "Showing 3–3 of 3" in _text(r.text) and 'rel="next"' not in r.text
