"""The tracker (R22) over HTTP: every Spark post of a business across its ad accounts, filters,
sort, paging, CSV, spend at risk from ingested paid impressions, contract flags (R26) and
tenancy."""

from __future__ import annotations

import csv
import io
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any

import pytest

from tests import factories as f


def assert_error(response, status: int, code: str) -> None:  # type: ignore[no-untyped-def]
    assert response.status_code == status, (response.status_code, response.text)
    assert response.json()["error"]["code"] == code, response.text


def tracker(client, headers, business_id: str, **params) -> dict[str, Any]:  # type: ignore[no-untyped-def]
    return f._ok(client.get(f"/v1/businesses/{business_id}/tracker", headers=headers,
                            params=params))


def tracker_csv(client, headers, business_id: str, **params) -> list[dict[str, str]]:  # type: ignore[no-untyped-def]
    r = client.get(f"/v1/businesses/{business_id}/tracker.csv", headers=headers, params=params)
    assert r.status_code == 200, r.text
    assert r.headers["content-type"].startswith("text/csv")
    assert r.headers["content-disposition"].startswith("attachment; filename=")
    return list(csv.DictReader(io.StringIO(r.text)))


def now_of(client, headers) -> datetime:  # type: ignore[no-untyped-def]
    return datetime.fromisoformat(f._ok(client.get("/v1/sandbox/clock", headers=headers))["now"])


def ts(value: str) -> datetime:
    return datetime.fromisoformat(value)


def bind_code(client, headers, account_id: str, raw: str) -> str:  # type: ignore[no-untyped-def]
    return f.spark_post_id(client, headers, account_id, raw)


def run_ad(client, headers, account_id: str, spark_post_id: str) -> dict[str, Any]:  # type: ignore[no-untyped-def]
    campaign = f.campaign(client, headers, account_id)
    group = f.ad_group(client, headers, campaign["id"])
    return f.ad(client, headers, group["id"], spark_post_id)


class Brand:
    """A brand with two ad accounts and three creators' codes bound across them:

    - maya (7-day code) on account A, with a live ad
    - maya's second post, one post with two codes: 30 days on A, 60 days on B
    - leo (365-day code) on account B, no ads
    """

    def __init__(self, client) -> None:  # type: ignore[no-untyped-def]
        self.client = client
        self.maya_h = f.user(client)
        self.maya = f.creator(client, self.maya_h, handle=f"maya_{f._seq.__next__()}")
        self.leo_h = f.user(client)
        self.leo = f.creator(client, self.leo_h, handle=f"leo_{f._seq.__next__()}")
        self.h = f.user(client)
        self.business = f.business(client, self.h, name="Glow Labs")
        self.a = f.ad_account(client, self.h, self.business["id"], name="Glow US")
        self.b = f.ad_account(client, self.h, self.business["id"], name="Glow EU")
        self.post1 = f.post(client, self.maya_h, self.maya["id"], caption="Morning glow routine")
        self.post2 = f.post(client, self.maya_h, self.maya["id"], caption="Night serum test")
        self.post3 = f.post(client, self.leo_h, self.leo["id"], caption="Gym bag essentials")
        self.code1 = f.code(client, self.maya_h, self.post1["id"], days=7)
        self.code2a = f.code(client, self.maya_h, self.post2["id"], days=30)
        self.code2b = f.code(client, self.maya_h, self.post2["id"], days=60)
        self.code3 = f.code(client, self.leo_h, self.post3["id"], days=365)
        self.sp1 = bind_code(client, self.h, self.a["id"], self.code1["code"])
        self.sp2a = bind_code(client, self.h, self.a["id"], self.code2a["code"])
        self.sp2b = bind_code(client, self.h, self.b["id"], self.code2b["code"])
        self.sp3 = bind_code(client, self.h, self.b["id"], self.code3["code"])
        self.ad1 = run_ad(client, self.h, self.a["id"], self.sp1)

    def get(self, **params) -> dict[str, Any]:  # type: ignore[no-untyped-def]
        return tracker(self.client, self.h, self.business["id"], **params)

    def ids(self, **params) -> list[str]:  # type: ignore[no-untyped-def]
        return [i["spark_post_id"] for i in self.get(**params)["items"]]


@pytest.fixture
def brand(client) -> Brand:  # type: ignore[no-untyped-def]
    return Brand(client)


