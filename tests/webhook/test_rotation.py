"""Rotating a webhook secret without breaking the receiver: the previous secret keeps signing for
an overlap window (24 hours unless the rotation says otherwise), so each delivery then carries two
signatures, ``v1,<new> v1,<old>``, and a receiver still verifying with the old secret accepts it.

The receiver is test_webhooks.py's real HTTP server verifying with the standardwebhooks library;
the window runs on the sandbox clock, moved forward the way the other tests move it.
"""

from __future__ import annotations

import json
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest
from standardwebhooks.webhooks import Webhook, WebhookVerificationError

from sparkcodes.kit import clock
from sparkcodes.models import WebhookEndpoint
from sparkcodes.webhook import service as webhook_service
from tests import factories as f
from tests.webhook.test_webhooks import (
    Receiver,
    _advance,
    _emit,
    _endpoint,
    _log,
    _member,
    _runner,
)

HOUR = timedelta(hours=1)


@pytest.fixture
def receiver():  # type: ignore[no-untyped-def]
    r = Receiver()
    r.start()
    yield r
    r.stop()


@pytest.fixture
def db(app):  # type: ignore[no-untyped-def]
    return app.state.db


def _rotate(client, headers, endpoint_id: str, body: Any = None, status: int = 200):  # type: ignore[no-untyped-def]
    kwargs = {} if body is None else {"json": body}
    r = client.post(f"/v1/webhook-endpoints/{endpoint_id}/rotate-secret", headers=headers,
                    **kwargs)
    assert r.status_code == status, r.text
    return r.json()


def _clear(db, stored: str) -> str:  # type: ignore[no-untyped-def]
    """A stored (sealed) secret in clear."""
    return webhook_service.open_secret(webhook_service.sealer(db.settings), stored)


def _when(value: str | None) -> datetime | None:
    return None if value is None else datetime.fromisoformat(value)


def _deliver(db, runner, business_id: str, receiver: Receiver, event: str) -> dict[str, Any]:  # type: ignore[no-untyped-def]
    """Emit one event and run the worker once; what the receiver got (accepted or not)."""
    accepted, rejected = len(receiver.received), len(receiver.rejected)
    _emit(db, business_id, "post.edited", post_id=event)
    runner.tick()
    if len(receiver.received) > accepted:
        (got,) = receiver.received[accepted:]
        assert got["payload"]["data"]["post_id"] == event
        return {"accepted": True, "signatures": got["headers"]["webhook-signature"].split(" "),
                "headers": got["headers"], "body": got["body"]}
    assert len(receiver.rejected) == rejected + 1, "nothing reached the receiver"
    return {"accepted": False}


def _verifies(secret: str, got: dict[str, Any]) -> bool:
    try:
        Webhook(secret).verify(got["body"], got["headers"])
    except WebhookVerificationError:
        return False
    return True


def _history(client, headers, business_id: str) -> list[dict[str, Any]]:  # type: ignore[no-untyped-def]
    rows = f._ok(client.get(f"/v1/businesses/{business_id}/history", headers=headers,
                            params={"limit": 500}))
    return [h for h in rows if h["action"] == "webhook_endpoint.secret_rotated"]


def test_the_old_secret_verifies_during_the_window_and_not_after(client, app, db, receiver):
    admin = f.user(client)
    biz = f.business(client, admin)
    endpoint = _endpoint(client, admin, biz["id"], receiver, "/hook")
    old = endpoint["secret"]
    runner = _runner(app, "w1")

    before = _deliver(db, runner, biz["id"], receiver, "before")
    assert before["accepted"] and len(before["signatures"]) == 1

    rotated_at = clock.utc_now()
    answer = _rotate(client, admin, endpoint["id"])  # no body: the default overlap
    new = answer["secret"]
    assert new.startswith("whsec_") and new != old and answer["endpoint_id"] == endpoint["id"]
    until = _when(answer["previous_secret_valid_until"])
    assert until is not None
    assert timedelta(hours=24) <= until - rotated_at < timedelta(hours=24, minutes=1)
    shown = f._ok(client.get(f"/v1/webhook-endpoints/{endpoint['id']}", headers=admin))
    assert _when(shown["previous_secret_valid_until"]) == until
    assert old not in json.dumps(shown) and new not in json.dumps(shown)

    # The receiver still holds the old secret: it accepts, since both secrets sign, new first.
    during = _deliver(db, runner, biz["id"], receiver, "during")
    assert during["accepted"] and len(during["signatures"]) == 2
    assert _verifies(old, during) and _verifies(new, during)
    new_only = Webhook(new).sign(msg_id=during["headers"]["webhook-id"],
                                 timestamp=datetime.fromtimestamp(
                                     int(during["headers"]["webhook-timestamp"]), tz=UTC),
                                 data=during["body"])
    assert during["signatures"][0] == new_only

    _advance(db, timedelta(hours=23, minutes=59))
    late = _deliver(db, runner, biz["id"], receiver, "late")
    assert late["accepted"] and len(late["signatures"]) == 2

    # The window is over: one signature, the new secret's; the old secret no longer verifies.
    _advance(db, timedelta(minutes=1))
    after = _deliver(db, runner, biz["id"], receiver, "after")
    assert after == {"accepted": False}
    assert receiver.rejected[-1] == "No matching signature found"
    assert _log(client, admin, endpoint["id"])["items"][0]["last_status"] == 401
    shown = f._ok(client.get(f"/v1/webhook-endpoints/{endpoint['id']}", headers=admin))
    assert shown["previous_secret_valid_until"] is None

    receiver.secrets["/hook"] = new  # the receiver is updated at last
    updated = _deliver(db, runner, biz["id"], receiver, "updated")
    assert updated["accepted"] and len(updated["signatures"]) == 1
    assert not _verifies(old, updated)

    (audit,) = _history(client, admin, biz["id"])
    assert audit["details"]["overlap_hours"] == 24
    assert _when(audit["details"]["previous_secret_valid_until"]) == until
    assert old not in json.dumps(audit) and new not in json.dumps(audit)


