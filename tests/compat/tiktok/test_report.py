"""GET /open_api/v1.3/report/integrated/get/ (§6 of the reference): TikTok's BASIC report over
the same rollups as /v1/reports. A world built over /v1 (two campaigns, three ad groups, four
Spark Ads, paid and organic engagement over two days in an ad account on Tokyo time), read with
raw HTTP and with the official SDK; every number checked against /v1's report of the same
objects and days; paging, totals, filtering, ordering; every refusal's code and words; tenants;
hostile input never a 5xx; and a bounded number of queries whatever the number of ads."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import event

from tests import factories as f
from tests import tiktok_world as tw

PATH = tw.PREFIX + "/report/integrated/get/"
TZ = "Asia/Tokyo"  # UTC+9, no daylight saving: 20:00Z and 02:00Z next day are one local day
COUNTS = ("impressions", "clicks", "likes", "comments", "shares", "follows", "profile_visits",
          "clicks_on_music_disc", "video_watched_2s", "video_watched_6s", "video_views_p100",
          "engaged_view_15s")
COMPUTED = (*COUNTS, "paid_engaged_view_15s", "engagements", "spend", "cpm", "cpc", "ctr",
            "profile_visits_rate", "engagement_rate")
LEVELS = [("AUCTION_AD", "ad_id", "ad"), ("AUCTION_ADGROUP", "adgroup_id", "ad_group"),
          ("AUCTION_CAMPAIGN", "campaign_id", "campaign"),
          ("AUCTION_ADVERTISER", "advertiser_id", "ad_account")]


# --- the world --------------------------------------------------------------------------------

def _ok(response, status: int = 200) -> Any:  # type: ignore[no-untyped-def]
    assert response.status_code == status, (response.status_code, response.text)
    return response.json()


class Account:
    """An ad account (on ``timezone``) of a business, with its Spark posts bound."""

    def __init__(self, client, headers: dict[str, str], business_id: str, *,  # type: ignore[no-untyped-def]
                 timezone: str = TZ) -> None:
        self.account = _ok(client.post(f"/v1/businesses/{business_id}/ad-accounts",
                                       headers=headers,
                                       json={"name": f"Account {next(f._seq)}",
                                             "timezone": timezone}), 201)
        self.id = self.account["id"]
        self.advertiser_id = tw.advertiser_id_of(client, headers, self.id)


class World:
    """Brand A: account ``acc`` (Tokyo) with campaign A (groups A1: ads a1, a2; A2: ad a3) and
    campaign B (group B1: ad b1), and an empty second account ``acc2``; brand B (another
    tenant) with one ad of its own. Engagement on local day ``day1`` (at 20:00Z and, 6 hours
    later, on the next UTC day) and ``day2``; ad a3 deleted afterwards; organic likes too."""

    def __init__(self, client) -> None:  # type: ignore[no-untyped-def]
        self.client = client
        self.creator_h = f.user(client)
        creator = f.creator(client, self.creator_h)
        self.h = f.user(client)
        self.token = tw.token_of(self.h)
        # An evening in UTC, which is the next morning in Tokyo.
        now = tw.clock(client, self.h)
        start = datetime.combine(now.date() + timedelta(days=2), datetime.min.time(),
                                 ZoneInfo("UTC")) + timedelta(hours=20)
        _ok(client.post("/v1/sandbox/clock", headers=self.h, json={"set": start.isoformat()}))
        self.day1 = start.astimezone(ZoneInfo(TZ)).date()
        self.day2 = self.day1 + timedelta(days=1)
        assert self.day1 == start.date() + timedelta(days=1)

        business = f.business(client, self.h)
        self.acc = Account(client, self.h, business["id"])
        self.acc2 = Account(client, self.h, business["id"], timezone="UTC")
        self.posts = [f.post(client, self.creator_h, creator["id"], caption=f"Post {i} #ad")
                      for i in range(4)]
        sparks = [f.spark_post_id(client, self.h, self.acc.id,
                                  f.code(client, self.creator_h, p["id"])["code"])
                  for p in self.posts]
        self.campaign_a = f.campaign(client, self.h, self.acc.id, name="Campaign A")
        self.campaign_b = f.campaign(client, self.h, self.acc.id, name="Campaign B")
        self.group_a1 = f.ad_group(client, self.h, self.campaign_a["id"], name="A1")
        self.group_a2 = f.ad_group(client, self.h, self.campaign_a["id"], name="A2")
        self.group_b1 = f.ad_group(client, self.h, self.campaign_b["id"], name="B1")
        self.ads = {
            "a1": f.ad(client, self.h, self.group_a1["id"], sparks[0], name="ad a1"),
            "a2": f.ad(client, self.h, self.group_a1["id"], sparks[1], name="ad a2"),
            "a3": f.ad(client, self.h, self.group_a2["id"], sparks[2], name="ad a3"),
            "b1": f.ad(client, self.h, self.group_b1["id"], sparks[3], name="ad b1"),
        }
        self.post_of = {"a1": self.posts[0], "a2": self.posts[1], "a3": self.posts[2],
                        "b1": self.posts[3]}
        self.send({"a1": {"impression": 5, "like": 2, "comment": 1, "view_2s": 1, "click": 2},
                   "a2": {"impression": 3, "share": 1, "follow": 1},
                   "a3": {"impression": 2, "profile_visit": 1, "music_click": 1},
                   "b1": {"impression": 4, "completion": 1, "view_6s": 1, "view_15s": 1,
                          "click": 1}})
        f.advance(client, self.h, "PT6H")  # the next UTC day, the same Tokyo day
        self.send({"a1": {"impression": 1}})
        f.advance(client, self.h, "P1D")
        self.send({"a1": {"impression": 2, "like": 1}, "b1": {"impression": 1}})
        organic = [f.event(self.posts[0]["id"], "like") for _ in range(3)]
        assert _ok(f.events(client, self.creator_h, organic))["accepted"] == 3
        assert f.set_status(client, self.h, "ad", self.ads["a3"]["id"], "DELETE").status_code \
            == 200

        # Another tenant, with data of its own.
        self.other = tw.Brand(client, name="Other")
        other_creator = tw.Creator(client)
        post = other_creator.post()
        spark = f.spark_post_id(client, self.other.headers, self.other.account["id"],
                                other_creator.code(post)["code"])
        campaign = f.campaign(client, self.other.headers, self.other.account["id"])
        group = f.ad_group(client, self.other.headers, campaign["id"])
        self.other_ad = f.ad(client, self.other.headers, group["id"], spark)
        batch = [f.event(post["id"], "impression", ad_id=self.other_ad["id"]) for _ in range(7)]
        assert _ok(f.events(client, other_creator.headers, batch))["accepted"] == 7

    def send(self, plan: dict[str, dict[str, int]]) -> None:
        batch = [f.event(self.post_of[name]["id"], kind, ad_id=self.ads[name]["id"])
                 for name, kinds in plan.items() for kind, n in kinds.items() for _ in range(n)]
        out = _ok(f.events(self.client, self.creator_h, batch))
        assert out["accepted"] == len(batch), out

    # TikTok ids of the objects
    def tid(self, obj: dict[str, Any]) -> str:
        return str(obj["tiktok_id"])

    @property
    def adv(self) -> str:
        return self.acc.advertiser_id

    def v1(self, level: str, obj_id: str, start: date, end: date,
           granularity: str = "total") -> dict[str, Any]:
        return _ok(f.report(self.client, self.h, level, obj_id, start_date=start.isoformat(),
                            end_date=end.isoformat(), granularity=granularity))

    def objects(self, level: str) -> dict[str, str]:
        """TikTok id -> /v1 id of every object of a level (with data or not)."""
        if level == "ad":
            return {self.tid(a): a["id"] for a in self.ads.values()}
        if level == "ad_group":
            return {self.tid(g): g["id"] for g in (self.group_a1, self.group_a2, self.group_b1)}
        if level == "campaign":
            return {self.tid(c): c["id"] for c in (self.campaign_a, self.campaign_b)}
        return {self.adv: self.acc.id, self.acc2.advertiser_id: self.acc2.id}


@pytest.fixture
def w(client) -> World:  # type: ignore[no-untyped-def]
    return World(client)


class Bare:
    """Just an advertiser and its token, for refusals: base() works with it as with a World."""

    def __init__(self, client) -> None:  # type: ignore[no-untyped-def]
        brand = tw.Brand(client)
        self.adv, self.token = brand.advertiser_id, brand.token
        self.day1 = tw.clock(client, brand.headers).date()
        self.day2 = self.day1 + timedelta(days=1)


@pytest.fixture
def bare(client) -> Bare:  # type: ignore[no-untyped-def]
    return Bare(client)


@pytest.fixture
def api(live_url):  # type: ignore[no-untyped-def]
    return tw.sdk(live_url)


# --- calling the endpoint ---------------------------------------------------------------------

def _query(params: dict[str, Any]) -> dict[str, str]:
    """TikTok's query string: arrays and objects JSON-encoded, everything else as text."""
    return {k: json.dumps(v) if isinstance(v, list | dict) else str(v)
            for k, v in params.items()}


