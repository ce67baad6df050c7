"""The TikTok Business API v1.3 surface driven by TikTok's official Python SDK
(tiktok-business-api-sdk-official 1.1.3, ``business_api_client``), unchanged, against a live
server: its API classes for what it exposes, and its own ``ApiClient.call_api`` for the tt_video
endpoints and identity/video/get it does not (§9.5 of the reference). Every answer goes through
the SDK's envelope handling: ``{data, request_id}`` on success, ``TiktokSDKError`` ("Error Code:
{code}, message: {message}, request_id: …") otherwise.

The Spark flow end to end; every R15 refusal in TikTok's codes; paging; tokens; tenants and
roles; QPS limits on apps built with low limits; an expiry rehearsed with the sandbox clock.
"""

from __future__ import annotations

import time
from datetime import timedelta
from typing import Any

import pytest
from business_api_client import (
    AdApi,
    AdCreateBody,
    AdcreateCreatives,
    AdgroupApi,
    AdgroupCreateBody,
    AdgroupStatusUpdateBody,
    AdStatusUpdateBody,
    AdUpdateBody,
    AdupdateCreatives,
    CampaignCreateBody,
    CampaignCreationApi,
    CampaignStatusUpdateBody,
    FilteringAdGet,
    FilteringAdgroupGet,
    FilteringCampaignGet,
    IdentityApi,
    ReportingApi,
)
from business_api_client.tiktok_business.tiktok_exceptions import TiktokSDKError

from tests import factories as f
from tests import tiktok_world as tw
from tests.integration._http import substitute, unknown_code

LANDING = "https://shop.example.com/spring?utm_source=tiktok&utm_campaign=spark"
METRICS = ["spend", "impressions", "likes", "comments", "shares", "follows", "profile_visits",
           "video_watched_2s"]
DELIVERING = "AD_STATUS_DELIVERY_OK"
# TikTok's not-delivering statuses for an authorization that lapsed (§5.10).
AUTH_LOST = {"AD_STATUS_ASSET_AUTHORIZATION_LOST", "AD_STATUS_CREATOR_AUTHORIZATION_REVOKED"}


@pytest.fixture
def api(live_url):  # type: ignore[no-untyped-def]
    return tw.sdk(live_url)


# --- the SDK's calls, named as a client would -----------------------------------------------------

def tt_info(api, token: str, advertiser_id: str, code: str) -> dict[str, Any]:  # type: ignore[no-untyped-def]
    return tw.call(api, "/tt_video/info/", "GET", token,
                   query=[("advertiser_id", advertiser_id), ("auth_code", code)])["data"]


def tt_authorize(api, token: str, advertiser_id: str, code: str,  # type: ignore[no-untyped-def]
                 original: str | None = None) -> dict[str, Any]:
    body = {"advertiser_id": advertiser_id, "auth_code": code}
    if original is not None:
        body["original_post_auth_code"] = original
    return tw.call(api, "/tt_video/authorize/", "POST", token, body=body)["data"]


def tt_list(api, token: str, advertiser_id: str, **params: Any) -> dict[str, Any]:  # type: ignore[no-untyped-def]
    query = [("advertiser_id", advertiser_id), *params.items()]
    return tw.call(api, "/tt_video/list/", "GET", token, query=query)["data"]


def tt_unbind(api, token: str, advertiser_id: str, item_id: str) -> dict[str, Any]:  # type: ignore[no-untyped-def]
    return tw.call(api, "/tt_video/unbind/", "POST", token,
                   body={"advertiser_id": advertiser_id, "item_id": item_id})["data"]


def identity_videos(api, token: str, advertiser_id: str, identity_id: str,  # type: ignore[no-untyped-def]
                    **params: Any) -> dict[str, Any]:
    query = [("advertiser_id", advertiser_id), ("identity_type", "AUTH_CODE"),
             ("identity_id", identity_id), *params.items()]
    return tw.call(api, "/identity/video/get/", "GET", token, query=query)["data"]


def create_campaign(api, token: str, advertiser_id: str, **fields: Any) -> dict[str, Any]:  # type: ignore[no-untyped-def]
    body = CampaignCreateBody(advertiser_id=advertiser_id,
                              campaign_name=fields.pop("campaign_name", "Spring launch"),
                              objective_type=fields.pop("objective_type", "ENGAGEMENT"),
                              budget_mode=fields.pop("budget_mode", "BUDGET_MODE_INFINITE"),
                              **fields)
    return CampaignCreationApi(api).campaign_create(token, body=body)["data"]


def create_adgroup(api, token: str, advertiser_id: str, campaign_id: str,  # type: ignore[no-untyped-def]
                   start: str, **fields: Any) -> dict[str, Any]:
    """A daily budget of 100.00 and a CPM bid of 10.00 (0.01 per impression), from ``start``.
    The SDK's model insists on every field TikTok requires (billing, goal, pacing, schedule)."""
    body = AdgroupCreateBody(
        advertiser_id=advertiser_id, campaign_id=campaign_id,
        adgroup_name=fields.pop("adgroup_name", "US 18-34"),
        budget_mode="BUDGET_MODE_DAY", budget=fields.pop("budget", 100.0),
        billing_event="CPM", bid_price=fields.pop("bid_price", 10.0),
        optimization_goal="REACH", pacing="PACING_MODE_SMOOTH",
        schedule_type="SCHEDULE_FROM_NOW", schedule_start_time=start, **fields)
    return AdgroupApi(api).adgroup_create(token, body=body)["data"]


def creative(identity_id: str, item_id: str, **fields: Any) -> AdcreateCreatives:
    values: dict[str, Any] = dict(identity_type="AUTH_CODE", identity_id=identity_id,
                                  tiktok_item_id=item_id, ad_format="SINGLE_VIDEO",
                                  call_to_action="SHOP_NOW", landing_page_url=LANDING,
                                  ad_name="Spark: morning routine")
    values.update(fields)
    return AdcreateCreatives(**values)


def create_ads(api, token: str, advertiser_id: str, adgroup_id: str,  # type: ignore[no-untyped-def]
               creatives: list[AdcreateCreatives]) -> dict[str, Any]:
    body = AdCreateBody(advertiser_id=advertiser_id, adgroup_id=adgroup_id, creatives=creatives)
    return AdApi(api).ad_create(token, body=body)["data"]


def get_ads(api, token: str, advertiser_id: str, **kw: Any) -> dict[str, Any]:  # type: ignore[no-untyped-def]
    return AdApi(api).ad_get(advertiser_id, token, **kw)["data"]


def the_ad(api, token: str, advertiser_id: str, ad_id: str) -> dict[str, Any]:  # type: ignore[no-untyped-def]
    data = get_ads(api, token, advertiser_id,
                   filtering=FilteringAdGet(ad_ids=[ad_id], primary_status="STATUS_ALL"))
    [ad] = data["list"]
    assert ad["ad_id"] == ad_id
    return ad


def ad_status(api, token: str, advertiser_id: str, ad_ids: list[str],  # type: ignore[no-untyped-def]
              operation: str) -> dict[str, Any]:
    body = AdStatusUpdateBody(advertiser_id=advertiser_id, ad_ids=ad_ids,
                              operation_status=operation)
    return AdApi(api).ad_status_update(token, body=body)["data"]


