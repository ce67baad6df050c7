"""Pure webhook rules: URLs, subscriptions, derived status, retry schedule, disabling, signing."""

from __future__ import annotations

import base64
import json
from datetime import UTC, datetime, timedelta

import pytest
from standardwebhooks.webhooks import Webhook, WebhookVerificationError

from sparkcodes.config import Webhooks
from sparkcodes.notification import catalog
from sparkcodes.webhook import rules
from sparkcodes.webhook.service import new_secret

T0 = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)


@pytest.mark.parametrize("url", [
    "https://example.com/hooks", "http://127.0.0.1:8080/x?y=1", "  https://a.example/  ",
])
def test_http_urls_are_accepted(url):
    assert rules.check_url(url) == url.strip()


@pytest.mark.parametrize("url", [
    "ftp://example.com/x", "example.com/hooks", "https://", "javascript:alert(1)", "",
    "https://user:pw@example.com/", "https://example.com/" + "a" * rules.MAX_URL,
])
def test_other_urls_are_refused(url):
    with pytest.raises(rules.InvalidWebhookUrl) as exc:
        rules.check_url(url)
    assert exc.value.code == "invalid_webhook_url" and exc.value.status == 422


def test_event_types_are_sorted_deduplicated_and_checked_against_the_catalog():
    known = {"a.x", "b.y"}
    assert rules.check_event_types(["b.y", "a.x", "b.y"], known) == ["a.x", "b.y"]
    assert rules.check_event_types(None, known) == []
    assert rules.check_event_types([], known) == []
    with pytest.raises(rules.UnknownEventType) as exc:
        rules.check_event_types(["a.x", "nope.z"], known)
    assert exc.value.code == "unknown_event_type" and exc.value.details == {"unknown": ["nope.z"]}


def test_the_test_event_is_in_the_catalog():
    assert rules.TEST_EVENT in catalog.EVENTS
    assert "webhook_endpoint.disabled" in catalog.EVENTS


@pytest.mark.parametrize(("event_types", "event_type", "expected"), [
    ([], "post.edited", True),
    (["post.edited"], "post.edited", True),
    (["post.edited", "ad.stopped"], "ad.stopped", True),
    (["post.edited"], "ad.stopped", False),
])
def test_subscription(event_types, event_type, expected):
    assert rules.subscribed(event_types, event_type) is expected


@pytest.mark.parametrize(("deleted", "disabled", "failing", "expected"), [
    (None, None, None, "enabled"),
    (None, None, T0, "failing"),
    (None, T0, T0, "disabled"),
    (None, T0, None, "disabled"),
    (T0, None, None, "deleted"),
    (T0, T0, T0, "deleted"),
])
def test_endpoint_status_is_derived_from_timestamps(deleted, disabled, failing, expected):
    assert rules.endpoint_status(deleted_at=deleted, disabled_at=disabled,
                                 failing_since=failing) == expected


@pytest.mark.parametrize(("delivered", "failed", "expected"), [
    (None, None, "pending"), (T0, None, "delivered"), (None, T0, "failed"),
])
def test_delivery_status(delivered, failed, expected):
    assert rules.delivery_status(delivered_at=delivered, failed_at=failed) == expected


@pytest.mark.parametrize(("status", "ok"), [
    (200, True), (201, True), (204, True), (299, True), (None, False), (199, False),
    (301, False), (400, False), (410, False), (500, False), (503, False),
])
def test_only_2xx_is_a_success(status, ok):
    assert rules.is_success(status) is ok


@pytest.mark.parametrize(("attempts", "expected"), [
    (0, None), (1, 5), (2, 300), (3, 1800), (4, None),
])
def test_next_attempt_follows_the_schedule_then_stops(attempts, expected):
    wait = rules.next_attempt_after(attempts, [5, 300, 1800])
    assert wait == (None if expected is None else timedelta(seconds=expected))


def test_the_default_schedule_spans_about_three_days():
    schedule = Webhooks().retry_schedule_seconds
    total = timedelta(seconds=sum(schedule))
    assert schedule == sorted(schedule)
    # Exhausting the schedule is what may disable an endpoint: it must last the three days.
    assert rules.DISABLE_AFTER <= total < rules.DISABLE_AFTER + timedelta(days=1)


@pytest.mark.parametrize(("failing_for", "expected"), [
    (None, False), (timedelta(0), False), (timedelta(days=2, hours=23), False),
    (timedelta(days=3), True), (timedelta(days=5), True),
])
def test_disable_only_after_three_days_of_failure(failing_for, expected):
    since = None if failing_for is None else T0 - failing_for
    assert rules.should_disable(failing_since=since, now=T0) is expected


