"""Step 4 of docs/connector.md: on an ad account mirrored from TikTok, a brand previews and binds
codes (on /v1 and the "paste codes and link" form) and unbinds posts exactly as on a native one,
and sparkcodes makes the change on TikTok (here a stand-in: a second sparkcodes server, its own
database, over real HTTP), then syncs so the tracker shows it at once."""

from __future__ import annotations

import logging
import threading
from datetime import timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from sparkcodes.connector import rules
from sparkcodes.kit.clock import utc_now
from sparkcodes.models import AdAccount, AuditEvent
from tests import factories as f
from tests.connector.test_connector import HTML, Admin, StandIn, csrf_of, dump_everything
from tests.connector.test_sync import OnTikTok, set_clocks, tracker
from tests.integration._http import assert_error
from tests.tiktok_world import Creator as TikTokCreator


def mirrored_account(client: TestClient, admin: Admin) -> str:
    with client.app.state.db.session() as session:
        account = session.scalar(select(AdAccount).where(
            AdAccount.source == "tiktok", AdAccount.business_id == admin.business["id"]))
        assert account is not None
        return account.id


def standin_items(standin: StandIn, world: OnTikTok) -> set[str]:
    """The items the stand-in lists as bound to the brand's advertiser."""
    c = standin.client
    rows = f._ok(c.get(f"/v1/ad-accounts/{world.brand.account['id']}/spark-posts",
                       headers=world.brand.headers))
    return {str(r["post"]["id"]) for r in rows}


class Codes:
    """On the stand-in: one code of each kind a bind meets."""

    def __init__(self, client: TestClient, standin: StandIn, admin: Admin,
                 world: OnTikTok) -> None:
        c = standin.client
        expiring = TikTokCreator(c)
        self.expired = expiring.code(expiring.post(caption="Old one"), 7)
        # Both clocks (they are this process's) eight days on: that code has ended.
        set_clocks(client, standin, admin, utc_now() + timedelta(days=8))
        self.creator = TikTokCreator(c)
        self.post = self.creator.post(caption="Night routine #ad")
        self.fresh = self.creator.code(self.post, 30)
        deleting = TikTokCreator(c)
        self.deleted = deleting.code(deleting.post(caption="Gone"), 30)
        f._ok(c.delete(f"/v1/authorizations/{self.deleted['id']}", headers=deleting.headers))
        taken = TikTokCreator(c)
        self.elsewhere = taken.code(taken.post(caption="Taken"), 30)
        other, _ = world.brand.another_account(c)
        assert f._ok(f.bind(c, world.brand.headers, other["id"],
                            [self.elsewhere["code"]]))["bound"] == 1
        self.unknown = "SPARK-ZZZZ-ZZZZ-ZZZZ-ZZZZ"

    def raw(self) -> list[str]:
        return [self.fresh["code"], self.expired["code"], self.deleted["code"],
                self.elsewhere["code"]]