def test_overlap_zero_revokes_the_old_secret_at_once(client, app, db, receiver):
    admin = f.user(client)
    biz = f.business(client, admin)
    endpoint = _endpoint(client, admin, biz["id"], receiver, "/hook")
    old = endpoint["secret"]
    runner = _runner(app, "w1")

    answer = _rotate(client, admin, endpoint["id"], {"overlap_hours": 0})
    assert answer["previous_secret_valid_until"] is None
    assert f._ok(client.get(f"/v1/webhook-endpoints/{endpoint['id']}",
                            headers=admin))["previous_secret_valid_until"] is None
    with db.unit_of_work(write=False) as s:
        row = s.get(WebhookEndpoint, endpoint["id"])
        assert row.previous_secret is None and row.previous_secret_expires_at is None

    assert _deliver(db, runner, biz["id"], receiver, "leaked") == {"accepted": False}
    receiver.secrets["/hook"] = answer["secret"]
    got = _deliver(db, runner, biz["id"], receiver, "fixed")
    assert got["accepted"] and len(got["signatures"]) == 1 and not _verifies(old, got)
    (audit,) = _history(client, admin, biz["id"])
    assert audit["details"]["overlap_hours"] == 0
    assert audit["details"]["previous_secret_valid_until"] is None


def test_a_chosen_overlap_and_a_revoke_in_the_middle_of_a_window(client, app, db, receiver):
    admin = f.user(client)
    biz = f.business(client, admin)
    endpoint = _endpoint(client, admin, biz["id"], receiver, "/hook")
    runner = _runner(app, "w1")

    rotated_at = clock.utc_now()
    answer = _rotate(client, admin, endpoint["id"], {"overlap_hours": 2})
    until = _when(answer["previous_secret_valid_until"])
    assert until is not None and 2 * HOUR <= until - rotated_at < 2 * HOUR + timedelta(minutes=1)
    _advance(db, HOUR)
    assert _deliver(db, runner, biz["id"], receiver, "hour-1")["accepted"]
    _advance(db, HOUR)
    assert _deliver(db, runner, biz["id"], receiver, "hour-2") == {"accepted": False}

    # A leak found during a window: overlap 0 drops every older secret too.
    receiver.secrets["/hook"] = answer["secret"]
    _rotate(client, admin, endpoint["id"], {"overlap_hours": 5})
    assert _deliver(db, runner, biz["id"], receiver, "kept")["accepted"]
    revoked = _rotate(client, admin, endpoint["id"], {"overlap_hours": 0})
    got = _deliver(db, runner, biz["id"], receiver, "revoked")
    assert got == {"accepted": False}
    receiver.secrets["/hook"] = revoked["secret"]
    got = _deliver(db, runner, biz["id"], receiver, "only-new")
    assert got["accepted"] and len(got["signatures"]) == 1


def test_a_second_rotation_in_the_window_keeps_only_the_secret_it_replaces(client, app, db,
                                                                           receiver):
    admin = f.user(client)
    biz = f.business(client, admin)
    endpoint = _endpoint(client, admin, biz["id"], receiver, "/hook")
    first_secret = endpoint["secret"]
    runner = _runner(app, "w1")

    second = _rotate(client, admin, endpoint["id"])
    _advance(db, 10 * HOUR)
    third = _rotate(client, admin, endpoint["id"])
    # The new window runs from the second rotation.
    assert _when(third["previous_secret_valid_until"]) - _when(
        second["previous_secret_valid_until"]) >= 10 * HOUR

    receiver.secrets["/hook"] = second["secret"]
    got = _deliver(db, runner, biz["id"], receiver, "two-secrets")
    assert got["accepted"] and len(got["signatures"]) == 2  # never three
    assert _verifies(third["secret"], got) and _verifies(second["secret"], got)
    assert not _verifies(first_secret, got)

    _advance(db, 24 * HOUR)
    assert _deliver(db, runner, biz["id"], receiver, "after") == {"accepted": False}
    assert len(_history(client, admin, biz["id"])) == 2


