"""Engagement that Spark Ads produce (R21), end to end over HTTP: events in, counts on the post,
paid and organic split in reports, nothing accepted for an ad that was not delivering (R20), each
event counted once however often (and however concurrently) it is sent."""

from __future__ import annotations

import itertools
from datetime import date, datetime, timedelta, timezone
from typing import Any

from sparkcodes import simulate
from tests import factories as f
from tests.integration._http import assert_error, parallel

ev = f.event


# --- helpers -----------------------------------------------------------------------------------

def ingest(client, headers, batch: list[dict[str, Any]]) -> dict[str, Any]:  # type: ignore[no-untyped-def]
    out = f._ok(f.events(client, headers, batch))
    assert [r["event_id"] for r in out["results"]] == [e["event_id"] for e in batch]
    assert out["accepted"] + out["duplicates"] + out["refused"] == len(batch)
    return out


def statuses(out: dict[str, Any]) -> list[str]:
    return [r["status"] for r in out["results"]]


def refusal(out: dict[str, Any], index: int, code: str, *fragments: str) -> str:
    result = out["results"][index]
    assert result["status"] == "refused", result
    assert result["error"]["code"] == code, result
    for fragment in fragments:
        assert fragment in result["error"]["message"], (fragment, result)
    return result["error"]["message"]


def now_of(client, headers) -> datetime:  # type: ignore[no-untyped-def]
    return datetime.fromisoformat(f._ok(client.get("/v1/sandbox/clock", headers=headers))["now"])


def report(client, headers, level: str, obj_id: str, start: date, end: date,  # type: ignore[no-untyped-def]
           granularity: str = "total") -> dict[str, Any]:
    return f._ok(f.report(client, headers, level, obj_id, start_date=start.isoformat(),
                          end_date=end.isoformat(), granularity=granularity))


def paid(w: f.Running, type_: str = "impression", n: int = 1, **kw: Any) -> list[dict[str, Any]]:
    return [ev(w.post["id"], type_, ad_id=w.ad["id"], **kw) for _ in range(n)]


def organic(w: f.Running, type_: str = "like", n: int = 1, **kw: Any) -> list[dict[str, Any]]:
    return [ev(w.post["id"], type_, **kw) for _ in range(n)]


def post_stats(client, w: f.Running) -> dict[str, int]:  # type: ignore[no-untyped-def]
    return f._ok(client.get(f"/v1/posts/{w.post['id']}", headers=w.creator_h))["stats"]


class Books:
    """Everything that counts one running ad's engagement between two days: the ad's report,
    the post's report (paid, organic, total) and the post's own counters."""

    def __init__(self, client, w: f.Running, start: date, end: date) -> None:  # type: ignore[no-untyped-def]
        self.ad = report(client, w.brand_h, "ad", w.ad["id"], start, end)["total"]
        post = report(client, w.creator_h, "post", w.post["id"], start, end)
        self.paid, self.organic, self.total = post["paid"], post["organic"], post["total"]
        self.stats = post_stats(client, w)

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Books) and vars(self) == vars(other)


def not_delivering(out: dict[str, Any], index: int, reason: str) -> None:
    message = refusal(out, index, "ad_not_delivering", "The ad was not delivering at ")
    assert message.endswith(f" UTC: {reason}."), message


# --- the issue, end to end -----------------------------------------------------------------------

