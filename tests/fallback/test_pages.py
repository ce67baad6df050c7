"""Pages: the business's fallback policies (R27), one per ad group: read by every member, set by
operators, refusals in plain words next to the ad group's form."""

from __future__ import annotations

import re

from fastapi.testclient import TestClient

from tests import factories as f
from tests.integration.test_pages_access import HTML, page_login
from tests.integration.test_pages_access import page_text as _text


def _world(client: TestClient) -> dict:  # type: ignore[type-arg]
    """A brand's ad group with a live ad on a creator's code, and a paused ad on another code
    (a possible backup)."""
    creator_h = f.user(client, email="creator@example.com")
    creator = f.creator(client, creator_h, handle="maya.makes")
    brand_h = f.user(client, email="brand@example.com")
    business = f.business(client, brand_h, "Glow Skincare")
    account = f.ad_account(client, brand_h, business["id"], "Glow US")
    campaign = f.campaign(client, brand_h, account["id"], name="Spring")
    group = f.ad_group(client, brand_h, campaign["id"], name="Spring US")
    ads = []
    for caption in ("Morning routine", "Backup creative"):
        post = f.post(client, creator_h, creator["id"], caption=caption)
        code = f.code(client, creator_h, post["id"])
        sp = f.spark_post_id(client, brand_h, account["id"], code["code"])
        ads.append(f.ad(client, brand_h, group["id"], sp, name=f"Ad {caption}"))
    assert f.set_status(client, brand_h, "ad", ads[1]["id"], "DISABLE").status_code == 200
    return {"brand_h": brand_h, "business": business, "account": account, "group": group,
            "ad": ads[0], "backup": ads[1]}


def _card(html: str, group_id: str) -> str:
    match = re.search(rf'<article class="fallback-card" id="group-{group_id}".*?</article>', html,
                      re.S)
    assert match, "no card for the ad group"
    return match.group(0)


def _policy(client: TestClient, w: dict) -> dict:  # type: ignore[type-arg]
    r = client.get(f"/v1/ad-groups/{w['group']['id']}/fallback-policy", headers=w["brand_h"])
    assert r.status_code == 200
    return r.json()  # type: ignore[no-any-return]


def test_fallback_page_shows_the_default_and_sets_a_swap(client):  # type: ignore[no-untyped-def]
    w = _world(client)
    token = page_login(client, "brand@example.com")
    biz, gid = w["business"]["id"], w["group"]["id"]
    r = client.get(f"/businesses/{biz}/fallback", headers=HTML)
    assert r.status_code == 200
    assert re.search(rf'href="/businesses/{biz}/fallback" aria-current="page">Fallback<', r.text)
    card = _card(r.text, gid)
    text = _text(card)
    assert "Spring US" in text and "Glow US" in text and "Spring" in text
    assert "Notify Tells you 24 h before a code ends. (the default)" in text
    assert '<option value="{}">Ad Backup creative</option>'.format(w["backup"]["id"]) in card
    r = client.post(f"/ad-groups/{gid}/fallback-policy", headers=HTML, follow_redirects=False,
                    data={"csrf_token": token, "action": "swap", "hours_before": "48",
                          "backup_ad_id": w["backup"]["id"]})
    assert r.status_code == 303
    assert r.headers["location"] == f"/businesses/{biz}/fallback?saved={gid}#group-{gid}"
    assert (_policy(client, w)["action"], _policy(client, w)["hours_before"],
            _policy(client, w)["backup_ad_id"]) == ("swap", 48, w["backup"]["id"])
    text = _text(_card(client.get(r.headers["location"], headers=HTML).text, gid))
    text = text.replace(" .", ".")  # a link's end is a tag boundary
    assert "Saved." in text
    assert ("Swap Pauses the ad 48 h before its code ends and switches on Ad Backup creative."
            in text)
    # The ad group's own page says its fallback and links to where it is changed.
    group_page = _text(client.get(f"/ad-groups/{gid}", headers=HTML).text)
    assert ("Fallback when a code is about to end: pause the ad and switch on a backup 48 h "
            "before · Change the fallback") in group_page
    # Pause drops the backup the form still sends: it is used only by a swap.
    r = client.post(f"/ad-groups/{gid}/fallback-policy", headers=HTML, follow_redirects=False,
                    data={"csrf_token": token, "action": "pause", "hours_before": "",
                          "backup_ad_id": w["backup"]["id"]})
    assert r.status_code == 303
    assert (_policy(client, w)["action"], _policy(client, w)["hours_before"],
            _policy(client, w)["backup_ad_id"]) == ("pause", 24, None)


