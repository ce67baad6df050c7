"""Spark Ads that run, over HTTP (R20): campaign → ad group → ad on a bound Spark post, the
on/off switches at each level and the delivery they produce, and the "in use by a live ad"
rules that now bite (R1, R4, R9, R10, R11, R17)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

import pytest

from tests import factories as f
from tests.integration._http import assert_error

LANDING = "https://shop.example.com/spring?utm_source=tiktok&utm_medium=paid&utm_campaign=launch"
PAUSED_TEXT = "it is paused (ad, ad group or campaign)"


def reasons(ad: dict[str, Any]) -> list[str]:
    return ad["delivery"]["reasons"]


def clock_now(client, headers) -> datetime:  # type: ignore[no-untyped-def]
    return datetime.fromisoformat(f._ok(client.get("/v1/sandbox/clock", headers=headers))["now"])


def get(client, headers, url: str) -> dict[str, Any]:  # type: ignore[no-untyped-def]
    return f._ok(client.get(url, headers=headers))


# --- creating ----------------------------------------------------------------------------------

def test_campaign_ad_group_and_ad_are_created_and_the_ad_delivers(client):
    w = f.World(client)
    sp_id = f.spark_post_id(client, w.brand_h, w.account["id"], w.code["code"])

    r = client.post(f"/v1/ad-accounts/{w.account['id']}/campaigns", headers=w.brand_h, json={
        "name": "Spring", "objective": "TRAFFIC", "budget_mode": "BUDGET_MODE_DAY",
        "budget": "50.00"})
    campaign = f._ok(r, 201)
    assert campaign["ad_account_id"] == w.account["id"]
    assert (campaign["name"], campaign["objective"]) == ("Spring", "TRAFFIC")
    assert (campaign["budget_mode"], campaign["budget"]) == ("BUDGET_MODE_DAY", "50.00")
    assert campaign["operation_status"] == "ENABLE"
    assert campaign["delivery"] == {"status": "NOT_DELIVERING", "live_ads": 0, "total_ads": 0,
                                    "reasons": {}, "text": "No ads yet."}

    r = client.post(f"/v1/campaigns/{campaign['id']}/ad-groups", headers=w.brand_h,
                    json={"name": "US 18-34", "budget": "20", "bid": "5.5"})
    group = f._ok(r, 201)
    assert group["campaign_id"] == campaign["id"]
    assert (group["budget"], group["bid"]) == ("20.00", "5.50")
    assert group["schedule_end_time"] is None
    start = datetime.fromisoformat(group["schedule_start_time"])
    assert abs(start - clock_now(client, w.brand_h)) < timedelta(minutes=1)

    r = client.post(f"/v1/ad-groups/{group['id']}/ads", headers=w.brand_h, json={
        "spark_post_id": sp_id, "call_to_action": "SHOP_NOW", "landing_page_url": LANDING})
    ad = f._ok(r, 201)
    assert ad["name"] == f"@{w.creator['handle']} — Morning routine #ad"
    assert ad["caption"] == w.post["caption"] == ad["post"]["caption"]
    assert (ad["identity_type"], ad["identity_id"]) == ("AUTH_CODE", w.creator["id"])
    assert ad["tiktok_item_id"] == w.post["id"] and ad["spark_post_id"] == sp_id
    assert (ad["ad_group_id"], ad["campaign_id"]) == (group["id"], campaign["id"])
    assert ad["post_revision"] == 1
    assert ad["call_to_action"] == "SHOP_NOW"
    assert ad["landing_page_url"] == LANDING  # UTM parameters kept as given
    assert ad["ads_only"] is False and ad["operation_status"] == "ENABLE"
    assert ad["creator"]["handle"] == w.creator["handle"]
    assert ad["delivery"] == {"status": "DELIVERING", "reasons": [], "text": "Delivering."}

    one_live = {"status": "DELIVERING", "live_ads": 1, "total_ads": 1, "reasons": {},
                "text": "1 live ad"}
    assert get(client, w.brand_h, f"/v1/campaigns/{campaign['id']}")["delivery"] == one_live
    assert get(client, w.brand_h, f"/v1/ad-groups/{group['id']}")["delivery"] == one_live
    assert get(client, w.brand_h, f"/v1/ads/{ad['id']}") == ad
    listed = f._ok(client.get(f"/v1/ad-accounts/{w.account['id']}/ads", headers=w.brand_h))
    assert [a["id"] for a in listed] == [ad["id"]]
    listed = f._ok(client.get(f"/v1/ad-groups/{group['id']}/ads", headers=w.brand_h))
    assert [a["id"] for a in listed] == [ad["id"]]
    listed = f._ok(client.get(f"/v1/ad-accounts/{w.account['id']}/campaigns", headers=w.brand_h))
    assert [c["id"] for c in listed] == [campaign["id"]]
    listed = f._ok(client.get(f"/v1/campaigns/{campaign['id']}/ad-groups", headers=w.brand_h))
    assert [g["id"] for g in listed] == [group["id"]]


def test_a_campaign_without_budget_keeps_no_amount(client):
    w = f.World(client)
    c = f.campaign(client, w.brand_h, w.account["id"], budget_mode="BUDGET_MODE_INFINITE",
                   budget="99.00")
    assert (c["budget_mode"], c["budget"], c["objective"]) == ("BUDGET_MODE_INFINITE", None,
                                                               "ENGAGEMENT")


def test_ad_text_is_refused_the_caption_comes_from_the_post(client):
    w = f.Running(client)
    for ad_text in ("Buy now!", w.post["caption"], ""):
        r = client.post(f"/v1/ad-groups/{w.ad_group['id']}/ads", headers=w.brand_h, json={
            "spark_post_id": w.spark_post_id, "landing_page_url": LANDING, "ad_text": ad_text})
        assert_error(r, 422, "caption_not_editable", "creator's own caption",
                     "cannot be set or changed on the ad")
        r = client.patch(f"/v1/ads/{w.ad['id']}", headers=w.brand_h, json={"ad_text": ad_text})
        assert_error(r, 422, "caption_not_editable", "creator's own caption")
    ads = f._ok(client.get(f"/v1/ad-groups/{w.ad_group['id']}/ads", headers=w.brand_h))
    assert len(ads) == 1 and ads[0]["caption"] == w.post["caption"]


def test_an_ad_edit_changes_name_cta_and_landing_page_only(client):
    w = f.Running(client)
    url = "https://shop.example.com/new?utm_source=tiktok&utm_content=v2"
    edited = f._ok(client.patch(f"/v1/ads/{w.ad['id']}", headers=w.brand_h, json={
        "name": "Hero v2", "call_to_action": "LEARN_MORE", "landing_page_url": url}))
    assert (edited["name"], edited["call_to_action"], edited["landing_page_url"]) == (
        "Hero v2", "LEARN_MORE", url)
    assert edited["caption"] == w.post["caption"]
    assert edited["delivery"]["status"] == "DELIVERING"
    r = client.patch(f"/v1/ads/{w.ad['id']}", headers=w.brand_h,
                     json={"call_to_action": "BUY_IT"})
    assert_error(r, 422, "invalid_call_to_action", "Unknown call to action 'BUY_IT'.")
    r = client.patch(f"/v1/ads/{w.ad['id']}", headers=w.brand_h,
                     json={"landing_page_url": "https://s.example/?utm_x=1"})
    assert_error(r, 422, "invalid_utm_parameter", "Unknown UTM parameter 'utm_x'")
    assert w.get_ad()["landing_page_url"] == url


BAD_CAMPAIGNS = [
    ({"objective": "SALES"}, "invalid_objective", "objective must be one of"),
    ({"budget_mode": "DAILY", "budget": "10"}, "invalid_budget_mode",
     "budget_mode must be one of BUDGET_MODE_DAY"),
    ({"budget_mode": "BUDGET_MODE_DAY"}, "invalid_budget",
     "A daily or lifetime budget needs a positive amount."),
    ({"budget_mode": "BUDGET_MODE_TOTAL", "budget": "0"}, "invalid_budget",
     "needs a positive amount"),
    ({"budget_mode": "BUDGET_MODE_DAY", "budget": "-5"}, "validation_error", "budget"),
    ({"budget": "10000000.01"}, "validation_error", "budget"),
    ({"name": "x" * 513}, "validation_error", "name"),
]


def test_invalid_campaigns_are_refused(client):
    w = f.World(client)
    for body, code, fragment in BAD_CAMPAIGNS:
        r = client.post(f"/v1/ad-accounts/{w.account['id']}/campaigns", headers=w.brand_h,
                        json={"name": "C", **body})
        assert_error(r, 422, code, fragment)
    assert f._ok(client.get(f"/v1/ad-accounts/{w.account['id']}/campaigns",
                            headers=w.brand_h)) == []


BAD_AD_GROUPS = [
    ({"schedule_start_time": "2030-01-02T00:00:00Z", "schedule_end_time": "2030-01-01T00:00:00Z"},
     "invalid_schedule", "The schedule must end after it starts."),
    ({"schedule_start_time": "2030-01-01T00:00:00Z", "schedule_end_time": "2030-01-01T00:00:00Z"},
     "invalid_schedule", "must end after it starts"),
    ({"schedule_end_time": "2001-01-01T00:00:00Z"}, "invalid_schedule", "must end after"),
    ({"bid": "0"}, "validation_error", "bid"),
    ({"budget": "0"}, "validation_error", "budget"),
    ({"bid": "10001"}, "validation_error", "bid"),
    ({"budget": None}, "validation_error", "budget"),
]


def test_invalid_ad_groups_are_refused(client):
    w = f.World(client)
    c = f.campaign(client, w.brand_h, w.account["id"])
    for body, code, fragment in BAD_AD_GROUPS:
        r = client.post(f"/v1/campaigns/{c['id']}/ad-groups", headers=w.brand_h,
                        json={"name": "G", "budget": "10", "bid": "2", **body})
        assert_error(r, 422, code, fragment)
    assert f._ok(client.get(f"/v1/campaigns/{c['id']}/ad-groups", headers=w.brand_h)) == []


BAD_ADS = [
    ({"call_to_action": "BUY_NOW"}, "invalid_call_to_action", "Unknown call to action 'BUY_NOW'."),
    ({"call_to_action": "shop_now"}, "invalid_call_to_action", "Unknown call to action"),
    ({"landing_page_url": "ftp://shop.example.com/x"}, "invalid_landing_page_url",
     "The landing page must be an http:// or https:// address."),
    ({"landing_page_url": "shop.example.com"}, "invalid_landing_page_url", "http://"),
    ({"landing_page_url": "https://"}, "invalid_landing_page_url", "http://"),
    ({"landing_page_url": "https://s.example/?utm_x=1"}, "invalid_utm_parameter",
     "Unknown UTM parameter 'utm_x'"),
    ({"landing_page_url": "https://s.example/?utm_source="}, "invalid_utm_parameter",
     "The UTM parameter utm_source is empty."),
    ({"landing_page_url": None}, "validation_error", "landing_page_url"),
    ({"spark_post_id": None}, "validation_error", "spark_post_id"),
]


def test_invalid_ads_are_refused(client):
    w = f.Running(client)
    for body, code, fragment in BAD_ADS:
        r = client.post(f"/v1/ad-groups/{w.ad_group['id']}/ads", headers=w.brand_h, json={
            "spark_post_id": w.spark_post_id, "landing_page_url": LANDING, **body})
        assert_error(r, 422, code, fragment)
    assert len(f._ok(client.get(f"/v1/ad-groups/{w.ad_group['id']}/ads", headers=w.brand_h))) == 1


def test_an_ad_runs_only_a_spark_post_bound_to_its_own_ad_account(client):
    w = f.Running(client)
    url = f"/v1/ad-groups/{w.ad_group['id']}/ads"
    # A Spark post of the brand's other ad account.
    other_post = f.post(client, w.creator_h, w.creator["id"], caption="Evening routine")
    other_code = f.code(client, w.creator_h, other_post["id"])
    other_sp = f.spark_post_id(client, w.brand_h, w.account2["id"], other_code["code"])
    r = client.post(url, headers=w.brand_h, json={"spark_post_id": other_sp,
                                                  "landing_page_url": LANDING})
    assert_error(r, 404, "not_found", "No such Spark post in this ad account.")
    r = client.post(url, headers=w.brand_h, json={"spark_post_id": "0" * 32,
                                                  "landing_page_url": LANDING})
    assert_error(r, 404, "not_found", "No such Spark post in this ad account.")
    # A Spark post this ad account has unbound (no ad runs on it).
    third_post = f.post(client, w.creator_h, w.creator["id"], caption="Night routine")
    third_code = f.code(client, w.creator_h, third_post["id"])
    third_sp = f.spark_post_id(client, w.brand_h, w.account["id"], third_code["code"])
    f._ok(client.delete(f"/v1/ad-accounts/{w.account['id']}/spark-posts/{third_sp}",
                        headers=w.brand_h))
    r = client.post(url, headers=w.brand_h, json={"spark_post_id": third_sp,
                                                  "landing_page_url": LANDING})
    assert_error(r, 409, "spark_post_unbound", "was unbound", "bind the code again")
    assert len(f._ok(client.get(url, headers=w.brand_h))) == 1


def test_other_tenants_and_analysts_cannot_build_ads(client):
    w = f.Running(client)
    stranger = f.user(client)
    own = f.business(client, stranger, "Globex")
    f.ad_account(client, stranger, own["id"])
    r = client.post(f"/v1/ad-accounts/{w.account['id']}/campaigns", headers=stranger,
                    json={"name": "x"})
    assert_error(r, 404, "not_found", "No such ad account.")
    r = client.post(f"/v1/campaigns/{w.campaign['id']}/ad-groups", headers=stranger,
                    json={"name": "x", "budget": "1", "bid": "1"})
    assert_error(r, 404, "not_found", "No such campaign.")
    r = client.post(f"/v1/ad-groups/{w.ad_group['id']}/ads", headers=stranger,
                    json={"spark_post_id": w.spark_post_id, "landing_page_url": LANDING})
    assert_error(r, 404, "not_found", "No such ad group.")
    assert_error(client.get(f"/v1/ads/{w.ad['id']}", headers=stranger), 404, "not_found",
                 "No such ad.")
    assert_error(f.set_status(client, stranger, "ad", w.ad["id"], "DISABLE"), 404, "not_found",
                 "No such ad.")
    assert_error(client.get(f"/v1/campaigns/{w.campaign['id']}", headers=stranger), 404,
                 "not_found", "No such campaign.")

    analyst = f.user(client, email="analyst@example.com")
    f._ok(client.put(f"/v1/businesses/{w.business['id']}/members", headers=w.brand_h,
                     json={"email": "analyst@example.com", "role": "analyst"}))
    assert get(client, analyst, f"/v1/ads/{w.ad['id']}")["delivery"]["status"] == "DELIVERING"
    r = client.post(f"/v1/ad-accounts/{w.account['id']}/campaigns", headers=analyst,
                    json={"name": "x"})
    assert_error(r, 403, "role_insufficient", "analyst")
    assert_error(f.set_status(client, analyst, "ad", w.ad["id"], "DISABLE"), 403,
                 "role_insufficient", "analyst")
    assert w.get_ad()["delivery"]["status"] == "DELIVERING"


# --- switches and delivery ---------------------------------------------------------------------

LEVELS = ["ad", "ad_group", "campaign"]


def _obj_id(w: f.Running, level: str) -> str:
    return {"ad": w.ad, "ad_group": w.ad_group, "campaign": w.campaign}[level]["id"]


@pytest.mark.parametrize("level", LEVELS)
def test_pausing_any_level_pauses_the_ad_and_enabling_resumes_it(client, level):
    w = f.Running(client)
    obj_id = _obj_id(w, level)
    paused = f._ok(f.set_status(client, w.brand_h, level, obj_id, "DISABLE"))
    assert paused["operation_status"] == "DISABLE"
    ad = w.get_ad()
    assert ad["delivery"] == {"status": "NOT_DELIVERING", "reasons": ["PAUSED"],
                              "text": f"Not delivering: {PAUSED_TEXT}."}
    again = f._ok(f.set_status(client, w.brand_h, level, obj_id, "DISABLE"))  # harmless
    assert again["operation_status"] == "DISABLE"
    enabled = f._ok(f.set_status(client, w.brand_h, level, obj_id, "ENABLE"))
    assert enabled["operation_status"] == "ENABLE"
    assert w.get_ad()["delivery"]["status"] == "DELIVERING"


@pytest.mark.parametrize("level", LEVELS)
def test_deleting_any_level_stops_the_ad_for_good(client, level):
    w = f.Running(client)
    obj_id = _obj_id(w, level)
    deleted = f._ok(f.set_status(client, w.brand_h, level, obj_id, "DELETE"))
    assert deleted["operation_status"] == "DELETE"
    ad = w.get_ad()
    assert reasons(ad) == ["DELETED"]
    assert ad["delivery"]["text"] == ("Not delivering: the ad, its ad group or its campaign "
                                      "was deleted.")
    noun = level.replace("_", " ")
    for op in ("ENABLE", "DISABLE"):
        assert_error(f.set_status(client, w.brand_h, level, obj_id, op), 410, f"{level}_deleted",
                     f"That {noun} was deleted and cannot change.")
    assert f._ok(f.set_status(client, w.brand_h, level, obj_id, "DELETE"))["operation_status"] == \
        "DELETE"  # deleting twice is harmless
    assert reasons(w.get_ad()) == ["DELETED"]


def test_deleted_containers_take_no_new_children_and_lists_hide_them(client):
    w = f.Running(client)
    f._ok(f.set_status(client, w.brand_h, "ad", w.ad["id"], "DELETE"))
    r = client.patch(f"/v1/ads/{w.ad['id']}", headers=w.brand_h, json={"name": "again"})
    assert_error(r, 410, "ad_deleted", "That ad was deleted.")
    assert f._ok(client.get(f"/v1/ad-groups/{w.ad_group['id']}/ads", headers=w.brand_h)) == []
    listed = f._ok(client.get(f"/v1/ad-groups/{w.ad_group['id']}/ads", headers=w.brand_h,
                              params={"include_deleted": True}))
    assert [a["operation_status"] for a in listed] == ["DELETE"]

    f._ok(f.set_status(client, w.brand_h, "ad_group", w.ad_group["id"], "DELETE"))
    r = client.post(f"/v1/ad-groups/{w.ad_group['id']}/ads", headers=w.brand_h,
                    json={"spark_post_id": w.spark_post_id, "landing_page_url": LANDING})
    assert_error(r, 410, "ad_group_deleted", "That ad group was deleted.")
    assert f._ok(client.get(f"/v1/campaigns/{w.campaign['id']}/ad-groups", headers=w.brand_h)) == []

    live_group = f.ad_group(client, w.brand_h, w.campaign["id"])
    f._ok(f.set_status(client, w.brand_h, "campaign", w.campaign["id"], "DELETE"))
    r = client.post(f"/v1/campaigns/{w.campaign['id']}/ad-groups", headers=w.brand_h,
                    json={"name": "x", "budget": "1", "bid": "1"})
    assert_error(r, 410, "campaign_deleted", "That campaign was deleted.")
    r = client.post(f"/v1/ad-groups/{live_group['id']}/ads", headers=w.brand_h,
                    json={"spark_post_id": w.spark_post_id, "landing_page_url": LANDING})
    assert_error(r, 410, "campaign_deleted", "That campaign was deleted.")
    assert f._ok(client.get(f"/v1/ad-accounts/{w.account['id']}/campaigns",
                            headers=w.brand_h)) == []
    listed = f._ok(client.get(f"/v1/ad-accounts/{w.account['id']}/campaigns", headers=w.brand_h,
                              params={"include_deleted": True}))
    assert [c["operation_status"] for c in listed] == ["DELETE"]


def test_unknown_operations_are_malformed(client):
    w = f.Running(client)
    for level in LEVELS:
        for operation in ("PAUSE", "enable", "", "ARCHIVE"):
            r = f.set_status(client, w.brand_h, level, _obj_id(w, level), operation)
            assert_error(r, 422, "validation_error", "operation_status")
    assert w.get_ad()["delivery"]["status"] == "DELIVERING"


def test_schedule_not_started_then_delivering_then_ended(client):
    w = f.Running(client)
    now = clock_now(client, w.brand_h)
    group = f.ad_group(client, w.brand_h, w.campaign["id"],
                       schedule_start_time=(now + timedelta(days=1)).isoformat(),
                       schedule_end_time=(now + timedelta(days=3)).isoformat())
    ad = f.ad(client, w.brand_h, group["id"], w.spark_post_id)
    assert reasons(ad) == ["NOT_STARTED"]
    assert ad["delivery"]["text"] == "Not delivering: the ad group's schedule has not started."
    f.advance(client, w.brand_h, "P2D")
    assert w.get_ad(ad["id"])["delivery"]["status"] == "DELIVERING"
    f.advance(client, w.brand_h, "P1D")
    assert reasons(w.get_ad(ad["id"])) == ["ENDED"]


def test_container_delivery_summaries(client):
    w = f.Running(client, name="Hero")
    second = f.ad(client, w.brand_h, w.ad_group["id"], w.spark_post_id, name="Second")
    other_group = f.ad_group(client, w.brand_h, w.campaign["id"])
    f.ad(client, w.brand_h, other_group["id"], w.spark_post_id, name="Third")

    def delivery(level: str, obj_id: str) -> dict[str, Any]:
        path = {"campaign": "campaigns", "ad_group": "ad-groups"}[level]
        return get(client, w.brand_h, f"/v1/{path}/{obj_id}")["delivery"]

    assert delivery("campaign", w.campaign["id"]) == {
        "status": "DELIVERING", "live_ads": 3, "total_ads": 3, "reasons": {},
        "text": "3 live ads"}
    f._ok(f.set_status(client, w.brand_h, "ad", second["id"], "DISABLE"))
    assert delivery("campaign", w.campaign["id"]) == {
        "status": "DELIVERING", "live_ads": 2, "total_ads": 3, "reasons": {"PAUSED": 1},
        "text": "2 live ads, 1 stopped"}
    assert delivery("ad_group", w.ad_group["id"]) == {
        "status": "DELIVERING", "live_ads": 1, "total_ads": 2, "reasons": {"PAUSED": 1},
        "text": "1 live ad, 1 stopped"}
    assert delivery("ad_group", other_group["id"])["text"] == "1 live ad"

    paused = f._ok(f.set_status(client, w.brand_h, "ad_group", w.ad_group["id"], "DISABLE"))
    assert paused["delivery"] == {"status": "NOT_DELIVERING", "live_ads": 0, "total_ads": 2,
                                  "reasons": {"PAUSED": 2},
                                  "text": f"Not delivering: {PAUSED_TEXT}."}
    assert delivery("campaign", w.campaign["id"])["live_ads"] == 1

    f.advance(client, w.brand_h, "P31D")  # the code expires under every ad
    assert delivery("campaign", w.campaign["id"]) == {
        "status": "NOT_DELIVERING", "live_ads": 0, "total_ads": 3,
        "reasons": {"PAUSED": 2, "AUTHORIZATION_EXPIRED": 3},
        "text": "Not delivering: the creator's authorization expired — ask to extend."}
    listed = f._ok(client.get(f"/v1/ad-accounts/{w.account['id']}/campaigns", headers=w.brand_h))
    assert listed[0]["delivery"]["reasons"] == {"PAUSED": 2, "AUTHORIZATION_EXPIRED": 3}


def test_spark_post_list_shows_live_ads(client):
    w = f.World(client)
    sp_id = f.spark_post_id(client, w.brand_h, w.account["id"], w.code["code"])

    def listed() -> dict[str, Any]:
        rows = f._ok(client.get(f"/v1/ad-accounts/{w.account['id']}/spark-posts",
                                headers=w.brand_h))
        assert [r["id"] for r in rows] == [sp_id]
        one = get(client, w.brand_h, f"/v1/ad-accounts/{w.account['id']}/spark-posts/{sp_id}")
        assert {k: one[k] for k in ("live_ads", "total_ads", "ads_text")} == {
            k: rows[0][k] for k in ("live_ads", "total_ads", "ads_text")}
        return rows[0]

    sp = listed()
    assert (sp["live_ads"], sp["total_ads"], sp["ads_text"]) == (0, 0, "No ads yet.")
    c = f.campaign(client, w.brand_h, w.account["id"])
    g = f.ad_group(client, w.brand_h, c["id"])
    first = f.ad(client, w.brand_h, g["id"], sp_id)
    f.ad(client, w.brand_h, g["id"], sp_id)
    sp = listed()
    assert (sp["live_ads"], sp["total_ads"], sp["ads_text"]) == (2, 2, "2 live ads")
    assert sp["status"] == "AUTHORIZED"
    f._ok(f.set_status(client, w.brand_h, "ad", first["id"], "DISABLE"))
    sp = listed()
    assert (sp["live_ads"], sp["total_ads"]) == (1, 2)
    assert sp["ads_text"] == f"1 live ad, 1 stopped: {PAUSED_TEXT}"
    f.advance(client, w.brand_h, "P31D")
    sp = listed()
    assert sp["status"] == "AUTHORIZATION_EXPIRED"
    assert (sp["live_ads"], sp["total_ads"]) == (0, 2)
    assert sp["ads_text"] == "2 stopped: the creator's authorization expired"
    f._ok(f.set_status(client, w.brand_h, "ad", first["id"], "DELETE"))
    sp = listed()
    assert (sp["live_ads"], sp["total_ads"]) == (0, 1)


# --- "in use by a live ad" (R1, R9, R11, R4, R17) ----------------------------------------------

Action = Callable[[Any, f.Running], Any]


def _delete_code(client, w):  # type: ignore[no-untyped-def]
    return client.delete(f"/v1/authorizations/{w.code['id']}", headers=w.creator_h)


def _delete_post(client, w):  # type: ignore[no-untyped-def]
    return client.delete(f"/v1/posts/{w.post['id']}", headers=w.creator_h)


def _make_private(client, w):  # type: ignore[no-untyped-def]
    return client.patch(f"/v1/posts/{w.post['id']}", headers=w.creator_h,
                        json={"visibility": "private"})


def _settings_off(client, w):  # type: ignore[no-untyped-def]
    return client.put(f"/v1/creators/{w.creator['id']}/ad-settings", headers=w.creator_h,
                      json={"enabled": False})


def _unbind(client, w):  # type: ignore[no-untyped-def]
    return client.delete(f"/v1/ad-accounts/{w.account['id']}/spark-posts/{w.spark_post_id}",
                         headers=w.brand_h)


IN_USE = [
    pytest.param(_delete_code, "code_in_use",
                 ["This code is in use by live ads of Acme (ads: Hero)",
                  "can be deleted only after those ads are paused or deleted"],
                 "AUTHORIZATION_DELETED", id="R9 delete the code"),
    pytest.param(_delete_post, "post_in_use",
                 ["This post runs in 1 live ad; it can be deleted after it stops."],
                 "POST_UNAVAILABLE", id="R11 delete the post"),
    pytest.param(_make_private, "post_in_use",
                 ["The post's visibility cannot change while it runs as a live ad."],
                 "POST_PRIVATE", id="R4 change visibility"),
    pytest.param(_settings_off, "code_in_use",
                 ["1 live ad runs on this account's codes",
                  "can be switched off only after it stops"],
                 "ACCOUNT_AD_SETTINGS_OFF", id="R1 switch ad settings off"),
    pytest.param(_unbind, "spark_post_in_use",
                 ["1 live ad runs on this post; pause or delete it first."],
                 "SPARK_POST_UNBOUND", id="R17 unbind the spark post"),
]


@pytest.mark.parametrize(("action", "code", "fragments", "reason"), IN_USE)
def test_in_use_by_a_live_ad_is_refused_until_the_ad_is_paused(client, action, code, fragments,
                                                               reason):
    w = f.Running(client, name="Hero")
    error = assert_error(action(client, w), 409, code, *fragments)
    assert error["details"] == {"live_ads": [w.ad["id"]]}
    assert w.get_ad()["delivery"]["status"] == "DELIVERING"  # nothing changed

    f._ok(f.set_status(client, w.brand_h, "ad", w.ad["id"], "DISABLE"))
    f._ok(action(client, w))
    resumed = f._ok(f.set_status(client, w.brand_h, "ad", w.ad["id"], "ENABLE"))
    assert resumed["operation_status"] == "ENABLE"
    assert resumed["delivery"]["status"] == "NOT_DELIVERING"
    assert resumed["delivery"]["reasons"] == [reason]


@pytest.mark.parametrize(("action", "code", "fragments", "reason"), IN_USE)
def test_an_ad_that_is_not_delivering_does_not_hold_anything(client, action, code, fragments,
                                                             reason):
    """'In use' is stricter than bound (R12): an ad stopped by its schedule blocks nothing."""
    w = f.World(client)
    sp_id = f.spark_post_id(client, w.brand_h, w.account["id"], w.code["code"])
    c = f.campaign(client, w.brand_h, w.account["id"])
    now = clock_now(client, w.brand_h)
    g = f.ad_group(client, w.brand_h, c["id"],
                   schedule_start_time=(now + timedelta(days=1)).isoformat())
    ad = f.ad(client, w.brand_h, g["id"], sp_id)
    assert reasons(ad) == ["NOT_STARTED"]
    w.ad, w.spark_post_id = ad, sp_id  # type: ignore[attr-defined]
    f._ok(action(client, w))
    assert reason in reasons(get(client, w.brand_h, f"/v1/ads/{ad['id']}"))


def test_r9_refusal_names_every_business_and_ad_using_the_code(client):
    w = f.Running(client, name="Hero")
    f.ad(client, w.brand_h, w.ad_group["id"], w.spark_post_id, name="Sidekick")
    error = assert_error(_delete_code(client, w), 409, "code_in_use",
                         "live ads of Acme (ads: Hero, Sidekick)")
    assert len(error["details"]["live_ads"]) == 2
    code = get(client, w.creator_h, f"/v1/authorizations/{w.code['id']}")
    assert code["status"] == "IN_USE" and code["deleted_at"] is None


def test_r4_a_private_post_becomes_public_when_its_ad_starts(client):
    w = f.World(client)
    private = f.post(client, w.creator_h, w.creator["id"], visibility="private")
    raw = f.code(client, w.creator_h, private["id"])["code"]
    sp_id = f.spark_post_id(client, w.brand_h, w.account["id"], raw)
    c = f.campaign(client, w.brand_h, w.account["id"])
    g = f.ad_group(client, w.brand_h, c["id"])
    ad = f.ad(client, w.brand_h, g["id"], sp_id)
    assert ad["delivery"]["status"] == "DELIVERING"
    assert ad["post"]["visibility"] == "public"
    assert get(client, w.creator_h, f"/v1/posts/{private['id']}")["visibility"] == "public"
    history = get(client, w.creator_h, f"/v1/posts/{private['id']}/history")
    assert "post.made_public" in [e["action"] for e in history]


def test_r4_an_ads_only_ad_keeps_the_post_private_and_delivers(client):
    w = f.World(client)
    private = f.post(client, w.creator_h, w.creator["id"], visibility="private")
    raw = f.code(client, w.creator_h, private["id"])["code"]
    sp_id = f.spark_post_id(client, w.brand_h, w.account["id"], raw)
    c = f.campaign(client, w.brand_h, w.account["id"])
    g = f.ad_group(client, w.brand_h, c["id"])
    ad = f.ad(client, w.brand_h, g["id"], sp_id, ads_only=True)
    assert ad["ads_only"] is True
    assert ad["delivery"] == {"status": "DELIVERING", "reasons": [], "text": "Delivering."}
    assert get(client, w.creator_h, f"/v1/posts/{private['id']}")["visibility"] == "private"
    # The ads-only ad is live, so the visibility is held where it is.
    r = client.patch(f"/v1/posts/{private['id']}", headers=w.creator_h,
                     json={"visibility": "public"})
    assert_error(r, 409, "post_in_use", "visibility cannot change")
    # A regular ad on the same post makes it public.
    regular = f.ad(client, w.brand_h, g["id"], sp_id)
    assert regular["post"]["visibility"] == "public"
    assert w.client.get(f"/v1/ads/{ad['id']}", headers=w.brand_h).json()["delivery"][
        "status"] == "DELIVERING"


def test_r10_a_new_sound_is_allowed_while_the_ad_runs_and_stops_it(client):
    w = f.Running(client)
    edited = f._ok(client.patch(f"/v1/posts/{w.post['id']}", headers=w.creator_h,
                                json={"sound": "commercial_library"}))
    assert edited["revision"] == 2
    ad = w.get_ad()
    assert ad["post_revision"] == 1 and ad["post"]["revision"] == 2
    assert ad["delivery"] == {
        "status": "NOT_DELIVERING", "reasons": ["POST_EDITED"],
        "text": "Not delivering: the creator edited the post after the ad was made."}
    r = client.patch(f"/v1/posts/{w.post['id']}", headers=w.creator_h, json={"caption": "New"})
    assert_error(r, 409, "caption_locked", "caption cannot be edited")
    # A new ad is made on the current revision and delivers.
    fresh = f.ad(client, w.brand_h, w.ad_group["id"], w.spark_post_id)
    assert fresh["post_revision"] == 2 and fresh["delivery"]["status"] == "DELIVERING"


def test_r11_a_sandbox_take_down_stops_the_live_ad_at_once(client):
    w = f.Running(client)
    r = client.post(f"/v1/sandbox/posts/{w.post['id']}/take-down", headers=w.creator_h,
                    json={"reason": "Community guidelines"})
    assert f._ok(r)["reason"] == "Community guidelines"
    ad = w.get_ad()
    assert ad["delivery"] == {"status": "NOT_DELIVERING", "reasons": ["POST_UNAVAILABLE"],
                              "text": "Not delivering: the post was deleted or taken down."}
    sp = get(client, w.brand_h, f"/v1/ad-accounts/{w.account['id']}/spark-posts/{w.spark_post_id}")
    assert sp["status"] == "POST_UNAVAILABLE" and sp["live_ads"] == 0
    assert sp["ads_text"] == "1 stopped: the post was deleted or taken down"


def test_code_expiry_and_extension_stop_and_resume_the_ad(client):
    w = f.Running(client)
    f.advance(client, w.brand_h, "P31D")
    ad = w.get_ad()
    assert reasons(ad) == ["AUTHORIZATION_EXPIRED"]
    assert ad["delivery"]["text"] == ("Not delivering: the creator's authorization expired — "
                                      "ask to extend.")
    f._ok(client.post(f"/v1/authorizations/{w.code['id']}/extend", headers=w.creator_h,
                      json={"days": 30}))
    assert w.get_ad()["delivery"]["status"] == "DELIVERING"


def test_a_duet_ad_holds_its_original_post_and_code_too(client):
    """R3 with R1, R4, R9, R11: an ad on a duet runs on the original post's code as well."""
    w = f.World(client)
    d = f.duet(client, w)
    orig_h, orig_creator, original, orig_code = (d.original_h, d.original_creator, d.original,
                                                  d.original_code)
    duet, duet_code = d.duet, d.duet_code
    item = f._ok(f.bind(client, w.brand_h, w.account["id"], [duet_code["code"]],
                        original_post_codes=[orig_code["code"]]))["results"][0]
    assert item["ok"], item
    c = f.campaign(client, w.brand_h, w.account["id"])
    g = f.ad_group(client, w.brand_h, c["id"])
    ad = f.ad(client, w.brand_h, g["id"], item["spark_post"]["id"], name="Duet hero")
    assert ad["delivery"]["status"] == "DELIVERING"
    assert ad["caption"] == duet["caption"]

    refusals = [
        (client.delete(f"/v1/authorizations/{orig_code['id']}", headers=orig_h), "code_in_use",
         "live ads of Acme (ads: Duet hero)"),
        (client.delete(f"/v1/posts/{original['id']}", headers=orig_h), "post_in_use",
         "runs in 1 live ad;"),
        (client.patch(f"/v1/posts/{original['id']}", headers=orig_h,
                      json={"visibility": "private"}), "post_in_use", "visibility cannot change"),
        (client.put(f"/v1/creators/{orig_creator['id']}/ad-settings", headers=orig_h,
                    json={"enabled": False}), "code_in_use", "1 live ad runs"),
    ]
    for response, code, fragment in refusals:
        assert assert_error(response, 409, code, fragment)["details"] == {"live_ads": [ad["id"]]}
    assert get(client, w.brand_h, f"/v1/ads/{ad['id']}")["delivery"]["status"] == "DELIVERING"
    # A take-down of the original is always possible, and stops the duet's ad.
    f._ok(client.post(f"/v1/sandbox/posts/{original['id']}/take-down", headers=orig_h,
                      json={"reason": "Copyright"}))
    assert reasons(get(client, w.brand_h, f"/v1/ads/{ad['id']}")) == ["POST_UNAVAILABLE"]
