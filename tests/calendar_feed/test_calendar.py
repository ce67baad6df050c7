"""Calendar feeds (R28): a secret, revocable iCalendar URL per business and per creator, parsed
back with icalendar: one event per shown code with a stable UID, alarms at the reminder offsets,
an extension moving the same event, and nobody else's codes."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any
from urllib.parse import urlsplit

import pytest
from icalendar import Calendar
from sqlalchemy import text

from tests import factories as f


def assert_error(response, status: int, code: str) -> None:  # type: ignore[no-untyped-def]
    assert response.status_code == status, (response.status_code, response.text)
    assert response.json()["error"]["code"] == code, response.text


def ts(value: str) -> datetime:
    """An API instant at iCalendar's precision (whole seconds, rounded down)."""
    return datetime.fromisoformat(value).replace(microsecond=0)


def new_feed(client, headers, owner: str, owner_id: str) -> dict[str, Any]:  # type: ignore[no-untyped-def]
    return f._ok(client.post(f"/v1/{owner}/{owner_id}/calendar-feeds", headers=headers), 201)


def fetch(client, url: str):  # type: ignore[no-untyped-def]
    """GET the feed as a calendar app would: no bearer token."""
    return client.get(urlsplit(url).path)


def events(client, url: str) -> dict[str, Any]:  # type: ignore[no-untyped-def]
    r = fetch(client, url)
    assert r.status_code == 200, r.text
    assert r.headers["content-type"].startswith("text/calendar")
    cal = Calendar.from_ical(r.content)
    assert cal["VERSION"] == "2.0" and "sparkcodes" in str(cal["PRODID"])
    out = {}
    for ev in cal.walk("VEVENT"):
        uid = str(ev["UID"])
        assert uid not in out, f"duplicate UID {uid}"
        out[uid] = ev
    return out


def end_of(ev) -> datetime:  # type: ignore[no-untyped-def]
    return ev.decoded("DTEND")


def alarms(ev) -> list[tuple[timedelta, str]]:  # type: ignore[no-untyped-def]
    return [(a.decoded("TRIGGER"), a["TRIGGER"].params.get("RELATED", "START"))
            for a in ev.walk("VALARM")]


class Scene:
    """A creator with three codes: one bound to the brand's account with a live ad, one bound to
    the brand's second account, one not bound. Another brand holds a code of another creator."""

    def __init__(self, client) -> None:  # type: ignore[no-untyped-def]
        self.client = client
        self.w = f.Running(client)
        self.creator_h, self.brand_h = self.w.creator_h, self.w.brand_h
        self.handle = self.w.creator["handle"]
        self.code = self.w.code  # bound to account, one live ad
        self.post2 = f.post(client, self.creator_h, self.w.creator["id"],
                            caption="Second look at the spring line")
        self.code2 = f.code(client, self.creator_h, self.post2["id"], days=7)
        f.spark_post_id(client, self.brand_h, self.w.account2["id"], self.code2["code"])
        self.spare = f.code(client, self.creator_h, self.post2["id"], days=60)  # not bound
        self.other = f.World(client)
        f.spark_post_id(client, self.other.brand_h, self.other.account["id"],
                        self.other.code["code"])

    def business_feed(self) -> dict[str, Any]:
        return new_feed(self.client, self.brand_h, "businesses", self.w.business["id"])

    def creator_feed(self) -> dict[str, Any]:
        return new_feed(self.client, self.creator_h, "creators", self.w.creator["id"])


@pytest.fixture
def scene(client) -> Scene:  # type: ignore[no-untyped-def]
    return Scene(client)


def uid(code: dict[str, Any]) -> str:
    return f"{code['id']}@sparkcodes"


def test_business_feed_has_one_event_per_bound_code(client, app, scene: Scene) -> None:  # type: ignore[no-untyped-def]
    feed = scene.business_feed()
    assert feed["scope"] == "business" and feed["active"] is True
    assert feed["url"].startswith("http://127.0.0.1:8000/v1/calendar/")
    assert feed["url"].endswith(".ics")
    evs = events(client, feed["url"])
    assert set(evs) == {uid(scene.code), uid(scene.code2)}  # the spare code is bound nowhere
    ev = evs[uid(scene.code)]
    assert end_of(ev) == ts(scene.code["expires_at"])
    assert ev.decoded("DTSTART") == end_of(ev) - timedelta(minutes=30)
    summary = str(ev["SUMMARY"])
    assert summary.startswith(f"Spark code ends: @{scene.handle} — Morning routine #ad")
    assert summary.endswith(f"({scene.w.account['name']})")
    description = str(ev["DESCRIPTION"])
    assert "Live ads: 1 (" in description
    assert scene.code["code_hint"] in description and scene.code["code"] not in description
    # The link opens the tracker page (signed in with the browser), filtered to this post.
    assert (f"http://127.0.0.1:8000/businesses/{scene.w.business['id']}/tracker?post_id="
            in description)
    assert str(ev["URL"]).startswith("http://127.0.0.1:8000/")
    assert int(ev["SEQUENCE"]) == 0 and ev.decoded("LAST-MODIFIED") is not None
    offsets = app.state.settings.reminders.offsets_hours
    assert offsets == [72, 24]
    assert alarms(ev) == [(-timedelta(hours=h), "END") for h in sorted(offsets, reverse=True)]
    for alarm in ev.walk("VALARM"):
        assert str(alarm["ACTION"]) == "DISPLAY" and "Spark code ends" in str(alarm["DESCRIPTION"])
    assert "Live ads: none." in str(evs[uid(scene.code2)]["DESCRIPTION"])


