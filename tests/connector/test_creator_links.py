"""Step 5 of docs/connector.md: a creator who is not on sparkcodes answers a brand's code or
renewal request on an e-mailed, single-use, expiring link, with no login. The code goes straight
to tt_video/authorize on the brand's advertiser (a stand-in TikTok: a second sparkcodes server,
its own database, over real HTTP) and is never stored; "Done" re-reads TikTok and answers only
if the code's end moved."""

from __future__ import annotations

import re
import threading
from datetime import datetime, timedelta
from typing import Any

import httpx
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from sparkcodes import errors
from sparkcodes.connector.actions import TikTokActions
from sparkcodes.creator_link import service as link_service
from sparkcodes.kit.clock import utc_now
from sparkcodes.mail import service as mail_service
from sparkcodes.models import AuditEvent, EmailMessage, Notification, RosterEntry
from tests import factories as f
from tests.connector.test_bind_through import mirrored_account, standin_items
from tests.connector.test_connector import HTML, Admin, csrf_of, dump_everything
from tests.connector.test_sync import set_clocks, tracker
from tests.integration._http import assert_error
from tests.tiktok_world import Creator as TikTokCreator
from tests.tiktok_world import extend

LINK = re.compile(r"https?://[^/\s]+/answer/([0-9a-f]{40})")


def add_contact(client: TestClient, admin: Admin, handle: str,
                email: str = "maya@example.com") -> dict[str, Any]:
    return f._ok(client.post(f"/v1/businesses/{admin.business['id']}/roster",
                             headers=admin.headers,
                             json={"handle": handle, "email": email, "rate": "250",
                                   "currency": "EUR"}), 201)


def ask_code(client: TestClient, admin: Admin, entry_id: str, account_id: str,
             **extra: Any):  # type: ignore[no-untyped-def]
    return client.post(f"/v1/roster/{entry_id}/creator-links", headers=admin.headers,
                       json={"kind": "code", "ad_account_id": account_id,
                             "post_url": "https://www.tiktok.com/@maya/video/1", "days": 30,
                             "fee": "250", **extra})


def mailed_token(client: TestClient, to: str) -> str:
    """The link in the newest e-mail to ``to``, as the sender writes it (the outbox row holds
    only a placeholder: the token is derived when the e-mail is sent)."""
    with client.app.state.db.unit_of_work() as session:
        row = session.scalar(select(EmailMessage).where(EmailMessage.to_address == to)
                             .order_by(EmailMessage.created_at.desc()).limit(1))
        assert row is not None, f"no e-mail to {to}"
        assert "/answer/" in row.body and not LINK.search(row.body)
        settings = client.app.state.settings
        out = mail_service.pending(session, email_id=row.id, mail=settings.mail.model_copy(
            update={"host": "smtp.example.com"}), now=utc_now(), site="https://sparkcodes.test",
            secret_key=settings.secret_key)
    assert out is not None
    found = LINK.search(out.body)
    assert found, out.body
    return found.group(1)


def open_page(client: TestClient, token: str) -> tuple[TestClient, str, str]:
    """A browser with no account opens the link: (that browser, the page, its CSRF token)."""
    browser = TestClient(client.app, raise_server_exceptions=False)
    r = browser.get(f"/answer/{token}", headers=HTML)
    assert r.status_code == 200, r.text
    return browser, r.text, csrf_of(r.text)


def send(browser: TestClient, token: str, csrf: str, **form: str):  # type: ignore[no-untyped-def]
    return browser.post(f"/answer/{token}", data={"csrf_token": csrf, **form}, headers=HTML)


