"""Page journeys that change what already exists: pause, resume and delete campaigns and ad
groups; edit and delete posts; a fresh string for an unused code. Each refusal is shown in the
service's words with its status."""

from __future__ import annotations

import re

from fastapi.testclient import TestClient

from tests import factories as f
from tests.integration.test_pages import HX, _running_ad, _text
from tests.integration.test_pages_access import HTML, page_login


def _post(client: TestClient, url: str, token: str, **data: str):  # type: ignore[no-untyped-def]
    return client.post(url, headers=HTML, data={"csrf_token": token, **data},
                       follow_redirects=False)


def _ids(client: TestClient, w: dict) -> tuple[str, str, str]:  # type: ignore[type-arg]
    ad = _running_ad(client, w)
    return ad["campaign_id"], ad["ad_group_id"], ad["id"]


def test_pause_resume_and_delete_a_campaign(client):  # type: ignore[no-untyped-def]
    w = f.page_world(client)
    campaign_id, group_id, ad_id = _ids(client, w)
    token = page_login(client, "brand@example.com")
    page = client.get(f"/campaigns/{campaign_id}", headers=HTML)
    assert "Switch: On" in _text(page.text) and "Pause campaign" in page.text
    assert "Its ad groups and ads stop with it." in page.text  # in the delete confirmation

    r = _post(client, f"/campaigns/{campaign_id}/status", token, operation="DISABLE")
    assert r.status_code == 303 and r.headers["location"] == f"/campaigns/{campaign_id}"
    page = client.get(f"/campaigns/{campaign_id}", headers=HTML)
    assert "Switch: Paused" in _text(page.text) and "Resume campaign" in page.text
    ad = client.get(f"/ads/{ad_id}", headers=HTML)
    assert "Delivery: Stopped It is paused (ad, ad group or campaign)." in _text(ad.text)

    r = _post(client, f"/campaigns/{campaign_id}/status", token, operation="ENABLE")
    assert r.status_code == 303
    assert "Delivering" in _text(client.get(f"/ads/{ad_id}", headers=HTML).text)

    r = _post(client, f"/campaigns/{campaign_id}/status", token, operation="DELETE")
    assert r.status_code == 303
    assert r.headers["location"] == f"/ad-accounts/{w['account']['id']}/campaigns"
    page = client.get(f"/campaigns/{campaign_id}", headers=HTML)
    assert "Pause campaign" not in page.text and "Switch: Deleted" in _text(page.text)

    r = _post(client, f"/campaigns/{campaign_id}/status", token, operation="ENABLE")
    assert r.status_code == 410
    assert "That campaign was deleted and cannot change." in r.text


def test_pause_resume_and_delete_an_ad_group(client):  # type: ignore[no-untyped-def]
    w = f.page_world(client)
    campaign_id, group_id, ad_id = _ids(client, w)
    token = page_login(client, "brand@example.com")
    r = _post(client, f"/ad-groups/{group_id}/status", token, operation="DISABLE")
    assert r.status_code == 303 and r.headers["location"] == f"/ad-groups/{group_id}"
    page = _text(client.get(f"/ad-groups/{group_id}", headers=HTML).text)
    assert "Switch: Paused" in page and "Resume ad group" in page
    r = _post(client, f"/ad-groups/{group_id}/status", token, operation="ENABLE")
    assert r.status_code == 303
    r = _post(client, f"/ad-groups/{group_id}/status", token, operation="DELETE")
    assert r.status_code == 303 and r.headers["location"] == f"/campaigns/{campaign_id}"
    r = _post(client, f"/ad-groups/{group_id}/status", token, operation="DISABLE")
    assert r.status_code == 410
    assert "That ad group was deleted and cannot change." in r.text