def report(api, token: str, advertiser_id: str, data_level: str, dimensions: list[str],  # type: ignore[no-untyped-def]
           day: str, **kw: Any) -> dict[str, Any]:
    kw.setdefault("metrics", METRICS)
    kw.setdefault("start_date", day)
    kw.setdefault("end_date", day)
    return ReportingApi(api).report_integrated_get(
        "BASIC", token, advertiser_id=advertiser_id, data_level=data_level,
        dimensions=dimensions, **kw)["data"]


class Running:
    """A SparkWorld whose code was applied with tt_video/authorize and runs in one delivering
    ad, all of it made through the SDK."""

    def __init__(self, client, api) -> None:  # type: ignore[no-untyped-def]
        self.w = w = tw.SparkWorld(client)
        self.client, self.api = client, api
        self.token, self.adv = w.token, w.advertiser_id
        tt_authorize(api, self.token, self.adv, w.code["code"])
        now = tw.clock(client, w.brand.headers)
        self.campaign_id = create_campaign(api, self.token, self.adv)["campaign_id"]
        self.adgroup_id = create_adgroup(api, self.token, self.adv, self.campaign_id,
                                         tw.tiktok_time(now))["adgroup_id"]
        made = create_ads(api, self.token, self.adv, self.adgroup_id,
                          [creative(w.creator.identity_id, w.item_id)])
        [self.ad_id] = made["ad_ids"]

    def ad(self) -> dict[str, Any]:
        return the_ad(self.api, self.token, self.adv, self.ad_id)

    def info(self) -> dict[str, Any]:
        return tt_info(self.api, self.token, self.adv, self.w.code["code"])


def assert_numeric_id(value: Any) -> str:
    assert isinstance(value, str) and value.isdigit(), value
    return value


def assert_tiktok_time(value: Any) -> None:
    assert isinstance(value, str), value
    tw.parse_tiktok_time(value)  # "YYYY-MM-DD HH:MM:SS", UTC


def code_status(client, headers, authorization_id: str) -> str:  # type: ignore[no-untyped-def]
    r = client.get(f"/v1/authorizations/{authorization_id}", headers=headers)
    assert r.status_code == 200, r.text
    return r.json()["status"]


# --- the Spark flow, end to end ------------------------------------------------------------------

def test_spark_flow_through_the_official_sdk(client, api):
    w = tw.SparkWorld(client)
    token, adv, identity_id = w.token, w.advertiser_id, w.creator.identity_id
    identities = IdentityApi(api)

    # No identity yet: no code was applied. The SDK hands back {data, request_id} (§9.4).
    answer = identities.identity_get(adv, token)
    assert set(answer) == {"data", "request_id"} and answer["request_id"], answer
    data = answer["data"]
    assert data["identity_list"] == []
    assert data["page_info"]["total_number"] == 0

    # tt_video/info previews the post behind the code, without applying it.
    info = tt_info(api, token, adv, w.code["code"])
    assert set(info) >= {"item_info", "auth_info", "user_info", "video_info"}
    assert info["item_info"]["item_id"] == w.item_id
    assert info["item_info"]["item_type"] == "VIDEO"
    assert info["item_info"]["text"] == "Morning routine #ad"
    assert info["item_info"]["status"] == "HESITATE_RECOMMEND"
    assert info["auth_info"]["ad_auth_status"] == "AUTHORIZED"
    for key in ("auth_start_time", "auth_end_time"):
        assert_tiktok_time(info["auth_info"][key])
    expires = tw.parse_tiktok_time(info["auth_info"]["auth_end_time"])
    assert expires.isoformat()[:19] == w.code["expires_at"][:19]
    assert info["user_info"]["identity_id"] == identity_id
    assert info["user_info"]["identity_type"] == "AUTH_CODE"
    assert info["user_info"]["tiktok_name"] == w.creator.creator["handle"]
    assert isinstance(info["video_info"], dict)
    assert code_status(client, w.creator.headers, w.code["id"]) == "NOT_USED"

    # tt_video/authorize applies it: {} as documented, plus item_id/identity_id as a convenience.
    applied = tt_authorize(api, token, adv, w.code["code"])
    assert applied.get("item_id") == w.item_id
    assert applied.get("identity_id") == identity_id
    assert code_status(client, w.creator.headers, w.code["id"]) == "IN_USE"
    # Applying the same code again by the same advertiser changes nothing.
    assert tt_authorize(api, token, adv, w.code["code"]).get("item_id") == w.item_id

    listed = tt_list(api, token, adv)
    assert listed["page_info"] == {"page": 1, "page_size": 20, "total_number": 1,
                                   "total_page": 1}
    [entry] = listed["list"]
    assert entry["item_info"]["item_id"] == w.item_id
    assert entry["auth_info"]["ad_auth_status"] == "AUTHORIZED"
    assert_tiktok_time(entry["auth_info"]["auth_end_time"])
    assert entry["auth_info"]["auth_end_time"] == info["auth_info"]["auth_end_time"]
    assert entry["user_info"]["identity_id"] == identity_id
    assert entry["user_info"]["identity_type"] == "AUTH_CODE"

    # The creator is now an AUTH_CODE identity of the advertiser.
    data = identities.identity_get(adv, token, page=1, page_size=10)["data"]
    [identity] = data["identity_list"]
    assert identity["identity_id"] == identity_id
    assert identity["identity_type"] == "AUTH_CODE"
    assert identity["available_status"] == "AVAILABLE"
    assert data["page_info"] == {"page": 1, "page_size": 10, "total_number": 1, "total_page": 1}
    assert identities.identity_get(adv, token, identity_type="AUTH_CODE")["data"][
        "identity_list"] == [identity]
    assert identities.identity_get(adv, token, identity_type="TT_USER")["data"][
        "identity_list"] == []

    detail = identities.identity_video_info(token, adv, "AUTH_CODE", identity_id,
                                            w.item_id)["data"]
    assert detail["video_details"] == []
    video = detail["video_detail"]
    assert video["item_id"] == w.item_id
    assert video["status"] == "ITEM_STATUS_HESITATE_RECOMMEND"
    assert video["auth_info"]["ad_auth_status"] == "AUTHORIZED"
    for key in ("auth_start_time", "auth_end_time"):
        assert tw.ISO_Z.match(video["auth_info"][key]), video["auth_info"]
    videos = identity_videos(api, token, adv, identity_id)
    assert [v["item_id"] for v in videos["video_list"]] == [w.item_id]
    assert videos["has_more"] is False

    # Campaign → ad group → ad, with the ids tt_video gave.
    campaign = create_campaign(api, token, adv, campaign_name="Spring launch")
    campaign_id = assert_numeric_id(campaign["campaign_id"])
    [got] = CampaignCreationApi(api).campaign_get(
        adv, token, filtering=FilteringCampaignGet(campaign_ids=[campaign_id]))["data"]["list"]
    assert got["campaign_name"] == "Spring launch" and got["operation_status"] == "ENABLE"
    start = tw.tiktok_time(tw.clock(client, w.brand.headers))
    group = create_adgroup(api, token, adv, campaign_id, start)
    adgroup_id = assert_numeric_id(group["adgroup_id"])
    [got] = AdgroupApi(api).adgroup_get(
        adv, token, filtering=FilteringAdgroupGet(adgroup_ids=[adgroup_id]))["data"]["list"]
    assert got["campaign_id"] == campaign_id and got["schedule_start_time"] == start

    made = create_ads(api, token, adv, adgroup_id,
                      [creative(entry["user_info"]["identity_id"],
                                entry["item_info"]["item_id"])])
    [ad_id] = made["ad_ids"]
    assert_numeric_id(ad_id)
    assert isinstance(made["need_audit"], bool)
    [c] = made["creatives"]
    assert (c["ad_id"], c["identity_type"], c["identity_id"], c["tiktok_item_id"],
            c["ad_format"], c["call_to_action"], c["landing_page_url"]) == (
        ad_id, "AUTH_CODE", identity_id, w.item_id, "SINGLE_VIDEO", "SHOP_NOW", LANDING)

    ad = the_ad(api, token, adv, ad_id)
    assert (ad["campaign_id"], ad["adgroup_id"], ad["advertiser_id"]) == (
        campaign_id, adgroup_id, adv)
    assert ad["ad_name"] == "Spark: morning routine"
    assert ad["operation_status"] == "ENABLE"
    assert ad["secondary_status"] == DELIVERING
    assert ad["delivery_reasons"] == []

    # Pause, then resume.
    assert ad_status(api, token, adv, [ad_id], "DISABLE") == {
        **ad_status_data([ad_id], "DISABLE")}
    ad = the_ad(api, token, adv, ad_id)
    assert ad["operation_status"] == "DISABLE"
    assert ad["secondary_status"] == "AD_STATUS_DISABLE"
    assert ad["delivery_reasons"] == ["PAUSED"]
    assert ad_status(api, token, adv, [ad_id], "ENABLE")["status"] == "ENABLE"
    ad = the_ad(api, token, adv, ad_id)
    assert (ad["operation_status"], ad["secondary_status"]) == ("ENABLE", DELIVERING)

    # Paid engagement, recorded as events, shows in the integrated report.
    v1_ad = tw.v1_ad(client, w.brand.headers, w.brand.account["id"], ad_id)
    paid = [f.event(w.post["id"], kind, ad_id=v1_ad["id"]) for kind, n in
            [("impression", 4), ("like", 2), ("comment", 1), ("share", 1), ("follow", 1),
             ("profile_visit", 1), ("view_2s", 3)] for _ in range(n)]
    organic = [f.event(w.post["id"], "like")]
    r = f.events(client, w.creator.headers, paid + organic)
    assert r.status_code == 200 and r.json()["accepted"] == len(paid) + 1, r.text
    day = tw.clock(client, w.brand.headers).date().isoformat()
    data = report(api, token, adv, "AUCTION_AD", ["ad_id", "stat_time_day"], day,
                  enable_total_metrics=True, page=1, page_size=10)
    [row] = data["list"]
    assert row["dimensions"]["ad_id"] == ad_id
    assert str(row["dimensions"]["stat_time_day"]).startswith(day)
    assert_metrics(row["metrics"], spend=0.04, impressions=4, likes=2, comments=1, shares=1,
                   follows=1, profile_visits=1, video_watched_2s=3)
    assert_metrics(data["total_metrics"], spend=0.04, impressions=4, likes=2, comments=1,
                   shares=1, follows=1, profile_visits=1, video_watched_2s=3)
    assert data["page_info"]["total_number"] == 1

    # The post cannot be unbound while the ad runs on it; once the ad is deleted, it can.
    with tw.refused(40002, "live ad"):
        tt_unbind(api, token, adv, w.item_id)
    assert tt_list(api, token, adv)["page_info"]["total_number"] == 1
    assert ad_status(api, token, adv, [ad_id], "DELETE")["status"] == "DELETE"
    assert get_ads(api, token, adv)["list"] == []  # STATUS_NOT_DELETE by default
    assert tt_unbind(api, token, adv, w.item_id) == {}
    assert tt_list(api, token, adv)["list"] == []