def test_a_creator_not_on_sparkcodes_pastes_a_code_on_the_emailed_link(client, standin, world):  # type: ignore[no-untyped-def]
    world, admin, _ = world
    account_id = mirrored_account(client, admin)
    maya = TikTokCreator(standin.client)
    post = maya.post(caption="Glow serum, honest review")
    handle = maya.creator["handle"]
    entry = add_contact(client, admin, "@" + handle)
    assert entry["creator"]["on_sparkcodes"] is False and entry["email"] == "maya@example.com"
    sent = f._ok(ask_code(client, admin, entry["id"], account_id), 201)
    assert sent["status"] == "open" and sent["fee"] == "250.00" and sent["currency"] == "EUR"
    assert "token" not in str(sent) and "/answer/" not in str(sent)
    token = mailed_token(client, "maya@example.com")
    # The page needs no login: the brand, the post, the period, the fee and the steps.
    browser, page, csrf = open_page(client, token)
    for words in ("Glow asks for a Spark code", "@" + handle,
                  "https://www.tiktok.com/@maya/video/1", "30 days", "250.00 EUR",
                  "“Ad settings”", "Generate code", "Send the code"):
        assert words in page, words
    # A mistyped code is refused in plain words and the link stays open.
    r = send(browser, token, csrf, code="SPARK-ZZZZ-ZZZZ-ZZZZ-ZZZZ")
    assert r.status_code == 404 and "TikTok does not recognize this code" in r.text, r.text
    # The real code goes straight to TikTok: the stand-in holds it, our tracker shows the post.
    code = maya.code(post, 30)["code"]
    r = send(browser, token, csrf, code=code)
    assert r.status_code == 200, r.text
    assert "Done: your code is with Glow on TikTok" in r.text
    assert str(post["id"]) in standin_items(standin, world)
    row = next(i for i in tracker(client, admin) if i["post"]["caption"] ==
               "Glow serum, honest review")
    assert row["status"] == "AUTHORIZED" and row["creator"]["handle"] == handle
    links = f._ok(client.get(f"/v1/businesses/{admin.business['id']}/creator-links",
                             headers=admin.headers))
    assert links[0]["status"] == "answered" and links[0]["tries"] == 2
    assert links[0]["result_spark_post_id"] == row["spark_post_id"]
    assert links[0]["last_refusal"] == "code_not_found"
    # The roster entry now follows the creator TikTok names, so it counts the code held.
    roster = f._ok(client.get(f"/v1/businesses/{admin.business['id']}/roster",
                              headers=admin.headers))["items"]
    mine = next(e for e in roster if e["id"] == entry["id"])
    assert mine["codes"] == {"held": 1, "live": 1, "expired": 0}
    assert mine["email"] == "maya@example.com"
    # The brand is told, with the next step.
    with client.app.state.db.unit_of_work() as session:
        told = session.scalars(select(Notification).where(
            Notification.event_type == "creator_link.answered")).all()
        assert [n.title for n in told] == [f"@{handle} sent a code through your e-mailed link"]
        actions = session.scalars(select(AuditEvent.action).where(
            AuditEvent.target_id == links[0]["id"])).all()
        assert sorted(actions) == ["creator_link.answered", "creator_link.sent"]
    # Single use: the page says so, and a second code is refused.
    again = browser.get(f"/answer/{token}", headers=HTML)
    assert "Done: your code is with Glow" in again.text
    r = send(browser, token, csrf, code=code)
    assert r.status_code == 410 and "This link has been used already" in r.text
    # Neither the code nor the link's token is kept anywhere.
    dump = dump_everything(client)
    assert code not in dump and token not in dump