def test_paid_and_organic_engagement_through_expiry_and_extension(client):
    w = f.Running(client)
    day0 = now_of(client, w.brand_h).date()

    out = ingest(client, w.creator_h,
                 paid(w, "impression", 4) + paid(w, "like", 2) + paid(w, "comment")
                 + organic(w, "impression", 3) + organic(w, "like"))
    assert (out["accepted"], out["duplicates"], out["refused"]) == (11, 0, 0)
    assert all(r["error"] is None for r in out["results"])

    books = Books(client, w, day0, day0 + timedelta(days=40))
    assert {k: books.ad[k] for k in ("impressions", "likes", "comments", "spend", "cpm")} == {
        "impressions": 4, "likes": 2, "comments": 1, "spend": 0.04, "cpm": 10.0}
    assert books.ad["engagement_rate"] == 0.75
    assert (books.paid["likes"], books.organic["likes"], books.total["likes"]) == (2, 1, 3)
    assert (books.paid["impressions"], books.organic["impressions"],
            books.total["impressions"]) == (4, 3, 7)
    assert (books.paid["spend"], books.organic["spend"], books.total["spend"]) == (0.04, 0.0, 0.04)
    assert books.stats == {"views": 7, "likes": 3, "comments": 1, "shares": 0}
    assert w.get_ad()["post"]["likes"] == 3

    f.advance(client, w.brand_h, "P31D")
    ad = w.get_ad()
    assert ad["delivery"]["reasons"] == ["AUTHORIZATION_EXPIRED"]
    out = ingest(client, w.creator_h,
                 paid(w, "like") + paid(w, "impression") + organic(w, "like"))
    assert statuses(out) == ["refused", "refused", "accepted"]
    not_delivering(out, 0, "AUTHORIZATION_EXPIRED")
    not_delivering(out, 1, "AUTHORIZATION_EXPIRED")
    # An operator of the ad's account is refused the same way.
    out = ingest(client, w.brand_h, paid(w, "impression"))
    not_delivering(out, 0, "AUTHORIZATION_EXPIRED")
    after = Books(client, w, day0, day0 + timedelta(days=40))
    assert after.ad == books.ad  # spend stopped with the ad
    assert (after.paid["likes"], after.organic["likes"], after.total["likes"]) == (2, 2, 4)

    # A like from before the expiry, reported late, is the ad's and is accepted.
    before_expiry = datetime.fromisoformat(w.ad["created_at"]) + timedelta(minutes=5)
    late = paid(w, "like", occurred_at=before_expiry.isoformat())
    assert statuses(ingest(client, w.creator_h, late)) == ["accepted"]
    by_day = report(client, w.brand_h, "ad", w.ad["id"], day0, day0 + timedelta(days=40), "day")
    assert by_day["total"]["likes"] == 3
    assert {r["stat_time_day"] for r in by_day["rows"]} <= {
        day0.isoformat(), before_expiry.date().isoformat()}  # counted on its own day

    f._ok(client.post(f"/v1/authorizations/{w.code['id']}/extend", headers=w.creator_h,
                      json={"days": 30}))
    assert w.get_ad()["delivery"]["status"] == "DELIVERING"
    out = ingest(client, w.brand_h, paid(w, "impression") + paid(w, "like"))
    assert statuses(out) == ["accepted", "accepted"]
    final = Books(client, w, day0, day0 + timedelta(days=40))
    assert (final.ad["impressions"], final.ad["likes"], final.ad["spend"]) == (5, 4, 0.05)
    assert (final.paid["likes"], final.organic["likes"], final.total["likes"]) == (4, 2, 6)
    assert final.stats == {"views": 8, "likes": 6, "comments": 1, "shares": 0}


# --- every other way an ad stops ---------------------------------------------------------------

def test_post_edited_refuses_paid_events_until_a_new_ad_is_made(client):
    w = f.Running(client)
    assert ingest(client, w.creator_h, paid(w, "impression"))["accepted"] == 1
    f._ok(client.patch(f"/v1/posts/{w.post['id']}", headers=w.creator_h,
                       json={"sound": "commercial_library"}))
    out = ingest(client, w.creator_h, paid(w, "impression") + paid(w, "like") + organic(w))
    assert statuses(out) == ["refused", "refused", "accepted"]
    not_delivering(out, 0, "POST_EDITED")
    today = now_of(client, w.brand_h).date()
    assert report(client, w.brand_h, "ad", w.ad["id"], today - timedelta(days=1),
                  today)["total"]["spend"] == 0.01
    fresh = f.ad(client, w.brand_h, w.ad_group["id"], w.spark_post_id)
    out = ingest(client, w.creator_h, [ev(w.post["id"], "impression", ad_id=fresh["id"])])
    assert statuses(out) == ["accepted"]


def test_an_event_dated_before_a_post_edit_but_sent_after_it_is_accepted(client):
    w = f.Running(client)
    before_edit = now_of(client, w.brand_h)
    f.advance(client, w.brand_h, "PT1M")
    f._ok(client.patch(f"/v1/posts/{w.post['id']}", headers=w.creator_h,
                       json={"sound": "licensed"}))
    out = ingest(client, w.creator_h, paid(w, "like", occurred_at=before_edit.isoformat()))
    assert statuses(out) == ["accepted"], out


def test_post_taken_down_refuses_paid_events_but_not_those_from_before(client):
    w = f.Running(client)
    before = now_of(client, w.brand_h)
    f.advance(client, w.brand_h, "PT1M")
    f._ok(client.post(f"/v1/sandbox/posts/{w.post['id']}/take-down", headers=w.creator_h,
                      json={"reason": "Community guidelines"}))
    out = ingest(client, w.creator_h, paid(w, "impression") + paid(w, "like"))
    assert statuses(out) == ["refused", "refused"]
    not_delivering(out, 0, "POST_UNAVAILABLE")
    out = ingest(client, w.creator_h, paid(w, "like", occurred_at=before.isoformat()))
    assert statuses(out) == ["accepted"]
    day = before.date()
    assert report(client, w.brand_h, "ad", w.ad["id"], day, day + timedelta(days=1))["total"][
        "likes"] == 1