def get(client, token: str, **params: Any) -> dict[str, Any]:  # type: ignore[no-untyped-def]
    """The envelope of one call (HTTP 200 always)."""
    r = client.get(PATH, params=_query(params), headers={"Access-Token": token})
    assert r.status_code == 200, (r.status_code, r.text)
    body = r.json()
    assert set(body) == {"code", "message", "request_id", "data"}, body
    return body


def data(client, token: str, **params: Any) -> dict[str, Any]:  # type: ignore[no-untyped-def]
    body = get(client, token, **params)
    assert body["code"] == 0 and body["message"] == "OK", body
    return body["data"]


def refused(client, token: str, code: int, *fragments: str, **params: Any) -> str:  # type: ignore[no-untyped-def]
    body = get(client, token, **params)
    assert body["code"] == code and body["data"] == {}, (params, body)
    for fragment in fragments:
        assert fragment.lower() in body["message"].lower(), (fragment, body["message"])
    return body["message"]


def base(w: World | Bare, **params: Any) -> dict[str, Any]:
    return {"report_type": "BASIC", "advertiser_id": w.adv, "data_level": "AUCTION_AD",
            "dimensions": ["ad_id"], "metrics": list(COMPUTED),
            "start_date": w.day1.isoformat(), "end_date": w.day2.isoformat(),
            "page_size": 1000, **params}