def test_every_spark_post_across_the_ad_accounts(client, brand: Brand) -> None:  # type: ignore[no-untyped-def]
    out = brand.get()
    assert out["total"] == 4 and out["limit"] == 50 and out["offset"] == 0
    assert out["spend_at_risk"] == "0.00"
    items = {i["spark_post_id"]: i for i in out["items"]}
    one = items[brand.sp1]
    assert one["creator"] == {"id": brand.maya["id"], "handle": brand.maya["handle"]}
    assert one["post"] == {"id": brand.post1["id"], "kind": "video",
                           "caption": "Morning glow routine"}
    assert one["ad_account"] == {"id": brand.a["id"], "name": "Glow US", "timezone": "UTC",
                                 "source": "native", "business_id": brand.business["id"],
                                 "currency": "USD"}
    assert one["identity_type"] == "AUTH_CODE"
    assert one["authorization_id"] == brand.code1["id"]
    assert one["code_hint"] == brand.code1["code_hint"]
    assert brand.code1["code"] not in str(out)  # never the code itself
    assert one["status"] == "AUTHORIZED" and one["stop_reasons"] == []
    assert ts(one["window_end"]) == ts(brand.code1["expires_at"])
    assert (one["days_left"], one["hours_left"]) == (7, 168)
    assert (one["live_ads"], one["total_ads"]) == (1, 1)
    assert one["spend_at_risk"] == "0.00" and one["contract"] is None and one["flags"] == []
    assert items[brand.sp3]["live_ads"] == 0 and items[brand.sp3]["days_left"] == 365
    # Soonest end first by default.
    assert [i["spark_post_id"] for i in out["items"]] == [brand.sp1, brand.sp2a, brand.sp2b,
                                                          brand.sp3]


def test_one_posts_codes_across_all_ad_accounts(client, brand: Brand) -> None:  # type: ignore[no-untyped-def]
    out = brand.get(post_id=brand.post2["id"])
    assert out["total"] == 2
    assert {(i["ad_account"]["name"], i["days_left"]) for i in out["items"]} == {
        ("Glow US", 30), ("Glow EU", 60)}
    assert brand.get(post_id="0" * 32)["total"] == 0


def test_filters(client, brand: Brand) -> None:  # type: ignore[no-untyped-def]
    assert brand.ids(ad_account_id=brand.b["id"]) == [brand.sp2b, brand.sp3]
    assert brand.ids(creator_id=brand.leo["id"]) == [brand.sp3]
    assert brand.ids(creator=brand.maya["handle"].upper()) == [brand.sp1, brand.sp2a, brand.sp2b]
    assert brand.ids(creator="@" + brand.leo["handle"]) == [brand.sp3]
    assert brand.ids(creator="nobody_here") == []
    assert brand.ids(expiring_within="7d") == [brand.sp1]
    assert brand.ids(expiring_within="6d") == []
    assert brand.ids(expiring_within="1d12h") == []
    assert brand.ids(expiring_within="31d") == [brand.sp1, brand.sp2a]
    assert brand.ids(expiring_within="31d", ad_account_id=brand.b["id"]) == []
    assert brand.ids(status="AUTHORIZED") == [brand.sp1, brand.sp2a, brand.sp2b, brand.sp3]
    # A week later the 7-day code has ended: its status says so and it is no longer "expiring".
    f.advance(client, brand.h, "P7DT1H")
    items = {i["spark_post_id"]: i for i in brand.get()["items"]}
    assert items[brand.sp1]["status"] == "AUTHORIZATION_EXPIRED"
    assert (items[brand.sp1]["days_left"], items[brand.sp1]["hours_left"]) == (0, 0)
    assert items[brand.sp1]["live_ads"] == 0 and items[brand.sp1]["total_ads"] == 1
    assert brand.ids(status="authorization_expired") == [brand.sp1]
    assert brand.ids(status=["AUTHORIZATION_EXPIRED", "AUTHORIZED"]) == [
        brand.sp1, brand.sp2a, brand.sp2b, brand.sp3]
    assert brand.ids(expiring_within="30d") == [brand.sp2a]


def test_unbound_spark_posts_only_when_asked(client, brand: Brand) -> None:  # type: ignore[no-untyped-def]
    f._ok(client.delete(f"/v1/ad-accounts/{brand.b['id']}/spark-posts/{brand.sp3}",
                        headers=brand.h))
    assert brand.sp3 not in brand.ids()
    items = {i["spark_post_id"]: i for i in brand.get(include_unbound="true")["items"]}
    assert items[brand.sp3]["status"] == "UNBOUND"
    assert items[brand.sp3]["unbound_at"] is not None
    assert brand.ids(status="UNBOUND") == [brand.sp3]  # asking for UNBOUND includes them