@pytest.mark.parametrize(("body", "code", "words"), [
    ({"overlap_hours": -1}, "invalid_rotation_overlap", "from 0 to 168"),
    ({"overlap_hours": 169}, "invalid_rotation_overlap", "from 0 to 168"),
    ({"overlap_hours": 10**12}, "invalid_rotation_overlap", "0 revokes it at once"),
    ({"overlap_hours": "a day"}, "validation_error", "overlap_hours"),
    ({"overlap_hours": 1.5}, "validation_error", "overlap_hours"),
    ({"overlap_hours": [24]}, "validation_error", "overlap_hours"),
    ([], "validation_error", "body"),
    ("24", "validation_error", "body"),
])
def test_bad_overlaps_are_refused_and_change_nothing(client, db, receiver, body, code, words):
    admin = f.user(client)
    biz = f.business(client, admin)
    endpoint = _endpoint(client, admin, biz["id"], receiver, "/hook")
    r = client.post(f"/v1/webhook-endpoints/{endpoint['id']}/rotate-secret", headers=admin,
                    json=body)
    assert r.status_code == 422 and f.error_code(r) == code, r.text
    message = r.json()["error"]["message"]
    assert words in message and len(message.split()) >= 2
    with db.unit_of_work(write=False) as s:
        row = s.get(WebhookEndpoint, endpoint["id"])
        assert _clear(db, row.secret) == endpoint["secret"] and row.previous_secret is None
    assert _history(client, admin, biz["id"]) == []


def test_malformed_json_is_refused_and_empty_bodies_mean_the_default(client, receiver):
    admin = f.user(client)
    biz = f.business(client, admin)
    eid = _endpoint(client, admin, biz["id"], receiver, "/hook")["id"]
    r = client.post(f"/v1/webhook-endpoints/{eid}/rotate-secret",
                    headers={**admin, "content-type": "application/json"},
                    content=b'{"overlap_hours": ')
    assert r.status_code == 422 and f.error_code(r) == "validation_error"
    assert r.json()["error"]["message"] == "The request body is not valid JSON."
    for body in ({}, {"overlap_hours": None}):
        answer = _rotate(client, admin, eid, body)
        assert answer["previous_secret_valid_until"] is not None
    assert _rotate(client, admin, eid, {"overlap_hours": 168})["previous_secret_valid_until"]


def test_only_admins_rotate_and_strangers_see_nothing(client, receiver):
    admin = f.user(client)
    biz = f.business(client, admin)
    endpoint = _endpoint(client, admin, biz["id"], receiver, "/hook")
    url = f"/v1/webhook-endpoints/{endpoint['id']}/rotate-secret"
    for role in ("analyst", "operator"):
        member = _member(client, admin, biz["id"], role)
        for body in (None, {"overlap_hours": 0}, {"overlap_hours": 24}):
            r = client.post(url, headers=member, json=body)
            assert r.status_code == 403 and f.error_code(r) == "role_insufficient", r.text
        shown = f._ok(client.get(f"/v1/webhook-endpoints/{endpoint['id']}", headers=member))
        assert shown["previous_secret_valid_until"] is None
    r = client.post(url, headers=f.user(client), json={"overlap_hours": 0})
    assert r.status_code == 404 and f.error_code(r) == "not_found"
    assert client.post(url, json={"overlap_hours": 0}).status_code == 401
    assert _history(client, admin, biz["id"]) == []


def test_concurrent_rotations_chain_and_lose_no_secret(client, live_url, db, receiver):
    """Each rotation keeps the secret it replaced, read by the UPDATE itself: whatever the order,
    the last secret handed out signs, with the one handed out just before it."""
    admin = f.user(client)
    biz = f.business(client, admin)
    endpoint = _endpoint(client, admin, biz["id"], receiver, "/hook")

    def rotate(_: int) -> httpx.Response:
        with httpx.Client(base_url=live_url, timeout=60) as http:
            return http.post(f"/v1/webhook-endpoints/{endpoint['id']}/rotate-secret",
                             headers=admin)

    with ThreadPoolExecutor(max_workers=6) as pool:
        responses = list(pool.map(rotate, range(6)))
    assert all(r.status_code == 200 for r in responses), [r.text for r in responses]
    handed_out = {r.json()["secret"] for r in responses}
    assert len(handed_out) == 6
    with db.unit_of_work(write=False) as s:
        row = s.get(WebhookEndpoint, endpoint["id"])
        secret, previous = _clear(db, row.secret), _clear(db, row.previous_secret)
        assert secret in handed_out
        assert previous in handed_out and previous != secret
    assert len(_history(client, admin, biz["id"])) == 6
