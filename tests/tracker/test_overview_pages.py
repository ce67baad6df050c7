"""Pages: the business overview, the brand's landing tab: what ends this week, what stopped, the
daily spend at risk and the requests still waiting, each row with its ask to extend."""

from __future__ import annotations

import re

from fastapi.testclient import TestClient

from tests import factories as f
from tests.integration.test_pages_access import HTML, page_login
from tests.integration.test_pages_access import page_text as _text


def _world(client: TestClient) -> dict:  # type: ignore[type-arg]
    """Three codes of one creator bound to a brand's ad account, each with a live ad: one ends in
    30 days, one in 7 days, and one the creator deleted once its ad was paused."""
    creator_h = f.user(client, email="creator@example.com")
    creator = f.creator(client, creator_h, handle="maya.makes")
    brand_h = f.user(client, email="brand@example.com")
    business = f.business(client, brand_h, "Glow Skincare")
    account = f.ad_account(client, brand_h, business["id"], "Glow US")
    campaign = f.campaign(client, brand_h, account["id"])
    group = f.ad_group(client, brand_h, campaign["id"])
    codes = {}
    for caption, days in (("Morning routine", 30), ("Night routine", 7), ("Gym bag", 30)):
        post = f.post(client, creator_h, creator["id"], caption=caption)
        code = f.code(client, creator_h, post["id"], days=days)
        sp = f.spark_post_id(client, brand_h, account["id"], code["code"])
        ad = f.ad(client, brand_h, group["id"], sp, name=f"Ad {caption}")
        codes[caption] = code
    f.set_status(client, brand_h, "ad", ad["id"], "DISABLE")  # a code in use cannot be deleted
    gone = client.delete(f"/v1/authorizations/{codes['Gym bag']['id']}", headers=creator_h)
    assert gone.status_code == 200, gone.text
    return {"creator_h": creator_h, "creator": creator, "brand_h": brand_h,
            "business": business, "account": account, "codes": codes}


def _section(html: str, title_id: str) -> str:
    match = re.search(rf'<section aria-labelledby="{title_id}">.*?</section>', html, re.S)
    assert match, f"no section {title_id}"
    return match.group(0)


def test_overview_is_the_landing_tab_and_says_what_needs_the_brand(client):  # type: ignore[no-untyped-def]
    w = _world(client)
    page_login(client, "brand@example.com")
    biz = w["business"]["id"]
    # The business list and the home page open the overview.
    assert f'href="/businesses/{biz}/overview"' in client.get("/businesses", headers=HTML).text
    assert f'href="/businesses/{biz}/overview"' in client.get("/", headers=HTML).text
    r = client.get(f"/businesses/{biz}/overview", headers=HTML)
    assert r.status_code == 200
    tabs = re.search(r'<nav class="tabs" aria-label="Business">.*?</nav>', r.text, re.S).group(0)
    assert _text(tabs).split()[:2] == ["Overview", "Ad"]
    assert re.search(r'aria-current="page">Overview<', tabs)
    glance = _text(_section(r.text, "glance-title"))
    assert "1 code ends this week" in glance
    assert "1 Spark post stopped" in glance
    assert "0 open requests" in glance
    ending = _text(_section(r.text, "ending-title"))
    assert "@maya.makes" in ending and "Night routine" in ending and "ends in 7 days" in ending
    assert "Morning routine" not in ending  # 30 days left: not this week
    stopped = _text(_section(r.text, "stopped-title"))
    assert "Gym bag" in stopped and "Authorization deleted" in stopped
    assert "link a new code" in stopped  # a deleted code cannot be extended: the next step
    assert "No request is waiting" in _text(_section(r.text, "requests-title"))


def test_overview_asks_to_extend_and_lists_the_open_request(client):  # type: ignore[no-untyped-def]
    w = _world(client)
    token = page_login(client, "brand@example.com")
    biz, account = w["business"]["id"], w["account"]["id"]
    night = w["codes"]["Night routine"]["id"]
    page = client.get(f"/businesses/{biz}/overview", headers=HTML).text
    ending = _section(page, "ending-title")
    assert f'id="ask-{night}"' in ending and "Ask the creator to extend" in ending
    r = client.post(f"/ad-accounts/{account}/renewal-requests", headers=HTML,
                    data={"csrf_token": token, "authorization_id": night, "days": "30"},
                    follow_redirects=False)
    assert r.status_code == 303
    page = client.get(f"/businesses/{biz}/overview", headers=HTML).text
    assert "1 open request" in _text(_section(page, "glance-title"))
    requests = _text(_section(page, "requests-title"))
    assert "Extension" in requests and "@maya.makes" in requests and "by 30 days" in requests
    assert "Extension requested" in _text(_section(page, "ending-title"))
    # Asking again for the same code is refused with the service's words.
    again = client.post(f"/ad-accounts/{account}/renewal-requests",
                        headers={**HTML, "hx-request": "true"},
                        data={"csrf_token": token, "authorization_id": night, "days": "30"})
    assert again.status_code == 409
    assert ("A renewal request for this code is already waiting for the creator's answer"
            in _text(again.text))


