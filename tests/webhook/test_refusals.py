"""Webhook endpoint refusals, each with its code and the words a person reads."""

from __future__ import annotations

import pytest

from tests import factories as f
from tests.integration._http import assert_error


@pytest.mark.parametrize(("body", "code", "words"), [
    ({"url": "ftp://example.com/x"}, "invalid_webhook_url",
     "Give an absolute http:// or https:// URL"),
    ({"url": "https://user:pw@example.com/x"}, "invalid_webhook_url",
     "Leave credentials out of the URL"),
    ({"url": "https://example.com/x", "event_types": ["post.edited", "nope.happened"]},
     "unknown_event_type", "Unknown event type 'nope.happened'; see docs/events.md"),
])
def test_bad_endpoints_are_refused_in_words(client, body, code, words) -> None:  # type: ignore[no-untyped-def]
    admin = f.user(client)
    biz = f.business(client, admin)
    r = client.post(f"/v1/businesses/{biz['id']}/webhook-endpoints", headers=admin, json=body)
    assert_error(r, 422, code, words)
