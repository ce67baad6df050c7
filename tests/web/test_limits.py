"""Long input keeps the form (issue 13, item 5).

A 1,000-character campaign name, a 10^30 budget, a 20,000-character caption or a 300-character
handle used to land on a generic "Please check the form" page that dropped what was typed and the
header (log-out, alerts). Every typed field now has a limit from ``sparkcodes.kit.limits``, the
one place the JSON schemas read too: the form states it (maxlength and a hint) and an over-limit
value gets its message next to the field, with everything typed kept.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

import pytest
from fastapi.testclient import TestClient

from sparkcodes.ad.schemas import AdIn, CampaignIn
from sparkcodes.creator.schemas import CreatorIn
from sparkcodes.kit import limits
from sparkcodes.post.schemas import PostIn, PostPatch
from sparkcodes.roster.schemas import RosterIn
from tests import factories as f
from tests.integration.test_pages import _running_ad
from tests.integration.test_pages_access import HTML, page_login

Case = Callable[[TestClient, dict[str, Any]], tuple[str, dict[str, str], str, str]]
TOO_LONG = "Too long: at most {n:,} characters, and this has {m:,}."


def _too_long(n: int, m: int) -> str:
    return TOO_LONG.format(n=n, m=m)


def _ad_ids(client: TestClient, w: dict[str, Any]) -> dict[str, str]:
    if "ad" not in w:
        w["ad"] = _running_ad(client, w)
    return w["ad"]


# name -> (who logs in, builder of (path, form, field with the error, words of the error))
CASES: dict[str, tuple[str, Case]] = {
    "campaign name of 1,000 characters": ("brand", lambda c, w: (
        f"/ad-accounts/{w['account']['id']}/campaigns",
        {"name": "N" * 1000, "budget_mode": "BUDGET_MODE_DAY", "budget": "50"},
        "name", _too_long(limits.AD_NAME, 1000))),
    "budget of 10^30": ("brand", lambda c, w: (
        f"/ad-accounts/{w['account']['id']}/campaigns",
        {"name": "Spring sale", "budget_mode": "BUDGET_MODE_DAY", "budget": str(10**30)},
        "budget", "Enter the budget as an amount above 0 and up to 10,000,000, with at most two "
                  "decimals.")),
    "budget of -5": ("brand", lambda c, w: (
        f"/ad-accounts/{w['account']['id']}/campaigns",
        {"name": "Spring sale", "budget_mode": "BUDGET_MODE_DAY", "budget": "-5"},
        "budget", "Enter the budget as an amount above 0 and up to 10,000,000, with at most two "
                  "decimals.")),
    "caption of 20,000 characters": ("creator", lambda c, w: (
        f"/creators/{w['creator']['id']}/posts",
        {"caption": "C" * 20_000, "kind": "video", "sound": "original", "visibility": "public",
         "cover_url": "https://cdn.example.com/cover.jpg"},
        "caption", _too_long(limits.CAPTION, 20_000))),
    "handle of 300 characters": ("creator", lambda c, w: (
        "/creators", {"handle": "h" * 300, "display_name": "Long Handle", "region": "US"},
        "handle", "A handle has 2 to 24 characters: letters, digits, underscores and periods.")),
    "display name": ("creator", lambda c, w: (
        "/creators", {"handle": "ok_handle", "display_name": "D" * 500, "region": "US"},
        "display_name", _too_long(limits.DISPLAY_NAME, 500))),
    "edited caption": ("creator", lambda c, w: (
        f"/posts/{w['post']['id']}/edit",
        {"caption": "E" * 3000, "sound": "original", "visibility": "public", "cover_url": ""},
        "caption", _too_long(limits.CAPTION, 3000))),
    "business name": ("brand", lambda c, w: (
        "/businesses", {"name": "B" * 1000}, "name", _too_long(limits.BUSINESS_NAME, 1000))),
    "ad account time zone": ("brand", lambda c, w: (
        f"/businesses/{w['business']['id']}/ad-accounts",
        {"name": "Glow EU", "region": "DE", "timezone": "T" * 300},
        "timezone", _too_long(limits.TIMEZONE, 300))),
    "member e-mail": ("brand", lambda c, w: (
        f"/businesses/{w['business']['id']}/members",
        {"email": "m" * 300 + "@example.com", "role": "analyst"},
        "email", _too_long(limits.EMAIL, 312))),
    "ad group name": ("brand", lambda c, w: (
        f"/campaigns/{_ad_ids(c, w)['campaign_id']}/ad-groups",
        {"name": "G" * 600, "budget": "50", "bid": "5"},
        "name", _too_long(limits.AD_NAME, 600))),
    "ad landing page": ("brand", lambda c, w: (
        f"/ad-groups/{_ad_ids(c, w)['ad_group_id']}/ads",
        {"spark_post_id": _ad_ids(c, w)["spark_post_id"], "name": "Maya again",
         "call_to_action": "SHOP_NOW", "landing_page_url": "https://glow.example/" + "u" * 3000},
        "landing_page_url", _too_long(limits.LANDING_URL, 3021))),
    "roster notes": ("brand", lambda c, w: (
        f"/businesses/{w['business']['id']}/roster",
        {"handle": "@someone.new", "status": "prospect", "rate": "", "currency": "USD",
         "notes": "n" * 9000},
        "notes", _too_long(limits.NOTES, 9000))),
    "contract notes": ("brand", lambda c, w: (
        f"/businesses/{w['business']['id']}/contracts",
        {"handle": "@maya.makes", "starts_on": "2026-01-01", "ends_on": "2026-02-01",
         "notes": "n" * 6000},
        "contract_notes", _too_long(limits.NOTES, 6000))),
    "code request terms": ("brand", lambda c, w: (
        f"/ad-accounts/{w['account']['id']}/code-requests",
        {"post_id": w["post"]["id"], "days": "30", "fee": "", "currency": "USD",
         "terms": "t" * 7000, "expires_in_days": "7"},
        "terms", _too_long(limits.TERMS, 7000))),
    "webhook description": ("brand", lambda c, w: (
        f"/businesses/{w['business']['id']}/webhook-endpoints",
        {"url": "https://hooks.example.com/x", "description": "d" * 1500},
        "description", f"Keep the description to {limits.WEBHOOK_DESCRIPTION} characters.")),
    "webhook URL": ("brand", lambda c, w: (
        f"/businesses/{w['business']['id']}/webhook-endpoints",
        {"url": "https://hooks.example.com/" + "x" * 5000, "description": "kept"},
        "url", f"The URL is longer than {limits.WEBHOOK_URL} characters.")),
    "developer app name": ("brand", lambda c, w: (
        "/developer/apps", {"name": "A" * 1500, "redirect_url": "https://app.example.com/cb"},
        "name", str(limits.APP_NAME))),
    "codes box": ("brand", lambda c, w: (
        f"/ad-accounts/{w['account']['id']}/spark-posts/preview",
        {"codes": w["code"]["code"] + "\n" + "x" * 5000}, "codes",
        _too_long(limits.CODES_TEXT, len(w["code"]["code"]) + 5001))),
}


@pytest.mark.parametrize("case", list(CASES))
def test_an_over_limit_value_is_refused_next_to_its_field(client, case) -> None:  # type: ignore[no-untyped-def]
    who, build = CASES[case]
    w = f.page_world(client)
    path, form, field, words = build(client, w)
    token = page_login(client, f"{who}@example.com")
    r = client.post(path, headers=HTML, data={"csrf_token": token, **form},
                    follow_redirects=False)
    assert r.status_code in (409, 422), (r.status_code, r.text[:300])
    assert "Please check the form" not in r.text
    match = re.search(rf'id="{re.escape(field)}-error"[^>]*>([^<]+)<', r.text)
    assert match, f"no error next to {field}"
    assert words in match.group(1).replace("&#39;", "'"), match.group(1)
    # The page is the form's own, under the full header: log-out and the alerts link.
    assert "Log out" in r.text and 'href="/notifications"' in r.text
    # Everything typed is kept, the over-limit value included.
    for name, value in form.items():
        if value and name not in ("kind", "sound", "visibility", "budget_mode", "role",
                                  "status", "spark_post_id", "call_to_action", "days"):
            assert value.replace("\n", "&#10;") in r.text or value in r.text, name


@pytest.mark.parametrize(("path", "form", "field", "words"), [
    ("/signup", {"email": "e" * 300 + "@example.com", "password": "correct horse",
                 "name": "Sam"}, "email", _too_long(limits.EMAIL, 312)),
    ("/signup", {"email": "sam@example.com", "password": "correct horse", "name": "S" * 500},
     "name", _too_long(limits.PERSON_NAME, 500)),
    ("/login", {"email": "e" * 300 + "@example.com", "password": "x"}, "email",
     _too_long(limits.EMAIL, 312)),
    ("/login", {"email": "sam@example.com", "password": "p" * 1000}, "password",
     _too_long(limits.PASSWORD, 1000)),
])
def test_signed_out_forms_refuse_long_input_next_to_the_field(client, path, form, field,  # type: ignore[no-untyped-def]
                                                              words) -> None:
    from tests.integration.test_pages_access import csrf_of

    token = csrf_of(client.get(path, headers=HTML).text)
    r = client.post(path, headers=HTML, data={"csrf_token": token, **form},
                    follow_redirects=False)
    assert r.status_code == 422
    assert re.search(rf'id="{field}-error"[^>]*>{re.escape(words)}<', r.text), r.text[-3000:]
    if field != "password":
        assert form[field] in r.text  # kept (a password never is)


def test_forms_state_their_limits(client) -> None:  # type: ignore[no-untyped-def]
    """The limit a field enforces is the one its form states: maxlength and a hint."""
    w = f.page_world(client)
    page_login(client, "creator@example.com")
    html = client.get(f"/creators/{w['creator']['id']}", headers=HTML).text
    for field, n in (("caption", limits.CAPTION), ("cover_url", limits.COVER_URL),
                     ("original_post", limits.POST_LINK)):
        tag = re.search(rf'<(?:input|textarea) id="{field}"[^>]*>', html)
        assert tag and f' maxlength="{n}"' in tag.group(0), field
        assert re.search(rf'id="{field}-limit"[^>]*>Up to {n:,} characters.<', html), field
    client.cookies.clear()
    page_login(client, "brand@example.com")
    html = client.get(f"/ad-accounts/{w['account']['id']}/campaigns", headers=HTML).text
    assert re.search(rf'<input id="name"[^>]* maxlength="{limits.AD_NAME}"', html)
    assert re.search(r'id="budget-limit"[^>]*>Above 0 and up to 10,000,000, at most two '
                     r"decimals.<", html)


def test_the_json_schemas_read_the_same_limits() -> None:
    def max_len(model: Any, name: str) -> int:
        found = [m.max_length for m in model.model_fields[name].metadata
                 if hasattr(m, "max_length")]
        assert found, (model, name)
        return int(found[0])

    assert max_len(PostIn, "caption") == max_len(PostPatch, "caption") == limits.CAPTION
    assert max_len(CampaignIn, "name") == max_len(AdIn, "name") == limits.AD_NAME
    assert max_len(AdIn, "landing_page_url") == limits.LANDING_URL
    assert max_len(CreatorIn, "handle") == limits.HANDLE_INPUT
    assert max_len(RosterIn, "notes") == limits.NOTES
