"""Each user chooses which alerts reach them by e-mail (the in-app notification still appears),
and alerts link to their subject and the one next step, in the words of the person reading it."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest
from fastapi.testclient import TestClient

from sparkcodes.config import Mail
from sparkcodes.mail import service as mail_service
from sparkcodes.models import EmailMessage
from sparkcodes.notification import service as notification
from sparkcodes.worker.runner import Runner
from tests import factories as f
from tests.integration._http import parallel
from tests.integration.test_pages_access import HTML, page_login

CREATOR, BRAND = "maya.creator@example.com", "glow.brand@example.com"
UNKNOWN = "That is not an alert sparkcodes sends to people: choose among the listed kinds."


class Cast:
    def __init__(self, client: TestClient) -> None:
        self.creator_h = f.user(client, email=CREATOR)
        self.creator = f.creator(client, self.creator_h, handle="maya")
        self.post = f.post(client, self.creator_h, self.creator["id"], caption="Glow serum")
        self.code = f.code(client, self.creator_h, self.post["id"])
        self.brand_h = f.user(client, email=BRAND)
        self.business = f.business(client, self.brand_h, name="Glow Skincare")
        self.account = f.ad_account(client, self.brand_h, self.business["id"], name="Glow US")
        r = f.bind(client, self.brand_h, self.account["id"], [self.code["code"]])
        assert r.json()["bound"] == 1, r.text


@pytest.fixture
def cast(client):  # type: ignore[no-untyped-def]
    return Cast(client)


def _remind(client, app, cast: Cast, hours_before: float = 72 - 0.01) -> None:  # type: ignore[no-untyped-def]
    end = datetime.fromisoformat(client.get(f"/v1/authorizations/{cast.code['id']}",
                                            headers=cast.creator_h).json()["expires_at"])
    r = client.post("/v1/sandbox/clock", headers=cast.creator_h,
                    json={"set": (end - timedelta(hours=hours_before)).isoformat()})
    assert r.status_code == 200, r.text
    Runner(app.state.db, app.state.settings, worker_id="test").tick()


def _mails(app, to: str) -> list[EmailMessage]:  # type: ignore[no-untyped-def]
    with app.state.db.unit_of_work(write=False) as s:
        rows = s.query(EmailMessage).filter(EmailMessage.to_address == to).all()
        s.expunge_all()
        return rows


def _notes(client, headers) -> list[dict]:  # type: ignore[no-untyped-def,type-arg]
    return client.get("/v1/notifications", headers=headers).json()["items"]


def _choose(client, token: str, kinds: list[str]):  # type: ignore[no-untyped-def]
    return client.post("/notifications/email", headers=HTML, follow_redirects=False,
                       data={"csrf_token": token, "email": kinds})


def test_each_reader_gets_their_own_words_and_links_in_app_and_by_email(client, app, cast):  # type: ignore[no-untyped-def]
    _remind(client, app, cast)
    mine = _notes(client, cast.creator_h)[0]
    assert mine["event_type"] == "authorization.expiring"
    assert mine["title"] == "Extend your code: it ends in 72 h"
    assert "@maya" not in mine["title"] + mine["body"] and "Ask " not in mine["body"]
    theirs = _notes(client, cast.brand_h)[0]
    assert theirs["title"] == "Ask @maya to extend: code ends in 72 h"

    [to_creator] = _mails(app, CREATOR)
    assert to_creator.subject == mine["title"]
    code_page = f"/posts/{cast.post['id']}#code-{cast.code['id']}"
    assert f"Extend your code: {mail_service.SITE}{code_page}" in to_creator.body
    assert "Ask @maya" not in to_creator.body
    [to_brand] = _mails(app, BRAND)
    ask = f"/ad-accounts/{cast.account['id']}#ask-{cast.code['id']}"
    assert f"Ask @maya to extend: {mail_service.SITE}{ask}" in to_brand.body
    assert f"{mail_service.SITE}/notifications/email" in to_brand.body

    # The sender writes the site's address into the links.
    with app.state.db.unit_of_work() as s:
        out = mail_service.pending(s, email_id=to_creator.id, mail=Mail(host="127.0.0.1"),
                                   now=datetime.now().astimezone(),
                                   site="https://sparkcodes.example/")
    assert out is not None and mail_service.SITE not in out.body
    assert f"https://sparkcodes.example{code_page}" in out.body


def test_an_opted_out_kind_is_not_emailed_but_still_appears(client, app, cast):  # type: ignore[no-untyped-def]
    token = page_login(client, CREATOR)
    kept = [k.name for k in notification.choosable_kinds() if k.name != "authorization.expiring"]
    r = _choose(client, token, kept)
    assert r.status_code == 303 and r.headers["location"] == "/notifications/email?saved=1"
    _remind(client, app, cast)
    assert [n["event_type"] for n in _notes(client, cast.creator_h)] == ["authorization.expiring"]
    assert _mails(app, CREATOR) == []
    assert len(_mails(app, BRAND)) == 1  # the brand chose nothing: it gets every e-mail
    # The other kinds still reach her by e-mail.
    _remind(client, app, cast, hours_before=-0.01)
    assert [m.subject for m in _mails(app, CREATOR)] == [
        "Your code expired; no ads were running on it"]


def test_the_choices_page_saves_and_shows_them(client, cast):  # type: ignore[no-untyped-def]
    token = page_login(client, BRAND)
    page = client.get("/notifications/email", headers=HTML).text
    kinds = [k.name for k in notification.choosable_kinds()]
    assert page.count('type="checkbox"') == len(kinds) and page.count(" checked") == len(kinds)
    assert 'value="webhook.test"' not in page  # never told to a person
    assert _choose(client, token, ["authorization.expired"]).status_code == 303
    page = client.get("/notifications/email?saved=1", headers=HTML).text
    assert "Saved: only the ticked alerts reach you by e-mail." in page
    assert page.count(" checked") == 1
    assert 'value="authorization.expired" checked' in page
    # Unticking everything is a choice too; ticking again restores.
    assert _choose(client, token, []).status_code == 303
    assert client.get("/notifications/email", headers=HTML).text.count(" checked") == 0
    assert _choose(client, token, kinds).status_code == 303
    assert client.get("/notifications/email", headers=HTML).text.count(" checked") == len(kinds)


def test_an_unknown_kind_is_refused_and_nothing_changes(client, cast):  # type: ignore[no-untyped-def]
    token = page_login(client, BRAND)
    r = _choose(client, token, ["post.edited", "no.such.alert"])
    assert r.status_code == 422
    assert UNKNOWN in r.text
    page = client.get("/notifications/email", headers=HTML).text
    assert page.count(" checked") == len(notification.choosable_kinds())


def test_saving_choices_needs_the_forms_token(client, cast):  # type: ignore[no-untyped-def]
    page_login(client, BRAND)
    r = client.post("/notifications/email", headers=HTML, follow_redirects=False,
                    data={"csrf_token": "forged", "email": ["post.edited"]})
    assert r.status_code == 403
    assert "This form has expired or did not come from sparkcodes" in r.text
    page = client.get("/notifications/email", headers=HTML).text
    assert page.count(" checked") == len(notification.choosable_kinds())


def test_choices_are_each_users_own(client, cast):  # type: ignore[no-untyped-def]
    token = page_login(client, BRAND)
    assert _choose(client, token, []).status_code == 303
    client.cookies.clear()
    page_login(client, CREATOR)
    page = client.get("/notifications/email", headers=HTML).text
    assert page.count(" checked") == len(notification.choosable_kinds())


def test_the_alerts_page_links_the_subject_and_the_next_step(client, app, cast):  # type: ignore[no-untyped-def]
    _remind(client, app, cast)
    page_login(client, CREATOR)
    page = client.get("/notifications", headers=HTML).text
    code_page = f"/posts/{cast.post['id']}#code-{cast.code['id']}"
    assert f'<a href="{code_page}" role="button" class="small note-action">Extend your code</a>' \
        in page
    assert f'href="{code_page}" class="note-subject">Your code' in page
    assert "Ask @maya" not in page
    client.cookies.clear()
    page_login(client, BRAND)
    page = client.get("/notifications", headers=HTML).text
    ask = f"/ad-accounts/{cast.account['id']}#ask-{cast.code['id']}"
    assert f'<a href="{ask}" role="button" class="small note-action">Ask @maya to extend</a>' \
        in page
    # The action's page holds what it names.
    target = client.get(f"/ad-accounts/{cast.account['id']}", headers=HTML).text
    assert f'id="ask-{cast.code["id"]}"' in target
    client.cookies.clear()
    page_login(client, CREATOR)
    target = client.get(f"/posts/{cast.post['id']}", headers=HTML).text
    assert f'id="code-{cast.code["id"]}"' in target and f"/codes/{cast.code['id']}/extend" in target


def test_the_json_api_reads_and_sets_the_same_choices(client, cast):  # type: ignore[no-untyped-def]
    kinds = [k.name for k in notification.choosable_kinds()]
    r = client.get("/v1/notifications/email", headers=cast.brand_h)
    assert r.status_code == 200 and [c["kind"] for c in r.json()] == kinds
    assert all(c["emailed"] for c in r.json())
    r = client.put("/v1/notifications/email", headers=cast.brand_h,
                   json={"emailed": ["authorization.expired"]})
    assert r.status_code == 200
    assert [c["kind"] for c in r.json() if c["emailed"]] == ["authorization.expired"]
    page_login(client, BRAND)
    assert client.get("/notifications/email", headers=HTML).text.count(" checked") == 1
    # Another user's choices are untouched.
    assert all(c["emailed"] for c in client.get("/v1/notifications/email",
                                                headers=cast.creator_h).json())


def test_the_json_api_refuses_an_unknown_kind(client, cast):  # type: ignore[no-untyped-def]
    r = client.put("/v1/notifications/email", headers=cast.brand_h,
                   json={"emailed": ["post.edited", "webhook.test"]})
    assert r.status_code == 422
    assert r.json()["error"] == {
        "code": "unknown_alert_kind",
        "message": "That is not an alert sparkcodes sends to people: choose among the listed "
                   "kinds.",
        "details": {"kinds": ["webhook.test"]}}
    assert all(c["emailed"] for c in client.get("/v1/notifications/email",
                                                headers=cast.brand_h).json())
    r = client.put("/v1/notifications/email", json={"emailed": []})
    assert r.status_code == 401 and r.json()["error"]["code"] == "unauthorized"


def test_simultaneous_saves_of_one_users_choices_all_succeed(client, cast, live_url):  # type: ignore[no-untyped-def]
    """Each save replaced the rows by reading then inserting: two at once could insert the same
    opt-out twice and fail with a server error."""
    wanted = ["authorization.expired"]

    def save(http):  # type: ignore[no-untyped-def]
        return http.put("/v1/notifications/email", headers=cast.brand_h, json={"emailed": wanted})

    responses = parallel(live_url, [save] * 8)
    assert [r.status_code for r in responses] == [200] * 8, [r.text for r in responses]
    emailed = [c["kind"] for c in client.get("/v1/notifications/email",
                                             headers=cast.brand_h).json() if c["emailed"]]
    assert emailed == wanted