def test_account_ad_settings_off_refuses_paid_events_until_switched_back_on(client):
    w = f.Running(client)
    settings = f"/v1/creators/{w.creator['id']}/ad-settings"
    f._ok(f.set_status(client, w.brand_h, "ad", w.ad["id"], "DISABLE"))
    out = ingest(client, w.creator_h, paid(w, "impression"))
    not_delivering(out, 0, "PAUSED")
    f._ok(client.put(settings, headers=w.creator_h, json={"enabled": False}))
    f._ok(f.set_status(client, w.brand_h, "ad", w.ad["id"], "ENABLE"))
    assert w.get_ad()["delivery"]["reasons"] == ["ACCOUNT_AD_SETTINGS_OFF"]
    out = ingest(client, w.creator_h, paid(w, "impression") + paid(w, "like") + organic(w))
    assert statuses(out) == ["refused", "refused", "accepted"]
    not_delivering(out, 0, "ACCOUNT_AD_SETTINGS_OFF")
    f._ok(client.put(settings, headers=w.creator_h, json={"enabled": True}))
    out = ingest(client, w.creator_h, paid(w, "impression"))
    assert statuses(out) == ["accepted"]


def test_daily_budget_accepts_impressions_until_spent_then_refuses(client):
    # CPM bid 10.00 → 0.01 an impression; a daily budget of 0.05 buys five.
    w = f.Running(client, ad_group_fields={"budget": "0.05", "bid": "10.00"})
    today = now_of(client, w.brand_h).date()
    out = ingest(client, w.creator_h, paid(w, "impression", 3))
    assert statuses(out) == ["accepted"] * 3
    out = ingest(client, w.creator_h, paid(w, "impression", 4))
    assert statuses(out) == ["accepted", "accepted", "refused", "refused"]
    not_delivering(out, 2, "BUDGET_EXHAUSTED")
    ad = w.get_ad()
    assert ad["delivery"]["reasons"] == ["BUDGET_EXHAUSTED"]
    assert ad["delivery"]["text"] == "Not delivering: the budget is spent."
    out = ingest(client, w.creator_h, paid(w, "like") + organic(w, "impression"))
    assert statuses(out) == ["refused", "accepted"]
    not_delivering(out, 0, "BUDGET_EXHAUSTED")
    total = report(client, w.brand_h, "ad", w.ad["id"], today, today + timedelta(days=1))["total"]
    assert (total["impressions"], total["spend"], total["likes"]) == (5, 0.05, 0)
    group = f._ok(client.get(f"/v1/ad-groups/{w.ad_group['id']}", headers=w.brand_h))
    assert group["delivery"]["reasons"] == {"BUDGET_EXHAUSTED": 1}

    f.advance(client, w.brand_h, "P1D")  # a new day, a new daily budget
    assert w.get_ad()["delivery"]["status"] == "DELIVERING"
    assert statuses(ingest(client, w.creator_h, paid(w, "impression"))) == ["accepted"]


def test_a_budget_is_spent_in_the_order_the_factory_made_the_events(client, monkeypatch):
    """The shared factory numbers events from one counter: where that counter passes 999 within
    a batch, the first events made are still the ones the budget buys."""
    w = f.Running(client, ad_group_fields={"budget": "0.02", "bid": "10.00"})
    monkeypatch.setattr(f, "_seq", itertools.count(998))
    batch = paid(w, "impression", 4)  # numbered 998, 999, 1000, 1001
    out = ingest(client, w.creator_h, batch)
    assert statuses(out) == ["accepted", "accepted", "refused", "refused"]
    not_delivering(out, 2, "BUDGET_EXHAUSTED")


def test_campaign_lifetime_budget_does_not_renew_the_next_day(client):
    w = f.Running(client, campaign_fields={"budget_mode": "BUDGET_MODE_TOTAL", "budget": "0.03"})
    out = ingest(client, w.brand_h, paid(w, "impression", 4))
    assert statuses(out) == ["accepted"] * 3 + ["refused"]
    not_delivering(out, 3, "BUDGET_EXHAUSTED")
    f.advance(client, w.brand_h, "P1D")
    assert w.get_ad()["delivery"]["reasons"] == ["BUDGET_EXHAUSTED"]
    not_delivering(ingest(client, w.brand_h, paid(w, "impression")), 0, "BUDGET_EXHAUSTED")
    campaign = f._ok(client.get(f"/v1/campaigns/{w.campaign['id']}", headers=w.brand_h))
    assert campaign["delivery"]["text"] == "Not delivering: the budget is spent."


def test_paused_campaign_refuses_paid_events_until_enabled(client):
    w = f.Running(client)
    f._ok(f.set_status(client, w.brand_h, "campaign", w.campaign["id"], "DISABLE"))
    out = ingest(client, w.brand_h, paid(w, "impression") + paid(w, "share"))
    assert statuses(out) == ["refused", "refused"]
    not_delivering(out, 1, "PAUSED")
    f._ok(f.set_status(client, w.brand_h, "campaign", w.campaign["id"], "ENABLE"))
    assert statuses(ingest(client, w.brand_h, paid(w, "share"))) == ["accepted"]
    assert post_stats(client, w)["shares"] == 1