def expected(v1: dict[str, Any]) -> dict[str, str]:
    """What TikTok's report should say for /v1 metrics: strings, money with 2 decimals, rates
    in percent."""
    out = {name: str(v1[name]) for name in COUNTS}
    out["paid_engaged_view_15s"] = out["engaged_view_15s"]
    out["engagements"] = str(sum(v1[n] for n in ("clicks", "likes", "comments", "shares",
                                                 "follows", "profile_visits",
                                                 "clicks_on_music_disc")))
    out["spend"] = f"{Decimal(str(v1['spend'])):.2f}"
    out["cpm"] = f"{Decimal(str(v1['cpm'])):.2f}"
    out["cpc"] = f"{Decimal(str(v1['cpc'])):.2f}"
    for name in ("ctr", "profile_visits_rate", "engagement_rate"):
        out[name] = f"{Decimal(str(v1[name])) * 100:.2f}"
    return out


def by_dimension(rows: list[dict[str, Any]], dimension: str) -> dict[Any, dict[str, Any]]:
    key = (lambda r: (r["dimensions"][dimension], r["dimensions"]["stat_time_day"])) \
        if rows and "stat_time_day" in rows[0]["dimensions"] else \
        (lambda r: r["dimensions"][dimension])
    out = {key(r): r["metrics"] for r in rows}
    assert len(out) == len(rows), rows
    return out


def stat_day(day: date) -> str:
    return f"{day.isoformat()} 00:00:00"


# --- numbers agree with /v1 -------------------------------------------------------------------

@pytest.mark.parametrize("data_level, dimension, level", LEVELS)
def test_every_level_agrees_with_the_v1_report(client, w, data_level, dimension, level):
    """Per object in total, and per object and day: the same numbers as /v1's report of that
    object over the same days, as strings; objects without data have no row."""
    got = data(client, w.token, **base(w, data_level=data_level, dimensions=[dimension],
                                       enable_total_metrics=True))
    rows = by_dimension(got["list"], dimension)
    objects = w.objects(level)
    with_data = {}
    for tiktok_id, obj_id in objects.items():
        v1 = w.v1(level, obj_id, w.day1, w.day2)["total"]
        if v1["impressions"]:
            with_data[tiktok_id] = expected(v1)
    assert set(rows) == set(with_data)
    for tiktok_id, metrics in rows.items():
        assert metrics == with_data[tiktok_id], (tiktok_id, metrics, with_data[tiktok_id])
    assert got["page_info"] == {"page": 1, "page_size": 1000, "total_number": len(with_data),
                                "total_page": 1}
    # The total is the ad account's /v1 total (deleted ad a3 included).
    assert got["total_metrics"] == expected(w.v1("ad_account", w.acc.id, w.day1, w.day2)["total"])

    by_day = data(client, w.token, **base(w, data_level=data_level,
                                          dimensions=[dimension, "stat_time_day"]))
    rows = by_dimension(by_day["list"], dimension)
    want = {}
    for tiktok_id, obj_id in objects.items():
        for row in w.v1(level, obj_id, w.day1, w.day2, granularity="day")["rows"]:
            want[(tiktok_id, stat_day(date.fromisoformat(row["stat_time_day"])))] = \
                expected(row["metrics"])
    assert rows == want
    assert by_day["page_info"]["total_number"] == len(want)
    assert {d for _, d in rows} == {stat_day(w.day1), stat_day(w.day2)}


def test_the_numbers_themselves(client, w):
    """Independent of /v1: the world's events, counted on the account's (Tokyo) days; an
    impression costs 0.01 (CPM bid 10.00)."""
    got = data(client, w.token, **base(w, dimensions=["ad_id", "stat_time_day"]))
    rows = by_dimension(got["list"], "ad_id")
    a1, b1, a3 = (w.tid(w.ads[n]) for n in ("a1", "b1", "a3"))
    day1, day2 = stat_day(w.day1), stat_day(w.day2)
    assert set(rows) == {(a1, day1), (w.tid(w.ads["a2"]), day1), (a3, day1), (b1, day1),
                         (a1, day2), (b1, day2)}
    # a1 on day 1: 5 impressions at 20:00Z and 1 at 02:00Z the next UTC day, one Tokyo day.
    m = rows[(a1, day1)]
    assert (m["impressions"], m["likes"], m["comments"], m["video_watched_2s"]) == (
        "6", "2", "1", "1")
    # Engagements: 2 likes, 1 comment and 2 clicks; CTR 2 of 6, CPC 0.06 / 2.
    assert (m["spend"], m["cpm"], m["engagements"], m["engagement_rate"]) == (
        "0.06", "10.00", "5", "83.33")
    assert (m["clicks"], m["ctr"], m["cpc"]) == ("2", "33.33", "0.03")
    assert rows[(a1, day2)]["impressions"] == "2" and rows[(a1, day2)]["likes"] == "1"
    m = rows[(a3, day1)]  # deleted since: still reports
    assert (m["profile_visits"], m["profile_visits_rate"], m["clicks_on_music_disc"]) == (
        "1", "50.00", "1")
    m = rows[(b1, day1)]
    assert (m["video_views_p100"], m["video_watched_6s"], m["engaged_view_15s"],
            m["paid_engaged_view_15s"]) == ("1", "1", "1", "1")
    # The other tenant's ad and the organic likes are nowhere.
    totals = data(client, w.token, **base(w, dimensions=["advertiser_id"],
                                          enable_total_metrics=True))
    assert totals["total_metrics"]["impressions"] == "18"
    assert totals["total_metrics"]["likes"] == "3"
    assert totals["total_metrics"]["clicks"] == "3"
    assert totals["total_metrics"]["spend"] == "0.18"