def test_a_renewal_done_is_answered_only_once_tiktok_shows_the_new_end(client, standin, world):  # type: ignore[no-untyped-def]
    world, admin, _ = world
    creator, code = world.creators[0], world.codes[0]
    # The creator TikTok already names in the brand's advertiser: the roster finds it by handle.
    entry = add_contact(client, admin, creator.creator["handle"], email="ana@example.com")
    item = next(i for i in tracker(client, admin)
                if i["creator"]["handle"] == creator.creator["handle"])
    assert entry["creator"]["id"] == item["creator"]["id"]
    # The roster card offers the codes of this creator held on TikTok, to ask by e-mail.
    page = admin.browser.get(f"/businesses/{admin.business['id']}/roster", headers=HTML).text
    offered = re.search(rf'<select id="extend-{entry["id"]}-spark_post".*?</select>', page, re.S)
    assert offered is not None, "no code to ask to extend on the roster card"
    options = re.findall(r'<option value="([0-9a-f]+)"', offered.group(0))
    held = [i["spark_post_id"] for i in tracker(client, admin)
            if i["creator"]["id"] == item["creator"]["id"] and i["authorization_id"]]
    assert options == held and item["spark_post_id"] in options
    end = datetime.fromisoformat(item["window_end"].replace("Z", "+00:00"))
    assert f" in {item['ad_account']['name']}, ends {end:%b %-d, %Y}</option>" in offered.group(0)
    r = client.post(f"/v1/roster/{entry['id']}/creator-links", headers=admin.headers,
                    json={"kind": "renewal", "spark_post_id": item["spark_post_id"],
                          "days": 30, "message": "The campaign runs through July."})
    sent = f._ok(r, 201)
    assert sent["end_before"] is not None and sent["spark_post_id"] == item["spark_post_id"]
    token = mailed_token(client, "ana@example.com")
    browser, page, csrf = open_page(client, token)
    for words in ("Glow asks you to extend a Spark code", "30 more days", "“Extend”",
                  "The campaign runs through July.", "Done: I extended it"):
        assert words in page, words
    # "Done" before extending: TikTok still shows the old end, so nothing is answered.
    r = send(browser, token, csrf)
    assert r.status_code == 409 and "TikTok still shows this code ending on" in r.text
    extend(standin.client, creator.headers, code["id"], 30)
    r = send(browser, token, csrf)
    assert r.status_code == 200 and "Done: TikTok shows your code ending on" in r.text, r.text
    links = f._ok(client.get(f"/v1/businesses/{admin.business['id']}/creator-links",
                             headers=admin.headers))
    assert links[0]["status"] == "answered" and links[0]["end_after"] > links[0]["end_before"]
    after = next(i for i in tracker(client, admin) if i["spark_post_id"] == item["spark_post_id"])
    assert after["window_end"] == links[0]["end_after"]
    # Where the code's end is shown, a code that lives on TikTok is asked for by e-mail.
    page = admin.browser.get(f"/businesses/{admin.business['id']}/tracker", headers=HTML).text
    assert "This code lives on TikTok: " in page
    assert f'<a href="/businesses/{admin.business["id"]}/roster">ask the creator by e-mail' in page