def ad_status_data(ad_ids: list[str], operation: str) -> dict[str, Any]:
    """ad/status/update's data (§4.3): ad_ids, aco_ad_ids, status."""
    return {"ad_ids": ad_ids, "aco_ad_ids": [], "status": operation}


def assert_metrics(metrics: dict[str, Any], **expected: float) -> None:
    """Metric values come as strings (§6), each the expected number."""
    for name, value in expected.items():
        assert isinstance(metrics[name], str), (name, metrics)
        assert float(metrics[name]) == pytest.approx(value), (name, metrics)


# --- R15: every refusal in TikTok's codes ---------------------------------------------------------

def _unknown(client, app, w):  # type: ignore[no-untyped-def]
    return unknown_code()


def _mistyped(client, app, w):  # type: ignore[no-untyped-def]
    return substitute(w.code["code"])


def _expired(client, app, w):  # type: ignore[no-untyped-def]
    code = w.creator.code(w.post, days=7)
    f.advance(client, w.brand.headers, "P7DT1S")
    return code["code"]


def _deleted(client, app, w):  # type: ignore[no-untyped-def]
    tw.delete_code(client, w.creator.headers, w.code["id"])
    return w.code["code"]


def _settings_off(client, app, w):  # type: ignore[no-untyped-def]
    tw.set_ad_settings(client, w.creator.headers, w.creator.creator["id"], False)
    return w.code["code"]


def _story(client, app, w):  # type: ignore[no-untyped-def]
    return tw.story_code(client, app, w.creator)


def _duet_without_original(client, app, w):  # type: ignore[no-untyped-def]
    duet = w.creator.post(kind="duet", original_post_id=w.post["id"])
    return w.creator.code(duet)["code"]


def _taken_down(client, app, w):  # type: ignore[no-untyped-def]
    tw.take_down(client, w.creator.headers, w.post["id"])
    return w.code["code"]


def _post_deleted(client, app, w):  # type: ignore[no-untyped-def]
    r = client.delete(f"/v1/posts/{w.post['id']}", headers=w.creator.headers)
    assert r.status_code == 200, r.text
    return w.code["code"]


@pytest.mark.parametrize("setup, code, fragments", [
    (_unknown, 40002, ("Post code is incorrect.", "No Spark code matches")),
    (_mistyped, 40002, ("Post code is incorrect.", "looks mistyped")),
    (_expired, 40002, ("expired on", "ask the creator to extend it")),
    (_deleted, 40002, ("The creator deleted this code",)),
    (_settings_off, 40002, ("ad settings are off",)),
    (_story, 40002, ("Stories cannot be run as Spark Ads",)),
    (_duet_without_original, 40002, ("code for the original post",)),
    (_taken_down, 40007, ("taken down",)),
    (_post_deleted, 40007, ("deleted by the creator",)),
], ids=lambda v: v.__name__.strip("_") if callable(v) else None)
def test_authorize_refusals_in_tiktok_codes(client, app, api, setup, code, fragments):
    w = tw.SparkWorld(client)
    raw = setup(client, app, w)
    with tw.refused(code, *fragments) as out:
        tt_authorize(api, w.token, w.advertiser_id, raw)
    if fragments[0] == "Post code is incorrect.":
        assert out["message"].startswith("Post code is incorrect."), out
    # Nothing was applied.
    assert tt_list(api, w.token, w.advertiser_id)["list"] == []
    assert IdentityApi(api).identity_get(w.advertiser_id, w.token)["data"]["identity_list"] == []