def test_bind_through_tiktok_gives_each_code_its_result_and_tracks_the_post(client, standin,  # type: ignore[no-untyped-def]
                                                                             world, caplog):
    caplog.set_level(logging.DEBUG)
    world, admin, _ = world
    account_id = mirrored_account(client, admin)
    codes = Codes(client, standin, admin, world)
    r = f.bind(client, admin.headers, account_id, [*codes.raw(), codes.unknown])
    body = f._ok(r)
    assert (body["bound"], body["failed"]) == (1, 4), body
    ok, expired, deleted, elsewhere, unknown = body["results"]
    assert ok["ok"] and ok["created"] and ok["error"] is None
    assert ok["code_hint"] == "SPARK-" + codes.fresh["code"].split("-")[1] + "-…"
    sp = ok["spark_post"]
    assert sp["post"]["caption"] == "Night routine #ad" and sp["status"] == "AUTHORIZED"
    assert sp["creator"]["handle"] == codes.creator.creator["handle"]
    assert sp["ad_account_id"] == account_id
    want = {
        1: ("code_expired", "This code expired on "),
        2: ("code_deleted", "The creator cancelled this code in the TikTok app"),
        3: ("code_used_elsewhere", "TikTok says this code is not for this ad account"),
        4: ("code_not_found", "TikTok does not recognize this code"),
    }
    for item in (expired, deleted, elsewhere, unknown):
        code, words = want[item["index"]]
        assert not item["ok"] and item["spark_post"] is None
        assert item["error"]["code"] == code, item
        assert item["error"]["message"].startswith(words), item
    assert "ask the creator to extend it in the TikTok app" in expired["error"]["message"]
    # TikTok holds it now, and the tracker shows it at once (the bind synced the advertiser).
    assert str(codes.post["id"]) in standin_items(standin, world)
    captions = {row["post"]["caption"] for row in tracker(client, admin)}
    assert "Night routine #ad" in captions
    # The same code again: nothing changes, it is already here.
    again = f._ok(f.bind(client, admin.headers, account_id, [codes.fresh["code"]]))
    assert again["bound"] == 1 and not again["results"][0]["created"]
    assert again["results"][0]["spark_post"]["id"] == sp["id"]
    # No code kept raw: not in any row (audit rows, outbox and webhook rows included), nor in
    # the logs (tt_video/info's query string is masked), only its hint.
    dump = dump_everything(client)
    for raw in (*codes.raw(), codes.unknown):
        assert raw not in dump
        assert raw not in caplog.text
    assert "auth_code=***" in caplog.text
    with client.app.state.db.session() as session:
        [event] = session.scalars(select(AuditEvent).where(
            AuditEvent.action == "spark_post.bound_on_tiktok",
            AuditEvent.target_id == sp["id"])).all()
        assert event.details["after"]["code_hint"] == codes.fresh["code"].split("-")[1]