def test_a_refusal_states_the_instant_in_utc(client):
    w = f.Running(client)
    f._ok(f.set_status(client, w.brand_h, "ad", w.ad["id"], "DISABLE"))
    at = now_of(client, w.brand_h)
    sent = at.astimezone(timezone(timedelta(hours=2))).isoformat()
    out = ingest(client, w.creator_h, paid(w, "like", occurred_at=sent))
    message = refusal(out, 0, "ad_not_delivering")
    assert message == f"The ad was not delivering at {at:%Y-%m-%d %H:%M} UTC: PAUSED.", message


def test_a_paid_event_from_before_the_ad_existed_is_refused(client):
    w = f.Running(client)
    before = datetime.fromisoformat(w.ad["created_at"]) - timedelta(seconds=1)
    out = ingest(client, w.creator_h, paid(w, "like", occurred_at=before.isoformat()))
    not_delivering(out, 0, "NOT_STARTED")


def test_campaign_daily_budget_is_shared_by_its_ad_groups(client):
    w = f.Running(client, campaign_fields={"budget_mode": "BUDGET_MODE_DAY", "budget": "0.03"})
    group2 = f.ad_group(client, w.brand_h, w.campaign["id"])
    ad2 = f.ad(client, w.brand_h, group2["id"], w.spark_post_id)
    out = ingest(client, w.brand_h, paid(w, "impression", 2)
                 + [ev(w.post["id"], "impression", ad_id=ad2["id"]) for _ in range(2)])
    assert statuses(out) == ["accepted", "accepted", "accepted", "refused"]
    not_delivering(out, 3, "BUDGET_EXHAUSTED")
    assert w.get_ad(ad2["id"])["delivery"]["reasons"] == ["BUDGET_EXHAUSTED"]
    assert w.get_ad()["delivery"]["reasons"] == ["BUDGET_EXHAUSTED"]
    f.advance(client, w.brand_h, "P1D")  # a campaign's daily budget renews too
    assert statuses(ingest(client, w.brand_h, paid(w, "impression"))) == ["accepted"]


def test_paid_days_are_the_ad_accounts_and_organic_days_utc(client):
    w = f.World(client)
    account = f._ok(client.post(f"/v1/businesses/{w.business['id']}/ad-accounts",
                                headers=w.brand_h,
                                json={"name": "Line Islands", "timezone": "Pacific/Kiritimati"}),
                    201)
    sp_id = f.spark_post_id(client, w.brand_h, account["id"], w.code["code"])
    c = f.campaign(client, w.brand_h, account["id"])
    g = f.ad_group(client, w.brand_h, c["id"])
    ad = f.ad(client, w.brand_h, g["id"], sp_id)
    f.advance(client, w.brand_h, "P2D")
    # 12:00 UTC the day after the ad was made: already 02:00 the next day at UTC+14.
    at = (datetime.fromisoformat(ad["created_at"]) + timedelta(days=1)).replace(
        hour=12, minute=0, second=0, microsecond=0)
    utc_day, local_day = at.date(), at.date() + timedelta(days=1)
    out = ingest(client, w.creator_h, [
        ev(w.post["id"], "like", ad_id=ad["id"], occurred_at=at.isoformat()),
        ev(w.post["id"], "like", occurred_at=at.isoformat())])
    assert statuses(out) == ["accepted", "accepted"]
    rows = report(client, w.brand_h, "ad", ad["id"], utc_day, local_day, "day")["rows"]
    assert [(r["stat_time_day"], r["metrics"]["likes"]) for r in rows] == [
        (local_day.isoformat(), 1)]
    post = report(client, w.creator_h, "post", w.post["id"], utc_day, local_day, "day")
    assert [(r["stat_time_day"], r["source"]) for r in post["rows"]] == [
        (utc_day.isoformat(), "organic"), (local_day.isoformat(), "paid")]


# --- each event once ----------------------------------------------------------------------------

def test_resending_a_batch_changes_nothing(client):
    w = f.Running(client)
    day = now_of(client, w.brand_h).date()
    batch = (paid(w, "impression", 3) + paid(w, "like") + paid(w, "view_2s")
             + organic(w, "impression", 2) + organic(w, "share"))
    assert ingest(client, w.creator_h, batch)["accepted"] == 8
    before = Books(client, w, day, day + timedelta(days=1))
    again = ingest(client, w.creator_h, batch)
    assert (again["accepted"], again["duplicates"], again["refused"]) == (0, 8, 0)
    assert statuses(again) == ["duplicate"] * 8
    assert Books(client, w, day, day + timedelta(days=1)) == before
    # An operator retrying the paid part sees duplicates too.
    assert ingest(client, w.brand_h, batch[:5])["duplicates"] == 5
    # Half old, half new: only the new count.
    mixed = batch[:2] + paid(w, "like")
    assert statuses(ingest(client, w.creator_h, mixed)) == ["duplicate", "duplicate", "accepted"]
    after = Books(client, w, day, day + timedelta(days=1))
    assert after.ad["likes"] == before.ad["likes"] + 1
    assert after.ad["impressions"] == before.ad["impressions"] == 3
    assert after.stats["views"] == before.stats["views"] == 5