def test_links_refuse_what_they_cannot_do(client, standin, world):  # type: ignore[no-untyped-def]
    world, admin, _ = world
    account_id = mirrored_account(client, admin)
    base = f"/v1/businesses/{admin.business['id']}/roster"
    # Unknown creators need an e-mail; a bad e-mail is refused.
    assert_error(client.post(base, headers=admin.headers, json={"handle": "nobody.here"}),
                 404, "creator_not_found", "give their e-mail too")
    assert_error(client.post(base, headers=admin.headers,
                             json={"handle": "nobody.here", "email": "no\nbody@example.com"}),
                 422, "invalid_email", "does not look like an e-mail address")
    # A creator on sparkcodes is asked in the app.
    native_headers = f.user(client)
    native = f.creator(client, native_headers)
    on_app = f._ok(client.post(base, headers=admin.headers,
                               json={"handle": native["handle"], "email": "n@example.com"}), 201)
    assert on_app["creator"]["on_sparkcodes"] is True
    assert_error(ask_code(client, admin, on_app["id"], account_id), 409,
                 "creator_on_sparkcodes", "is on sparkcodes: ask them in the app")
    # A contact without e-mail, then with one: a native ad account, a bad period, a second ask.
    contact = f._ok(client.post(base, headers=admin.headers,
                                json={"handle": "lena.outside", "email": "lena@example.com"}),
                    201)
    f._ok(client.patch(f"/v1/roster/{contact['id']}", headers=admin.headers,
                       json={"email": ""}))
    assert_error(ask_code(client, admin, contact["id"], account_id), 422,
                 "creator_email_required", "e-mail to the roster entry first")
    f._ok(client.patch(f"/v1/roster/{contact['id']}", headers=admin.headers,
                       json={"email": "Lena@Example.com "}))
    native_account = f.ad_account(client, admin.headers, admin.business["id"])
    assert_error(ask_code(client, admin, contact["id"], native_account["id"]), 422,
                 "link_needs_tiktok_account", "works with an ad account linked from TikTok")
    assert_error(ask_code(client, admin, contact["id"], account_id, days=45), 422,
                 "invalid_period", "45 is not one of them")
    assert_error(ask_code(client, admin, contact["id"], account_id, post_url="x" * 301), 422,
                 "validation_error", "post_url")
    first = f._ok(ask_code(client, admin, contact["id"], account_id), 201)
    assert first["email"] == "lena@example.com"
    assert_error(ask_code(client, admin, contact["id"], account_id), 409,
                 "creator_link_pending", "already has an open link for a code")
    # A renewal must name a Spark post of that creator.
    item = tracker(client, admin)[0]
    assert_error(client.post(f"/v1/roster/{contact['id']}/creator-links", headers=admin.headers,
                             json={"kind": "renewal", "days": 30}),
                 422, "spark_post_required", "Name the Spark post")
    assert_error(client.post(f"/v1/roster/{contact['id']}/creator-links", headers=admin.headers,
                             json={"kind": "renewal", "days": 30,
                                   "spark_post_id": item["spark_post_id"]}),
                 422, "spark_post_not_theirs", "not @lena.outside's")
    # Withdrawn: the link stops working; unknown and expired links say so.
    token = mailed_token(client, "lena@example.com")
    browser, _, csrf = open_page(client, token)
    gone = f._ok(client.delete(f"/v1/creator-links/{first['id']}", headers=admin.headers))
    assert gone["status"] == "cancelled"
    r = send(browser, token, csrf, code="SPARK-ZZZZ-ZZZZ-ZZZZ-ZZZZ")
    assert r.status_code == 410 and "Glow withdrew this request" in r.text
    assert "withdrew this request" in browser.get(f"/answer/{token}", headers=HTML).text
    r = browser.get("/answer/" + "0" * 40, headers=HTML)
    assert r.status_code == 404 and "This link is not valid" in r.text
    second = f._ok(ask_code(client, admin, contact["id"], account_id), 201)
    token = mailed_token(client, "lena@example.com")
    browser, _, csrf = open_page(client, token)
    set_clocks(client, standin, admin, utc_now() + timedelta(days=15))
    r = send(browser, token, csrf, code="SPARK-ZZZZ-ZZZZ-ZZZZ-ZZZZ")
    assert r.status_code == 410 and "This link expired on" in r.text
    listed = f._ok(client.get(f"/v1/businesses/{admin.business['id']}/creator-links",
                              headers=admin.headers))
    assert {x["id"]: x["status"] for x in listed} == {first["id"]: "cancelled",
                                                      second["id"]: "expired"}
    # Another business never sees or withdraws them, nor names its objects in a request.
    other = Admin(client)
    theirs = f.emailed_request(client, other.headers, other.business["id"])
    assert_error(ask_code(client, admin, contact["id"], theirs["tiktok_account_id"]), 404,
                 "not_found", "No such ad account")
    other_account = f.ad_account(client, other.headers, other.business["id"])
    other_code = TikTokCreator(client)
    bound = f._ok(f.bind(client, other.headers, other_account["id"],
                         [other_code.code(other_code.post())["code"]]))
    assert_error(client.post(f"/v1/roster/{contact['id']}/creator-links", headers=admin.headers,
                             json={"kind": "renewal", "days": 30,
                                   "spark_post_id": bound["results"][0]["spark_post"]["id"]}),
                 404, "not_found", "No such Spark post")
    assert_error(client.delete(f"/v1/creator-links/{second['id']}", headers=other.headers),
                 404, "not_found", "No such e-mailed request")