def test_two_binds_of_one_code_racing_leave_one_spark_post(client, standin, world):  # type: ignore[no-untyped-def]
    world, admin, _ = world
    account_id = mirrored_account(client, admin)
    codes = Codes(client, standin, admin, world)
    barrier = threading.Barrier(2)
    answers: list[dict[str, Any]] = []

    def bind() -> None:
        barrier.wait()
        answers.append(f._ok(f.bind(client, admin.headers, account_id, [codes.fresh["code"]])))

    threads = [threading.Thread(target=bind) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(answers) == 2
    for body in answers:
        [item] = body["results"]
        assert item["ok"], item  # TikTok applies the same code again as a no-op
    # One Spark post on TikTok, one in the mirror, whichever sync came first.
    assert str(codes.post["id"]) in standin_items(standin, world)
    assert [r["post"]["caption"] for r in tracker(client, admin)].count("Night routine #ad") == 1
    ids = {b["results"][0]["spark_post"]["id"] for b in answers
           if b["results"][0]["spark_post"]}
    assert len(ids) == 1


def test_preview_through_tiktok_shows_the_post_and_what_stops_it(client, standin, world):  # type: ignore[no-untyped-def]
    world, admin, _ = world
    account_id = mirrored_account(client, admin)
    codes = Codes(client, standin, admin, world)
    url = f"/v1/ad-accounts/{account_id}/spark-posts/preview"
    p = f._ok(client.post(url, headers=admin.headers, json={"code": codes.fresh["code"]}))
    assert p["eligible"] and p["problems"] == [] and not p["already_bound_here"]
    assert p["post"]["caption"] == "Night routine #ad"
    assert p["creator"]["handle"] == codes.creator.creator["handle"]
    assert p["window"]["days_left"] == 30
    p = f._ok(client.post(url, headers=admin.headers, json={"code": codes.expired["code"]}))
    assert not p["eligible"] and [m["code"] for m in p["problems"]] == ["code_expired"]
    r = client.post(url, headers=admin.headers, json={"code": codes.unknown})
    assert_error(r, 404, "code_not_found", "TikTok does not recognize this code")
    r = client.post(url, headers=admin.headers, json={"code": codes.elsewhere["code"]})
    assert_error(r, 409, "code_used_elsewhere", "not for this ad account")
    # A preview binds nothing.
    assert str(codes.post["id"]) not in standin_items(standin, world)
    # Already bound here: said so.
    [row] = tracker(client, admin)
    p = f._ok(client.post(url, headers=admin.headers, json={"code": world.codes[0]["code"]}))
    assert p["already_bound_here"] and p["post"]["id"] == row["post"]["id"]


def test_the_paste_codes_and_link_form_binds_through_tiktok(client, standin, world):  # type: ignore[no-untyped-def]
    world, admin, _ = world
    account_id = mirrored_account(client, admin)
    codes = Codes(client, standin, admin, world)
    page = f"/ad-accounts/{account_id}/spark-posts"
    token = csrf_of(admin.browser.get(f"/ad-accounts/{account_id}", headers=HTML).text)
    text = "\n".join([codes.fresh["code"], codes.expired["code"]])
    r = admin.browser.post(f"{page}/preview", data={"codes": text, "csrf_token": token},
                           headers=HTML)
    assert r.status_code == 200, r.text
    assert "1 ready to link" in r.text and "Night routine #ad" in r.text
    assert "This code expired on" in r.text
    r = admin.browser.post(page, data={"codes": text, "csrf_token": token}, headers=HTML)
    assert r.status_code == 200, r.text
    assert "1 linked" in r.text and "1 not linked" in r.text
    assert "Night routine #ad" in r.text and "ask the creator to extend it" in r.text
    assert str(codes.post["id"]) in standin_items(standin, world)
    assert "Night routine #ad" in {row["post"]["caption"] for row in tracker(client, admin)}


def test_unbind_through_tiktok(client, standin, world):  # type: ignore[no-untyped-def]
    world, admin, _ = world
    account_id = mirrored_account(client, admin)
    [row] = tracker(client, admin)
    r = client.delete(f"/v1/ad-accounts/{account_id}/spark-posts/{row['spark_post_id']}",
                      headers=admin.headers)
    out = f._ok(r)
    assert out["status"] == "UNBOUND" and out["unbound_at"]
    assert standin_items(standin, world) == set()
    assert tracker(client, admin) == []
    # Twice is harmless.
    r = client.delete(f"/v1/ad-accounts/{account_id}/spark-posts/{row['spark_post_id']}",
                      headers=admin.headers)
    assert f._ok(r)["status"] == "UNBOUND"


def test_a_connection_that_cannot_call_tiktok_refuses_in_words(client, standin, world):  # type: ignore[no-untyped-def]
    world, admin, made = world
    account_id = mirrored_account(client, admin)
    assert client.delete(f"{admin.base}/{made['id']}", headers=admin.headers).status_code == 204
    r = f.bind(client, admin.headers, account_id, [world.codes[0]["code"]])
    assert_error(r, 409, "connection_not_usable", "reconnect it")


@pytest.mark.parametrize(("kind", "code", "message", "want", "status"), [
    ("refused", 40002, "Post code is incorrect. No Spark code matches.", "code_not_found", 404),
    ("gone", 40001, "This code is already used by another ad account.", "code_used_elsewhere",
     409),
    ("gone", 40007, "Not found.", "post_unavailable", 410),
    ("refused", 40002, "auth code invalid for this region", "tiktok_code_refused", 409),
    ("refused", 40000, "", "tiktok_code_refused", 409),
    ("revoked", 40105, "Access token is incorrect or has been revoked.",
     "tiktok_token_refused", 422),
    ("retry", 40100, "QPS limit", "tiktok_throttled", 503),
    ("budget", None, "", "tiktok_throttled", 503),
    ("unreachable", None, "TikTok did not answer in time.", "tiktok_unreachable", 502),
])
def test_tiktoks_refusals_in_sparkcodes_words(kind: str, code: int | None, message: str,
                                              want: str, status: int) -> None:
    error = rules.code_refusal(kind, code, message)
    assert (error.code, error.status) == (want, status)
    assert error.message and error.message[0].isupper() and error.message.endswith((".", ")"))
    if want == "tiktok_code_refused" and message:
        assert message in error.message