def test_the_same_event_twice_in_one_batch_counts_once(client):
    w = f.Running(client)
    one = ev(w.post["id"], "like", event_id="same")
    out = ingest(client, w.creator_h, [one, one])
    assert statuses(out) == ["accepted", "duplicate"]
    assert post_stats(client, w)["likes"] == 1
    # Event ids are unique per post: another post may use the same id.
    other = f.post(client, w.creator_h, w.creator["id"])
    out = ingest(client, w.creator_h, [ev(other["id"], "like", event_id="same")])
    assert statuses(out) == ["accepted"]


def test_the_simulator_is_deterministic_and_sends_each_event_once(client, app):
    """simulate.py drives the same ingestion as the platform (no user): a second run of the same
    seed only finds duplicates, and refusals are judged the same way again."""
    w = f.Running(client)
    f.advance(client, w.brand_h, "P1D")
    db, settings = app.state.db, app.state.settings
    plan = simulate.plan(db, days=1, seed=7, paid_per_day=15, organic_per_day=10)
    again = simulate.plan(db, days=1, seed=7, paid_per_day=15, organic_per_day=10)
    assert [e.event_id for e in again] == [e.event_id for e in plan]
    assert {e.ad_id for e in plan} == {None, w.ad["id"]}
    other_seed = simulate.plan(db, days=1, seed=8, paid_per_day=15, organic_per_day=10)
    assert {e.event_id for e in other_seed} != {e.event_id for e in plan}

    first = simulate.run(db, settings, plan)
    assert first.sent == len(plan) and first.duplicates == 0
    assert first.accepted + sum(first.refused.values()) == len(plan)
    assert first.accepted > 0
    # Only paid events from before the ad was made can be refused, and they say why.
    assert set(first.refused) <= {"NOT_STARTED"}
    start = datetime.fromisoformat(w.ad["created_at"]).date() - timedelta(days=2)
    end = start + timedelta(days=5)
    books = Books(client, w, start, end)
    organic_plan = [e for e in plan if e.ad_id is None]
    assert books.organic["impressions"] == sum(1 for e in organic_plan if e.type == "impression")
    assert books.organic["likes"] == sum(1 for e in organic_plan if e.type == "like")
    assert books.total["impressions"] == books.stats["views"]
    assert books.ad["impressions"] == books.paid["impressions"] > 0
    assert books.ad["spend"] == round(books.ad["impressions"] * 0.01, 2)

    second = simulate.run(db, settings, plan)
    assert (second.accepted, second.duplicates) == (0, first.accepted)
    assert second.refused == first.refused
    assert Books(client, w, start, end) == books


# --- who may send, and malformed batches --------------------------------------------------------

def test_who_may_send_events(client):
    w = f.Running(client)
    other_post = f.post(client, w.creator_h, w.creator["id"])
    stranger = f.user(client)
    # A stranger learns nothing about the post or the ad: the same answer as for no post at all.
    out = ingest(client, stranger, organic(w) + paid(w, "like"))
    refusal(out, 0, "post_not_found", "No such post.")
    refusal(out, 1, "post_not_found", "No such post.")
    # The brand runs the ad but does not own the post: no organic events.
    out = ingest(client, w.brand_h, organic(w) + paid(w, "like"))
    assert statuses(out) == ["refused", "accepted"]
    refusal(out, 0, "post_not_found", "No such post.")
    # An analyst of the brand may read, not send.
    analyst_h = f.user(client, email="analyst@example.com")
    f._ok(client.put(f"/v1/businesses/{w.business['id']}/members", headers=w.brand_h,
                     json={"email": "analyst@example.com", "role": "analyst"}))
    out = ingest(client, analyst_h, paid(w, "like"))
    refusal(out, 0, "post_not_found", "No such post.")
    # An operator may.
    operator_h = f.user(client, email="operator@example.com")
    f._ok(client.put(f"/v1/businesses/{w.business['id']}/members", headers=w.brand_h,
                     json={"email": "operator@example.com", "role": "operator"}))
    assert statuses(ingest(client, operator_h, paid(w, "like"))) == ["accepted"]
    # The post's owner may send both.
    assert statuses(ingest(client, w.creator_h, organic(w) + paid(w, "like"))) == [
        "accepted", "accepted"]
    # Unknown post, or an ad of another post.
    out = ingest(client, w.creator_h, [ev("0" * 32, "like"),
                                       ev(other_post["id"], "like", ad_id=w.ad["id"]),
                                       ev(w.post["id"], "like", ad_id="0" * 32)])
    refusal(out, 0, "post_not_found", "No such post.")
    refusal(out, 1, "ad_not_found", "No such ad on this post.")
    refusal(out, 2, "ad_not_found", "No such ad on this post.")
    assert post_stats(client, w)["likes"] == 4
    r = client.post("/v1/engagement/events", json={"events": organic(w)})
    assert_error(r, 401, "unauthorized", "Sign in first")