def test_own_posts_have_no_code_and_no_window(client, brand: Brand) -> None:  # type: ignore[no-untyped-def]
    own = f.creator(client, brand.h, handle=f"glow_official_{next(f._seq)}")
    f._ok(client.post(f"/v1/ad-accounts/{brand.a['id']}/identities", headers=brand.h,
                      json={"creator_id": own["id"]}), 201)
    post = f.post(client, brand.h, own["id"], caption="Our own launch video")
    sp = f._ok(client.post(f"/v1/ad-accounts/{brand.a['id']}/spark-posts/own", headers=brand.h,
                           json={"post_id": post["id"]}), 201)["id"]
    items = brand.get()["items"]
    assert items[-1]["spark_post_id"] == sp  # no window: last by expiry, either direction
    assert brand.get(sort="-expiry")["items"][-1]["spark_post_id"] == sp
    mine = items[-1]
    assert (mine["identity_type"], mine["status"], mine["code_hint"]) == ("TT_USER", "AUTHORIZED",
                                                                          None)
    assert (mine["window_end"], mine["days_left"], mine["hours_left"]) == (None, None, None)
    assert sp not in brand.ids(expiring_within="3650d")
    (row,) = [r for r in tracker_csv(client, brand.h, brand.business["id"])
              if r["spark_post_id"] == sp]
    assert (row["window_end"], row["days_left"], row["code_hint"]) == ("", "", "")


@pytest.mark.parametrize("params, code", [
    ({"expiring_within": "soon"}, "invalid_expiring_within"),
    ({"expiring_within": "0d"}, "invalid_expiring_within"),
    ({"status": "LIVE"}, "invalid_status"),
    ({"sort": "random"}, "invalid_sort"),
    ({"creator": "not a handle!"}, "invalid_handle"),
    ({"limit": "0"}, "validation_error"),
    ({"limit": "501"}, "validation_error"),
    ({"offset": "-1"}, "validation_error"),
])
def test_bad_filters_are_422(client, params: dict[str, str], code: str) -> None:  # type: ignore[no-untyped-def]
    h = f.user(client)
    business = f.business(client, h)
    for suffix in ("tracker", "tracker.csv"):
        if suffix.endswith("csv") and ("limit" in params or "offset" in params):
            continue
        assert_error(client.get(f"/v1/businesses/{business['id']}/{suffix}", headers=h,
                                params=params), 422, code)


def test_sort_and_paging(client, brand: Brand) -> None:  # type: ignore[no-untyped-def]
    by_expiry = [brand.sp1, brand.sp2a, brand.sp2b, brand.sp3]
    assert brand.ids(sort="expiry") == by_expiry
    assert brand.ids(sort="-expiry") == by_expiry[::-1]
    assert brand.ids(sort="days_left") == by_expiry
    leo_first = brand.ids(sort="creator")
    maya, leo = brand.maya["handle"], brand.leo["handle"]
    expected_creators = sorted([maya] * 3 + [leo])
    out = brand.get(sort="creator")
    assert [i["creator"]["handle"] for i in out["items"]] == expected_creators
    assert brand.ids(sort="-creator") != leo_first
    # Paging: total counts every match, pages do not overlap and keep the order.
    pages = [brand.get(limit=3, offset=0), brand.get(limit=3, offset=3),
             brand.get(limit=3, offset=6)]
    assert [p["total"] for p in pages] == [4, 4, 4]
    assert [len(p["items"]) for p in pages] == [3, 1, 0]
    assert [i["spark_post_id"] for p in pages for i in p["items"]] == by_expiry
    assert brand.get(limit=1, offset=1, expiring_within="31d")["total"] == 2


# --- spend at risk -------------------------------------------------------------------------------