def test_day_only_and_one_day(client, w):
    """stat_time_day alone: the whole scope per day; a one-day range; a day without data has no
    row, and a range without data an empty list."""
    got = data(client, w.token, **base(w, dimensions=["stat_time_day"]))
    days = {r["dimensions"]["stat_time_day"]: r["metrics"] for r in got["list"]}
    assert set(days) == {stat_day(w.day1), stat_day(w.day2)}
    for day, metrics in days.items():
        v1 = w.v1("ad_account", w.acc.id, date.fromisoformat(day[:10]),
                  date.fromisoformat(day[:10]))["total"]
        assert metrics == expected(v1)
    assert [r["dimensions"] for r in got["list"]] == [{"stat_time_day": stat_day(w.day1)},
                                                      {"stat_time_day": stat_day(w.day2)}]
    one = data(client, w.token, **base(w, dimensions=["campaign_id", "stat_time_day"],
                                       data_level="AUCTION_CAMPAIGN",
                                       start_date=w.day2.isoformat()))
    assert {r["dimensions"]["stat_time_day"] for r in one["list"]} == {stat_day(w.day2)}
    before = (w.day1 - timedelta(days=10)).isoformat()
    empty = data(client, w.token, **base(w, start_date=before, end_date=before,
                                         enable_total_metrics=True))
    assert empty["list"] == [] and empty["page_info"]["total_number"] == 0
    assert empty["page_info"]["total_page"] == 0
    assert empty["total_metrics"]["impressions"] == "0"
    assert empty["total_metrics"]["spend"] == "0.00"


def test_lifetime(client, w):
    got = data(client, w.token, report_type="BASIC", advertiser_id=w.adv,
               data_level="AUCTION_CAMPAIGN", dimensions=["campaign_id"],
               metrics=["spend", "impressions"], query_lifetime="True")
    rows = by_dimension(got["list"], "campaign_id")
    a = w.v1("campaign", w.campaign_a["id"], w.day1 - timedelta(days=5), w.day2)["total"]
    assert rows[w.tid(w.campaign_a)] == {"spend": f"{a['spend']:.2f}",
                                         "impressions": str(a["impressions"])}
    refused(client, w.token, 40002, "query_lifetime", "stat_time_day",
            **base(w, dimensions=["ad_id", "stat_time_day"], query_lifetime=True))


# --- the official SDK: paging and totals ------------------------------------------------------

def sdk_report(api, token: str, **kw: Any) -> dict[str, Any]:  # type: ignore[no-untyped-def]
    from business_api_client import ReportingApi

    return ReportingApi(api).report_integrated_get("BASIC", token, **kw)["data"]


def test_the_sdk_pages_through_the_rows_with_totals(client, api, w):
    kw = dict(advertiser_id=w.adv, data_level="AUCTION_AD", dimensions=["ad_id", "stat_time_day"],
              metrics=["spend", "impressions", "likes", "engagement_rate"],
              start_date=w.day1.isoformat(), end_date=w.day2.isoformat(),
              enable_total_metrics=True)
    everything = sdk_report(api, w.token, page=1, page_size=1000, **kw)
    assert everything["page_info"]["total_number"] == 6
    seen = []
    for page in (1, 2, 3, 4):
        got = sdk_report(api, w.token, page=page, page_size=2, **kw)
        assert got["page_info"] == {"page": page, "page_size": 2, "total_number": 6,
                                    "total_page": 3}
        assert len(got["list"]) == (2 if page <= 3 else 0)
        assert got["total_metrics"] == everything["total_metrics"]  # every page, all rows
        seen += got["list"]
    assert sorted(seen, key=json.dumps) == sorted(everything["list"], key=json.dumps)
    assert everything["total_metrics"] == {
        "spend": "0.18", "impressions": "18", "likes": "3",
        "engagement_rate": f"{Decimal(11) / 18 * 100:.2f}"}  # 8 social + 3 clicks
    # The default page is 10 rows; totals only when asked for.
    got = sdk_report(api, w.token, **{**kw, "enable_total_metrics": False})
    assert got["page_info"]["page_size"] == 10 and "total_metrics" not in got
    # Every level through the SDK agrees with the raw answer.
    for data_level, dimension, _ in LEVELS:
        got = sdk_report(api, w.token, **{**kw, "data_level": data_level,
                                          "dimensions": [dimension]})
        raw = data(client, w.token, **base(w, data_level=data_level, dimensions=[dimension],
                                           metrics=kw["metrics"], page_size=10,
                                           enable_total_metrics=True))
        assert got == raw


