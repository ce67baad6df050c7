"""A code's life end to end (R23, R32): at each offset exactly one notification, one e-mail read
back from a local SMTP server and one signed webhook verified by a local receiver; an extension
re-arms the cycle."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest

from sparkcodes.worker.runner import Runner
from tests import factories as f
from tests.mail.test_mail import Inbox, _smtp
from tests.webhook.test_webhooks import Receiver


@pytest.fixture
def receiver():  # type: ignore[no-untyped-def]
    r = Receiver()
    r.start()
    yield r
    r.stop()


@pytest.fixture
def inbox():  # type: ignore[no-untyped-def]
    box, port = Inbox(), f.free_port()
    controller = _smtp(port, box)
    box.port = port  # type: ignore[attr-defined]
    yield box
    controller.stop()


def _set_clock(client, headers, code_id: str, hours_before_end: float) -> None:  # type: ignore[no-untyped-def]
    end = datetime.fromisoformat(
        client.get(f"/v1/authorizations/{code_id}", headers=headers).json()["expires_at"])
    at = end - timedelta(hours=hours_before_end)
    r = client.post("/v1/sandbox/clock", headers=headers, json={"set": at.isoformat()})
    assert r.status_code == 200, r.text


def _seen(client, headers, receiver: Receiver, inbox: Inbox, recipient: str):  # type: ignore[no-untyped-def]
    """What the brand has been told so far: notifications, e-mails and webhooks, as labels."""
    items = client.get("/v1/notifications", headers=headers, params={"limit": 500}).json()["items"]
    notes = [n["event_type"] + ":" + n["data"].get("kind", "") for n in reversed(items)]
    titles = {n["title"]: n["event_type"] + ":" + n["data"].get("kind", "") for n in items}
    mails = [titles.get(msg["Subject"], "?") for _, rcpts, msg in inbox.envelopes
             if recipient in rcpts]
    hooks = [h["payload"]["type"] + ":" + h["payload"]["data"].get("kind", "")
             for h in receiver.delivered()]
    return notes, mails, hooks


def test_every_offset_is_told_once_by_every_channel_and_an_extension_rearms(
        client, app, backend, receiver, inbox):
    w = f.World(client)
    brand_email = client.get("/v1/me", headers=w.brand_h).json()["email"]
    assert f.bind(client, w.brand_h, w.account["id"], [w.code["code"]]).json()["bound"] == 1
    r = client.post(f"/v1/businesses/{w.business['id']}/webhook-endpoints", headers=w.brand_h,
                    json={"url": receiver.url("/hooks")})
    assert r.status_code == 201, r.text
    receiver.secrets["/hooks"] = r.json()["secret"]
    settings = backend.settings(mail={"host": "127.0.0.1", "port": inbox.port})
    runner = Runner(app.state.db, settings, worker_id="cycle")

    expected: list[str] = []
    for hours, label in ((72 - 0.01, "authorization.expiring:expiring_72h"),
                         (24 - 0.01, "authorization.expiring:expiring_24h"),
                         (-0.01, "authorization.expired:expired")):
        _set_clock(client, w.creator_h, w.code["id"], hours)
        runner.tick()
        runner.tick()  # a second sweep at the same offset sends nothing more
        expected.append(label)
        notes, mails, hooks = _seen(client, w.brand_h, receiver, inbox, brand_email)
        assert notes == expected, label
        assert mails == expected, label
        assert hooks == expected, label
    assert receiver.rejected == []  # every signature verified

    # The creator extends: the brand is told, and the new window end re-arms the reminders.
    r = client.post(f"/v1/authorizations/{w.code['id']}/extend", headers=w.creator_h,
                    json={"days": 7})
    assert r.status_code == 200
    runner.tick()
    expected.append("authorization.extended:")
    _set_clock(client, w.creator_h, w.code["id"], 72 - 0.01)
    runner.tick()
    expected.append("authorization.expiring:expiring_72h")
    notes, mails, hooks = _seen(client, w.brand_h, receiver, inbox, brand_email)
    assert notes == expected and mails == expected and hooks == expected
    # Nothing carries the raw code.
    raw = w.code["code"]
    assert not any(raw in h["body"] for h in receiver.received)
    assert not any(raw in msg.get_payload(decode=True).decode() for _, _, msg in inbox.envelopes)