def test_a_tampered_operation_is_refused_in_words(client):  # type: ignore[no-untyped-def]
    w = f.page_world(client)
    campaign_id, group_id, _ = _ids(client, w)
    token = page_login(client, "brand@example.com")
    for url in (f"/campaigns/{campaign_id}/status", f"/ad-groups/{group_id}/status"):
        r = _post(client, url, token, operation="EXPLODE")
        assert r.status_code == 422
        assert "operation_status must be ENABLE, DISABLE or DELETE." in r.text


def test_an_analyst_sees_but_cannot_switch(client):  # type: ignore[no-untyped-def]
    w = f.page_world(client)
    campaign_id, group_id, _ = _ids(client, w)
    f.user(client, email="analyst@example.com")
    f._ok(client.put(f"/v1/businesses/{w['business']['id']}/members", headers=w["brand_h"],
                     json={"email": "analyst@example.com", "role": "analyst"}))
    token = page_login(client, "analyst@example.com")
    assert client.get(f"/campaigns/{campaign_id}", headers=HTML).status_code == 200
    for url in (f"/campaigns/{campaign_id}/status", f"/ad-groups/{group_id}/status"):
        r = _post(client, url, token, operation="DISABLE")
        assert r.status_code == 403, (url, r.status_code)
    assert "Switch: On" in _text(client.get(f"/campaigns/{campaign_id}", headers=HTML).text)


def test_edit_a_post_and_the_locks_it_meets(client):  # type: ignore[no-untyped-def]
    w = f.page_world(client)
    token = page_login(client, "creator@example.com")
    fresh = f.post(client, w["creator_h"], w["creator"]["id"], caption="Draft caption")
    base = {"sound": "original", "visibility": "public", "cover_url": ""}

    r = _post(client, f"/posts/{fresh['id']}/edit", token, caption="Final caption", **base)
    assert r.status_code == 200 and "Saved." in r.text and "Final caption" in r.text

    r = _post(client, f"/posts/{fresh['id']}/edit", token, caption="Final caption", **base)
    assert r.status_code == 200 and "Nothing changed." in r.text

    r = _post(client, f"/posts/{fresh['id']}/edit", token, caption="Final caption",
              **{**base, "sound": "commercial_library"})
    assert r.status_code == 200
    assert "starts revision 2: ads made from the earlier revision stop." in _text(r.text)

    # The post with a code: its caption is locked, the rest can change.
    r = _post(client, f"/posts/{w['post']['id']}/edit", token, caption="Another caption", **base)
    assert r.status_code == 409
    assert re.search(r'id="caption-error"[^>]*>The caption cannot be edited once the post has an '
                     r"ad authorization; delete its codes first.<", r.text)
    assert "readonly" in r.text  # the caption field says so before anyone tries

    r = _post(client, f"/posts/{w['post']['id']}/edit", token, caption="Morning routine",
              **{**base, "cover_url": "ftp://nope"})
    assert r.status_code == 422 and 'id="cover_url-error"' in r.text
    assert "A cover is a web address starting with https://." in r.text

    r = _post(client, f"/posts/{w['post']['id']}/edit", token, caption="Morning routine",
              **{**base, "visibility": "everyone"})
    assert r.status_code == 422
    assert re.search(r'id="visibility-error"[^>]*>Choose one of the options.<', r.text)


def test_a_live_ad_holds_the_post(client):  # type: ignore[no-untyped-def]
    w = f.page_world(client)
    _running_ad(client, w)
    token = page_login(client, "creator@example.com")
    post_id = w["post"]["id"]
    r = _post(client, f"/posts/{post_id}/edit", token, caption="Morning routine",
              sound="original", visibility="private", cover_url="")
    assert r.status_code == 409 and 'id="visibility-error"' in r.text
    assert "The post&#39;s visibility cannot change while it runs as a live ad." in r.text
    r = _post(client, f"/posts/{post_id}/delete", token)
    assert r.status_code == 409
    assert "This post runs in 1 live ad; it can be deleted after it stops." in r.text
    assert client.get(f"/v1/posts/{post_id}", headers=w["creator_h"]).json()["deleted_at"] is None


