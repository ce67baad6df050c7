"""Page journeys over HTTP (no browser): errors next to the field, code cards, renewal answers,
"ends soon" prompts and empty states. Runs on SQLite, and on PostgreSQL when configured."""

from __future__ import annotations

import re

from fastapi.testclient import TestClient

from tests import factories as f
from tests.integration.test_pages_access import HTML, csrf_of, page_login
from tests.integration.test_pages_access import page_text as _text

HX = {"hx-request": "true"}


def _running_ad(client: TestClient, w: dict) -> dict:  # type: ignore[type-arg]
    sp = f.spark_post_id(client, w["brand_h"], w["account"]["id"], w["code"]["code"])
    campaign = f.campaign(client, w["brand_h"], w["account"]["id"])
    group = f._ok(client.post(f"/v1/campaigns/{campaign['id']}/ad-groups", headers=w["brand_h"],
                              json={"name": "G", "budget": "50", "bid": "5"}), 201)
    return f._ok(client.post(f"/v1/ad-groups/{group['id']}/ads", headers=w["brand_h"],
                             json={"spark_post_id": sp, "name": "Maya ad",
                                   "landing_page_url": "https://glow.example/"}), 201)


def test_forms_show_the_services_words_next_to_the_field(client):  # type: ignore[no-untyped-def]
    f.page_world(client)
    token = page_login(client, "brand@example.com")
    r = client.post("/creators", headers=HTML, data={"handle": "maya.makes", "region": "US",
                                                     "csrf_token": token})
    assert r.status_code == 409
    assert re.search(r'id="handle-error"[^>]*>The handle @maya.makes is taken.<', r.text)
    assert 'aria-describedby="handle-help handle-error"' in r.text
    r = client.post("/creators", headers=HTML, data={"handle": "new_one", "region": "USA",
                                                     "csrf_token": token})
    assert r.status_code == 422 and 'id="region-error"' in r.text
    assert "two-letter country code" in r.text
    r = client.post("/businesses", headers=HTML, data={"name": "  ", "csrf_token": token})
    assert r.status_code == 422 and "Give the business a name." in r.text
    r = client.post("/signup", headers=HTML, data={"email": "x@example.com", "password": "short",
                                                   "csrf_token": token})
    assert r.status_code == 422 and "at least 8 characters" in r.text


def test_code_cards_extend_refuse_and_delete(client):  # type: ignore[no-untyped-def]
    w = f.page_world(client)
    token = page_login(client, "creator@example.com")
    code_id = w["code"]["id"]
    headers = {**HX, "x-csrf-token": token}
    r = client.post(f"/codes/{code_id}/extend", headers=headers, data={"days": "60"})
    assert r.status_code == 200
    assert "Extended by 60 days: the code stays the same." in r.text
    assert f'id="code-{code_id}"' in r.text and "ends in 90 days" in _text(r.text)
    r = client.post(f"/codes/{code_id}/extend", headers=headers, data={"days": "365"})
    assert r.status_code == 409 and "at most 365 days from now" in r.text
    r = client.post(f"/codes/{code_id}/delete", headers=headers)
    assert r.status_code == 200 and "Deleted: this code no longer works." in r.text
    assert ">Deleted<" in r.text and "/extend" not in r.text  # no actions on a deleted code
    # The whole post page without HTMX says the same.
    page = client.get(f"/posts/{w['post']['id']}", headers=HTML)
    assert "deleted just now" in _text(page.text)


def test_generate_refuses_in_plain_words_and_the_code_is_never_shown_again(client):  # type: ignore[no-untyped-def]
    creator_h = f.user(client, email="off@example.com")
    creator = f.creator(client, creator_h, handle="off_account", enabled=False)
    post = f.post(client, creator_h, creator["id"])
    token = page_login(client, "off@example.com")
    r = client.post(f"/posts/{post['id']}/codes", headers={**HX, "x-csrf-token": token},
                    data={"days": "30"})
    assert r.status_code == 409 and "turn on ad authorization" in r.text
    client.put(f"/v1/creators/{creator['id']}/ad-settings", headers=creator_h,
               json={"enabled": True, "accept_terms": True})
    r = client.post(f"/posts/{post['id']}/codes", headers={**HX, "x-csrf-token": token},
                    data={"days": "7"})
    assert r.status_code == 201
    raw = re.search(r'id="new-code"[^>]*>([^<]+)<', r.text).group(1)
    assert raw.startswith("SPARK-") and "Shown only once." in r.text
    assert r.headers["cache-control"] == "no-store"
    page = client.get(f"/posts/{post['id']}", headers=HTML).text
    assert raw not in page and raw[:10] in page  # only the hint, never the code again


