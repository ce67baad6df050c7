"""Pure rules of secret rotation: the overlap allowed, when the old secret stops signing, which
secrets sign at a given moment, and the two-signature header receivers verify."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import pytest
from standardwebhooks.webhooks import Webhook, WebhookVerificationError

from sparkcodes.webhook import rules
from sparkcodes.webhook.service import new_secret

T0 = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)
NEW, OLD = "whsec_" + "TkVX" * 8, "whsec_" + "T0xE" * 8
H = timedelta(hours=1)


@pytest.mark.parametrize(("hours", "overlap"), [
    (None, timedelta(hours=24)),  # left out: the default
    (0, timedelta(0)),  # revoke at once
    (1, H),
    (24, timedelta(hours=24)),
    (168, timedelta(days=7)),  # the longest
])
def test_overlaps_allowed(hours, overlap):
    assert rules.rotation_overlap(hours) == overlap


@pytest.mark.parametrize("hours", [-1, -24, 169, 1000, 10**9, True, False])
def test_overlaps_refused_with_a_code_and_a_sentence(hours):
    with pytest.raises(rules.InvalidRotationOverlap) as refused:
        rules.rotation_overlap(hours)
    error = refused.value
    assert error.code == "invalid_rotation_overlap" and error.status == 422
    assert "from 0 to 168" in error.message and "0 revokes it" in error.message


@pytest.mark.parametrize(("overlap", "expires"), [
    (timedelta(hours=24), T0 + timedelta(hours=24)),
    (H, T0 + H),
    (timedelta(days=7), T0 + timedelta(days=7)),
    (timedelta(0), None),  # revoked at once: nothing kept
    (-H, None),  # never a window in the past
])
def test_when_the_replaced_secret_stops_signing(overlap, expires):
    assert rules.previous_secret_expiry(overlap=overlap, now=T0) == expires


EXPIRES = T0 + timedelta(hours=24)


@pytest.mark.parametrize(("previous", "expires_at", "now", "signing", "valid_until"), [
    # never rotated
    (None, None, T0, [NEW], None),
    # within the window: both, the current one first
    (OLD, EXPIRES, T0, [NEW, OLD], EXPIRES),
    (OLD, EXPIRES, EXPIRES - timedelta(seconds=1), [NEW, OLD], EXPIRES),
    # the window is half-open: at its end the old secret stops
    (OLD, EXPIRES, EXPIRES, [NEW], None),
    (OLD, EXPIRES, EXPIRES + timedelta(days=30), [NEW], None),
    # fails closed: a previous secret without an expiry never signs
    (OLD, None, T0, [NEW], None),
    # an expiry without a secret: nothing to sign with
    (None, EXPIRES, T0, [NEW], None),
    # the same secret twice is signed once
    (NEW, EXPIRES, T0, [NEW], EXPIRES),
])
def test_which_secrets_sign_at_now(previous, expires_at, now, signing, valid_until):
    assert rules.signing_secrets(secret=NEW, previous_secret=previous,
                                 previous_secret_expires_at=expires_at, now=now) == signing
    assert rules.previous_secret_valid_until(previous_secret=previous, expires_at=expires_at,
                                             now=now) == valid_until


def test_two_signatures_verify_with_either_secret_and_one_only_with_the_new():
    new, old, stranger = new_secret(), new_secret(), new_secret()
    body = json.dumps({"type": "post.edited", "timestamp": T0.isoformat(), "data": {}})
    now = datetime.now(UTC)
    both = rules.signed_headers(secret=new, previous_secret=old, message_id="msg_1",
                                timestamp=now, body=body)
    first, second = both["webhook-signature"].split(" ")
    alone = rules.signed_headers(secret=new, message_id="msg_1", timestamp=now, body=body)
    assert first == alone["webhook-signature"]  # the new secret's signature comes first
    assert second.startswith("v1,") and second != first
    for secret in (new, old):
        assert Webhook(secret).verify(body, both)["type"] == "post.edited"
    with pytest.raises(WebhookVerificationError):
        Webhook(stranger).verify(body, both)
    assert " " not in alone["webhook-signature"]
    with pytest.raises(WebhookVerificationError):
        Webhook(old).verify(body, alone)