def test_batch_of_zero_and_of_1001_events_are_refused_whole(client):
    w = f.Running(client)
    assert_error(f.events(client, w.creator_h, []), 422, "batch_empty", "Send at least one event.")
    big = organic(w, "impression", 1001)
    assert_error(f.events(client, w.creator_h, big), 422, "batch_too_large",
                 "At most 1000 events per request; 1001 were sent.")
    assert post_stats(client, w)["views"] == 0
    out = ingest(client, w.creator_h, big[:1000])
    assert out["accepted"] == 1000
    assert post_stats(client, w)["views"] == 1000


MALFORMED = [
    ({"type": "purchase"}, "events.1.type"),
    ({"type": "Like"}, "events.1.type"),
    ({"event_id": ""}, "events.1.event_id"),
    ({"event_id": "x" * 101}, "events.1.event_id"),
    ({"occurred_at": "yesterday"}, "events.1.occurred_at"),
    ({"post_id": None}, "events.1.post_id"),
]


def test_malformed_events_refuse_the_whole_batch(client):
    w = f.Running(client)
    for bad, fragment in MALFORMED:
        batch = organic(w) + [{**ev(w.post["id"], "like"), **bad}]
        assert_error(f.events(client, w.creator_h, batch), 422, "validation_error", fragment)
    assert post_stats(client, w)["likes"] == 0
    assert_error(client.post("/v1/engagement/events", headers=w.creator_h, json={}), 422,
                 "validation_error", "events")


def test_bad_instants_refuse_only_their_event(client):
    w = f.Running(client)
    now = now_of(client, w.brand_h)
    out = ingest(client, w.creator_h, [
        ev(w.post["id"], "like", occurred_at=(now + timedelta(hours=1)).isoformat()),
        ev(w.post["id"], "like", occurred_at=now.replace(tzinfo=None).isoformat()),
        ev(w.post["id"], "like", occurred_at=(now + timedelta(seconds=60)).isoformat()),
        ev(w.post["id"], "like"),
    ])
    refusal(out, 0, "event_in_future", "The event is dated in the future.")
    refusal(out, 1, "invalid_occurred_at", "occurred_at needs a time zone offset")
    assert statuses(out)[2:] == ["accepted", "accepted"]
    assert post_stats(client, w)["likes"] == 2


# --- reports -------------------------------------------------------------------------------------

def test_reports_by_day_and_in_total_at_every_level(client):
    w = f.Running(client)
    t1 = now_of(client, w.brand_h)
    ingest(client, w.creator_h, paid(w, "impression", occurred_at=t1.isoformat())
           + paid(w, "like", occurred_at=t1.isoformat())
           + organic(w, "like", occurred_at=t1.isoformat()))
    f.advance(client, w.brand_h, "P1D")
    t2 = now_of(client, w.brand_h)
    ingest(client, w.creator_h, paid(w, "impression", 2, occurred_at=t2.isoformat())
           + paid(w, "completion", occurred_at=t2.isoformat()))
    d1, d2 = t1.date(), t2.date()
    assert d2 == d1 + timedelta(days=1)

    by_day = report(client, w.brand_h, "ad", w.ad["id"], d1, d2, "day")
    assert (by_day["level"], by_day["granularity"]) == ("ad", "day")
    assert [(r["stat_time_day"], r["source"]) for r in by_day["rows"]] == [
        (d1.isoformat(), "paid"), (d2.isoformat(), "paid")]
    first, second = (r["metrics"] for r in by_day["rows"])
    assert (first["impressions"], first["likes"], first["spend"]) == (1, 1, 0.01)
    assert (second["impressions"], second["video_views_p100"], second["spend"]) == (2, 1, 0.02)
    assert second["completion_rate"] == 0.5
    assert (by_day["total"]["impressions"], by_day["total"]["spend"]) == (3, 0.03)

    total = report(client, w.brand_h, "ad", w.ad["id"], d1, d2, "total")
    assert total["rows"] == [{"stat_time_day": None, "source": "paid",
                              "metrics": total["total"]}]
    assert total["total"] == by_day["total"]
    for level, obj_id in (("ad_group", w.ad_group["id"]), ("campaign", w.campaign["id"]),
                          ("ad_account", w.account["id"])):
        assert report(client, w.brand_h, level, obj_id, d1, d2)["total"] == total["total"], level
    only_second = report(client, w.brand_h, "ad", w.ad["id"], d2, d2, "day")
    assert [r["stat_time_day"] for r in only_second["rows"]] == [d2.isoformat()]
    assert only_second["total"]["impressions"] == 2
    # Default range: the seven days up to today.
    default = f._ok(f.report(client, w.brand_h, "ad", w.ad["id"]))
    assert (default["start_date"], default["end_date"]) == (
        (d2 - timedelta(days=6)).isoformat(), d2.isoformat())
    assert default["total"] == total["total"]

    post = report(client, w.creator_h, "post", w.post["id"], d1, d2, "day")
    assert [(r["stat_time_day"], r["source"], r["metrics"]["likes"]) for r in post["rows"]] == [
        (d1.isoformat(), "paid", 1), (d1.isoformat(), "organic", 1), (d2.isoformat(), "paid", 0)]
    assert (post["paid"]["likes"], post["organic"]["likes"], post["total"]["likes"]) == (1, 1, 2)
    assert post["paid"]["spend"] == post["total"]["spend"] == 0.03
    # Another ad account of the same brand has nothing.
    assert report(client, w.brand_h, "ad_account", w.account2["id"], d1, d2)["total"][
        "impressions"] == 0