def test_decline_needs_a_reason_and_the_brand_reads_it(app, client):  # type: ignore[no-untyped-def]
    w = f.page_world(client)
    _running_ad(client, w)
    f.advance(client, w["brand_h"], "P29DT12H")
    renewal = f._ok(client.post(f"/v1/ad-accounts/{w['account']['id']}/renewal-requests",
                                headers=w["brand_h"],
                                json={"authorization_id": w["code"]["id"], "days": 30,
                                      "message": "Winning ad!"}), 201)
    token = page_login(client, "creator@example.com")
    page = _text(client.get(f"/creators/{w['creator']['id']}", headers=HTML).text)
    assert "Glow Skincare (Glow US) asks you to extend" in page and "Winning ad!" in page
    url = f"/renewal-requests/{renewal['id']}/decline"
    r = client.post(url, headers={**HX, "x-csrf-token": token}, data={"reason": "  "})
    assert r.status_code == 422 and "Say why you decline" in r.text
    r = client.post(url, headers={**HX, "x-csrf-token": token},
                    data={"reason": "The campaign is over for me."})
    assert r.status_code == 200 and "Declined" in r.text and "campaign is over" in r.text
    r = client.post(f"/renewal-requests/{renewal['id']}/approve",
                    headers={**HX, "x-csrf-token": token})
    assert r.status_code == 409 and "already declined" in r.text
    with TestClient(app) as brand:
        page_login(brand, "brand@example.com")
        notes = _text(brand.get("/notifications", headers=HTML).text)
        assert "@maya.makes declined your renewal request" in notes
        assert "The campaign is over for me." in notes


def test_ends_soon_asks_for_an_extension_before_the_ad_stops(app, client):  # type: ignore[no-untyped-def]
    w = f.page_world(client)
    ad = _running_ad(client, w)
    f.advance(client, w["brand_h"], "P28D")
    token = page_login(client, "brand@example.com")
    spark = _text(client.get(f"/ad-accounts/{w['account']['id']}", headers=HTML).text)
    assert "2 days left" in spark and "Ask the creator to extend" in spark
    page = _text(client.get(f"/ads/{ad['id']}", headers=HTML).text)
    assert ("Live The creator's authorization ends in 2 days — ask to extend now so the "
            "ad does not stop.") in page
    r = client.post(f"/ad-accounts/{w['account']['id']}/renewal-requests",
                    headers={**HX, "x-csrf-token": token},
                    data={"authorization_id": w["code"]["id"], "days": "30"})
    assert r.status_code == 201 and "Extension requested" in r.text
    r = client.post(f"/ad-accounts/{w['account']['id']}/renewal-requests",
                    headers={**HX, "x-csrf-token": token},
                    data={"authorization_id": w["code"]["id"], "days": "30"})
    assert r.status_code == 409 and "already waiting" in r.text
    page = _text(client.get(f"/ads/{ad['id']}", headers=HTML).text)
    assert "Extension requested" in page and "Withdraw request" in page
    # Pausing stops it, and says so; the unbind of a Spark post with a live ad is refused.
    r = client.post(f"/ads/{ad['id']}/status", headers=HTML,
                    data={"operation": "DISABLE", "csrf_token": token})
    assert "Stopped It is paused" in _text(r.text)


def test_unbind_is_refused_while_an_ad_runs(client):  # type: ignore[no-untyped-def]
    w = f.page_world(client)
    _running_ad(client, w)
    token = page_login(client, "brand@example.com")
    spark_id = f._ok(client.get(f"/v1/ad-accounts/{w['account']['id']}/spark-posts",
                                headers=w["brand_h"]))[0]["id"]
    r = client.post(f"/ad-accounts/{w['account']['id']}/spark-posts/{spark_id}/unbind",
                    headers={**HX, "x-csrf-token": token})
    assert r.status_code == 409
    assert "1 live ad runs on this post; pause or delete it first." in r.text


def test_empty_states_say_what_to_do_next(client):  # type: ignore[no-untyped-def]
    f.user(client, email="new@example.com")
    token = page_login(client, "new@example.com")
    assert "No creator account yet" in client.get("/creators", headers=HTML).text
    assert "No business yet" in client.get("/businesses", headers=HTML).text
    assert "No alerts" in client.get("/notifications", headers=HTML).text
    r = client.post("/businesses", headers=HTML, data={"name": "Acme", "csrf_token": token})
    assert "/businesses/" in str(r.url)  # followed the 303 to the new business
    assert "No ad account yet" in r.text and csrf_of(r.text) == token