def test_overview_spend_at_risk_and_empty_states(client):  # type: ignore[no-untyped-def]
    brand_h = f.user(client, email="brand@example.com")
    business = f.business(client, brand_h, "Empty Co")
    page_login(client, "brand@example.com")
    r = client.get(f"/businesses/{business['id']}/overview", headers=HTML)
    assert r.status_code == 200
    page = _text(r.text)
    assert "No code ends this week" in page and "Nothing stopped" in page
    assert "No request is waiting" in page and "No ad accounts yet" in page
    assert "0.00 daily spend at risk" in page


def test_analyst_reads_the_overview_but_cannot_ask(client):  # type: ignore[no-untyped-def]
    w = _world(client)
    f.user(client, email="analyst@example.com")
    client.put(f"/v1/businesses/{w['business']['id']}/members", headers=w["brand_h"],
               json={"email": "analyst@example.com", "role": "analyst"})
    page_login(client, "analyst@example.com")
    r = client.get(f"/businesses/{w['business']['id']}/overview", headers=HTML)
    assert r.status_code == 200
    ending = _section(r.text, "ending-title")
    assert "<form" not in ending  # no form to fill only to be refused
    assert re.search(r'<button type="button" class="outline small" disabled[^>]*title="Your role '
                     r'can read only; operators and admins ask creators to extend\."', ending)


def test_overview_lists_the_open_requests_of_every_ad_account_and_no_other(client):  # type: ignore[no-untyped-def]
    w = _world(client)
    biz = w["business"]["id"]
    # A second ad account of the business asks too; so does another business, for its own code.
    eu = f.ad_account(client, w["brand_h"], biz, "Glow EU")
    post = f.post(client, w["creator_h"], w["creator"]["id"], caption="Evening routine")
    code = f.code(client, w["creator_h"], post["id"], days=7)
    f.spark_post_id(client, w["brand_h"], eu["id"], code["code"])
    other_h = f.user(client)
    other = f.ad_account(client, other_h, f.business(client, other_h, "Other")["id"], "Other")
    other_code = f.code(client, w["creator_h"], post["id"], days=7)
    f.spark_post_id(client, other_h, other["id"], other_code["code"])
    for headers, account, asked in ((w["brand_h"], w["account"]["id"],
                                     w["codes"]["Night routine"]["id"]),
                                    (w["brand_h"], eu["id"], code["id"]),
                                    (other_h, other["id"], other_code["id"])):
        f._ok(client.post(f"/v1/ad-accounts/{account}/renewal-requests", headers=headers,
                          json={"authorization_id": asked, "days": 30}), 201)
    page_login(client, "brand@example.com")
    page = client.get(f"/businesses/{biz}/overview", headers=HTML).text
    assert "2 open requests" in _text(_section(page, "glance-title"))
    requests = _section(page, "requests-title")
    assert requests.count("by 30 days") == 2 and "Other" not in _text(requests)


def test_overview_counts_say_at_least_once_counting_stops(client, monkeypatch):  # type: ignore[no-untyped-def]
    from sparkcodes.tracker import overview
    from sparkcodes.tracker import service as tracker_service

    w = _world(client)
    post = f.post(client, w["creator_h"], w["creator"]["id"], caption="Lunch routine")
    code = f.code(client, w["creator_h"], post["id"], days=7)
    f.spark_post_id(client, w["brand_h"], w["account"]["id"], code["code"])
    page_login(client, "brand@example.com")
    url = f"/businesses/{w['business']['id']}/overview"
    glance = _text(_section(client.get(url, headers=HTML).text, "glance-title"))
    assert "2 codes end this week" in glance and "1 Spark post stopped" in glance
    # Counting stops past a bound (10,000 rows; 2,000 read for a status): "at least".
    monkeypatch.setattr(overview, "SHOWN", 1)
    monkeypatch.setattr(tracker_service, "TOTAL_BOUND", 0)
    monkeypatch.setattr(tracker_service, "STATUS_EXAMINE", 0)
    page = client.get(url, headers=HTML).text
    glance = _text(_section(page, "glance-title"))
    assert "1+ codes end this week" in glance and "1+ Spark posts stopped" in glance
    assert "All 1+ in the tracker" in _text(_section(page, "ending-title"))