def test_the_sdk_with_filtering_and_order(api, w):
    from business_api_client.tiktok_business.tiktok_exceptions import TiktokSDKError

    a1, a2 = w.tid(w.ads["a1"]), w.tid(w.ads["a2"])
    got = sdk_report(api, w.token, advertiser_id=w.adv, data_level="AUCTION_AD",
                     dimensions=["ad_id"], metrics=["impressions"],
                     start_date=w.day1.isoformat(), end_date=w.day2.isoformat(),
                     filtering=[{"field_name": "ad_ids", "filter_type": "IN",
                                 "filter_value": json.dumps([a1, a2])}],
                     order_field="impressions", order_type="ASC")
    assert [(r["dimensions"]["ad_id"], r["metrics"]["impressions"]) for r in got["list"]] == [
        (a2, "3"), (a1, "8")]
    with tw.refused(40001, "No permission to operate advertiser"):
        sdk_report(api, w.other.token, advertiser_id=w.adv, data_level="AUCTION_AD",
                   dimensions=["ad_id"], start_date=w.day1.isoformat(),
                   end_date=w.day2.isoformat())
    with tw.refused(40002, "report_type", "BASIC"):
        from business_api_client import ReportingApi
        ReportingApi(api).report_integrated_get(
            "AUDIENCE", w.token, advertiser_id=w.adv, data_level="AUCTION_AD",
            dimensions=["ad_id", "gender"], start_date=w.day1.isoformat(),
            end_date=w.day2.isoformat())
    assert TiktokSDKError  # the refusals above are the SDK's own exception


# --- attributes, metrics sparkcodes does not record -------------------------------------------

def test_attribute_metrics(client, w):
    names = ["ad_name", "ad_text", "adgroup_id", "adgroup_name", "campaign_id",
             "campaign_name", "objective_type", "advertiser_id", "advertiser_name",
             "tiktok_item_id", "call_to_action", "currency", "timezone", "spend"]
    got = data(client, w.token, **base(w, metrics=names, enable_total_metrics=True))
    rows = by_dimension(got["list"], "ad_id")
    a3 = rows[w.tid(w.ads["a3"])]
    assert a3 == {
        "ad_name": "ad a3", "ad_text": "Post 2 #ad", "adgroup_id": w.tid(w.group_a2),
        "adgroup_name": "A2", "campaign_id": w.tid(w.campaign_a), "campaign_name": "Campaign A",
        "objective_type": w.campaign_a["objective"], "advertiser_id": w.adv,
        "advertiser_name": w.acc.account["name"], "tiktok_item_id": w.tid(w.posts[2]),
        "call_to_action": w.ads["a3"]["call_to_action"], "currency": "USD", "timezone": TZ,
        "spend": "0.02"}
    assert got["total_metrics"] == {"spend": "0.18"}  # attributes are not totalled
    # At campaign level: the campaign's attributes, not an ad's.
    got = data(client, w.token, **base(w, data_level="AUCTION_CAMPAIGN",
                                       dimensions=["campaign_id"],
                                       metrics=["campaign_name", "advertiser_id", "spend"]))
    assert {r["metrics"]["campaign_name"] for r in got["list"]} == {"Campaign A", "Campaign B"}
    refused(client, w.token, 40002, "ad_name", "ad_id",
            **base(w, data_level="AUCTION_CAMPAIGN", dimensions=["campaign_id"],
                   metrics=["ad_name"]))
    refused(client, w.token, 40002, "campaign_name", "attribute",
            **base(w, dimensions=["stat_time_day"], metrics=["campaign_name"]))


def test_clicks_ctr_and_cpc_are_computed(client, w):
    """Destination clicks are recorded (click events of an ad): clicks, CTR in percent and CPC
    in money, per ad and in the total, as TikTok writes them."""
    got = data(client, w.token, **base(w, metrics=["spend", "impressions", "clicks", "ctr",
                                                   "cpc"], enable_total_metrics=True))
    rows = by_dimension(got["list"], "ad_id")
    a1 = rows[w.tid(w.ads["a1"])]
    # a1: 8 impressions over the two days, 2 clicks.
    assert (a1["impressions"], a1["clicks"], a1["ctr"]) == ("8", "2", "25.00")
    assert a1["cpc"] == f"{Decimal(a1['spend']) / 2:.2f}"
    a2 = rows[w.tid(w.ads["a2"])]
    assert (a2["clicks"], a2["ctr"], a2["cpc"]) == ("0", "0.00", "0.00")
    total = got["total_metrics"]
    assert total["clicks"] == "3"
    assert total["ctr"] == f"{Decimal(3) / Decimal(total['impressions']) * 100:.2f}"