def test_spend_at_risk_is_yesterdays_spend_of_the_live_ads_in_the_account_time_zone(client) -> None:  # type: ignore[no-untyped-def]
    starter = f.user(client)
    # 11:00 UTC is already the next day in Kiritimati (UTC+14): a UTC "yesterday" would miss it.
    start = (now_of(client, starter) + timedelta(days=2)).replace(hour=11, minute=0, second=0,
                                                                  microsecond=0)
    f._ok(client.post("/v1/sandbox/clock", headers=starter, json={"set": start.isoformat()}))
    maya_h = f.user(client)
    maya = f.creator(client, maya_h)
    post = f.post(client, maya_h, maya["id"])
    other = f.post(client, maya_h, maya["id"], caption="Second look")
    code, code2 = f.code(client, maya_h, post["id"]), f.code(client, maya_h, other["id"])
    h = f.user(client)
    business = f.business(client, h)
    account = f._ok(client.post(f"/v1/businesses/{business['id']}/ad-accounts", headers=h,
                                json={"name": "Pacific", "timezone": "Pacific/Kiritimati"}), 201)
    sp = bind_code(client, h, account["id"], code["code"])
    sp2 = bind_code(client, h, account["id"], code2["code"])
    ad = run_ad(client, h, account["id"], sp)
    ad2 = run_ad(client, h, account["id"], sp)  # two live ads on one Spark post
    ad3 = run_ad(client, h, account["id"], sp2)
    # CPM bid 10.00: each impression costs 0.01. 250 + 50 on sp, 120 on sp2.
    batch = ([f.event(post["id"], ad_id=ad["id"]) for _ in range(250)]
             + [f.event(post["id"], ad_id=ad2["id"]) for _ in range(50)]
             + [f.event(other["id"], ad_id=ad3["id"]) for _ in range(120)])
    assert f._ok(f.events(client, h, batch))["accepted"] == 420
    organic = [f.event(post["id"]) for _ in range(40)]  # the creator's own: no spend
    assert f._ok(f.events(client, maya_h, organic))["accepted"] == 40
    # Today's spend is not yesterday's.
    items = {i["spark_post_id"]: i for i in tracker(client, h, business["id"])["items"]}
    assert items[sp]["spend_at_risk"] == "0.00" and items[sp]["live_ads"] == 2
    f.advance(client, h, "P1D")
    out = tracker(client, h, business["id"], sort="spend_at_risk")
    assert [(i["spark_post_id"], i["spend_at_risk"]) for i in out["items"]] == [
        (sp, "3.00"), (sp2, "1.20")]
    assert Decimal(out["spend_at_risk"]) == Decimal("4.20")
    assert [i["spark_post_id"] for i in tracker(client, h, business["id"],
                                                sort="-spend_at_risk")["items"]] == [sp2, sp]
    # Only ads live now put spend at risk: pause one and its spend drops out.
    f._ok(f.set_status(client, h, "ad", ad2["id"], "DISABLE"))
    items = {i["spark_post_id"]: i for i in tracker(client, h, business["id"])["items"]}
    assert (items[sp]["live_ads"], items[sp]["total_ads"]) == (1, 2)
    assert items[sp]["spend_at_risk"] == "2.50"
    rows = {r["spark_post_id"]: r for r in tracker_csv(client, h, business["id"])}
    assert rows[sp]["spend_at_risk"] == "2.50" and rows[sp2]["spend_at_risk"] == "1.20"
    # Two days later yesterday had no traffic.
    f.advance(client, h, "P1D")
    assert tracker(client, h, business["id"])["spend_at_risk"] == "0.00"


# --- contracts (R26) -----------------------------------------------------------------------------

def contract(client, headers, business_id: str, **body) -> dict[str, Any]:  # type: ignore[no-untyped-def]
    return f._ok(client.post(f"/v1/businesses/{business_id}/contracts", headers=headers,
                             json=body), 201)


def test_contract_flags(client, brand: Brand) -> None:  # type: ignore[no-untyped-def]
    now = now_of(client, brand.h)
    biz = brand.business["id"]
    # A 30-day contract for post 1, whose code runs for 7 days: the code is shorter.
    c1 = contract(client, brand.h, biz, creator_id=brand.maya["id"], post_id=brand.post1["id"],
                  starts_at=now.isoformat(), ends_at=(now + timedelta(days=30)).isoformat())
    # A creator-wide contract for leo ending in two hours; his code runs for a year.
    c3 = contract(client, brand.h, biz, creator_id=brand.leo["id"],
                  starts_at=(now - timedelta(days=1)).isoformat(),
                  ends_at=(now + timedelta(hours=2)).isoformat())
    items = {i["spark_post_id"]: i for i in brand.get()["items"]}
    assert items[brand.sp1]["contract"] == {"id": c1["id"], "post_id": brand.post1["id"],
                                            "ends_at": c1["ends_at"]}
    assert items[brand.sp1]["flags"] == ["code_shorter_than_contract"]
    assert items[brand.sp2a]["contract"] is None  # c1 names another post
    assert items[brand.sp3]["contract"]["id"] == c3["id"]
    assert items[brand.sp3]["flags"] == []
    # leo's Spark post gets a live ad; three hours later his contract has ended.
    run_ad(client, brand.h, brand.b["id"], brand.sp3)
    f.advance(client, brand.h, "PT3H")
    items = {i["spark_post_id"]: i for i in brand.get()["items"]}
    assert items[brand.sp3]["flags"] == ["running_past_contract"]
    assert items[brand.sp1]["flags"] == ["code_shorter_than_contract"]
    csv_rows = {r["spark_post_id"]: r for r in tracker_csv(client, brand.h, biz)}
    assert csv_rows[brand.sp3]["flags"] == "running_past_contract"
    assert ts(csv_rows[brand.sp1]["contract_end"]) == ts(c1["ends_at"])
    # The latest-ending contract governs; a deleted one no longer counts.
    now = now_of(client, brand.h)
    c3b = contract(client, brand.h, biz, creator_id=brand.leo["id"], post_id=brand.post3["id"],
                   starts_at=now.isoformat(), ends_at=(now + timedelta(days=400)).isoformat())
    items = {i["spark_post_id"]: i for i in brand.get()["items"]}
    assert items[brand.sp3]["contract"]["id"] == c3b["id"]
    assert items[brand.sp3]["flags"] == ["code_shorter_than_contract"]
    f._ok(client.delete(f"/v1/contracts/{c3b['id']}", headers=brand.h))
    f._ok(client.delete(f"/v1/contracts/{c1['id']}", headers=brand.h))
    items = {i["spark_post_id"]: i for i in brand.get()["items"]}
    assert items[brand.sp3]["contract"]["id"] == c3["id"]
    assert items[brand.sp1]["contract"] is None and items[brand.sp1]["flags"] == []