def test_an_extension_moves_the_same_event(client, scene: Scene) -> None:  # type: ignore[no-untyped-def]
    feed = scene.business_feed()
    before = events(client, feed["url"])[uid(scene.code)]
    f.advance(client, scene.brand_h, "PT1M")
    extended = f._ok(client.post(f"/v1/authorizations/{scene.code['id']}/extend",
                              headers=scene.creator_h, json={"days": 30}))
    assert ts(extended["expires_at"]) == ts(scene.code["expires_at"]) + timedelta(days=30)
    after = events(client, feed["url"])
    assert set(after) == {uid(scene.code), uid(scene.code2)}  # no second event
    ev = after[uid(scene.code)]
    assert end_of(ev) == ts(extended["expires_at"])
    assert int(ev["SEQUENCE"]) == int(before["SEQUENCE"]) + 1
    assert ev.decoded("LAST-MODIFIED") > before.decoded("LAST-MODIFIED")
    # The creator's feed moves the same way, with the same UID.
    cfeed = scene.creator_feed()
    assert end_of(events(client, cfeed["url"])[uid(scene.code)]) == ts(extended["expires_at"])


def test_ended_codes_stay_30_days_and_deleted_ones_go(client, scene: Scene) -> None:  # type: ignore[no-untyped-def]
    feed = scene.business_feed()
    f.advance(client, scene.brand_h, "P8D")  # the 7-day code has ended
    evs = events(client, feed["url"])
    assert str(evs[uid(scene.code2)]["SUMMARY"]).startswith("Spark code ended: ")
    assert str(evs[uid(scene.code)]["SUMMARY"]).startswith("Spark code ends: ")
    f.advance(client, scene.brand_h, "P30D")  # ended 31 days ago: gone; the 30-day one ended 8
    evs = events(client, feed["url"])
    assert set(evs) == {uid(scene.code)}
    assert str(evs[uid(scene.code)]["SUMMARY"]).startswith("Spark code ended: ")
    cfeed = scene.creator_feed()
    assert set(events(client, cfeed["url"])) == {uid(scene.code), uid(scene.spare)}
    f._ok(client.delete(f"/v1/authorizations/{scene.spare['id']}", headers=scene.creator_h))
    assert set(events(client, cfeed["url"])) == {uid(scene.code)}


def test_creator_feed_names_the_businesses_using_each_code(client, scene: Scene) -> None:  # type: ignore[no-untyped-def]
    feed = scene.creator_feed()
    assert feed["scope"] == "creator" and feed["creator_id"] == scene.w.creator["id"]
    evs = events(client, feed["url"])
    assert set(evs) == {uid(scene.code), uid(scene.code2), uid(scene.spare)}
    business = scene.w.business["name"]
    assert str(evs[uid(scene.code)]["SUMMARY"]).endswith(f"({business})")
    assert f"Used by {business}" in str(evs[uid(scene.code)]["DESCRIPTION"])
    assert "Live ads: 1" in str(evs[uid(scene.code)]["DESCRIPTION"])
    # The event opens the post's page at the code's card.
    assert str(evs[uid(scene.code)]["URL"]).endswith(
        f"/posts/{scene.code['post_id']}#code-{scene.code['id']}")
    assert str(evs[uid(scene.spare)]["SUMMARY"]).endswith("(not bound yet)")
    assert uid(scene.other.code) not in evs
    assert len(alarms(evs[uid(scene.spare)])) == 2