def test_metrics_sparkcodes_does_not_record_are_null(client, w):
    """TikTok names with nothing behind them in sparkcodes (no reach, conversions) are
    answered null, not refused: clients ask for fixed lists (the Singer tap for 70 names)."""
    got = data(client, w.token, **base(w, metrics=["spend", "reach", "conversion", "frequency",
                                                   "budget"],
                                       enable_total_metrics=True))
    for row in got["list"]:
        assert {k: v for k, v in row["metrics"].items() if k != "spend"} == dict.fromkeys(
            ["reach", "conversion", "frequency", "budget"])
    assert got["total_metrics"]["reach"] is None and got["total_metrics"]["spend"] == "0.18"
    # The default metrics.
    got = data(client, w.token, **{k: v for k, v in base(w).items() if k != "metrics"})
    assert {tuple(r["metrics"]) for r in got["list"]} == {("spend", "impressions")}


# --- filtering and ordering -------------------------------------------------------------------

def _ids(got: dict[str, Any], dimension: str = "ad_id") -> list[str]:
    return [r["dimensions"][dimension] for r in got["list"]]


def test_filtering(client, w):
    a1, a2, a3, b1 = (w.tid(w.ads[n]) for n in ("a1", "a2", "a3", "b1"))

    def where(*filters: tuple[str, Any], **params: Any) -> set[str]:
        return set(_ids(data(client, w.token, **base(w, filtering=[
            {"field_name": n, "filter_type": "IN", "filter_value": v} for n, v in filters],
            **params))))

    assert where(("campaign_ids", json.dumps([w.tid(w.campaign_a)]))) == {a1, a2, a3}
    assert where(("campaign_ids", [w.tid(w.campaign_b)])) == {b1}  # a real array works too
    assert where(("adgroup_ids", json.dumps([w.tid(w.group_a1)]))) == {a1, a2}
    assert where(("ad_ids", json.dumps([a1, b1]))) == {a1, b1}
    assert where(("campaign_ids", json.dumps([w.tid(w.campaign_a)])),
                 ("ad_ids", json.dumps([a1, b1]))) == {a1}  # all filters apply
    assert where(("ad_ids", json.dumps([str(10**15)]))) == set()  # unknown: nothing
    # Another tenant's ad is not found through this advertiser.
    assert where(("ad_ids", json.dumps([w.tid(w.other_ad)]))) == set()
    # Deleted objects report unless a status filter leaves them out.
    assert where(("ad_status", json.dumps(["STATUS_NOT_DELETE"]))) == {a1, a2, b1}
    assert where(("ad_status", json.dumps(["STATUS_DELETE"]))) == {a3}
    assert where(("ad_status", '["STATUS_ALL"]')) == {a1, a2, a3, b1}
    assert where(("campaign_status", '["STATUS_DELETE"]')) == set()
    # At campaign level, an ad filter sums those ads only.
    got = data(client, w.token, **base(w, data_level="AUCTION_CAMPAIGN",
                                       dimensions=["campaign_id"], metrics=["impressions"],
                                       filtering=[{"field_name": "ad_ids", "filter_type": "IN",
                                                   "filter_value": json.dumps([a1])}]))
    assert [(r["dimensions"]["campaign_id"], r["metrics"]["impressions"])
            for r in got["list"]] == [(w.tid(w.campaign_a), "8")]


def test_ordering(client, w):
    a1, a2, a3, b1 = (w.tid(w.ads[n]) for n in ("a1", "a2", "a3", "b1"))
    got = data(client, w.token, **base(w, order_field="impressions"))  # DESC by default
    assert _ids(got) == [a1, b1, a2, a3]  # 8, 5, 3, 2
    got = data(client, w.token, **base(w, order_field="spend", order_type="ASC"))
    assert _ids(got) == [a3, a2, b1, a1]
    got = data(client, w.token, **base(w, order_field="engagement_rate", order_type="DESC"))
    rates = [Decimal(r["metrics"]["engagement_rate"]) for r in got["list"]]
    assert rates == sorted(rates, reverse=True) and _ids(got)[0] == a3  # 2/2 = 100%
    # Paging follows the order.
    pages = [data(client, w.token, **base(w, order_field="impressions", page=p, page_size=1))
             for p in (1, 2, 3, 4)]
    assert [_ids(p)[0] for p in pages] == [a1, b1, a2, a3]
    # Without order_field: by day, then id; stable across pages.
    got = data(client, w.token, **base(w, dimensions=["ad_id", "stat_time_day"]))
    keys = [(r["dimensions"]["stat_time_day"], int(r["dimensions"]["ad_id"]))
            for r in got["list"]]
    assert keys == sorted(keys)


# --- several advertisers ----------------------------------------------------------------------