def test_another_business_contract_never_applies(client, brand: Brand) -> None:  # type: ignore[no-untyped-def]
    other_h = f.user(client)
    other = f.business(client, other_h)
    now = now_of(client, other_h)
    contract(client, other_h, other["id"], creator_id=brand.maya["id"],
             starts_at=now.isoformat(), ends_at=(now + timedelta(days=90)).isoformat())
    assert all(i["contract"] is None for i in brand.get()["items"])


# --- CSV -----------------------------------------------------------------------------------------

def test_csv_has_a_header_and_the_same_rows_as_json(client, brand: Brand) -> None:  # type: ignore[no-untyped-def]
    biz = brand.business["id"]
    r = client.get(f"/v1/businesses/{biz}/tracker.csv", headers=brand.h)
    header = r.text.splitlines()[0].split(",")
    assert header[:3] == ["creator_handle", "post_id", "caption"] and "spend_at_risk" in header
    rows = tracker_csv(client, brand.h, biz)
    items = brand.get()["items"]
    assert [r["spark_post_id"] for r in rows] == [i["spark_post_id"] for i in items]
    first = rows[0]
    assert first["creator_handle"] == brand.maya["handle"]
    assert first["caption"] == "Morning glow routine"
    assert first["ad_account_name"] == "Glow US" and first["status"] == "AUTHORIZED"
    assert (first["days_left"], first["hours_left"], first["live_ads"]) == ("7", "168", "1")
    assert first["spend_at_risk"] == "0.00" and first["contract_end"] == ""
    assert first["currency"] == "USD"
    assert ts(first["window_end"]) == ts(items[0]["window_end"])
    # Same filters and order; every row, not a page.
    rows = tracker_csv(client, brand.h, biz, ad_account_id=brand.b["id"], sort="-expiry")
    assert [r["spark_post_id"] for r in rows] == [brand.sp3, brand.sp2b]
    assert len(tracker_csv(client, brand.h, biz, limit="1")) == 4
    assert tracker_csv(client, brand.h, biz, creator="nobody_here") == []


def test_csv_cells_never_start_a_formula(client) -> None:  # type: ignore[no-untyped-def]
    w = f.World(client)
    post = f.post(client, w.creator_h, w.creator["id"], caption='=HYPERLINK("http://x","y")')
    code = f.code(client, w.creator_h, post["id"])
    bind_code(client, w.brand_h, w.account["id"], code["code"])
    rows = tracker_csv(client, w.brand_h, w.business["id"])
    assert rows[0]["caption"] == '\'=HYPERLINK("http://x","y")'
    assert tracker(client, w.brand_h, w.business["id"])["items"][0]["post"]["caption"] == \
        '=HYPERLINK("http://x","y")'


# --- tenancy -------------------------------------------------------------------------------------

def test_strangers_get_404_and_analysts_may_read(client, brand: Brand) -> None:  # type: ignore[no-untyped-def]
    biz = brand.business["id"]
    stranger = f.user(client)
    for suffix in ("tracker", "tracker.csv"):
        assert_error(client.get(f"/v1/businesses/{biz}/{suffix}", headers=stranger), 404,
                     "not_found")
        assert_error(client.get(f"/v1/businesses/{biz}/{suffix}"), 401, "unauthorized")
    analyst_email = f"analyst{f._seq.__next__()}@example.com"
    analyst = f.user(client, email=analyst_email)
    f._ok(client.put(f"/v1/businesses/{biz}/members", headers=brand.h,
                     json={"email": analyst_email, "role": "analyst"}))
    assert tracker(client, analyst, biz)["total"] == 4
    assert len(tracker_csv(client, analyst, biz)) == 4