def test_delete_a_post(client):  # type: ignore[no-untyped-def]
    w = f.page_world(client)
    token = page_login(client, "creator@example.com")
    r = _post(client, f"/posts/{w['post']['id']}/delete", token)
    assert r.status_code == 303 and r.headers["location"] == f"/posts/{w['post']['id']}"
    page = client.get(f"/posts/{w['post']['id']}", headers=HTML).text
    assert "This post was deleted; it cannot run as an ad." in page
    assert "Delete post" not in page  # nothing left to manage
    r = _post(client, f"/posts/{w['post']['id']}/delete", token)  # twice is harmless
    assert r.status_code == 303


def test_a_fresh_string_for_an_unused_code(client):  # type: ignore[no-untyped-def]
    w = f.page_world(client)
    token = page_login(client, "creator@example.com")
    code_id, old = w["code"]["id"], w["code"]["code"]
    page = client.get(f"/posts/{w['post']['id']}", headers=HTML).text
    assert f"/codes/{code_id}/regenerate" in page
    r = client.post(f"/codes/{code_id}/regenerate", headers={**HX, "x-csrf-token": token})
    assert r.status_code == 200
    new = re.search(r'id="new-code"[^>]*>([^<]+)<', r.text).group(1).strip()  # type: ignore[union-attr]
    assert new != old and new.startswith("SPARK-")
    assert "no longer works; send this one instead." in r.text
    assert 'id="ad-panel"' in r.text  # the whole panel, swapped in place
    # The old string is dead, the new one previews.
    url = f"/v1/ad-accounts/{w['account']['id']}/spark-posts/preview"
    r = client.post(url, headers=w["brand_h"], json={"code": old})
    assert r.status_code == 404 and f.error_code(r) == "code_not_found"
    r = client.post(url, headers=w["brand_h"], json={"code": new})
    assert r.status_code == 200 and r.json()["eligible"] is True
    # The new string is never shown again.
    assert new not in client.get(f"/posts/{w['post']['id']}", headers=HTML).text


def test_a_linked_code_keeps_its_string(client):  # type: ignore[no-untyped-def]
    w = f.page_world(client)
    f.bind(client, w["brand_h"], w["account"]["id"], [w["code"]["code"]])
    token = page_login(client, "creator@example.com")
    code_id = w["code"]["id"]
    page = client.get(f"/posts/{w['post']['id']}", headers=HTML).text
    assert f"/codes/{code_id}/regenerate" not in page  # no button for an in-use code
    r = client.post(f"/codes/{code_id}/regenerate", headers={**HX, "x-csrf-token": token})
    assert r.status_code == 409
    assert ("This code is already bound to an ad account, so it cannot be regenerated."
            in r.text)
    assert 'id="new-code"' not in r.text


def test_money_fields_refuse_what_is_not_money(client):  # type: ignore[no-untyped-def]
    """Budgets, bids, fees and rates share one parser: 'NaN' and friends are refused in words,
    never a server error."""
    w = f.page_world(client)
    token = page_login(client, "brand@example.com")
    account = w["account"]["id"]
    for budget in ("NaN", "Infinity", "0", "12.345", "lots"):
        r = _post(client, f"/ad-accounts/{account}/campaigns", token, name="Sale",
                  budget_mode="BUDGET_MODE_DAY", budget=budget)
        assert r.status_code == 422, (budget, r.status_code)
        assert 'id="budget-error"' in r.text and "Enter the budget as an amount" in r.text
    campaign = f.campaign(client, w["brand_h"], account)
    r = _post(client, f"/campaigns/{campaign['id']}/ad-groups", token, name="G", budget="NaN",
              bid="-1")
    assert r.status_code == 422
    assert "Enter the daily budget as an amount above 0 and up to 10,000,000" in r.text
    # A bid's range is the JSON API's (ad.rules.MAX_BID), stated under the field too.
    assert "Enter the bid as an amount above 0 and up to 10,000, with" in r.text
