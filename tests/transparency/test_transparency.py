"""Creator transparency (R29): per code, who uses it, its ads (live ones since when), the paid
engagement on the post, and reporting misuse to the business using it."""

from __future__ import annotations

import pytest

from tests import factories as f
from tests.integration._http import assert_error, live_ad, pause, ts


def usage(client, headers, authorization_id: str):  # type: ignore[no-untyped-def]
    return client.get(f"/v1/authorizations/{authorization_id}/usage", headers=headers)


def report(client, headers, authorization_id: str, reason: str = "They run it past our deal."):  # type: ignore[no-untyped-def]
    return client.post(f"/v1/authorizations/{authorization_id}/report-misuse", headers=headers,
                       json={"reason": reason})


def engage(client, headers, post_id: str, ad_id: str | None, **counts: int) -> None:  # type: ignore[no-untyped-def]
    batch = [f.event(post_id, kind, ad_id=ad_id) for kind, n in counts.items() for _ in range(n)]
    r = f.events(client, headers, batch)
    assert r.status_code == 200 and r.json()["accepted"] == len(batch), r.text


ZERO = {"impressions": 0, "likes": 0, "comments": 0, "shares": 0, "follows": 0,
        "profile_visits": 0}


@pytest.fixture
def run(client):  # type: ignore[no-untyped-def]
    return f.Running(client)


def test_an_unused_code(client):
    w = f.World(client)
    r = usage(client, w.creator_h, w.code["id"])
    assert r.status_code == 200, r.text
    u = r.json()
    assert u["status"] == "NOT_USED" and u["used_by"] is None and u["live_ads"] == 0
    assert u["ads"] == [] and u["paid"] == ZERO and u["post_paid"] == ZERO
    assert u["code_hint"] == w.code["code_hint"] and w.code["code"] not in r.text
    assert_error(report(client, w.creator_h, w.code["id"]), 409, "code_not_in_use",
                 "nobody uses this code yet")


def test_who_uses_the_code_its_live_ads_and_the_paid_engagement(client, run):
    c = client
    second = live_ad(c, run.brand_h, run.account["id"], run.spark_post_id, name="Second cut")
    engage(c, run.brand_h, run.post["id"], run.ad["id"], impression=5, like=3, comment=2,
           share=1, follow=1)
    engage(c, run.brand_h, run.post["id"], second["id"], like=1)
    engage(c, run.creator_h, run.post["id"], None, like=7, impression=20)  # organic: not paid
    pause(c, run.brand_h, second["id"])
    # Another brand runs the same post on another code: the post's paid engagement counts it,
    # this code's does not.
    other_h = f.user(c)
    other_biz = f.business(c, other_h, name="Other Brand")
    other_acc = f.ad_account(c, other_h, other_biz["id"])
    other_code = f.code(c, run.creator_h, run.post["id"])
    other_sp = f.spark_post_id(c, other_h, other_acc["id"], other_code["code"])
    other_ad = live_ad(c, other_h, other_acc["id"], other_sp, name="Elsewhere")
    engage(c, other_h, run.post["id"], other_ad["id"], like=10, share=4)

    r = usage(c, run.creator_h, run.code["id"])
    assert r.status_code == 200, r.text
    u = r.json()
    assert u["status"] == "IN_USE"
    assert u["used_by"]["business"] == {"id": run.business["id"], "name": run.business["name"]}
    assert u["used_by"]["ad_account"]["id"] == run.account["id"]
    spark = c.get(f"/v1/ad-accounts/{run.account['id']}/spark-posts/{run.spark_post_id}",
                  headers=run.brand_h).json()
    assert ts(u["used_by"]["since"]) == ts(spark["bound_at"])
    assert u["live_ads"] == 1
    live, paused = u["ads"]
    assert (live["id"], live["name"], live["delivering"]) == (run.ad["id"], run.ad["name"], True)
    assert ts(live["live_since"]) == ts(run.get_ad()["created_at"])
    assert (paused["id"], paused["delivering"], paused["reasons"]) == (second["id"], False,
                                                                       ["PAUSED"])
    assert paused["live_since"] is None
    assert u["paid"] == {**ZERO, "impressions": 5, "likes": 4, "comments": 2, "shares": 1,
                         "follows": 1}
    assert u["post_paid"] == {**ZERO, "impressions": 5, "likes": 14, "comments": 2, "shares": 5,
                              "follows": 1}
    assert run.code["code"] not in r.text
    theirs = usage(c, run.creator_h, other_code["id"]).json()
    assert theirs["used_by"]["business"]["name"] == "Other Brand"
    assert [a["name"] for a in theirs["ads"]] == ["Elsewhere"]
    assert theirs["paid"]["likes"] == 10


def test_the_creator_reports_misuse_and_the_business_is_told(client, run):
    assert_error(report(client, run.creator_h, run.code["id"], "   "), 422, "reason_required",
                 "describe the misuse")
    r = report(client, run.creator_h, run.code["id"], "The ad runs on a product I never agreed to.")
    assert r.status_code == 201, r.text
    filed = r.json()
    assert filed["business"]["id"] == run.business["id"]
    assert filed["reason"] == "The ad runs on a product I never agreed to."
    told = client.get("/v1/notifications", headers=run.brand_h).json()["items"][0]
    assert told["event_type"] == "misuse.reported"
    assert "never agreed to" in told["body"] and run.creator["handle"] in told["title"]
    assert told["data"]["authorization_id"] == run.code["id"]
    code_history = client.get(f"/v1/authorizations/{run.code['id']}/history",
                              headers=run.creator_h).json()
    assert code_history[-1]["action"] == "misuse.reported"
    business_history = client.get(f"/v1/businesses/{run.business['id']}/history",
                                  headers=run.brand_h).json()
    assert business_history[0]["action"] == "misuse.reported"
    listed = usage(client, run.creator_h, run.code["id"]).json()["misuse_reports"]
    assert [x["id"] for x in listed] == [filed["id"]]
    # Reporting does not stop anything by itself.
    assert run.get_ad()["delivery"]["status"] == "DELIVERING"


def test_access(client, run):
    stranger = f.user(client)
    for r in (usage(client, stranger, run.code["id"]), report(client, stranger, run.code["id"]),
              usage(client, stranger, "a" * 32), report(client, stranger, "a" * 32)):
        assert_error(r, 404, "not_found", "no such authorization")
    # The business using the code is not its owner.
    assert_error(usage(client, run.brand_h, run.code["id"]), 404, "not_found",
                 "no such authorization")
    assert_error(report(client, run.brand_h, run.code["id"]), 404, "not_found",
                 "no such authorization")
    other_h = f.user(client)
    other = f.creator(client, other_h)
    other_code = f.code(client, other_h, f.post(client, other_h, other["id"])["id"])
    assert usage(client, other_h, other_code["id"]).status_code == 200
    assert_error(usage(client, other_h, run.code["id"]), 404, "not_found",
                 "no such authorization")
    assert_error(report(client, other_h, run.code["id"]), 404, "not_found",
                 "no such authorization")
    told = client.get("/v1/notifications", headers=run.brand_h).json()["items"]
    assert all(n["event_type"] != "misuse.reported" for n in told)