def test_two_answers_sent_at_once_reach_tiktok_once(client, standin, world):  # type: ignore[no-untyped-def]
    world, admin, _ = world
    account_id = mirrored_account(client, admin)
    maya = TikTokCreator(standin.client)
    posts = [maya.post(caption=f"Take {i}") for i in range(2)]
    entry = add_contact(client, admin, maya.creator["handle"], email="race@example.com")
    f._ok(ask_code(client, admin, entry["id"], account_id), 201)
    token = mailed_token(client, "race@example.com")
    codes = [maya.code(p, 30)["code"] for p in posts]
    pages = [open_page(client, token) for _ in codes]
    barrier = threading.Barrier(2)
    answers: list[Any] = [None, None]

    def answer(i: int) -> None:
        browser, _, csrf = pages[i]
        barrier.wait()
        answers[i] = send(browser, token, csrf, code=codes[i])

    threads = [threading.Thread(target=answer, args=(i,)) for i in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    statuses = sorted(r.status_code for r in answers)
    assert statuses in ([200, 409], [200, 410]), [r.text[:300] for r in answers]
    loser = next(r for r in answers if r.status_code != 200)
    assert ("being checked right now" in loser.text
            or "This link has been used already" in loser.text)
    bound = {str(p["id"]) for p in posts} & standin_items(standin, world)
    assert len(bound) == 1
    with client.app.state.db.unit_of_work() as session:
        entry_row = session.get(RosterEntry, entry["id"])
        assert entry_row is not None and entry_row.email == "race@example.com"


def test_done_says_when_tiktok_cannot_be_asked_and_each_answer_fits_its_kind(client, standin,  # type: ignore[no-untyped-def]
                                                                             world):
    world, admin, _ = world
    creator = world.creators[0]
    entry = add_contact(client, admin, creator.creator["handle"], email="kim@example.com")
    item = tracker(client, admin)[0]
    f._ok(client.post(f"/v1/roster/{entry['id']}/creator-links", headers=admin.headers,
                      json={"kind": "renewal", "spark_post_id": item["spark_post_id"],
                            "days": 30}), 201)
    token = mailed_token(client, "kim@example.com")
    settings = client.app.state.settings

    def unreachable(request: httpx.Request) -> httpx.Response:
        raise httpx.ConnectError("TikTok is down", request=request)

    down = TikTokActions(client.app.state.db, transport=httpx.MockTransport(unreachable))
    with client.app.state.db.unit_of_work() as session:
        view = link_service.by_token(session, settings=settings, token=token)
        with pytest.raises(errors.AppError) as caught:
            link_service.answer_done(session, settings=settings, actions=down, view=view)
        assert caught.value.code == "tiktok_check_deferred"
        assert caught.value.message.startswith("TikTok could not be asked just now")
        view = link_service.by_token(session, settings=settings, token=token)
        assert view.link.busy_until is None and view.link.attempts == 1
        with pytest.raises(errors.AppError) as caught:
            link_service.answer_with_code(session, settings=settings, actions=down, view=view,
                                          code="SPARK-ZZZZ-ZZZZ-ZZZZ-ZZZZ", original_code=None)
        assert caught.value.code == "invalid_link_kind"
        assert caught.value.message == "This link asks you to extend a code, not for a new one."
    # The brand cannot withdraw what was answered.
    extend(standin.client, creator.headers, world.codes[0]["id"], 30)
    browser, _, csrf = open_page(client, token)
    assert send(browser, token, csrf).status_code == 200
    links = f._ok(client.get(f"/v1/businesses/{admin.business['id']}/creator-links",
                             headers=admin.headers))
    assert_error(client.delete(f"/v1/creator-links/{links[0]['id']}", headers=admin.headers),
                 409, "creator_link_answered", "already answered this link")