def test_report_input_is_validated(client):
    w = f.Running(client)
    for start, end, fragment in (
        ("2026-03-02", "2026-03-01", "start_date is after end_date."),
        ("2025-01-01", "2026-01-02", "A report spans at most 366 days."),
    ):
        r = f.report(client, w.brand_h, "ad", w.ad["id"], start_date=start, end_date=end)
        assert_error(r, 422, "invalid_date_range", fragment)
    # A start given alone must not be after the default end (today).
    tomorrow = now_of(client, w.brand_h).date() + timedelta(days=1)
    r = f.report(client, w.brand_h, "ad", w.ad["id"], start_date=tomorrow.isoformat())
    assert_error(r, 422, "invalid_date_range", "start_date is after end_date.")
    f._ok(f.report(client, w.brand_h, "ad", w.ad["id"], start_date="2025-01-01",
                   end_date="2026-01-01"))  # 366 days: the most
    assert_error(f.report(client, w.brand_h, "creative", w.ad["id"]), 422, "validation_error",
                 "level")
    assert_error(f.report(client, w.brand_h, "ad", w.ad["id"], start_date="2026-02-30"), 422,
                 "validation_error", "start_date")
    assert_error(f.report(client, w.brand_h, "ad", w.ad["id"], granularity="hour"), 422,
                 "validation_error", "granularity")


def test_reports_are_private_to_their_tenant(client):
    w = f.Running(client)
    ingest(client, w.creator_h, paid(w, "like") + organic(w))
    stranger = f.user(client)
    f.ad_account(client, stranger, f.business(client, stranger, "Globex")["id"])
    for level, obj_id, message in (
        ("ad", w.ad["id"], "No such ad."),
        ("ad_group", w.ad_group["id"], "No such ad group."),
        ("campaign", w.campaign["id"], "No such campaign."),
        ("ad_account", w.account["id"], "No such ad account."),
        ("post", w.post["id"], "No such post."),
        ("ad", "0" * 32, "No such ad."),
    ):
        assert_error(f.report(client, stranger, level, obj_id), 404, "not_found", message)
    # The post's report (with organic numbers) is the creator's; the brand sees its ads'.
    assert_error(f.report(client, w.brand_h, "post", w.post["id"]), 404, "not_found",
                 "No such post.")
    assert_error(f.report(client, w.creator_h, "ad", w.ad["id"]), 404, "not_found",
                 "No such ad.")
    analyst = f.user(client, email="reader@example.com")
    f._ok(client.put(f"/v1/businesses/{w.business['id']}/members", headers=w.brand_h,
                     json={"email": "reader@example.com", "role": "analyst"}))
    assert f._ok(f.report(client, analyst, "ad", w.ad["id"]))["total"]["likes"] == 1


# --- races -------------------------------------------------------------------------------------


RACERS = 8


def test_concurrent_batches_of_distinct_events_lose_no_counts(client, live_url):
    w = f.Running(client)
    day = now_of(client, w.brand_h).date()
    batches = [paid(w, "impression", 4) + paid(w, "like", 2)
               + organic(w, "impression", 3) + organic(w, "like", 3) for _ in range(RACERS)]
    responses = parallel(live_url, [
        (lambda http, b=b: f.events(http, w.creator_h, b)) for b in batches])
    assert [r.status_code for r in responses] == [200] * RACERS, [r.text for r in responses]
    assert [r.json()["accepted"] for r in responses] == [12] * RACERS

    books = Books(client, w, day, day + timedelta(days=1))
    assert books.stats == {"views": RACERS * 7, "likes": RACERS * 5, "comments": 0, "shares": 0}
    assert (books.ad["impressions"], books.ad["likes"]) == (RACERS * 4, RACERS * 2)
    assert books.ad["spend"] == RACERS * 4 * 0.01
    assert (books.paid["likes"], books.organic["likes"], books.total["likes"]) == (
        RACERS * 2, RACERS * 3, RACERS * 5)
    assert books.total["impressions"] == RACERS * 7