def test_advertiser_ids(client, w):
    """advertiser_ids names 1–5 ad accounts the token may read; it wins over advertiser_id."""
    # Give the second (UTC) account an ad with data.
    creator = tw.Creator(client)
    post = creator.post()
    spark = f.spark_post_id(client, w.h, w.acc2.id, creator.code(post)["code"])
    campaign = f.campaign(client, w.h, w.acc2.id)
    ad = f.ad(client, w.h, f.ad_group(client, w.h, campaign["id"])["id"], spark)
    assert _ok(f.events(client, creator.headers, [
        f.event(post["id"], "impression", ad_id=ad["id"]) for _ in range(3)]))["accepted"] == 3
    today_utc = tw.clock(client, w.h).date()

    got = data(client, w.token, **base(w, advertiser_id=str(10**15),
                                       advertiser_ids=[w.adv, w.acc2.advertiser_id],
                                       data_level="AUCTION_ADVERTISER",
                                       dimensions=["advertiser_id"],
                                       end_date=max(w.day2, today_utc).isoformat(),
                                       metrics=["impressions", "advertiser_name", "timezone"],
                                       enable_total_metrics=True))
    rows = by_dimension(got["list"], "advertiser_id")
    assert rows == {
        w.adv: {"impressions": "18", "advertiser_name": w.acc.account["name"], "timezone": TZ},
        w.acc2.advertiser_id: {"impressions": "3",
                               "advertiser_name": w.acc2.account["name"], "timezone": "UTC"}}
    assert got["total_metrics"] == {"impressions": "21"}
    refused(client, w.token, 40001, "No permission to operate advertiser",
            **base(w, advertiser_ids=[w.adv, w.other.advertiser_id]))
    refused(client, w.token, 40011, "advertiser_ids", "5",
            **base(w, advertiser_ids=[w.adv] + [str(10**15 + i) for i in range(5)]))
    refused(client, w.token, 40002, "advertiser_ids", **base(w, advertiser_ids=[]))
    refused(client, w.token, 40002, "multi_adv_report_in_utc_time",
            **base(w, advertiser_ids=[w.adv], multi_adv_report_in_utc_time="True"))


# --- refusals ---------------------------------------------------------------------------------

REFUSALS: list[tuple[str, dict[str, Any], int, tuple[str, ...]]] = [
    ("no report_type", {"report_type": None}, 40002, ("Missing required", "report_type")),
    ("AUDIENCE", {"report_type": "AUDIENCE"}, 40002,
     ("report_type", "BASIC reports only", "AUDIENCE")),
    ("RESERVATION", {"service_type": "RESERVATION"}, 40002, ("service_type", "AUCTION")),
    ("reservation level", {"data_level": "RESERVATION_AD"}, 40002,
     ("data_level", "AUCTION_ADVERTISER", "AUCTION_AD")),
    ("no dimensions", {"dimensions": None}, 40002, ("Missing required", "dimensions")),
    ("empty dimensions", {"dimensions": []}, 40002, ("dimensions", "ad_id", "stat_time_day")),
    ("audience dimension", {"dimensions": ["ad_id", "gender"]}, 40002,
     ("dimensions", "'gender'", "advertiser_id, campaign_id, adgroup_id, ad_id")),
    ("hourly", {"dimensions": ["ad_id", "stat_time_hour"]}, 40002,
     ("stat_time_hour", "not supported", "stat_time_day")),
    ("two ids", {"dimensions": ["ad_id", "campaign_id"]}, 40002, ("one ID dimension",)),
    ("finer than level", {"data_level": "AUCTION_CAMPAIGN", "dimensions": ["ad_id"]}, 40002,
     ("ad_id", "AUCTION_AD", "AUCTION_CAMPAIGN")),
    ("unknown metric", {"metrics": ["spend", "no_such_metric"]}, 40002,
     ("'no_such_metric'", "is not a metric", "spend, impressions, cpm", "likes",
      "video_watched_2s", "ad_name")),
    ("no start", {"start_date": None}, 40002, ("Missing required", "start_date")),
    ("no end", {"end_date": None}, 40002, ("Missing required", "end_date")),
    ("bad date", {"start_date": "2026-02-30"}, 40002, ("start_date", "YYYY-MM-DD")),
    ("backwards", {"start_date": "2026-05-02", "end_date": "2026-05-01"}, 40002,
     ("start_date is after end_date",)),
    ("too long", {"start_date": "2025-01-01", "end_date": "2026-01-02"}, 40002,
     ("at most 366 days",)),
    ("filter field", {"filtering": [{"field_name": "objective_type", "filter_type": "IN",
                                     "filter_value": '["ENGAGEMENT"]'}]}, 40002,
     ("filtering[0].field_name", "campaign_ids, adgroup_ids, ad_ids")),
    ("filter type", {"filtering": [{"field_name": "ad_ids", "filter_type": "MATCH",
                                    "filter_value": '["1"]'}]}, 40002,
     ("filtering[0].filter_type", "IN")),
    ("filter value", {"filtering": [{"field_name": "ad_ids", "filter_type": "IN",
                                     "filter_value": "1"}]}, 40002,
     ("filtering[0].filter_value", "array")),
    ("filter value ids", {"filtering": [{"field_name": "ad_ids", "filter_type": "IN",
                                         "filter_value": '["abc"]'}]}, 40002,
     ("filtering[0].filter_value", "numeric")),
    ("no filter value", {"filtering": [{"field_name": "ad_ids", "filter_type": "IN"}]}, 40002,
     ("Missing required", "filtering[0].filter_value")),
    ("filter status", {"filtering": [{"field_name": "ad_status", "filter_type": "IN",
                                      "filter_value": '["STATUS_DELIVERY_OK"]'}]}, 40002,
     ("ad_status", "STATUS_NOT_DELETE")),
    ("filter object", {"filtering": {"ad_ids": ["1"]}}, 40002, ("filtering", "array")),
    ("too many filter ids", {"filtering": [{"field_name": "ad_ids", "filter_type": "IN",
                                            "filter_value": json.dumps(
                                                [str(10**15 + i) for i in range(101)])}]},
     40011, ("at most 100",)),
    ("order field", {"order_field": "ad_name"}, 40002, ("order_field", "spend, impressions")),
    ("order unrecorded", {"order_field": "reach"}, 40002, ("order_field",)),
    ("order type", {"order_field": "spend", "order_type": "UP"}, 40002,
     ("order_type", "ASC, DESC")),
    ("page", {"page": 0}, 40002, ("page",)),
    ("page size", {"page_size": 1001}, 40002, ("page_size", "between 1 and 1000")),
    ("huge page size", {"page_size": 10**12}, 40002, ("page_size",)),
    ("totals", {"enable_total_metrics": "maybe"}, 40002, ("enable_total_metrics",)),
    ("lifetime", {"query_lifetime": "sometimes"}, 40002, ("query_lifetime",)),
    ("chunk", {"query_mode": "CHUNK"}, 40002, ("query_mode", "REGULAR")),
    ("no advertiser", {"advertiser_id": None}, 40002, ("Missing required", "advertiser_id")),
    ("bad advertiser", {"advertiser_id": "abc"}, 40002, ("advertiser_id", "numeric")),
    ("unknown advertiser", {"advertiser_id": str(10**15)}, 40001,
     ("No permission to operate advertiser",)),
]