def test_filters_by_another_tenants_ids_reveal_nothing(client, brand: Brand) -> None:  # type: ignore[no-untyped-def]
    other = f.World(client)
    other_sp = bind_code(client, other.brand_h, other.account["id"], other.code["code"])
    biz = brand.business["id"]
    # Another business's ad account is not ours: 404, on both forms.
    for suffix in ("tracker", "tracker.csv"):
        assert_error(client.get(f"/v1/businesses/{biz}/{suffix}", headers=brand.h,
                                params={"ad_account_id": other.account["id"]}), 404, "not_found")
    # Our ad account through the other business's tracker: 404 too.
    assert_error(client.get(f"/v1/businesses/{other.business['id']}/tracker",
                            headers=other.brand_h, params={"ad_account_id": brand.a["id"]}),
                 404, "not_found")
    # Filters by another tenant's creator or post only ever narrow our own rows.
    assert brand.ids(creator_id=other.creator["id"]) == []
    assert brand.ids(post_id=other.post["id"]) == []
    assert other_sp not in brand.ids()
    mine = tracker(client, other.brand_h, other.business["id"], creator_id=brand.maya["id"])
    assert mine["total"] == 0


def test_spend_sorts_page_like_the_full_order_when_few_spending_rows_are_built(
        client, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    """A page of a spend sort builds spending rows in order of the best rank they could have
    (their ads' whole spend yesterday, live or not) and stops once none left can make the cut;
    every page still matches the full order, which builds them all (the CSV)."""
    from sparkcodes.tracker import service as tracker_service

    monkeypatch.setattr(tracker_service, "PRUNE_BATCH", 1)
    starter = f.user(client)
    start = (now_of(client, starter) + timedelta(days=2)).replace(hour=11, minute=0, second=0,
                                                                  microsecond=0)
    f._ok(client.post("/v1/sandbox/clock", headers=starter, json={"set": start.isoformat()}))
    maya_h = f.user(client)
    maya = f.creator(client, maya_h)
    h = f.user(client)
    business = f.business(client, h)
    account = f.ad_account(client, h, business["id"], name="Spenders")
    # (impressions yesterday, paused since): a paused ad spent yesterday but puts nothing at risk.
    plan = [(30, False), (300, True), (120, False), (0, False), (120, False), (5, False),
            (200, True), (60, False)]
    ads, events = [], []
    for i, (impressions, _) in enumerate(plan):
        post = f.post(client, maya_h, maya["id"], caption=f"Look {i}")
        code = f.code(client, maya_h, post["id"], days=(7, 30, 60)[i % 3])
        sp = bind_code(client, h, account["id"], code["code"])
        ad = run_ad(client, h, account["id"], sp)
        ads.append(ad)
        events += [f.event(post["id"], ad_id=ad["id"]) for _ in range(impressions)]
    assert f._ok(f.events(client, h, events))["accepted"] == len(events)
    f.advance(client, h, "P1D")
    for ad, (_, paused) in zip(ads, plan, strict=True):
        if paused:
            f._ok(f.set_status(client, h, "ad", ad["id"], "DISABLE"))
    for sort in ("spend_at_risk", "-spend_at_risk", "days_left", "-days_left"):
        full = [r["spark_post_id"] for r in tracker_csv(client, h, business["id"], sort=sort)]
        assert len(full) == len(plan)
        for limit in (1, 3):
            paged = [i["spark_post_id"]
                     for offset in range(0, len(plan), limit)
                     for i in tracker(client, h, business["id"], sort=sort, limit=limit,
                                      offset=offset)["items"]]
            assert paged == full, (sort, limit)
    top = tracker(client, h, business["id"], sort="spend_at_risk", limit=2)["items"]
    assert [i["spend_at_risk"] for i in top] == ["1.20", "1.20"]  # the paused 3.00 and 2.00 fell


def test_a_spend_sort_bounds_a_row_by_the_spend_of_all_its_ads(
        client, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    """The bound that orders the spending rows before they are built is what all of a row's ads
    spent: a Spark post with two ads of 40 impressions each outranks one ad of 60, although
    neither of its ads alone does, and the first page built one row at a time still shows it
    first."""
    from sparkcodes.tracker import service as tracker_service

    monkeypatch.setattr(tracker_service, "PRUNE_BATCH", 1)
    maya_h = f.user(client)
    maya = f.creator(client, maya_h)
    h = f.user(client)
    business = f.business(client, h)
    account = f.ad_account(client, h, business["id"], name="Two ads")
    events, sparks = [], []
    for caption, per_ad in (("Twice", (40, 40)), ("Once", (60,))):
        post = f.post(client, maya_h, maya["id"], caption=caption)
        sp = bind_code(client, h, account["id"], f.code(client, maya_h, post["id"])["code"])
        sparks.append(sp)
        for impressions in per_ad:
            ad = run_ad(client, h, account["id"], sp)
            events += [f.event(post["id"], ad_id=ad["id"]) for _ in range(impressions)]
    assert f._ok(f.events(client, h, events))["accepted"] == len(events)
    f.advance(client, h, "P1D")
    top = tracker(client, h, business["id"], sort="spend_at_risk", limit=1)["items"]
    assert [(i["spark_post_id"], i["spend_at_risk"]) for i in top] == [(sparks[0], "0.80")]
    full = [(r["spark_post_id"], r["spend_at_risk"])
            for r in tracker_csv(client, h, business["id"], sort="spend_at_risk")]
    assert full == [(sparks[0], "0.80"), (sparks[1], "0.60")]


def test_total_stops_counting_past_the_bound(client, brand: Brand, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    """Counting stops past TOTAL_BOUND (or the page's end): the total then reads "at least"."""
    from sparkcodes.tracker import service as tracker_service

    assert brand.get()["total_exact"] is True
    monkeypatch.setattr(tracker_service, "TOTAL_BOUND", 2)
    first = brand.get(limit=1)
    assert (first["total"], first["total_exact"], len(first["items"])) == (2, False, 1)
    assert first["next"] is not None  # counting stopped: more may follow
    assert (brand.get(limit=2)["total"], brand.get(limit=2)["total_exact"]) == (2, False)
    last = brand.get(limit=2, offset=2)  # the page's end is the bound: 4 rows, counted exactly
    assert (last["total"], last["total_exact"]) == (4, True)
    assert brand.get(status="UNBOUND", limit=1) | {"items": [], "as_of": None} == {
        "items": [], "total": 0, "total_exact": True, "limit": 1, "offset": 0, "as_of": None,
        "spend_at_risk": "0.00", "spend_at_risk_by_currency": {}, "next": None}
    # A status filter counts among a bounded number of rows read: "at least" past them.
    assert brand.get(status="AUTHORIZED")["total"] == 4
    monkeypatch.setattr(tracker_service, "STATUS_EXAMINE", 1)
    some = brand.get(status="AUTHORIZED", limit=1)
    assert some["total_exact"] is False and 1 <= some["total"] < 4
    assert brand.get(status="AUTHORIZED", limit=4) | {"items": [], "as_of": None} == {
        "items": [], "total": 4, "total_exact": True, "limit": 4, "offset": 0, "as_of": None,
        "spend_at_risk": "0.00", "spend_at_risk_by_currency": {"USD": "0.00"}, "next": None}


# --- keyset paging ---------------------------------------------------------------------------

def _walk(brand: Brand, limit: int, **params: str) -> list[str]:
    """Every row, a page at a time, each page asked with the previous page's `next`."""
    out, after = [], None
    for _ in range(50):
        page = brand.get(limit=limit, **params, **({"after": after} if after else {}))
        assert len(page["items"]) <= limit
        out += [i["spark_post_id"] for i in page["items"]]
        after = page["next"]
        if after is None:
            return out
    raise AssertionError("the pages never ended")


@pytest.mark.parametrize("sort", ["expiry", "-expiry", "creator", "-creator", "spend_at_risk",
                                  "-spend_at_risk", "days_left", "-days_left"])
def test_next_pages_walk_the_same_rows_as_one_page(client, brand: Brand, sort: str) -> None:  # type: ignore[no-untyped-def]
    # Own posts (no window: the second segment of the expiry order) and an unbound row.
    own = f.creator(client, brand.h, handle=f"glow_official_{next(f._seq)}")
    f._ok(client.post(f"/v1/ad-accounts/{brand.a['id']}/identities", headers=brand.h,
                      json={"creator_id": own["id"]}), 201)
    for caption in ("Launch", "Restock"):
        post = f.post(client, brand.h, own["id"], caption=caption)
        f._ok(client.post(f"/v1/ad-accounts/{brand.a['id']}/spark-posts/own", headers=brand.h,
                          json={"post_id": post["id"]}), 201)
    f._ok(client.delete(f"/v1/ad-accounts/{brand.b['id']}/spark-posts/{brand.sp3}",
                        headers=brand.h))
    for extra in ({}, {"include_unbound": "true"}):
        whole = brand.ids(sort=sort, limit=500, **extra)
        assert len(whole) == 5 + len(extra)
        assert brand.get(sort=sort, limit=500, **extra)["next"] is None
        for limit in (1, 2, 3):
            assert _walk(brand, limit, sort=sort, **extra) == whole, (limit, extra)


def test_a_keyset_page_is_the_rows_after_the_cursor_whatever_was_added_before_it(
        client, brand: Brand) -> None:  # type: ignore[no-untyped-def]
    first = brand.get(limit=2)
    assert [i["spark_post_id"] for i in first["items"]] == [brand.sp1, brand.sp2a]
    # A code that ends before the first page's last row is bound between two pages: an offset
    # would show sp2a again; the cursor goes on after it.
    sooner = f.code(client, brand.maya_h, brand.post1["id"], days=7)
    bind_code(client, brand.h, brand.b["id"], sooner["code"])
    assert brand.ids(limit=2, after=first["next"]) == [brand.sp2b, brand.sp3]
    assert brand.ids(limit=2, offset=2) == [brand.sp2a, brand.sp2b]


def test_after_is_refused_when_it_is_not_a_cursor_or_comes_with_an_offset(
        client, brand: Brand) -> None:  # type: ignore[no-untyped-def]
    url = f"/v1/businesses/{brand.business['id']}/tracker"
    cursor = brand.get(limit=1)["next"]
    r = client.get(url, headers=brand.h, params={"after": cursor, "offset": 1})
    assert_error(r, 422, "invalid_cursor")
    assert r.json()["error"]["message"] == "Page by offset or by after, not both."
    r = client.get(url, headers=brand.h, params={"after": "not-a-cursor"})
    assert_error(r, 422, "invalid_cursor")
    assert r.json()["error"]["message"].startswith("after is not a cursor this tracker gave")
    r = client.get(url, headers=brand.h, params={"after": cursor, "sort": "creator"})
    assert_error(r, 422, "invalid_cursor")
    assert r.json()["error"]["message"] == ("This cursor pages the tracker sorted by expiry; "
                                            "ask with sort=expiry or start again without after.")
    r = client.get(url, headers=brand.h, params={"after": "x" * 501})
    assert r.status_code == 422


@pytest.mark.parametrize("sort", ["expiry", "-expiry", "creator", "-creator", "days_left",
                                  "-spend_at_risk"])
def test_a_status_filter_picks_from_rows_read_in_batches(client, brand: Brand, monkeypatch,
                                                         sort: str) -> None:  # type: ignore[no-untyped-def]
    """A status filter reads the other filters' rows in order a batch at a time and keeps those
    with the status: whatever the batch, the pages are the rows of the whole order that have it."""
    from sparkcodes.tracker import repository

    own = f.creator(client, brand.h, handle=f"glow_official_{next(f._seq)}")
    f._ok(client.post(f"/v1/ad-accounts/{brand.a['id']}/identities", headers=brand.h,
                      json={"creator_id": own["id"]}), 201)
    for caption in ("Launch", "Restock"):  # no window: AUTHORIZED in the untimed segment
        post = f.post(client, brand.h, own["id"], caption=caption)
        f._ok(client.post(f"/v1/ad-accounts/{brand.a['id']}/spark-posts/own", headers=brand.h,
                          json={"post_id": post["id"]}), 201)
    f._ok(client.delete(f"/v1/ad-accounts/{brand.b['id']}/spark-posts/{brand.sp2b}",
                        headers=brand.h))
    f.advance(client, brand.h, "P7DT1H")  # sp1's 7-day code has ended
    every = brand.get(sort=sort, include_unbound="true", limit=500)["items"]
    assert {i["status"] for i in every} == {"AUTHORIZED", "AUTHORIZATION_EXPIRED", "UNBOUND"}
    for wanted in (["AUTHORIZED"], ["AUTHORIZATION_EXPIRED"], ["UNBOUND"],
                   ["AUTHORIZED", "UNBOUND"], ["AUTHORIZATION_EXPIRED", "AUTHORIZED"],
                   ["POST_UNAVAILABLE"]):
        expected = [i["spark_post_id"] for i in every if i["status"] in wanted]
        status = ",".join(wanted)
        for batch, slack, growth in ((1, 10, 4), (2, 10, 4), (3, 10, 4), (500, 10, 4),
                                     (500, 0, 2)):
            monkeypatch.setattr(repository, "STATUS_BATCH", batch)
            monkeypatch.setattr(repository, "STATUS_SLACK", slack)
            monkeypatch.setattr(repository, "GROWTH", growth)
            assert brand.ids(sort=sort, status=status, limit=500) == expected, (wanted, batch)
            counted = brand.get(sort=sort, status=status, limit=1)
            assert (counted["total"], counted["total_exact"]) == (len(expected), True), (
                wanted, batch)
            paged = [i for offset in range(0, len(expected) + 2, 2)
                     for i in brand.ids(sort=sort, status=status, limit=2, offset=offset)]
            assert paged == expected, (wanted, batch)
            assert _walk(brand, 2, sort=sort, status=status) == expected, (wanted, batch)