def test_concurrent_copies_of_one_batch_count_once(client, live_url):
    w = f.Running(client)
    day = now_of(client, w.brand_h).date()
    batch = paid(w, "impression", 5) + paid(w, "like", 2) + organic(w, "like", 3)
    responses = parallel(live_url, [
        (lambda http: f.events(http, w.creator_h, batch)) for _ in range(RACERS)])
    assert [r.status_code for r in responses] == [200] * RACERS, [r.text for r in responses]
    bodies = [r.json() for r in responses]
    assert sum(b["accepted"] for b in bodies) == len(batch)
    assert sum(b["duplicates"] for b in bodies) == len(batch) * (RACERS - 1)
    assert sum(b["refused"] for b in bodies) == 0
    # Each event was accepted by exactly one of the copies.
    for i in range(len(batch)):
        assert sorted(b["results"][i]["status"] for b in bodies) == (
            ["accepted"] + ["duplicate"] * (RACERS - 1)), i
    books = Books(client, w, day, day + timedelta(days=1))
    assert books.stats == {"views": 5, "likes": 5, "comments": 0, "shares": 0}
    assert (books.ad["impressions"], books.ad["likes"], books.ad["spend"]) == (5, 2, 0.05)
    assert (books.paid["likes"], books.organic["likes"], books.total["likes"]) == (2, 3, 5)


ROUNDS = 5


def test_concurrent_batches_in_any_order_lose_no_counts(client, live_url):
    """Batches touching the same rollup rows in opposite orders must queue, never deadlock."""
    w = f.Running(client)
    day = now_of(client, w.brand_h).date()
    for round_ in range(1, ROUNDS + 1):
        batches = []
        for i in range(RACERS):
            organic_part = organic(w, "impression", 2) + organic(w, "like", 2)
            paid_part = paid(w, "impression", 2) + paid(w, "like", 2)
            # Half the batches touch the organic rollup row first, half the paid one.
            batches.append(organic_part + paid_part if i % 2 else paid_part + organic_part)
        responses = parallel(live_url, [
            (lambda http, b=b: f.events(http, w.creator_h, b)) for b in batches])
        assert [r.status_code for r in responses] == [200] * RACERS, [r.text for r in responses]
        books = Books(client, w, day, day + timedelta(days=1))
        assert books.stats["likes"] == round_ * RACERS * 4
        assert books.ad["impressions"] == round_ * RACERS * 2


def test_concurrent_copies_of_one_batch_in_another_order_count_once(client, live_url):
    """Copies of one batch in opposite orders: each event counted once, no deadlock."""
    w = f.Running(client)
    for round_ in range(1, ROUNDS + 1):
        batch = organic(w, "like", 12)
        copies = [batch if i % 2 else list(reversed(batch)) for i in range(RACERS)]
        responses = parallel(live_url, [
            (lambda http, b=b: f.events(http, w.creator_h, b)) for b in copies])
        assert [r.status_code for r in responses] == [200] * RACERS, [r.text for r in responses]
        assert sum(r.json()["accepted"] for r in responses) == len(batch)
        assert post_stats(client, w)["likes"] == round_ * len(batch)


def test_concurrent_batches_cannot_spend_past_the_daily_budget(client, live_url):
    """Concurrent batches spending the last of a budget: it holds exactly (the rows are locked)."""
    w = f.Running(client, ad_group_fields={"budget": "0.10", "bid": "10.00"})
    for _ in range(3):  # one race a day, each day with a fresh daily budget
        day = now_of(client, w.brand_h).date()
        responses = parallel(live_url, [
            (lambda http: f.events(http, w.brand_h, paid(w, "impression", 5)))
            for _ in range(RACERS)])
        assert [r.status_code for r in responses] == [200] * RACERS, [r.text for r in responses]
        accepted = sum(r.json()["accepted"] for r in responses)
        total = report(client, w.brand_h, "ad", w.ad["id"], day, day)["total"]
        assert (accepted, total["impressions"], total["spend"]) == (10, 10, 0.10)
        assert w.get_ad()["delivery"]["reasons"] == ["BUDGET_EXHAUSTED"]
        f.advance(client, w.brand_h, "P1D")


# --- clicks on the ad's call to action -----------------------------------------------------------

def test_clicks_are_paid_only_and_give_ctr_and_cpc(client):
    """A click is on an ad's call to action: counted for the ad (clicks, CTR, CPC, engagements)
    and never on the post's public counters; an organic click is refused with its reason, alone
    in its batch."""
    w = f.Running(client)
    day = now_of(client, w.brand_h).date()
    out = ingest(client, w.creator_h, paid(w, "impression", 8) + paid(w, "click", 2)
                 + organic(w, "click") + organic(w, "impression"))
    assert statuses(out) == ["accepted"] * 10 + ["refused", "accepted"]
    refusal(out, 10, "click_needs_ad",
            "A click is on an ad's call to action: send it with the ad_id of the ad that was "
            "clicked.")
    total = report(client, w.brand_h, "ad", w.ad["id"], day, day)["total"]
    assert (total["clicks"], total["ctr"], total["cpc"], total["spend"]) == (2, 0.25, 0.04, 0.08)
    assert total["engagement_rate"] == 0.25
    post = report(client, w.creator_h, "post", w.post["id"], day, day)
    assert (post["paid"]["clicks"], post["organic"]["clicks"], post["total"]["clicks"]) == (
        2, 0, 2)
    assert post_stats(client, w) == {"views": 9, "likes": 0, "comments": 0, "shares": 0}