def test_unknown_and_mistyped_codes_are_incorrect_on_info_too(client, api):
    w = tw.SparkWorld(client)
    for raw, words in [(unknown_code(), "No Spark code matches"),
                       (substitute(w.code["code"]), "looks mistyped")]:
        with tw.refused(40002, words) as out:
            tt_info(api, w.token, w.advertiser_id, raw)
        assert out["message"].startswith("Post code is incorrect."), out


def test_a_code_used_by_another_advertiser(client, api):
    w = tw.SparkWorld(client)
    tt_authorize(api, w.token, w.advertiser2_id, w.code["code"])
    with tw.refused(40001, "already used by another ad account"):
        tt_authorize(api, w.token, w.advertiser_id, w.code["code"])
    with tw.refused(40001, "already used by another ad account"):
        tt_info(api, w.token, w.advertiser_id, w.code["code"])
    assert tt_list(api, w.token, w.advertiser_id)["list"] == []
    # The owner still sees it, and re-applying is idempotent there.
    assert tt_info(api, w.token, w.advertiser2_id, w.code["code"])["auth_info"][
        "ad_auth_status"] == "AUTHORIZED"
    tt_authorize(api, w.token, w.advertiser2_id, w.code["code"])
    assert tt_list(api, w.token, w.advertiser2_id)["page_info"]["total_number"] == 1


def test_region_not_offered(client, api, backend):
    """A code issued while the creator's region was offered fails once it no longer is."""
    w = tw.SparkWorld(client)
    with tw.other_server(backend, supported_regions=["GB"]) as gb_only, \
            tw.refused(40002, "not offered to creator accounts in US"):
        tt_authorize(tw.sdk(gb_only), w.token, w.advertiser_id, w.code["code"])
    assert tt_list(api, w.token, w.advertiser_id)["list"] == []


def test_duet_needs_the_original_posts_code(client, api):
    w = tw.SparkWorld(client)
    duet = w.creator.post(kind="duet", original_post_id=w.post["id"], caption="Duet!")
    duet_code = w.creator.code(duet)["code"]
    with tw.refused(40002, "original post"):
        tt_authorize(api, w.token, w.advertiser_id, duet_code)
    with tw.refused(40002, "Post code is incorrect."):
        tt_authorize(api, w.token, w.advertiser_id, duet_code, original=unknown_code())
    applied = tt_authorize(api, w.token, w.advertiser_id, duet_code, original=w.code["code"])
    assert applied.get("item_id") == str(duet["tiktok_id"])
    info = tt_info(api, w.token, w.advertiser_id, duet_code)
    assert info["item_info"]["duet_original_item_id"] == w.item_id
    assert info["item_info"]["stitch_original_item_id"] is None
    listed = tt_list(api, w.token, w.advertiser_id)["list"]
    assert str(duet["tiktok_id"]) in {e["item_info"]["item_id"] for e in listed}


def test_deleted_and_expired_codes_show_their_status_on_info(client, api):
    w = tw.SparkWorld(client)
    short = w.creator.code(w.post, days=7)
    tw.delete_code(client, w.creator.headers, w.code["id"])
    assert tt_info(api, w.token, w.advertiser_id, w.code["code"])["auth_info"][
        "ad_auth_status"] == "CANCELED"
    f.advance(client, w.brand.headers, "P8D")
    info = tt_info(api, w.token, w.advertiser_id, short["code"])
    assert info["auth_info"]["ad_auth_status"] == "EXPIRED"
    assert tw.parse_tiktok_time(info["auth_info"]["auth_end_time"]) <= tw.clock(
        client, w.brand.headers)


def test_unbind_refusals(client, api):
    r = Running(client, api)
    with tw.refused(40007):
        tt_unbind(api, r.token, r.adv, "1234567")
    with tw.refused(40002, "live ad"):
        tt_unbind(api, r.token, r.adv, r.w.item_id)
    # Another advertiser of the same brand never held the post.
    with tw.refused(40007):
        tt_unbind(api, r.token, r.w.advertiser2_id, r.w.item_id)
    assert r.ad()["secondary_status"] == DELIVERING


# --- races: exactly one binding survives (R14) ----------------------------------------------------