def test_error_text_is_short_and_readable():
    assert rules.error_text(status=500, body="") == "HTTP 500"
    assert rules.error_text(status=502, body="  bad\n gateway ") == "HTTP 502: bad gateway"
    assert len(rules.error_text(status=500, body="x" * 10_000)) <= rules.MAX_ERROR
    assert rules.error_text(status=None, exception="ConnectError: refused") == (
        "ConnectError: refused")
    assert len(rules.error_text(status=None, exception="y" * 10_000)) == rules.MAX_ERROR


def test_secrets_follow_the_standard_webhooks_format():
    secret = new_secret()
    assert secret.startswith("whsec_")
    assert len(base64.b64decode(secret.removeprefix("whsec_"))) == rules.SECRET_BYTES
    assert new_secret() != secret


def test_signed_headers_verify_with_the_standard_webhooks_library():
    secret = new_secret()
    body = json.dumps({"type": "post.edited", "timestamp": T0.isoformat(), "data": {"a": "é"}},
                      ensure_ascii=False)
    now = datetime.now(UTC)
    headers = rules.signed_headers(secret=secret, message_id="msg_1", timestamp=now, body=body)
    assert headers["webhook-id"] == "msg_1"
    assert headers["webhook-timestamp"] == str(int(now.timestamp()))
    assert headers["webhook-signature"].startswith("v1,")
    assert headers["content-type"] == "application/json"
    assert headers["user-agent"] == "sparkcodes-webhooks/1"
    assert Webhook(secret).verify(body.encode(), headers)["data"] == {"a": "é"}
    with pytest.raises(WebhookVerificationError):
        Webhook(secret).verify(body.replace("edited", "deleted"), headers)
    with pytest.raises(WebhookVerificationError):
        Webhook(new_secret()).verify(body, headers)
    with pytest.raises(WebhookVerificationError):  # replayed an hour later: too old
        old = rules.signed_headers(secret=secret, message_id="msg_1",
                                   timestamp=now - timedelta(hours=1), body=body)
        Webhook(secret).verify(body, old)


STARTED = datetime(2026, 3, 1, 12, 0, 5, tzinfo=UTC)


@pytest.mark.parametrize(
    ("attempts", "previous_started_at", "number", "interrupted", "note"),
    [
        pytest.param(0, None, 1, False, None, id="first attempt"),
        pytest.param(3, None, 4, False, None, id="after a recorded failure"),
        pytest.param(1, STARTED, 2, True,
                     "Attempt 1 (started 2026-03-01 12:00:05 UTC) got no answer: the worker "
                     "stopped mid-request.", id="the first was cut off: counted, and said"),
        pytest.param(5, STARTED, 6, True,
                     "Attempt 5 (started 2026-03-01 12:00:05 UTC) got no answer: the worker "
                     "stopped mid-request.", id="cut off after failures"),
    ],
)
def test_start_attempt(attempts: int, previous_started_at: datetime | None, number: int,
                       interrupted: bool, note: str | None) -> None:
    assert rules.start_attempt(attempts=attempts, previous_started_at=previous_started_at) == (
        rules.AttemptStart(number, interrupted, note))


SCHEDULE = [5, 300, 1800]
S = timedelta(seconds=1)


@pytest.mark.parametrize(
    ("attempts", "started", "last", "now", "expected"),
    [
        pytest.param(0, None, None, T0, None, id="the first attempt is due at once"),
        pytest.param(1, None, T0, T0, 5 * S, id="after attempt 1 failed: 5 s from its start"),
        pytest.param(1, None, T0, T0 + 2 * S, 3 * S, id="part of the wait gone"),
        pytest.param(1, None, T0, T0 + 5 * S, None, id="due exactly at the end of the wait"),
        pytest.param(1, None, T0, T0 + 6 * S, None, id="past due"),
        pytest.param(2, None, T0, T0 + 299 * S, S, id="the second wait"),
        pytest.param(3, None, T0, T0 + 60 * S, 1740 * S, id="the last wait of the schedule"),
        pytest.param(4, None, T0, T0, None, id="past the schedule: due (its failure gives up)"),
        pytest.param(2, STARTED, T0, T0, None, id="attempt 2 cut off mid-request: at once"),
        pytest.param(2, None, None, T0, None, id="no start recorded: at once"),
    ],
)
def test_wait_before_attempt(attempts: int, started: datetime | None, last: datetime | None,
                             now: datetime, expected: timedelta | None) -> None:
    assert rules.wait_before_attempt(attempts=attempts, attempt_started_at=started,
                                     last_attempt_at=last, schedule=SCHEDULE,
                                     now=now) == expected


@pytest.mark.parametrize(("timeout", "expected"), [(10.0, 40), (0.5, 30.5), (120.0, 150)])
def test_a_job_checks_back_once_the_other_attempt_had_its_timeout(timeout: float,
                                                                  expected: float) -> None:
    assert rules.check_back_after(timeout) == timedelta(seconds=expected)