def test_fallback_form_refusals_are_plain_words_next_to_the_group(client):  # type: ignore[no-untyped-def]
    w = _world(client)
    token = page_login(client, "brand@example.com")
    gid = w["group"]["id"]
    cases = [
        ({"action": "swap", "hours_before": "24", "backup_ad_id": ""}, 422,
         "A swap needs a backup ad: choose the ad to switch on instead."),
        ({"action": "pause", "hours_before": "0"}, 422,
         "Choose between 1 and 720 hours before the code ends."),
        ({"action": "pause", "hours_before": "two days"}, 422,
         "Choose between 1 and 720 hours before the code ends."),
        ({"action": "explode", "hours_before": "24"}, 422,
         "Choose what happens: notify, pause, or swap to a backup ad."),
        ({"action": "swap", "hours_before": "24", "backup_ad_id": "nope"}, 404,
         "That backup ad is not in this ad account; choose another one."),
    ]
    for data, status, words in cases:
        r = client.post(f"/ad-groups/{gid}/fallback-policy", headers=HTML,
                        data={"csrf_token": token, **data}, follow_redirects=False)
        assert r.status_code == status, (data, r.text[:300])
        card = _card(r.text, gid)
        assert re.search(r'<details open>', card), data  # the form stays open, as typed
        error = re.search(r'<p class="field-error" role="alert">([^<]+)</p>', card)
        assert error and error.group(1).replace("&#39;", "'") == words, data
        assert f'value="{data["hours_before"]}"' in card
    assert _policy(client, w)["is_default"] is True  # nothing was saved


def test_analyst_reads_policies_and_cannot_set_them(client):  # type: ignore[no-untyped-def]
    w = _world(client)
    f.user(client, email="analyst@example.com")
    client.put(f"/v1/businesses/{w['business']['id']}/members", headers=w["brand_h"],
               json={"email": "analyst@example.com", "role": "analyst"})
    token = page_login(client, "analyst@example.com")
    r = client.get(f"/businesses/{w['business']['id']}/fallback", headers=HTML)
    assert r.status_code == 200
    assert "Your role is analyst: you can read the policies" in _text(r.text)
    assert "<form" not in _card(r.text, w["group"]["id"])
    r = client.post(f"/ad-groups/{w['group']['id']}/fallback-policy", headers=HTML,
                    data={"csrf_token": token, "action": "pause", "hours_before": "24"})
    assert r.status_code == 403
    assert "Your role in this business is analyst; this needs operator or higher." in _text(r.text)
    assert _policy(client, w)["is_default"] is True


def test_fallback_page_empty_states(client):  # type: ignore[no-untyped-def]
    brand_h = f.user(client, email="brand@example.com")
    business = f.business(client, brand_h, "Empty Co")
    page_login(client, "brand@example.com")
    r = client.get(f"/businesses/{business['id']}/fallback", headers=HTML)
    assert "No ad accounts yet" in _text(r.text)
    account = f.ad_account(client, brand_h, business["id"], "Empty US")
    r = client.get(f"/businesses/{business['id']}/fallback", headers=HTML)
    assert "No ad groups yet" in _text(r.text)
    assert f'href="/ad-accounts/{account["id"]}/campaigns"' in r.text