def test_another_business_codes_never_appear(client, scene: Scene) -> None:  # type: ignore[no-untyped-def]
    mine = events(client, scene.business_feed()["url"])
    theirs_feed = new_feed(client, scene.other.brand_h, "businesses",
                           scene.other.business["id"])
    theirs = events(client, theirs_feed["url"])
    assert set(theirs) == {uid(scene.other.code)}
    assert not set(mine) & set(theirs)
    # Creating a feed for a business you are not in, or a creator you do not own: 404.
    assert_error(client.post(f"/v1/businesses/{scene.w.business['id']}/calendar-feeds",
                             headers=scene.other.brand_h), 404, "not_found")
    assert_error(client.post(f"/v1/creators/{scene.w.creator['id']}/calendar-feeds",
                             headers=scene.other.creator_h), 404, "not_found")
    assert_error(client.get(f"/v1/businesses/{scene.w.business['id']}/calendar-feeds",
                            headers=scene.other.brand_h), 404, "not_found")


def test_revoked_or_unknown_feeds_are_404(client, app, scene: Scene) -> None:  # type: ignore[no-untyped-def]
    feed = scene.business_feed()
    second = scene.business_feed()
    assert fetch(client, feed["url"]).status_code == 200
    listed = f._ok(client.get(f"/v1/businesses/{scene.w.business['id']}/calendar-feeds",
                           headers=scene.brand_h))
    assert [x["id"] for x in listed] == [second["id"], feed["id"]]
    token = urlsplit(feed["url"]).path.rsplit("/", 1)[1].removesuffix(".ics")
    assert all("url" not in x for x in listed) and token not in str(listed)
    with app.state.db.engine.connect() as conn:  # only a keyed hash is stored
        stored = [r[0] for r in conn.execute(text("SELECT token_hash FROM calendar_feeds"))]
    assert token not in stored and len(stored) == 2
    revoked = f._ok(client.delete(f"/v1/calendar-feeds/{feed['id']}", headers=scene.brand_h))
    assert revoked["active"] is False and revoked["revoked_at"] is not None
    again = f._ok(client.delete(f"/v1/calendar-feeds/{feed['id']}", headers=scene.brand_h))
    assert again["revoked_at"] == revoked["revoked_at"]  # revoking twice is harmless
    assert_error(fetch(client, feed["url"]), 404, "not_found")
    assert fetch(client, second["url"]).status_code == 200  # the other one still works
    for path in ("/v1/calendar/nope.ics", f"/v1/calendar/{'x' * 200}.ics",
                 f"/v1/calendar/{token[:-1]}.ics"):
        assert_error(client.get(path), 404, "not_found")
    history = f._ok(client.get(f"/v1/businesses/{scene.w.business['id']}/history",
                            headers=scene.brand_h))
    actions = [e["action"] for e in history]
    assert actions.count("calendar_feed.created") == 2
    assert actions.count("calendar_feed.revoked") == 1


def test_who_may_revoke(client, scene: Scene) -> None:  # type: ignore[no-untyped-def]
    biz = scene.w.business["id"]
    email = f"analyst{next(f._seq)}@example.com"
    analyst = f.user(client, email=email)
    f._ok(client.put(f"/v1/businesses/{biz}/members", headers=scene.brand_h,
                  json={"email": email, "role": "analyst"}))
    admins_feed = scene.business_feed()
    analysts_feed = new_feed(client, analyst, "businesses", biz)  # any member may subscribe
    r = client.delete(f"/v1/calendar-feeds/{admins_feed['id']}", headers=analyst)
    assert_error(r, 403, "not_feed_owner")
    assert r.json()["error"]["message"] == ("Only the member who made this feed, or an admin, "
                                            "can revoke it.")
    assert_error(client.delete(f"/v1/calendar-feeds/{admins_feed['id']}",
                               headers=scene.other.brand_h), 404, "not_found")
    creators_feed = scene.creator_feed()
    assert_error(client.delete(f"/v1/calendar-feeds/{creators_feed['id']}",
                               headers=scene.brand_h), 404, "not_found")
    f._ok(client.delete(f"/v1/calendar-feeds/{creators_feed['id']}", headers=scene.creator_h))
    f._ok(client.delete(f"/v1/calendar-feeds/{analysts_feed['id']}", headers=scene.brand_h))
    assert_error(fetch(client, analysts_feed["url"]), 404, "not_found")


def test_a_feed_stops_when_its_maker_leaves_the_business(client, scene: Scene) -> None:  # type: ignore[no-untyped-def]
    biz = scene.w.business["id"]
    email = f"op{next(f._seq)}@example.com"
    operator = f.user(client, email=email)
    f._ok(client.put(f"/v1/businesses/{biz}/members", headers=scene.brand_h,
                  json={"email": email, "role": "operator"}))
    feed = new_feed(client, operator, "businesses", biz)
    assert fetch(client, feed["url"]).status_code == 200
    me = f._ok(client.get("/v1/me", headers=operator))
    r = client.delete(f"/v1/businesses/{biz}/members/{me['id']}", headers=scene.brand_h)
    assert r.status_code in (200, 204), r.text
    assert_error(fetch(client, feed["url"]), 404, "not_found")
