"""Pages: the roster and contracts (R26, R31), the ad account's requests tab, and the creator's
answers to code requests (R25). Errors next to the field with the service's status, roles, and
the rule that the brand never sees a requested code."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

import pytest
from fastapi.testclient import TestClient

from sparkcodes.kit import crypto
from tests import factories as f
from tests.integration.test_pages_access import HTML, page_login
from tests.integration.test_pages_access import page_text as _text

HX = {"hx-request": "true"}


def _field_error(html: str, field: str) -> str:
    match = re.search(rf'id="{re.escape(field)}-error"[^>]*>([^<]+)<', html)
    assert match, f"no error next to {field}"
    return match.group(1)


def _analyst(client: TestClient, w: dict) -> str:  # type: ignore[type-arg]
    f.user(client, email="analyst@example.com")
    f._ok(client.put(f"/v1/businesses/{w['business']['id']}/members", headers=w["brand_h"],
                     json={"email": "analyst@example.com", "role": "analyst"}))
    return page_login(client, "analyst@example.com")


def _day(offset_days: int) -> str:
    return (datetime.now(UTC) + timedelta(days=offset_days)).date().isoformat()


# --- roster --------------------------------------------------------------------------------

def test_roster_page_empty_states_tabs_and_crumbs(client):  # type: ignore[no-untyped-def]
    w = f.page_world(client)
    page_login(client, "brand@example.com")
    r = client.get(f"/businesses/{w['business']['id']}/roster", headers=HTML)
    assert r.status_code == 200
    words = _text(r.text)
    assert "No creators on the roster yet" in words and "No contracts yet" in words
    assert f'href="/businesses/{w["business"]["id"]}/roster" aria-current="page">Roster' in r.text
    assert 'aria-label="Breadcrumb"' in r.text and "Glow Skincare" in words
    assert "Add to roster" in r.text and "Record contract" in r.text


def test_add_edit_filter_and_remove_a_roster_entry(client):  # type: ignore[no-untyped-def]
    w = f.page_world(client)
    f.bind(client, w["brand_h"], w["account"]["id"], [w["code"]["code"]])
    other_h = f.user(client, email="other@example.com")
    other = f.creator(client, other_h, handle="leo.cooks")
    token = page_login(client, "brand@example.com")
    url = f"/businesses/{w['business']['id']}/roster"
    # A creator whose post the brand runs can be picked from the list.
    page = client.get(url, headers=HTML).text
    assert f'<option value="{w["creator"]["id"]}"' in page

    r = client.post(url, headers=HTML, follow_redirects=False, data={
        "handle": "@maya.makes", "status": "active", "rate": "250", "currency": "usd",
        "notes": "Skincare, prefers email", "csrf_token": token})
    assert r.status_code == 303 and r.headers["location"] == url
    words = _text(client.get(url, headers=HTML).text)
    assert "@maya.makes" in words and "250.00 USD per post" in words
    assert "Skincare, prefers email" in words and "1 live code, 0 expired" in words

    r = client.post(url, headers=HTML, data={"handle": "maya.makes", "csrf_token": token})
    assert r.status_code == 409
    assert _field_error(r.text, "handle") == "@maya.makes is on the roster already."
    r = client.post(url, headers=HTML, data={"handle": "nobody.here", "csrf_token": token})
    assert r.status_code == 404
    assert _field_error(r.text, "handle").startswith(
        "No creator account by that name. To add a creator who is not on sparkcodes, give their "
        "e-mail too")
    r = client.post(url, headers=HTML, data={"csrf_token": token})
    assert r.status_code == 422 and "Type the creator's handle or pick one" in _text(r.text)
    r = client.post(url, headers=HTML, data={"handle": "leo.cooks", "rate": "12.345",
                                             "csrf_token": token})
    assert r.status_code == 422 and "at most two decimals" in _field_error(r.text, "rate")
    r = client.post(url, headers=HTML, data={"handle": "leo.cooks", "currency": "US",
                                             "csrf_token": token})
    assert r.status_code == 422 and "three-letter code" in _field_error(r.text, "currency")
    assert 'value="leo.cooks"' in r.text  # the form keeps what was typed
    r = client.post(url, headers=HTML, follow_redirects=False,
                    data={"creator_id": other["id"], "csrf_token": token})
    assert r.status_code == 303

    entries = f._ok(client.get(f"/v1/businesses/{w['business']['id']}/roster",
                               headers=w["brand_h"]))["items"]
    maya = next(e for e in entries if e["creator"]["handle"] == "maya.makes")
    r = client.post(f"/roster/{maya['id']}", headers=HTML,
                    data={"status": "sleeping", "rate": "", "notes": "", "csrf_token": token})
    assert r.status_code == 422
    assert "status must be one of" in _field_error(r.text, f"edit-{maya['id']}-status")
    r = client.post(f"/roster/{maya['id']}", headers=HTML, follow_redirects=False,
                    data={"status": "paused", "rate": "", "notes": "On holiday",
                          "csrf_token": token})
    assert r.status_code == 303
    words = _text(client.get(url + "?status=paused", headers=HTML).text)
    assert "@maya.makes" in words and "none agreed yet" in words and "On holiday" in words
    assert "Take @leo.cooks off" not in words
    words = _text(client.get(url + "?status=active", headers=HTML).text)
    assert "No active creators" in words

    r = client.post(f"/roster/{maya['id']}/delete", headers=HTML, follow_redirects=False,
                    data={"csrf_token": token})
    assert r.status_code == 303
    page = client.get(url, headers=HTML).text
    assert "Take @leo.cooks off the roster?" in page  # removal asks first
    assert "@maya.makes off the roster" not in page


def test_roster_pages_beyond_fifty_entries(client):  # type: ignore[no-untyped-def]
    w = f.page_world(client)
    owner = f.user(client, email="many@example.com")
    for i in range(51):
        c = f.creator(client, owner, handle=f"c{i:02d}_many", enabled=False)
        f._ok(client.post(f"/v1/businesses/{w['business']['id']}/roster", headers=w["brand_h"],
                          json={"creator_id": c["id"]}), 201)
    page_login(client, "brand@example.com")
    url = f"/businesses/{w['business']['id']}/roster"
    first = client.get(url, headers=HTML).text
    assert "1–50 of 51" in first and "Take @c49_many off" in first
    assert "Take @c50_many off" not in first
    assert f'href="{url}?offset=50"' in first
    second = client.get(url + "?offset=50", headers=HTML).text
    assert "51–51 of 51" in second and "Take @c50_many off" in second


def test_contracts_record_refuse_flag_and_delete(client):  # type: ignore[no-untyped-def]
    w = f.page_world(client)
    f.bind(client, w["brand_h"], w["account"]["id"], [w["code"]["code"]])
    other_h = f.user(client, email="other@example.com")
    other = f.creator(client, other_h, handle="leo.cooks")
    other_post = f.post(client, other_h, other["id"], caption="Leo's pasta")
    token = page_login(client, "brand@example.com")
    biz = w["business"]["id"]
    url = f"/businesses/{biz}/contracts"
    base = {"creator_id": w["creator"]["id"], "starts_on": _day(-1), "ends_on": _day(90),
            "csrf_token": token}

    r = client.post(url, headers=HTML, data={**base, "ends_on": _day(-5)})
    assert r.status_code == 422
    assert _field_error(r.text, "contract_ends") == "A contract must end after it starts."
    r = client.post(url, headers=HTML, data={**base, "starts_on": ""})
    assert r.status_code == 422
    assert _field_error(r.text, "contract_starts") == "Choose the day the contract starts."
    r = client.post(url, headers=HTML, data={**base, "starts_on": "31/01/2026"})
    assert r.status_code == 422
    assert _field_error(r.text, "contract_starts") == "Enter a date such as 2026-01-31."
    r = client.post(url, headers=HTML, data={**base, "post_id": other_post["id"]})
    assert r.status_code == 422
    assert _field_error(r.text, "contract_post") == "That post belongs to another creator account."
    r = client.post(url, headers=HTML, data={**base, "post_id": "nope"})
    assert r.status_code == 404 and _field_error(r.text, "contract_post") == "No such post."
    r = client.post(url, headers=HTML, data={**base, "creator_id": "", "handle": ""})
    assert r.status_code == 422 and "Pick the creator" in _field_error(r.text, "contract_creator")
    r = client.post(url, headers=HTML, data={**base, "creator_id": "", "handle": "ghost"})
    assert r.status_code == 404 and "No creator account" in _field_error(r.text,
                                                                          "contract_handle")
    r = client.post(url, headers=HTML, data={**base, "fee": "-3"})
    assert r.status_code == 422 and "from 0 to" in _field_error(r.text, "contract_fee")

    # A 90-day contract over a 30-day code: the tracker's flag shows on the contract.
    r = client.post(url, headers=HTML, follow_redirects=False,
                    data={**base, "fee": "500", "notes": "Paid social only"})
    assert r.status_code == 303 and r.headers["location"].endswith("/roster#contracts")
    r = client.post(url, headers=HTML, follow_redirects=False,
                    data={**base, "creator_id": "", "handle": "@leo.cooks",
                          "post_id": other_post["id"], "starts_on": _day(10)})
    assert r.status_code == 303
    page = client.get(f"/businesses/{biz}/roster", headers=HTML).text
    words = _text(page)
    assert "@maya.makes · every post" in words and "Active" in words and "500.00" in words
    assert "Paid social only" in words and "Upcoming" in words and "Leo's pasta" in words
    assert "the code ends before the contract does" in words
    # The flag carries its fix: ask the creator to extend, weeks ahead (folded until opened).
    flag = re.search(r'<ul class="problems small".*?</ul>', page, re.S).group(0)
    assert f'id="ask-{w["code"]["id"]}"' in flag and "<summary>Ask to extend</summary>" in flag
    assert f'action="/ad-accounts/{w["account"]["id"]}/renewal-requests"' in flag
    r = client.post(f"/ad-accounts/{w['account']['id']}/renewal-requests", headers=HTML,
                    data={"csrf_token": token, "authorization_id": w["code"]["id"],
                          "days": "60"}, follow_redirects=False)
    assert r.status_code == 303
    page = client.get(f"/businesses/{biz}/roster", headers=HTML).text
    flag = re.search(r'<ul class="problems small".*?</ul>', page, re.S).group(0)
    assert "Extension requested" in _text(flag) and "by 60 days" in _text(flag)
    contracts = f._ok(client.get(url.replace("/businesses", "/v1/businesses"),
                                 headers=w["brand_h"]))["items"]
    assert {c["starts_at"][:10] for c in contracts} == {_day(-1), _day(10)}
    assert all(c["starts_at"].endswith(("Z", "+00:00")) for c in contracts)

    maya = next(c for c in contracts if c["creator"]["handle"] == "maya.makes")
    assert 'data-confirm="Delete this contract with @maya.makes?' in page
    r = client.post(f"/contracts/{maya['id']}/delete", headers=HTML, follow_redirects=False,
                    data={"csrf_token": token})
    assert r.status_code == 303
    words = _text(client.get(f"/businesses/{biz}/roster", headers=HTML).text)
    assert "@maya.makes · every post" not in words
    assert "the code ends before the contract" not in words


def test_a_contract_card_shows_a_few_flags_and_links_the_rest(client, monkeypatch):  # type: ignore[no-untyped-def]
    from sparkcodes.roster import views as roster_views

    monkeypatch.setattr(roster_views, "FLAGS_SHOWN", 1)
    monkeypatch.setattr(roster_views, "PICKER_SIZE", 1)
    w = f.page_world(client)
    second = f.code(client, w["creator_h"], f.post(client, w["creator_h"], w["creator"]["id"],
                                                   caption="Evening routine")["id"], days=60)
    f.bind(client, w["brand_h"], w["account"]["id"], [w["code"]["code"], second["code"]])
    other_h = f.user(client, email="other@example.com")
    leo = f.creator(client, other_h, handle="leo.cooks")
    leo_code = f.code(client, other_h, f.post(client, other_h, leo["id"])["id"])
    f.bind(client, w["brand_h"], w["account"]["id"], [leo_code["code"]])
    token = page_login(client, "brand@example.com")
    biz = w["business"]["id"]
    r = client.post(f"/businesses/{biz}/contracts", headers=HTML, follow_redirects=False,
                    data={"creator_id": w["creator"]["id"], "starts_on": _day(-1),
                          "ends_on": _day(120), "csrf_token": token})
    assert r.status_code == 303
    page = client.get(f"/businesses/{biz}/roster", headers=HTML).text
    # Both of Maya's codes end before the contract: one is shown, the other is in the tracker.
    flags = re.search(r'<ul class="problems small".*?</ul>', page, re.S).group(0)
    assert _text(flags).count("the code ends before the contract does") == 1
    assert "Morning routine" in flags and "Evening routine" not in flags
    assert (f'<a href="/businesses/{biz}/tracker?creator_id={w["creator"]["id"]}">1 more '
            f"flagged Spark post of @maya.makes in the tracker</a>") in flags
    # The pickers offer the first creators and posts the business runs, within their size.
    picker = re.search(r'<select id="creator_id".*?</select>', page, re.S)
    assert picker is not None and _text(picker.group(0)).count("@") == 1
    assert "@leo.cooks" in picker.group(0)  # by handle; Maya is not on the roster either
    known = re.search(r'<datalist id="known-posts">.*?</datalist>', page, re.S).group(0)
    assert known.count("<option") == 1 and "Morning routine" in known  # the soonest end


def test_an_analyst_reads_the_roster_but_cannot_change_it(client):  # type: ignore[no-untyped-def]
    w = f.page_world(client)
    biz = w["business"]["id"]
    entry = f._ok(client.post(f"/v1/businesses/{biz}/roster", headers=w["brand_h"],
                              json={"creator_id": w["creator"]["id"]}), 201)
    contract = f._ok(client.post(f"/v1/businesses/{biz}/contracts", headers=w["brand_h"], json={
        "creator_id": w["creator"]["id"], "starts_at": "2026-01-01T00:00:00Z",
        "ends_at": "2030-01-01T00:00:00Z"}), 201)
    token = _analyst(client, w)
    r = client.get(f"/businesses/{biz}/roster", headers=HTML)
    assert r.status_code == 200 and "@maya.makes" in r.text
    assert "Your role is analyst" in r.text
    assert "Add to roster" not in r.text and "Record contract" not in r.text
    assert "/delete" not in r.text
    for path, data in ((f"/businesses/{biz}/roster", {"handle": "maya.makes"}),
                       (f"/roster/{entry['id']}", {"status": "active"}),
                       (f"/roster/{entry['id']}/delete", {}),
                       (f"/businesses/{biz}/contracts", {"creator_id": w["creator"]["id"]}),
                       (f"/contracts/{contract['id']}/delete", {})):
        r = client.post(path, headers=HTML, data={**data, "csrf_token": token})
        assert r.status_code == 403, path
        assert "this needs operator or higher" in r.text


# --- the brand's requests tab ------------------------------------------------------------------

def test_requests_page_empty_states(client):  # type: ignore[no-untyped-def]
    w = f.page_world(client)
    page_login(client, "brand@example.com")
    r = client.get(f"/ad-accounts/{w['account']['id']}/requests", headers=HTML)
    assert r.status_code == 200
    words = _text(r.text)
    assert "No code requests yet" in words and "No extension requests yet" in words
    assert f'href="/ad-accounts/{w["account"]["id"]}/requests" aria-current="page"' in r.text
    assert "Send request" in r.text


def test_request_a_code_and_every_refusal_next_to_its_field(client):  # type: ignore[no-untyped-def]
    w = f.page_world(client)
    other_post = f.post(client, w["creator_h"], w["creator"]["id"], caption="Evening routine")
    off_h = f.user(client, email="off@example.com")
    off = f.creator(client, off_h, handle="off_account", enabled=False)
    off_post = f.post(client, off_h, off["id"])
    token = page_login(client, "brand@example.com")
    url = f"/ad-accounts/{w['account']['id']}/code-requests"
    base = {"post_id": other_post["id"], "days": "30", "csrf_token": token}

    r = client.post(url, headers=HTML, data={**base, "post_id": "nope"})
    assert r.status_code == 404 and "No post has that id" in _field_error(r.text, "post_id")
    r = client.post(url, headers=HTML, data={**base, "post_id": "  "})
    assert r.status_code == 422 and "Enter the id" in _field_error(r.text, "post_id")
    r = client.post(url, headers=HTML, data={**base, "post_id": off_post["id"]})
    assert r.status_code == 409 and "ad authorization" in _field_error(r.text, "post_id")
    r = client.post(url, headers=HTML, data={**base, "days": "14"})
    assert r.status_code == 422 and "14 is not one of them" in _field_error(r.text, "days")
    r = client.post(url, headers=HTML, data={**base, "expires_in_days": "40"})
    assert r.status_code == 422 and "between 1 and 30" in _field_error(r.text, "expires_in_days")
    r = client.post(url, headers=HTML, data={**base, "expires_in_days": "soon"})
    assert r.status_code == 422 and "whole number" in _field_error(r.text, "expires_in_days")
    r = client.post(url, headers=HTML, data={**base, "fee": "lots"})
    assert r.status_code == 422 and "250 or 249.99" in _field_error(r.text, "fee")
    r = client.post(url, headers=HTML, data={**base, "currency": "E1"})
    assert r.status_code == 422 and "three-letter" in _field_error(r.text, "currency")
    assert f'value="{other_post["id"]}"' in r.text  # the form keeps what was typed

    r = client.post(url, headers=HTML, follow_redirects=False, data={
        **base, "fee": "250", "currency": "eur", "terms": "US paid social only",
        "expires_in_days": "5"})
    assert r.status_code == 303
    assert r.headers["location"] == f"/ad-accounts/{w['account']['id']}/requests"
    # The address of the post's page works as well as its id.
    r = client.post(url, headers=HTML, follow_redirects=False, data={
        **base, "post_id": f"http://testserver/posts/{w['post']['id']}", "days": "7"})
    assert r.status_code == 303
    words = _text(client.get(r.headers["location"], headers=HTML).text)
    assert "Code requests (2)" in words and "Waiting for the creator" in words
    assert "fee 250.00 EUR" in words and "US paid social only" in words
    assert "to answer ( in 5 days )" in words and "7-day code · no fee offered" in words
    assert "Evening routine" in words and "Morning routine" in words


def test_creator_accepts_the_brand_sees_it_bound_but_never_the_code(client, monkeypatch):  # type: ignore[no-untyped-def]
    w = f.page_world(client)
    wanted = f.post(client, w["creator_h"], w["creator"]["id"], caption="Evening routine")
    request = f._ok(client.post(f"/v1/ad-accounts/{w['account']['id']}/code-requests",
                                headers=w["brand_h"],
                                json={"post_id": wanted["id"], "days": 60, "fee": "300",
                                      "terms": "Six weeks of paid social"}), 201)
    made: list[str] = []
    real = crypto.new_code

    def spy() -> str:
        made.append(real())
        return made[-1]

    monkeypatch.setattr(crypto, "new_code", spy)
    token = page_login(client, "creator@example.com")
    page = client.get(f"/creators/{w['creator']['id']}", headers=HTML).text
    words = _text(page)
    assert "Brands asking you for a code" in words
    assert "Glow Skincare (Glow US) asks you for a 60-day code on your post" in words
    assert "They offer 300.00 USD ." in words and "Six weeks of paid social" in words
    assert "This generates a code and links it to Glow Skincare (Glow US)" in page

    r = client.post(f"/code-requests/{request['id']}/accept",
                    headers={**HX, "x-csrf-token": token})
    assert r.status_code == 200, r.text
    assert f'id="code-request-{request["id"]}"' in r.text and "Accepted" in r.text
    assert len(made) == 1 and made[0] not in r.text and made[0][:10] in r.text
    r = client.post(f"/code-requests/{request['id']}/accept",
                    headers={**HX, "x-csrf-token": token})
    assert r.status_code == 409 and "already accepted" in r.text
    # Answered requests leave the creator page's pending list.
    assert "Brands asking you for a code" not in client.get(
        f"/creators/{w['creator']['id']}", headers=HTML).text

    page_login(client, "brand@example.com")
    page = client.get(f"/ad-accounts/{w['account']['id']}/requests", headers=HTML).text
    words = _text(page)
    assert "@maya.makes accepted just now: a 60-day code" in words
    assert "was generated and linked to Glow US automatically" in words
    spark = f._ok(client.get(f"/v1/ad-accounts/{w['account']['id']}/spark-posts",
                             headers=w["brand_h"]))[0]
    assert f'href="/ad-accounts/{w["account"]["id"]}#spark-{spark["id"]}"' in page
    assert made[0] not in page and made[0].replace("-", "") not in page
    assert made[0][:10] in page  # only its hint


def test_decline_needs_a_reason_with_and_without_htmx(client):  # type: ignore[no-untyped-def]
    w = f.page_world(client)
    ask = {"post_id": w["post"]["id"], "days": 30}
    first = f._ok(client.post(f"/v1/ad-accounts/{w['account']['id']}/code-requests",
                              headers=w["brand_h"], json=ask), 201)
    # One open request per post and ad account: the second one is for another post.
    other = f.post(client, w["creator_h"], w["creator"]["id"], caption="Evening routine")
    second = f._ok(client.post(f"/v1/ad-accounts/{w['account']['id']}/code-requests",
                               headers=w["brand_h"], json={**ask, "post_id": other["id"]}), 201)
    token = page_login(client, "creator@example.com")
    url = f"/code-requests/{first['id']}/decline"
    r = client.post(url, headers={**HX, "x-csrf-token": token}, data={"reason": "   "})
    assert r.status_code == 422
    rid = first["id"]
    assert re.search(rf'id="cr-reason-error-{rid}"[^>]*>Say why you decline', r.text)
    assert (f'aria-describedby="cr-reason-{rid}-limit cr-reason-error-{rid}"' in r.text
            and "<details" in r.text)
    assert 'class="decline" open' in r.text
    r = client.post(url, headers={**HX, "x-csrf-token": token},
                    data={"reason": "I only work with vegan brands."})
    assert r.status_code == 200 and "Declined" in r.text and "vegan brands" in r.text

    # Without HTMX: back to the creator page, or an error page with the status.
    other = f"/code-requests/{second['id']}/decline"
    r = client.post(other, headers=HTML, follow_redirects=False,
                    data={"reason": "", "csrf_token": token})
    assert r.status_code == 422 and "Say why you decline" in r.text
    r = client.post(other, headers=HTML, follow_redirects=False,
                    data={"reason": "Not this post.", "csrf_token": token})
    assert r.status_code == 303 and r.headers["location"] == f"/creators/{w['creator']['id']}"
    r = client.post(f"/code-requests/{second['id']}/accept", headers=HTML,
                    data={"csrf_token": token})
    assert r.status_code == 409 and "already declined" in r.text

    page_login(client, "brand@example.com")
    words = _text(client.get(f"/ad-accounts/{w['account']['id']}/requests", headers=HTML).text)
    assert "declined just now: “I only work with vegan brands.”" in words
    assert "declined just now: “Not this post.”" in words


def test_another_user_cannot_answer_and_an_expired_request_says_so(client):  # type: ignore[no-untyped-def]
    w = f.page_world(client)
    request = f._ok(client.post(f"/v1/ad-accounts/{w['account']['id']}/code-requests",
                                headers=w["brand_h"],
                                json={"post_id": w["post"]["id"], "days": 30,
                                      "expires_in_days": 1}), 201)
    token = page_login(client, "brand@example.com")
    for verb in ("accept", "decline"):
        r = client.post(f"/code-requests/{request['id']}/{verb}", headers=HTML,
                        data={"reason": "mine now", "csrf_token": token})
        assert r.status_code == 404 and "No such code request." in r.text
    f.advance(client, w["brand_h"], "P2D")
    words = _text(client.get(f"/ad-accounts/{w['account']['id']}/requests", headers=HTML).text)
    assert "Expired" in words and "Not answered: it expired 1 day ago" in words
    token = page_login(client, "creator@example.com")
    r = client.post(f"/code-requests/{request['id']}/accept",
                    headers={**HX, "x-csrf-token": token})
    assert r.status_code == 410 and "expired" in r.text and "without an answer" in r.text


def test_renewal_requests_on_the_tab_and_withdrawing_one(client):  # type: ignore[no-untyped-def]
    w = f.page_world(client)
    f.bind(client, w["brand_h"], w["account"]["id"], [w["code"]["code"]])
    renewal = f._ok(client.post(f"/v1/ad-accounts/{w['account']['id']}/renewal-requests",
                                headers=w["brand_h"],
                                json={"authorization_id": w["code"]["id"], "days": 30,
                                      "message": "Winning ad!"}), 201)
    token = page_login(client, "brand@example.com")
    url = f"/ad-accounts/{w['account']['id']}/requests"
    page = client.get(url, headers=HTML).text
    words = _text(page)
    assert "Extension requests (1)" in words and "extend by 30 days" in words
    assert "Winning ad!" in words and w["code"]["code"][:10] in page
    assert f'action="/renewal-requests/{renewal["id"]}/cancel"' in page
    r = client.post(f"/renewal-requests/{renewal['id']}/cancel", follow_redirects=False,
                    headers={**HTML, "referer": f"http://testserver{url}"},
                    data={"csrf_token": token})
    assert r.status_code == 303 and r.headers["location"] == url
    words = _text(client.get(url, headers=HTML).text)
    assert "Withdrawn just now." in words
    # A second request on the same code is refused (one pending per code) — the renewal page says.
    f._ok(client.post(f"/v1/ad-accounts/{w['account']['id']}/renewal-requests",
                      headers=w["brand_h"],
                      json={"authorization_id": w["code"]["id"], "days": 30}), 201)
    r = client.post(f"/ad-accounts/{w['account']['id']}/renewal-requests",
                    headers={**HX, "x-csrf-token": token},
                    data={"authorization_id": w["code"]["id"], "days": "30"})
    assert r.status_code == 409


def test_an_analyst_follows_requests_but_cannot_send_them(client):  # type: ignore[no-untyped-def]
    w = f.page_world(client)
    f.bind(client, w["brand_h"], w["account"]["id"], [w["code"]["code"]])
    f._ok(client.post(f"/v1/ad-accounts/{w['account']['id']}/renewal-requests",
                      headers=w["brand_h"],
                      json={"authorization_id": w["code"]["id"], "days": 30}), 201)
    token = _analyst(client, w)
    r = client.get(f"/ad-accounts/{w['account']['id']}/requests", headers=HTML)
    assert r.status_code == 200 and "Your role is analyst" in r.text
    assert "Send request" not in r.text and "Withdraw request" not in r.text
    assert "Waiting for the creator" in r.text
    r = client.post(f"/ad-accounts/{w['account']['id']}/code-requests", headers=HTML,
                    data={"post_id": w["post"]["id"], "days": "30", "csrf_token": token})
    assert r.status_code == 403 and "this needs operator or higher" in r.text


@pytest.mark.parametrize("value, expected", [
    ("abc123", "abc123"), (" abc123 ", "abc123"), ("https://x.example/posts/abc123", "abc123"),
    ("x.example/posts/abc123/?ref=1", "abc123"), ("/", ""),
])
def test_post_ref_takes_an_id_or_an_address(value, expected):  # type: ignore[no-untyped-def]
    from sparkcodes.code_request.views import post_ref

    assert post_ref(value) == expected


# --- the brand withdraws a code request; one open request per post ---------------------------

def test_withdraw_a_code_request_in_place_and_without_htmx(client):  # type: ignore[no-untyped-def]
    w = f.page_world(client)
    acc = w["account"]["id"]
    other = f.post(client, w["creator_h"], w["creator"]["id"], caption="Evening routine")
    first = f._ok(client.post(f"/v1/ad-accounts/{acc}/code-requests", headers=w["brand_h"],
                              json={"post_id": w["post"]["id"], "days": 30}), 201)
    second = f._ok(client.post(f"/v1/ad-accounts/{acc}/code-requests", headers=w["brand_h"],
                               json={"post_id": other["id"], "days": 7}), 201)
    token = page_login(client, "brand@example.com")
    url = f"/ad-accounts/{acc}/requests"
    page = client.get(url, headers=HTML).text
    for rid in (first["id"], second["id"]):
        assert f'action="/code-requests/{rid}/cancel"' in page
        assert f'hx-post="/code-requests/{rid}/cancel"' in page
    assert 'hx-confirm="Withdraw your request to @maya.makes?' in page

    # With HTMX: the card answers in place.
    r = client.post(f"/code-requests/{first['id']}/cancel", headers={**HX, "x-csrf-token": token})
    assert r.status_code == 200, r.text
    assert f'id="code-request-{first["id"]}"' in r.text and "<html" not in r.text
    words = _text(r.text)
    assert "Withdrawn" in words and "You withdrew this request just now" in words
    assert "/cancel" not in r.text  # nothing left to withdraw
    r = client.post(f"/code-requests/{first['id']}/cancel", headers={**HX, "x-csrf-token": token})
    assert r.status_code == 409 and f'id="code-request-{first["id"]}"' in r.text
    assert "The brand withdrew this code request on" in _text(r.text)

    # Without HTMX: back to the page it was sent from, or the requests page with the error.
    r = client.post(f"/code-requests/{second['id']}/cancel", follow_redirects=False,
                    headers={**HTML, "referer": f"http://testserver{url}"},
                    data={"csrf_token": token})
    assert r.status_code == 303 and r.headers["location"] == url
    r = client.post(f"/code-requests/{second['id']}/cancel", follow_redirects=False,
                    headers=HTML, data={"csrf_token": token})
    assert r.status_code == 409 and "Code requests (2)" in _text(r.text)
    assert re.search(r'class="field-error" role="alert">The brand withdrew this code request',
                     r.text)
    words = _text(client.get(url, headers=HTML).text)
    assert words.count("You withdrew this request just now") == 2
    assert "Waiting for the creator" not in words

    # The creator has nothing left to answer.
    token = page_login(client, "creator@example.com")
    assert "Brands asking you for a code" not in client.get(
        f"/creators/{w['creator']['id']}", headers=HTML).text
    r = client.post(f"/code-requests/{first['id']}/accept", headers={**HX, "x-csrf-token": token})
    assert r.status_code == 409
    words = _text(r.text)
    assert "Glow Skincare withdrew this request just now; there is nothing to answer." in words
    assert "The brand withdrew this code request on" in words


def test_an_analyst_cannot_withdraw_a_code_request(client):  # type: ignore[no-untyped-def]
    w = f.page_world(client)
    request = f._ok(client.post(f"/v1/ad-accounts/{w['account']['id']}/code-requests",
                                headers=w["brand_h"],
                                json={"post_id": w["post"]["id"], "days": 30}), 201)
    token = _analyst(client, w)
    page = client.get(f"/ad-accounts/{w['account']['id']}/requests", headers=HTML).text
    assert "Waiting for the creator" in page and "/cancel" not in page
    r = client.post(f"/code-requests/{request['id']}/cancel", headers=HTML,
                    data={"csrf_token": token})
    assert r.status_code == 403 and "this needs operator or higher" in r.text
    r = client.post(f"/code-requests/{request['id']}/cancel",
                    headers={**HX, "x-csrf-token": token})
    assert r.status_code == 403


def test_a_second_request_for_the_same_post_is_refused_next_to_the_post_field(client):  # type: ignore[no-untyped-def]
    w = f.page_world(client)
    token = page_login(client, "brand@example.com")
    url = f"/ad-accounts/{w['account']['id']}/code-requests"
    data = {"post_id": w["post"]["id"], "days": "30", "expires_in_days": "3",
            "csrf_token": token}
    r = client.post(url, headers=HTML, follow_redirects=False, data=data)
    assert r.status_code == 303
    (pending,) = f._ok(client.get(f"/v1{url}", headers=w["brand_h"]))
    end = datetime.fromisoformat(pending["expires_at"]).strftime("%Y-%m-%d %H:%M UTC")
    r = client.post(url, headers=HTML, data={**data, "days": "7"})
    assert r.status_code == 409
    assert _field_error(r.text, "post_id") == (
        "This ad account already asked for a code on this post; the request is open until "
        f"{end}. Withdraw it to ask again.")
    assert 'aria-invalid="true"' in r.text and "Code requests (1)" in _text(r.text)
    # Withdrawn, the brand asks again.
    r = client.post(f"/code-requests/{pending['id']}/cancel",
                    headers={**HX, "x-csrf-token": token})
    assert r.status_code == 200
    r = client.post(url, headers=HTML, follow_redirects=False, data=data)
    assert r.status_code == 303


def test_the_post_field_offers_public_posts_of_roster_creators(client):  # type: ignore[no-untyped-def]
    w = f.page_world(client)
    private = f.post(client, w["creator_h"], w["creator"]["id"], caption="Just for me",
                     visibility="private")
    stranger_h = f.user(client, email="stranger@example.com")
    stranger = f.creator(client, stranger_h, handle="not.on.roster")
    f.post(client, stranger_h, stranger["id"], caption="Stranger's post")
    page_login(client, "brand@example.com")
    url = f"/ad-accounts/{w['account']['id']}/requests"
    r = client.get(url, headers=HTML)
    assert 'list="roster-posts"' not in r.text  # nobody on the roster yet: ask for the id
    assert "Ask the creator for the id of their post" in _text(r.text)
    f._ok(client.post(f"/v1/businesses/{w['business']['id']}/roster", headers=w["brand_h"],
                      json={"creator_id": w["creator"]["id"]}), 201)
    r = client.get(url, headers=HTML)
    assert 'list="roster-posts"' in r.text
    assert f'<option value="{w["post"]["id"]}">@maya.makes — Morning routine</option>' in r.text
    assert private["id"] not in r.text and "Stranger" not in r.text
    assert "pick a public post of a creator on your roster" in _text(r.text)