def _race(live_url: str, calls: list[tuple[str, str, str]]) -> list[tuple[str, int]]:
    """Apply codes at once from several threads, each with its own SDK client:
    (advertiser_id, envelope code) per call."""
    import threading

    barrier = threading.Barrier(len(calls))
    out: list[tuple[str, int]] = [("", -1)] * len(calls)

    def run(i: int, token: str, adv: str, code: str) -> None:
        client = tw.sdk(live_url)
        barrier.wait()
        try:
            tt_authorize(client, token, adv, code)
            out[i] = (adv, 0)
        except TiktokSDKError as exc:
            out[i] = (adv, tw.sdk_error(exc)[0])

    threads = [threading.Thread(target=run, args=(i, *c)) for i, c in enumerate(calls)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    return out


def test_two_advertisers_racing_for_one_code(client, api, live_url):
    w = tw.SparkWorld(client)
    rival = tw.Brand(client, name="Rival")
    calls = [(w.token, w.advertiser_id, w.code["code"]),
             (rival.token, rival.advertiser_id, w.code["code"])] * 4
    results = _race(live_url, calls)
    winners = {adv for adv, code in results if code == 0}
    assert len(winners) == 1, results
    assert {code for _, code in results} <= {0, 40001}, results
    loser = ({w.advertiser_id, rival.advertiser_id} - winners).pop()
    [winner] = winners
    token_of = {w.advertiser_id: w.token, rival.advertiser_id: rival.token}
    assert all(code == 40001 for adv, code in results if adv == loser), results
    assert tt_list(api, token_of[winner], winner)["page_info"]["total_number"] == 1
    assert tt_list(api, token_of[loser], loser)["page_info"]["total_number"] == 0


def test_one_advertiser_applying_a_code_many_times_at_once(client, api, live_url):
    w = tw.SparkWorld(client)
    results = _race(live_url, [(w.token, w.advertiser_id, w.code["code"])] * 6)
    assert [code for _, code in results] == [0] * 6, results
    assert tt_list(api, w.token, w.advertiser_id)["page_info"]["total_number"] == 1


# --- paging -----------------------------------------------------------------------------------

def test_paging_of_tt_video_list_and_ad_get(client, api):
    w = tw.SparkWorld(client)
    token, adv = w.token, w.advertiser_id
    posts = [w.post] + [w.creator.post(caption=f"Look {i} #ootd") for i in range(4)]
    codes = [w.code] + [w.creator.code(p) for p in posts[1:]]
    for c in codes:
        tt_authorize(api, token, adv, c["code"])
    items = {str(p["tiktok_id"]) for p in posts}

    seen: list[str] = []
    for page in (1, 2, 3):
        data = tt_list(api, token, adv, page=page, page_size=2)
        assert data["page_info"] == {"page": page, "page_size": 2, "total_number": 5,
                                     "total_page": 3}
        assert len(data["list"]) == (1 if page == 3 else 2)
        seen += [e["item_info"]["item_id"] for e in data["list"]]
    assert sorted(seen) == sorted(items)  # every post once, none twice
    past = tt_list(api, token, adv, page=4, page_size=2)
    assert past["list"] == [] and past["page_info"]["total_number"] == 5
    assert tt_list(api, token, adv, page_size=50)["page_info"]["total_page"] == 1
    assert len(tt_list(api, token, adv)["list"]) == 5
    assert len(tt_list(api, token, adv, keyword="ootd")["list"]) == 4
    exact = str(posts[2]["tiktok_id"])
    if len(exact) >= 19:  # a keyword of 19+ digits names one post by its id (§2.3)
        assert [e["item_info"]["item_id"] for e in tt_list(api, token, adv, keyword=exact)[
            "list"]] == [exact]
    assert tt_list(api, token, adv, item_types=["CAROUSEL"])["list"] == []
    with tw.refused(40002, "page_size"):
        tt_list(api, token, adv, page_size=51)

    # One ad/create call with five creatives; ad/get pages them.
    now = tw.clock(client, w.brand.headers)
    campaign_id = create_campaign(api, token, adv)["campaign_id"]
    adgroup_id = create_adgroup(api, token, adv, campaign_id, tw.tiktok_time(now))["adgroup_id"]
    made = create_ads(api, token, adv, adgroup_id,
                      [creative(w.creator.identity_id, str(p["tiktok_id"]), ad_name=f"Ad {i}")
                       for i, p in enumerate(posts)])
    assert len(made["ad_ids"]) == 5 == len(set(made["ad_ids"]))
    seen = []
    for page in (1, 2, 3):
        data = get_ads(api, token, adv, page=page, page_size=2)
        assert data["page_info"] == {"page": page, "page_size": 2, "total_number": 5,
                                     "total_page": 3}
        assert len(data["list"]) == (1 if page == 3 else 2)
        seen += [a["ad_id"] for a in data["list"]]
    assert sorted(seen) == sorted(made["ad_ids"])
    data = get_ads(api, token, adv)
    assert data["page_info"]["page_size"] == 10 and len(data["list"]) == 5
    assert get_ads(api, token, adv, page=2)["list"] == []
    only = get_ads(api, token, adv, filtering=FilteringAdGet(adgroup_ids=[adgroup_id]),
                   fields=["ad_id", "secondary_status"])
    assert {tuple(sorted(a)) for a in only["list"]} == {("ad_id", "secondary_status")}


def _too_many_statuses(api, r: Running) -> None:  # type: ignore[no-untyped-def]
    ad_status(api, r.token, r.adv, [r.ad_id] + [str(10**15 + i) for i in range(20)], "DISABLE")


def _too_many_filter_ids(api, r: Running) -> None:  # type: ignore[no-untyped-def]
    get_ads(api, r.token, r.adv,
            filtering=FilteringAdGet(ad_ids=[str(10**15 + i) for i in range(101)]))


def _too_many_creatives(api, r: Running) -> None:  # type: ignore[no-untyped-def]
    create_ads(api, r.token, r.adv, r.adgroup_id,
               [creative(r.w.creator.identity_id, r.w.item_id) for _ in range(21)])


@pytest.mark.parametrize("call", [_too_many_statuses, _too_many_filter_ids, _too_many_creatives],
                         ids=lambda fn: fn.__name__.strip("_"))
def test_too_many_ids_is_40011(client, api, call):
    """21 ads to status/update (1–20), 101 ids in a filter (1–100), 21 creatives (1–20)."""
    r = Running(client, api)
    with tw.refused(40011):
        call(api, r)
    assert r.ad()["operation_status"] == "ENABLE"
    assert len(get_ads(api, r.token, r.adv)["list"]) == 1


def test_unbind_after_the_ad_is_deleted(client, api):
    r = Running(client, api)
    with tw.refused(40002, "live ad"):
        tt_unbind(api, r.token, r.adv, r.w.item_id)
    assert ad_status(api, r.token, r.adv, [r.ad_id], "DELETE") == ad_status_data([r.ad_id],
                                                                                 "DELETE")
    assert r.ad()["secondary_status"] == "AD_STATUS_DELETE"
    with tw.refused(40002):
        ad_status(api, r.token, r.adv, [r.ad_id], "ENABLE")  # a deleted ad cannot change
    assert tt_unbind(api, r.token, r.adv, r.w.item_id) == {}
    assert tt_list(api, r.token, r.adv)["list"] == []
    # The post is free again: the code can be applied anew (same advertiser).
    tt_authorize(api, r.token, r.adv, r.w.code["code"])
    assert tt_list(api, r.token, r.adv)["page_info"]["total_number"] == 1


# --- tokens, tenants, roles ---------------------------------------------------------------------

def test_missing_bad_and_revoked_tokens(client, api):
    w = tw.SparkWorld(client)
    identities = IdentityApi(api)
    with tw.refused(40104, "Access token is null"):
        identities.identity_get(w.advertiser_id, "")
    with tw.refused(40104):
        tt_list(api, "   ", w.advertiser_id)
    for bad in ("not-a-token", w.token + "x", w.token[:-1]):
        with tw.refused(40105) as out:
            identities.identity_get(w.advertiser_id, bad)
        assert out["message"] == "Access token is incorrect or has been revoked."
    second = tw.new_token(client, w.brand.email)
    assert identities.identity_get(w.advertiser_id, second["token"])["data"][
        "identity_list"] == []
    tw.revoke(client, w.brand.headers, second["id"])
    with tw.refused(40105, "Access token is incorrect or has been revoked."):
        identities.identity_get(w.advertiser_id, second["token"])
    with tw.refused(40105):
        tt_authorize(api, second["token"], w.advertiser_id, w.code["code"])
    assert tt_list(api, w.token, w.advertiser_id)["list"] == []


def test_another_users_advertiser_is_no_permission(client, api):
    w = tw.SparkWorld(client)
    stranger = tw.Brand(client, name="Rival")
    prefix = "No permission to operate advertiser"
    calls = [
        lambda adv: IdentityApi(api).identity_get(adv, stranger.token),
        lambda adv: tt_list(api, stranger.token, adv),
        lambda adv: tt_info(api, stranger.token, adv, w.code["code"]),
        lambda adv: tt_authorize(api, stranger.token, adv, w.code["code"]),
        lambda adv: get_ads(api, stranger.token, adv),
        lambda adv: create_campaign(api, stranger.token, adv),
    ]
    for call in calls:
        for adv in (w.advertiser_id, "1234567890123"):  # someone else's, and nobody's
            with tw.refused(40001, f"{prefix} {adv}"):
                call(adv)
    assert code_status(client, w.creator.headers, w.code["id"]) == "NOT_USED"
    # The stranger's own advertiser works with the same token.
    assert IdentityApi(api).identity_get(stranger.advertiser_id, stranger.token)["data"][
        "identity_list"] == []


def test_an_analyst_reads_but_does_not_write(client, api):
    r = Running(client, api)
    analyst = tw.token_of(f.member(client, r.w.brand.headers, r.w.brand.business["id"],
                                   "analyst"))
    adv = r.adv
    # Reads.
    assert [i["identity_id"] for i in IdentityApi(api).identity_get(adv, analyst)["data"][
        "identity_list"]] == [r.w.creator.identity_id]
    assert tt_list(api, analyst, adv)["page_info"]["total_number"] == 1
    assert [a["ad_id"] for a in get_ads(api, analyst, adv)["list"]] == [r.ad_id]
    assert CampaignCreationApi(api).campaign_get(adv, analyst)["data"]["page_info"][
        "total_number"] == 1
    day = tw.clock(client, r.w.brand.headers).date().isoformat()
    assert [row["dimensions"]["ad_id"] for row in report(
        api, analyst, adv, "AUCTION_AD", ["ad_id"], day)["list"]] in ([], [r.ad_id])
    # Writes: refused, naming the role.
    now = tw.tiktok_time(tw.clock(client, r.w.brand.headers))
    other_code = r.w.creator.code(r.w.creator.post())["code"]
    writes = [
        lambda: tt_authorize(api, analyst, adv, other_code),
        lambda: tt_unbind(api, analyst, adv, r.w.item_id),
        lambda: create_campaign(api, analyst, adv),
        lambda: create_adgroup(api, analyst, adv, r.campaign_id, now),
        lambda: create_ads(api, analyst, adv, r.adgroup_id,
                           [creative(r.w.creator.identity_id, r.w.item_id)]),
        lambda: ad_status(api, analyst, adv, [r.ad_id], "DISABLE"),
        lambda: CampaignCreationApi(api).campaign_status_update(
            analyst, body=CampaignStatusUpdateBody(advertiser_id=adv,
                                                   campaign_ids=[r.campaign_id],
                                                   operation_status="DISABLE")),
        lambda: AdgroupApi(api).adgroup_status_update(
            analyst, body=AdgroupStatusUpdateBody(advertiser_id=adv,
                                                  adgroup_ids=[r.adgroup_id],
                                                  operation_status="DISABLE")),
    ]
    for write in writes:
        with tw.refused(40001, "analyst", "operator"):
            write()
    ad = r.ad()
    assert (ad["operation_status"], ad["secondary_status"]) == ("ENABLE", DELIVERING)
    assert tt_list(api, r.token, adv)["page_info"]["total_number"] == 1
    assert len(get_ads(api, r.token, adv)["list"]) == 1


# --- ad/create and ad/update: what a Spark Ad may and may not say --------------------------------

def test_ad_create_refusals(client, api):
    r = Running(client, api)
    w = r.w
    unapplied = w.creator.post(caption="Not authorized yet")
    stranger = tw.Creator(client)
    elsewhere_post = w.creator.post(caption="Applied to the other account")
    tt_authorize(api, r.token, w.advertiser2_id, w.creator.code(elsewhere_post)["code"])
    cases = [
        (40002, ("tt_video/authorize",), creative(w.creator.identity_id,
                                                  str(unapplied["tiktok_id"]))),
        (40002, ("tt_video/authorize",), creative(w.creator.identity_id,
                                                  str(elsewhere_post["tiktok_id"]))),
        (40002, ("identity_id",), creative(stranger.identity_id, w.item_id)),
        (40002, ("identity_type",), creative(w.creator.identity_id, w.item_id,
                                             identity_type="CUSTOMIZED_USER")),
        (40002, ("caption",), creative(w.creator.identity_id, w.item_id,
                                       ad_text="Buy now!")),
        (40002, ("ad_format",), creative(w.creator.identity_id, w.item_id,
                                         ad_format="SINGLE_IMAGE")),
        (40002, ("call to action",), creative(w.creator.identity_id, w.item_id,
                                              call_to_action="NOT_A_CTA")),
        (40002, ("landing page",), creative(w.creator.identity_id, w.item_id,
                                                landing_page_url="not a url")),
    ]
    for code, fragments, c in cases:
        with tw.refused(code, *fragments):
            create_ads(api, r.token, r.adv, r.adgroup_id, [c])
    with tw.refused(40007, "adgroup"):
        create_ads(api, r.token, r.adv, "1234567",
                   [creative(w.creator.identity_id, w.item_id)])
    assert [a["ad_id"] for a in get_ads(api, r.token, r.adv)["list"]] == [r.ad_id]


def test_ad_create_is_all_or_none(client, api):
    """One bad creative among good ones: refused, and no ad is created (ad/create's promise)."""
    r = Running(client, api)
    unapplied = r.w.creator.post(caption="Not authorized yet")
    with tw.refused(40002, "tt_video/authorize"):
        create_ads(api, r.token, r.adv, r.adgroup_id,
                   [creative(r.w.creator.identity_id, r.w.item_id, ad_name="Good"),
                    creative(r.w.creator.identity_id, str(unapplied["tiktok_id"]))])
    assert [a["ad_id"] for a in get_ads(api, r.token, r.adv)["list"]] == [r.ad_id]


def test_a_refused_status_update_changes_nothing(client, api):
    """ad/status/update is all or none: a deleted ad among the ids refuses the whole call."""
    r = Running(client, api)
    [gone] = create_ads(api, r.token, r.adv, r.adgroup_id,
                        [creative(r.w.creator.identity_id, r.w.item_id, ad_name="Gone")])[
        "ad_ids"]
    ad_status(api, r.token, r.adv, [gone], "DELETE")
    with tw.refused(40002, gone):
        ad_status(api, r.token, r.adv, [r.ad_id, gone], "DISABLE")
    ad = r.ad()
    assert (ad["operation_status"], ad["secondary_status"]) == ("ENABLE", DELIVERING)


def test_ad_update_is_all_or_none(client, api):
    """Two creatives, the second refused: the first ad keeps its name."""
    r = Running(client, api)
    body = AdUpdateBody(advertiser_id=r.adv, adgroup_id=r.adgroup_id, creatives=[
        AdupdateCreatives(ad_id=r.ad_id, ad_name="Renamed"),
        AdupdateCreatives(ad_id=r.ad_id, ad_text="A new caption")])
    with tw.refused(40002, "caption"):
        AdApi(api).ad_update(r.token, body=body)
    assert r.ad()["ad_name"] == "Spark: morning routine"


def test_ad_update_changes_the_call_to_action_not_the_post(client, api):
    r = Running(client, api)
    ads = AdApi(api)

    def update(**fields: Any) -> dict[str, Any]:
        body = AdUpdateBody(advertiser_id=r.adv, adgroup_id=r.adgroup_id,
                            creatives=[AdupdateCreatives(ad_id=r.ad_id, **fields)])
        return ads.ad_update(r.token, body=body)["data"]

    url = "https://shop.example.com/summer?utm_source=tiktok&utm_medium=paid"
    data = update(ad_name="Renamed", call_to_action="LEARN_MORE", landing_page_url=url)
    assert data["ad_ids"] == [r.ad_id]
    [c] = data["creatives"]
    assert (c["ad_name"], c["call_to_action"], c["landing_page_url"]) == (
        "Renamed", "LEARN_MORE", url)
    ad = r.ad()
    assert (ad["ad_name"], ad["call_to_action"], ad["landing_page_url"]) == (
        "Renamed", "LEARN_MORE", url)
    assert ad["secondary_status"] == DELIVERING
    with tw.refused(40002, "caption"):
        update(ad_text="New caption")
    other = r.w.creator.post()
    tt_authorize(api, r.token, r.adv, r.w.creator.code(other)["code"])
    with tw.refused(40002, "tiktok_item_id"):
        update(tiktok_item_id=str(other["tiktok_id"]))
    with tw.refused(40007):
        ads.ad_update(r.token, body=AdUpdateBody(
            advertiser_id=r.adv, adgroup_id=r.adgroup_id,
            creatives=[AdupdateCreatives(ad_id="1234567", ad_name="x")]))
    assert r.ad()["tiktok_item_id"] == r.w.item_id


def test_a_new_code_for_a_held_post_replaces_the_old_one(client, api):
    """R14: swap the code before it expires; the ad keeps running under the new window."""
    r = Running(client, api)
    w = r.w
    old_end = r.info()["auth_info"]["auth_end_time"]
    fresh = w.creator.code(w.post, days=60)
    tt_authorize(api, r.token, r.adv, fresh["code"])
    [entry] = tt_list(api, r.token, r.adv)["list"]
    assert entry["item_info"]["item_id"] == w.item_id
    new_end = tw.parse_tiktok_time(entry["auth_info"]["auth_end_time"])
    assert new_end > tw.parse_tiktok_time(old_end)
    assert new_end.isoformat()[:19] == fresh["expires_at"][:19]
    f.advance(client, w.brand.headers, "P31D")  # past the old code's end
    ad = r.ad()
    assert (ad["secondary_status"], ad["delivery_reasons"]) == (DELIVERING, [])
    [entry] = tt_list(api, r.token, r.adv)["list"]
    assert entry["auth_info"]["ad_auth_status"] == "AUTHORIZED"


def test_identity_video_refusals(client, api):
    r = Running(client, api)
    w = r.w
    identities = IdentityApi(api)
    stranger = tw.Creator(client)
    unapplied = w.creator.post()
    with tw.refused(40007):
        identities.identity_video_info(r.token, r.adv, "AUTH_CODE", stranger.identity_id,
                                       w.item_id)
    with tw.refused(40007):
        identities.identity_video_info(r.token, r.adv, "AUTH_CODE", w.creator.identity_id,
                                       str(unapplied["tiktok_id"]))
    with tw.refused(40007):
        identities.identity_video_info(r.token, r.w.advertiser2_id, "AUTH_CODE",
                                       w.creator.identity_id, w.item_id)
    with tw.refused(40002, "identity_type"):
        identities.identity_video_info(r.token, r.adv, "NOPE", w.creator.identity_id,
                                       w.item_id)
    with tw.refused(40007):
        identity_videos(api, r.token, r.adv, stranger.identity_id)


# --- campaign and ad group status reach the ad ------------------------------------------------

def test_campaign_and_adgroup_status_reach_the_ad(client, api):
    r = Running(client, api)
    campaigns, groups = CampaignCreationApi(api), AdgroupApi(api)
    done = campaigns.campaign_status_update(r.token, body=CampaignStatusUpdateBody(
        advertiser_id=r.adv, campaign_ids=[r.campaign_id], operation_status="DISABLE"))["data"]
    assert done["campaign_ids"] == [r.campaign_id] and done["status"] == "DISABLE"
    ad = r.ad()
    assert ad["operation_status"] == "ENABLE"
    assert ad["secondary_status"] == "AD_STATUS_CAMPAIGN_DISABLE"
    assert ad["delivery_reasons"] == ["PAUSED"]
    campaigns.campaign_status_update(r.token, body=CampaignStatusUpdateBody(
        advertiser_id=r.adv, campaign_ids=[r.campaign_id], operation_status="ENABLE"))
    groups.adgroup_status_update(r.token, body=AdgroupStatusUpdateBody(
        advertiser_id=r.adv, adgroup_ids=[r.adgroup_id], operation_status="DISABLE"))
    assert r.ad()["secondary_status"] == "AD_STATUS_ADGROUP_DISABLE"
    [g] = groups.adgroup_get(r.adv, r.token, filtering=FilteringAdgroupGet(
        adgroup_ids=[r.adgroup_id]))["data"]["list"]
    assert g["operation_status"] == "DISABLE"
    groups.adgroup_status_update(r.token, body=AdgroupStatusUpdateBody(
        advertiser_id=r.adv, adgroup_ids=[r.adgroup_id], operation_status="ENABLE"))
    assert r.ad()["secondary_status"] == DELIVERING
    with tw.refused(40007):
        ad_status(api, r.token, r.adv, ["1234567"], "DISABLE")
    with tw.refused(40002):
        ad_status(api, r.token, r.adv, [r.ad_id], "PAUSE")


# --- reports ----------------------------------------------------------------------------------

def test_report_levels_after_paid_events(client, api):
    r = Running(client, api)
    v1 = tw.v1_ad(client, r.w.brand.headers, r.w.brand.account["id"], r.ad_id)
    post_id = r.w.post["id"]
    batch = ([f.event(post_id, "impression", ad_id=v1["id"]) for _ in range(6)]
             + [f.event(post_id, "like", ad_id=v1["id"]) for _ in range(2)]
             + [f.event(post_id, "view_2s", ad_id=v1["id"])]
             + [f.event(post_id, "like"), f.event(post_id, "impression")])  # organic
    res = f.events(client, r.w.creator.headers, batch)
    assert res.status_code == 200 and res.json()["accepted"] == len(batch), res.text
    day = tw.clock(client, r.w.brand.headers).date().isoformat()
    expected = dict(spend=0.06, impressions=6, likes=2, comments=0, shares=0, follows=0,
                    profile_visits=0, video_watched_2s=1)
    for level, dimension, value in [("AUCTION_AD", "ad_id", r.ad_id),
                                    ("AUCTION_ADGROUP", "adgroup_id", r.adgroup_id),
                                    ("AUCTION_CAMPAIGN", "campaign_id", r.campaign_id),
                                    ("AUCTION_ADVERTISER", "advertiser_id", r.adv)]:
        data = report(api, r.token, r.adv, level, [dimension], day)
        [row] = data["list"]
        assert row["dimensions"] == {dimension: value}, (level, row)
        assert set(row["metrics"]) >= set(METRICS)
        assert_metrics(row["metrics"], **expected)
        assert data["page_info"]["total_number"] == 1
    # A day with nothing: no rows. Totals only when asked for.
    before = (tw.clock(client, r.w.brand.headers).date() - timedelta(days=3)).isoformat()
    assert report(api, r.token, r.adv, "AUCTION_AD", ["ad_id"], before)["list"] == []
    data = report(api, r.token, r.adv, "AUCTION_AD", ["ad_id", "stat_time_day"], day,
                  enable_total_metrics=True)
    assert_metrics(data["total_metrics"], **expected)
    assert not report(api, r.token, r.adv, "AUCTION_AD", ["ad_id"], day,
                      enable_total_metrics=False).get("total_metrics")
    with tw.refused(40002):
        report(api, r.token, r.adv, "AUCTION_AD", ["ad_id"], day, metrics=["no_such_metric"])
    with tw.refused(40002):
        report(api, r.token, r.adv, "AUCTION_AD", ["ad_id"], day, end_date=before)

    # A second delivering ad: two rows, paged.
    [second] = create_ads(api, r.token, r.adv, r.adgroup_id,
                          [creative(r.w.creator.identity_id, r.w.item_id, ad_name="B")])["ad_ids"]
    v2 = tw.v1_ad(client, r.w.brand.headers, r.w.brand.account["id"], second)
    res = f.events(client, r.w.creator.headers, [f.event(post_id, "impression", ad_id=v2["id"])])
    assert res.status_code == 200 and res.json()["accepted"] == 1, res.text
    rows = []
    for page in (1, 2):
        data = report(api, r.token, r.adv, "AUCTION_AD", ["ad_id"], day, page=page, page_size=1)
        assert data["page_info"] == {"page": page, "page_size": 1, "total_number": 2,
                                     "total_page": 2}
        rows += data["list"]
    assert {row["dimensions"]["ad_id"] for row in rows} == {r.ad_id, second}
    [total] = report(api, r.token, r.adv, "AUCTION_CAMPAIGN", ["campaign_id"], day)["list"]
    assert_metrics(total["metrics"], impressions=7, spend=0.07)
    with tw.refused(40001, "No permission to operate advertiser"):
        report(api, tw.Brand(client).token, r.adv, "AUCTION_AD", ["ad_id"], day)


# --- the post and its window, seen from the ads --------------------------------------------------

def test_a_take_down_stops_the_ad_and_frees_the_post(client, api):
    r = Running(client, api)
    tw.take_down(client, r.w.creator.headers, r.w.post["id"])
    ad = r.ad()
    assert ad["operation_status"] == "ENABLE"
    assert ad["secondary_status"] in AUTH_LOST, ad
    assert ad["delivery_reasons"] == ["POST_UNAVAILABLE"]
    [entry] = tt_list(api, r.token, r.adv)["list"]
    assert entry["item_info"]["status"] == "AUDIT_DELETE"
    assert r.info()["item_info"]["status"] == "AUDIT_DELETE"
    # No live ad runs on it any more: it can be unbound.
    assert tt_unbind(api, r.token, r.adv, r.w.item_id) == {}
    assert tt_list(api, r.token, r.adv)["list"] == []


def test_an_expired_post_can_be_unbound(client, api):
    """§2.4: unbind is what clients do once an authorization has expired."""
    r = Running(client, api)
    f.advance(client, r.w.brand.headers, "P31D")
    assert r.ad()["delivery_reasons"] == ["AUTHORIZATION_EXPIRED"]
    assert tt_unbind(api, r.token, r.adv, r.w.item_id) == {}
    assert tt_list(api, r.token, r.adv)["list"] == []
    ad = r.ad()
    assert ad["secondary_status"] != DELIVERING
    assert "AUTHORIZATION_EXPIRED" in ad["delivery_reasons"]


# --- QPS limits ---------------------------------------------------------------------------------

def _burst(fn, n: int) -> list[int]:  # type: ignore[no-untyped-def]
    """Call ``fn`` n times back to back; the envelope code of each (0 = answered)."""
    codes = []
    for _ in range(n):
        try:
            fn()
            codes.append(0)
        except TiktokSDKError as exc:
            codes.append(tw.sdk_error(exc)[0])
    return codes


def _next_second() -> None:
    """Sleep to just after the next whole second, where fixed one-second windows restart."""
    time.sleep(1.05 - (time.time() % 1.0))


def test_app_qps_limit_is_40100(client, backend):
    w = tw.SparkWorld(client)
    other = tw.Brand(client)
    with tw.other_server(backend, tiktok={"app_qps": 3, "advertiser_qps": 1000}) as url:
        api = tw.sdk(url)
        _next_second()
        codes = _burst(lambda: tt_list(api, w.token, w.advertiser_id), 10)
        assert codes[:3] == [0, 0, 0], codes
        assert 40100 in codes, codes
        assert set(codes) <= {0, 40100}, codes
        with tw.refused(40100, "QPS limit"):
            for _ in range(10):  # the app's budget is shared by every path and advertiser
                IdentityApi(api).identity_get(w.advertiser2_id, w.token)
        # Another app (here: another user's token) has its own budget.
        assert _burst(lambda: tt_list(api, other.token, other.advertiser_id), 1) == [0]
        time.sleep(1.1)
        assert _burst(lambda: tt_list(api, w.token, w.advertiser_id), 1) == [0]


def test_advertiser_qps_limit_per_path_is_40133(client, backend):
    w = tw.SparkWorld(client)
    adv = w.advertiser_id
    with tw.other_server(backend, tiktok={"app_qps": 1000, "advertiser_qps": 2}) as url:
        api = tw.sdk(url)
        _next_second()
        codes = _burst(lambda: tt_list(api, w.token, adv), 6)
        assert codes[:2] == [0, 0], codes
        assert 40133 in codes and set(codes) <= {0, 40133}, codes
        with tw.refused(40133, f"Advertiser ({adv})", "reaches QPS limit") as out:
            for _ in range(6):
                tt_list(api, w.token, adv)
        assert "current path" in out["message"]
        # Same advertiser, another path; same path, another advertiser: their own budgets.
        assert _burst(lambda: IdentityApi(api).identity_get(adv, w.token), 1) == [0]
        assert _burst(lambda: tt_list(api, w.token, w.advertiser2_id), 1) == [0]
        time.sleep(1.1)
        assert _burst(lambda: tt_list(api, w.token, adv), 1) == [0]


# --- an expiry rehearsed with the sandbox clock --------------------------------------------------

def test_expiry_stops_the_ad_and_an_extension_brings_it_back(client, api):
    r = Running(client, api)
    w = r.w
    assert r.ad()["secondary_status"] == DELIVERING
    end = tw.parse_tiktok_time(r.info()["auth_info"]["auth_end_time"])

    f.advance(client, w.brand.headers, "P31D")
    now = tw.clock(client, w.brand.headers)
    assert now > end
    ad = r.ad()
    assert ad["operation_status"] == "ENABLE"  # nobody paused it: it stopped by itself
    assert ad["secondary_status"] != DELIVERING
    assert ad["secondary_status"] in AUTH_LOST, ad["secondary_status"]
    assert ad["delivery_reasons"] == ["AUTHORIZATION_EXPIRED"]
    info = r.info()
    assert info["auth_info"]["ad_auth_status"] == "EXPIRED"
    assert tw.parse_tiktok_time(info["auth_info"]["auth_end_time"]) == end
    [entry] = tt_list(api, r.token, r.adv)["list"]
    assert entry["auth_info"]["ad_auth_status"] == "EXPIRED"
    video = IdentityApi(api).identity_video_info(r.token, r.adv, "AUTH_CODE",
                                                 w.creator.identity_id, w.item_id)["data"]
    assert video["video_detail"]["auth_info"]["ad_auth_status"] == "EXPIRED"

    tw.extend(client, w.creator.headers, w.code["id"], days=30)
    ad = r.ad()
    assert (ad["operation_status"], ad["secondary_status"]) == ("ENABLE", DELIVERING)
    assert ad["delivery_reasons"] == []
    info = r.info()
    assert info["auth_info"]["ad_auth_status"] == "AUTHORIZED"
    assert tw.parse_tiktok_time(info["auth_info"]["auth_end_time"]) > now
    [entry] = tt_list(api, r.token, r.adv)["list"]
    assert entry["auth_info"]["ad_auth_status"] == "AUTHORIZED"
    assert entry["auth_info"]["auth_end_time"] == info["auth_info"]["auth_end_time"]