@pytest.mark.parametrize("params, code, fragments", [r[1:] for r in REFUSALS],
                         ids=[r[0] for r in REFUSALS])
def test_refusals(client, bare, params, code, fragments):
    query = {k: v for k, v in {**base(bare), **params}.items() if v is not None}
    refused(client, bare.token, code, *fragments, **query)


def test_another_tenants_advertiser_is_40001(client, w):
    message = refused(client, w.other.token, 40001, "No permission to operate advertiser",
                      **base(w))
    assert w.adv in message
    # The same words for an id nobody has: nothing to tell them apart.
    assert refused(client, w.other.token, 40001, **base(w, advertiser_id=str(10**15))) == \
        message.replace(w.adv, str(10**15))
    # An analyst of the business reads reports.
    business_id = w.acc.account["business_id"]
    analyst = f.member(client, w.h, business_id, "analyst")
    assert data(client, tw.token_of(analyst), **base(w))["page_info"]["total_number"] == 4


# NUL is left out: kit/guards.py refuses it before any route (test_conventions.py).
HOSTILE = ['["ad_id"', "ad_id", '{"ad_id": 1}', "[1, 2]", "[[]]", "[null]", "[{}]", "null", "",
           "[" + ",".join(['"x"'] * 3000) + "]", '["' + "x" * 5000 + '"]', "1e309",
           '"ad_id"', "[true]"]


@pytest.mark.parametrize("name", ["dimensions", "metrics", "filtering", "advertiser_ids",
                                  "order_field", "page_size", "page", "start_date",
                                  "data_level", "enable_total_metrics"])
def test_hostile_values_are_never_a_5xx(client, bare, name):
    w = bare
    for value in HOSTILE:
        body = get(client, w.token, **{**_query(base(w)), name: value})
        assert body["code"] in (0, 40001, 40002, 40011), (name, value[:40], body)
        assert body["code"] == 0 or body["data"] == {}, (name, value[:40], body)
    for filtering in ([{"field_name": None}], [{"field_name": "ad_ids", "filter_value": None}],
                      [{"field_name": "ad_ids", "filter_type": "IN", "filter_value": "[1"}],
                      [{"field_name": "ad_ids", "filter_type": "IN",
                        "filter_value": json.dumps([{"a": 1}])}],
                      [{"field_name": "ad_status", "filter_type": "IN", "filter_value": []}],
                      [{"field_name": "ad_status", "filter_type": "IN",
                        "filter_value": [["STATUS_ALL"]]}],
                      [{"field_name": ["ad_ids"], "filter_type": 1, "filter_value": {}}]):
        body = get(client, w.token, **base(w, filtering=filtering))
        assert body["code"] == 40002 and "filtering[0]" in body["message"], (filtering, body)


# --- cost: no query per row -------------------------------------------------------------------

@pytest.fixture
def statements(app) -> Iterator[list[str]]:  # type: ignore[no-untyped-def]
    seen: list[str] = []
    engine = app.state.db.engine

    def count(conn, cursor, statement, *args):  # type: ignore[no-untyped-def]
        seen.append(statement)

    event.listen(engine, "before_cursor_execute", count)
    yield seen
    event.remove(engine, "before_cursor_execute", count)


def test_queries_do_not_grow_with_the_rows(client, w, statements):
    """A page of 1 row and a page of 6 (ads x days, with every attribute) take the same number
    of statements: the page, its count, the totals and one load per table."""
    metrics = [*COMPUTED, "ad_name", "campaign_name", "adgroup_name", "ad_text"]
    counts = []
    for page_size in (1, 6):
        statements.clear()
        got = data(client, w.token, **base(w, dimensions=["ad_id", "stat_time_day"],
                                           metrics=metrics, page_size=page_size,
                                           enable_total_metrics=True))
        assert len(got["list"]) == page_size
        counts.append(len(statements))
    assert counts[0] == counts[1], counts
