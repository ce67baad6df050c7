"""Pages: a business's webhook endpoints (add, settings, test, rotate, delete, delivery log) and
its members (add, change role, remove), with every refusal shown next to its field. Runs on
SQLite, and on PostgreSQL when configured."""

from __future__ import annotations

import re
from datetime import timedelta
from typing import Any

from fastapi.testclient import TestClient

from sparkcodes.kit.clock import utc_now
from sparkcodes.models import WebhookDelivery, WebhookEndpoint
from tests import factories as f
from tests.integration.test_pages_access import HTML, page_login
from tests.integration.test_pages_access import page_text as _text


def _field_error(html: str, field: str) -> str:
    match = re.search(rf'<small id="{re.escape(field)}-error" class="field-error"[^>]*>([^<]*)<',
                      html)
    assert match, f"no error next to {field}"
    return match.group(1).replace("&#39;", "'")


def _brand(client: TestClient,
           email: str = "brand@example.com") -> tuple[dict, dict]:  # type: ignore[type-arg]
    headers = f.user(client, email=email)
    return headers, f.business(client, headers, "Glow Skincare")


def _secret(html: str) -> str:
    match = re.search(r'id="new-secret"[^>]*>([^<]+)<', html)
    assert match, "no secret on the page"
    return match.group(1).strip()


def _post(client: TestClient, path: str, token: str, /, **data: str | list[str]) -> Any:
    return client.post(path, headers=HTML, data={"csrf_token": token, **data},
                       follow_redirects=False)


# --- webhook endpoints -------------------------------------------------------------------------


def test_webhooks_empty_state_then_add_shows_the_secret_once(client: TestClient) -> None:
    headers, biz = _brand(client)
    token = page_login(client, "brand@example.com")
    r = client.get(f"/businesses/{biz['id']}/webhooks", headers=HTML)
    assert r.status_code == 200
    page = _text(r.text)
    assert "No webhook endpoint yet" in page and "Standard Webhooks" in page
    assert 'aria-current="page">Webhooks<' in r.text and "Add endpoint" in page
    assert 'value="post.edited"' in r.text and 'value="renewal_request.created"' not in r.text

    r = _post(client, f"/businesses/{biz['id']}/webhook-endpoints", token,
              url="https://erp.example/hooks", description="ERP alerts",
              event_types=["post.edited", "ad.stopped"])
    assert r.status_code == 201, r.text
    secret = _secret(r.text)
    assert secret.startswith("whsec_") and "Shown only once." in r.text
    assert 'data-copy="#new-secret"' in r.text
    for header in ("webhook-id", "webhook-timestamp", "webhook-signature"):
        assert header in r.text
    assert r.headers["cache-control"] == "no-store"
    eid = re.search(r'href="/webhook-endpoints/([^"]+)" role="button"', r.text).group(1)

    (shown,) = f._ok(client.get(f"/v1/businesses/{biz['id']}/webhook-endpoints",
                                headers=headers))
    assert shown["id"] == eid and shown["event_types"] == ["ad.stopped", "post.edited"]
    assert shown["description"] == "ERP alerts"

    listed = client.get(f"/businesses/{biz['id']}/webhooks", headers=HTML).text
    one = client.get(f"/webhook-endpoints/{eid}", headers=HTML).text
    for later in (listed, one):
        assert secret not in later and "whsec_" not in later
    page = _text(listed)
    assert "https://erp.example/hooks" in page and "ERP alerts" in page
    assert "Enabled" in page and "Last delivery: none yet" in page
    assert "ad.stopped , post.edited" in page

    # None ticked: every event.
    r = _post(client, f"/businesses/{biz['id']}/webhook-endpoints", token,
              url="https://all.example/hooks")
    assert r.status_code == 201
    assert "all events" in _text(client.get(f"/businesses/{biz['id']}/webhooks",
                                            headers=HTML).text)


def test_add_endpoint_refusals_are_shown_next_to_the_field(client):  # type: ignore[no-untyped-def]
    headers, biz = _brand(client)
    token = page_login(client, "brand@example.com")
    url = f"/businesses/{biz['id']}/webhook-endpoints"
    r = _post(client, url, token, url="ftp://example.com/x", description="kept")
    assert r.status_code == 422
    assert "absolute http:// or https:// URL" in _field_error(r.text, "url")
    assert 'aria-describedby="url-limit url-error"' in r.text and 'value="kept"' in r.text
    r = _post(client, url, token, url="")
    assert r.status_code == 422 and "absolute http://" in _field_error(r.text, "url")
    r = _post(client, url, token, url="https://me:pw@example.com/x")
    assert r.status_code == 422
    assert "Leave credentials out of the URL" in _field_error(r.text, "url")
    r = _post(client, url, token, url="https://example.com/" + "x" * 2100)
    assert r.status_code == 422 and "longer than 2000" in _field_error(r.text, "url")
    r = _post(client, url, token, url="https://example.com/x",
              event_types=["post.edited", "nope.happened"])
    assert r.status_code == 422
    assert "Unknown event type 'nope.happened'" in _field_error(r.text, "event_types")
    assert re.search(r'value="post.edited" checked', r.text)  # the ticks survive
    r = _post(client, url, token, url="https://example.com/x", description="d" * 201)
    assert r.status_code == 422
    assert "200 characters" in _field_error(r.text, "description")
    assert f._ok(client.get(f"/v1/businesses/{biz['id']}/webhook-endpoints",
                            headers=headers)) == []


def _endpoint(client: TestClient, headers: dict[str, str], business_id: str,
              **fields: Any) -> dict[str, Any]:
    return f._ok(client.post(f"/v1/businesses/{business_id}/webhook-endpoints", headers=headers,
                             json={"url": "https://erp.example/hooks", **fields}), 201)


def test_endpoint_settings_test_rotate_and_delete(client):  # type: ignore[no-untyped-def]
    headers, biz = _brand(client)
    created = _endpoint(client, headers, biz["id"], description="ERP",
                        event_types=["post.edited"])
    eid = created["id"]
    token = page_login(client, "brand@example.com")
    page_url = f"/webhook-endpoints/{eid}"
    r = client.get(page_url, headers=HTML)
    assert r.status_code == 200
    text = _text(r.text)
    assert "No deliveries yet" in text and "Send test event" in text
    assert 'aria-current="page">Webhooks<' in r.text and "Glow Skincare" in text
    assert 'data-confirm="Rotate the signing secret?' in r.text
    assert 'data-confirm="Delete this endpoint?' in r.text

    # Edit: a bad URL is refused next to the field, nothing changes.
    r = _post(client, page_url, token, url="not a url", description="ERP v2", enabled="on")
    assert r.status_code == 422 and "absolute http://" in _field_error(r.text, "url")
    assert f._ok(client.get(f"/v1{page_url}", headers=headers))["description"] == "ERP"
    r = _post(client, page_url, token, url="https://erp.example/hooks",
              event_types=["nope"], enabled="on")
    assert r.status_code == 422 and "Unknown event type" in _field_error(r.text, "event_types")
    r = _post(client, page_url, token, url="https://erp.example/v2", description="ERP v2",
              enabled="on")
    assert r.status_code == 303 and r.headers["location"] == f"{page_url}?done=saved"
    shown = f._ok(client.get(f"/v1{page_url}", headers=headers))
    assert shown["url"] == "https://erp.example/v2" and shown["description"] == "ERP v2"
    assert shown["event_types"] == [] and shown["status"] == "enabled"
    text = _text(client.get(r.headers["location"], headers=HTML).text)
    assert "Settings saved." in text and "All events, including ones added later" in text

    # Unticking "Enabled" pauses it; a test is then refused in words, with its status.
    r = _post(client, page_url, token, url="https://erp.example/v2", description="ERP v2")
    assert r.status_code == 303
    text = _text(client.get(page_url, headers=HTML).text)
    assert "Disabled Since" in text and "Disabled by an admin." in text
    r = _post(client, f"{page_url}/test", token)
    assert r.status_code == 409
    assert "This endpoint is disabled" in _field_error(r.text, "test")
    r = _post(client, page_url, token, url="https://erp.example/v2", enabled="on")
    assert r.status_code == 303
    assert f._ok(client.get(f"/v1{page_url}", headers=headers))["status"] == "enabled"

    # A test event: the log shows the queued delivery (the worker does not run here).
    r = _post(client, f"{page_url}/test", token)
    assert r.status_code == 303 and "?sent=" in r.headers["location"]
    r = client.get(r.headers["location"], headers=HTML)
    (item,) = f._ok(client.get(f"/v1{page_url}/deliveries", headers=headers))["items"]
    assert item["event_type"] == "webhook.test" and item["status"] == "pending"
    text = _text(r.text)
    assert f"Test event queued (event id {item['message_id']} )" in text
    assert "webhook.test" in text and "Queued" in text and "Not sent yet" in text
    assert 'class="row-new"' in r.text
    listed = _text(client.get(f"/businesses/{biz['id']}/webhooks", headers=HTML).text)
    assert "Last delivery: Queued webhook.test" in listed

    # Rotate: the new secret on this answer only.
    r = _post(client, f"{page_url}/rotate-secret", token)
    assert r.status_code == 200 and "Secret rotated" in r.text
    rotated = _secret(r.text)
    assert rotated.startswith("whsec_") and rotated != created["secret"]
    assert "whsec_" not in client.get(page_url, headers=HTML).text

    # Delete: back to the list with a notice; the endpoint is gone.
    r = _post(client, f"{page_url}/delete", token)
    assert r.status_code == 303
    assert r.headers["location"] == f"/businesses/{biz['id']}/webhooks?done=deleted"
    text = _text(client.get(r.headers["location"], headers=HTML).text)
    assert "Endpoint deleted" in text and "No webhook endpoint yet" in text
    assert client.get(page_url, headers=HTML).status_code == 404
    assert client.get(f"/v1{page_url}", headers=headers).status_code == 404


def test_delivery_log_words_and_pages(client, app):  # type: ignore[no-untyped-def]
    headers, biz = _brand(client)
    eid = _endpoint(client, headers, biz["id"])["id"]
    for _ in range(27):
        f._ok(client.post(f"/v1/webhook-endpoints/{eid}/test", headers=headers), 202)
    items = f._ok(client.get(f"/v1/webhook-endpoints/{eid}/deliveries", headers=headers,
                             params={"limit": 100}))["items"]
    newest, second, third = items[0]["id"], items[1]["id"], items[2]["id"]
    now = utc_now()
    schedule = app.state.settings.webhooks.retry_schedule_seconds
    with app.state.db.unit_of_work() as s:
        d = s.get(WebhookDelivery, newest)
        d.attempts, d.last_status, d.delivered_at, d.last_attempt_at = 1, 204, now, now
        d = s.get(WebhookDelivery, second)
        d.attempts, d.last_status, d.last_attempt_at = 2, 500, now
        d.last_error = "HTTP 500: receiver broke"
        d = s.get(WebhookDelivery, third)
        d.attempts, d.failed_at, d.last_attempt_at = 10, now, now
        d.last_error = "ConnectError: connection refused"
        e = s.get(WebhookEndpoint, eid)
        e.failing_since = now - timedelta(days=3)
        e.disabled_at = now
        e.disabled_reason = "Every delivery failed for 3 days, through the whole retry schedule."
    page_url = f"/webhook-endpoints/{eid}"
    page_login(client, "brand@example.com")
    r = client.get(page_url, headers=HTML)
    assert r.status_code == 200
    text = _text(r.text)
    assert "27 deliveries, newest first" in text and "Page 1 of 2" in text
    assert "Disabled Since" in text and "failed for 3 days" in text
    assert "HTTP 204: accepted by your endpoint" in text and "Delivered" in text
    retry_at = (now + timedelta(seconds=schedule[1])).strftime("%Y-%m-%d %H:%M UTC")
    assert f"Retrying next try at {retry_at}" in text and "HTTP 500: receiver broke" in text
    assert "Failed gave up at" in text and "ConnectError: connection refused" in text
    assert text.count("webhook.test 20") == 25  # 25 rows a page
    assert 'href="/webhook-endpoints/' + eid + '?page=2" rel="next"' in r.text
    assert '<div class="table-scroll">' in r.text
    r = client.get(f"{page_url}?page=2", headers=HTML)
    text = _text(r.text)
    assert "Page 2 of 2" in text and text.count("webhook.test 20") == 2
    assert 'rel="prev"' in r.text and 'rel="next"' not in r.text
    assert client.get(f"{page_url}?page=oops", headers=HTML).status_code == 200
    listed = _text(client.get(f"/businesses/{biz['id']}/webhooks", headers=HTML).text)
    assert "Disabled" in listed and "Last delivery: Delivered webhook.test" in listed


def test_analysts_and_operators_cannot_change_webhooks(app, client):  # type: ignore[no-untyped-def]
    headers, biz = _brand(client)
    eid = _endpoint(client, headers, biz["id"])["id"]
    for role in ("analyst", "operator"):
        member_h = f.member(client, headers, biz["id"], role)
        email = f._ok(client.get("/v1/me", headers=member_h))["email"]
        with TestClient(app, raise_server_exceptions=False) as browser:
            token = page_login(browser, email)
            r = browser.get(f"/businesses/{biz['id']}/webhooks", headers=HTML)
            assert r.status_code == 200 and "https://erp.example/hooks" in r.text
            assert "Add endpoint" not in r.text and "Only admins" in r.text
            r = browser.get(f"/webhook-endpoints/{eid}", headers=HTML)
            assert r.status_code == 200 and "Send test event" not in r.text
            assert "Rotate secret" not in r.text and "Only admins" in r.text
            for url, data in ((f"/businesses/{biz['id']}/webhook-endpoints",
                               {"url": "https://x.example/"}),
                              (f"/webhook-endpoints/{eid}", {"url": "https://x.example/"}),
                              (f"/webhook-endpoints/{eid}/test", {}),
                              (f"/webhook-endpoints/{eid}/rotate-secret", {}),
                              (f"/webhook-endpoints/{eid}/delete", {})):
                r = _post(browser, url, token, **data)
                assert r.status_code == 403, (role, url, r.status_code)
                assert f"Your role in this business is {role}" in r.text
    shown = f._ok(client.get(f"/v1/webhook-endpoints/{eid}", headers=headers))
    assert shown["url"] == "https://erp.example/hooks" and shown["status"] == "enabled"


def test_another_tenants_endpoint_is_not_found(app, client):  # type: ignore[no-untyped-def]
    headers, biz = _brand(client)
    eid = _endpoint(client, headers, biz["id"])["id"]
    f.user(client, email="other@example.com")
    token = page_login(client, "other@example.com")
    assert client.get(f"/webhook-endpoints/{eid}", headers=HTML).status_code == 404
    assert client.get(f"/businesses/{biz['id']}/webhooks", headers=HTML).status_code == 404
    r = _post(client, f"/webhook-endpoints/{eid}/delete", token)
    assert r.status_code == 404
    assert client.get(f"/v1/webhook-endpoints/{eid}", headers=headers).status_code == 200


# --- members ----------------------------------------------------------------------------------


def test_members_add_change_role_and_remove(client):  # type: ignore[no-untyped-def]
    headers, biz = _brand(client)
    f.user(client, email="colleague@example.com")
    token = page_login(client, "brand@example.com")
    url = f"/businesses/{biz['id']}/members"
    r = client.get(url, headers=HTML)
    assert r.status_code == 200
    text = _text(r.text)
    assert 'aria-current="page">Members<' in r.text and "Only you so far" in text
    for role in ("Analyst", "Operator", "Admin"):
        assert f"{role} " in text
    assert "changes nothing" in text and "manages ad accounts, members and webhooks" in text

    r = _post(client, url, token, email="Colleague@Example.com ", role="analyst")
    assert r.status_code == 303
    text = _text(client.get(r.headers["location"], headers=HTML).text)
    assert "Saved: colleague@example.com is analyst of this business." in text
    members = f._ok(client.get(f"/v1{url}", headers=headers))
    other = next(m for m in members if m["email"] == "colleague@example.com")
    assert other["role"] == "analyst"

    # The row's role change (same POST); the add form changes a role too (PUT semantics).
    r = _post(client, url, token, email="colleague@example.com", role="operator",
              row=other["user_id"])
    assert r.status_code == 303
    r = _post(client, url, token, email="colleague@example.com", role="admin")
    assert r.status_code == 303
    roles = {m["email"]: m["role"] for m in f._ok(client.get(f"/v1{url}", headers=headers))}
    assert roles == {"brand@example.com": "admin", "colleague@example.com": "admin"}

    r = _post(client, f"{url}/{other['user_id']}/remove", token)
    assert r.status_code == 303 and r.headers["location"] == f"{url}?done=removed"
    text = _text(client.get(r.headers["location"], headers=HTML).text)
    assert "Member removed" in text and "colleague@example.com" not in text
    assert 'data-confirm="Leave Glow Skincare?' in client.get(url, headers=HTML).text


def test_member_refusals_are_shown_next_to_the_field(client):  # type: ignore[no-untyped-def]
    headers, biz = _brand(client)
    me = f._ok(client.get("/v1/me", headers=headers))
    token = page_login(client, "brand@example.com")
    url = f"/businesses/{biz['id']}/members"
    r = _post(client, url, token, email="nobody@example.com", role="operator")
    assert r.status_code == 404
    assert _field_error(r.text, "email") == ("No user has that e-mail; ask them to sign up "
                                             "first.")
    assert 'value="nobody@example.com"' in r.text
    r = _post(client, url, token, email="  ", role="operator")
    assert r.status_code == 422 and "Enter the e-mail address" in _field_error(r.text, "email")
    r = _post(client, url, token, email="brand@example.com", role="owner")
    assert r.status_code == 422
    assert _field_error(r.text, "role") == "Choose a role: analyst, operator or admin."

    # The last admin can neither step down nor leave.
    key = f"member-{me['id']}"
    r = _post(client, url, token, email="brand@example.com", role="analyst", row=me["id"])
    assert r.status_code == 409 and "at least one admin" in _field_error(r.text, key)
    r = _post(client, f"{url}/{me['id']}/remove", token)
    assert r.status_code == 409 and "at least one admin" in _field_error(r.text, key)
    r = _post(client, f"{url}/not-a-member/remove", token)
    assert r.status_code == 404
    assert "That user is not a member of this business." in _text(r.text)
    assert f._ok(client.get(f"/v1{url}", headers=headers))[0]["role"] == "admin"

    # With a second admin, you may leave: then the business is no longer yours.
    f.member(client, headers, biz["id"], "admin")
    r = _post(client, f"{url}/{me['id']}/remove", token)
    assert r.status_code == 303 and r.headers["location"] == "/businesses"
    assert client.get(url, headers=HTML).status_code == 404


def test_analysts_see_members_but_cannot_change_them(app, client):  # type: ignore[no-untyped-def]
    headers, biz = _brand(client)
    analyst_h = f.member(client, headers, biz["id"], "analyst")
    analyst = f._ok(client.get("/v1/me", headers=analyst_h))
    admin = f._ok(client.get("/v1/me", headers=headers))
    token = page_login(client, analyst["email"])
    url = f"/businesses/{biz['id']}/members"
    r = client.get(url, headers=HTML)
    assert r.status_code == 200 and "brand@example.com" in r.text
    assert "Add member" not in r.text and "Change role" not in r.text
    assert "Only admins of this business can add, change or remove members." in _text(r.text)
    for target, data in ((url, {"email": analyst["email"], "role": "admin"}),
                         (f"{url}/{admin['id']}/remove", {})):
        r = _post(client, target, token, **data)
        assert r.status_code == 403
        assert "Your role in this business is analyst; this needs admin" in r.text
    roles = {m["email"]: m["role"] for m in f._ok(client.get(f"/v1{url}", headers=headers))}
    assert roles[analyst["email"]] == "analyst" and roles["brand@example.com"] == "admin"


def test_rotate_keeping_the_old_secret_for_a_day_shows_the_window(client):  # type: ignore[no-untyped-def]
    headers, biz = _brand(client)
    created = _endpoint(client, headers, biz["id"])
    eid = created["id"]
    token = page_login(client, "brand@example.com")
    page_url = f"/webhook-endpoints/{eid}"
    r = client.get(page_url, headers=HTML)
    text = _text(r.text)
    assert "Keep the old secret valid for 24 hours (recommended)" in text
    assert "Revoke the old secret now (it leaked)" in text
    assert 'name="old_secret" value="keep" checked' in r.text
    assert "The previous secret also signs" not in text

    r = _post(client, f"{page_url}/rotate-secret", token, old_secret="keep")
    assert r.status_code == 200, r.text
    rotated = _secret(r.text)
    assert rotated.startswith("whsec_") and rotated != created["secret"]
    until = f._ok(client.get(f"/v1{page_url}", headers=headers))["previous_secret_valid_until"]
    shown_until = until[:16].replace("T", " ") + " UTC"
    text = _text(r.text)
    assert ("Secret rotated: every delivery is signed with the new secret below, and also with "
            f"the old one until {shown_until}. Update your receiver before then.") in text
    assert f"The previous secret also signs until {shown_until}" in text

    later = client.get(page_url, headers=HTML).text  # the window stays in the status, no secret
    assert f"The previous secret also signs until {shown_until}" in _text(later)
    assert "whsec_" not in later

    f.advance(client, headers, "PT24H")
    text = _text(client.get(page_url, headers=HTML).text)
    assert "The previous secret also signs" not in text
    assert f._ok(client.get(f"/v1{page_url}", headers=headers))[
        "previous_secret_valid_until"] is None


def test_rotate_revoking_the_old_secret_at_once(client):  # type: ignore[no-untyped-def]
    headers, biz = _brand(client)
    eid = _endpoint(client, headers, biz["id"])["id"]
    token = page_login(client, "brand@example.com")
    page_url = f"/webhook-endpoints/{eid}"
    _post(client, f"{page_url}/rotate-secret", token, old_secret="keep")  # a window running
    r = _post(client, f"{page_url}/rotate-secret", token, old_secret="revoke")
    assert r.status_code == 200, r.text
    assert _secret(r.text).startswith("whsec_")
    text = _text(r.text)
    assert ("Secret rotated and the old secret revoked: every delivery from now on is signed "
            "with the new secret below only.") in text
    assert "The previous secret also signs" not in text
    assert f._ok(client.get(f"/v1{page_url}", headers=headers))[
        "previous_secret_valid_until"] is None
    history = f._ok(client.get(f"/v1/businesses/{biz['id']}/history", headers=headers))
    overlaps = [h["details"]["overlap_hours"] for h in history
                if h["action"] == "webhook_endpoint.secret_rotated"]
    assert sorted(overlaps) == [0, 24]


def test_rotate_with_an_unknown_choice_changes_nothing(client):  # type: ignore[no-untyped-def]
    headers, biz = _brand(client)
    eid = _endpoint(client, headers, biz["id"])["id"]
    token = page_login(client, "brand@example.com")
    r = _post(client, f"/webhook-endpoints/{eid}/rotate-secret", token, old_secret="forever")
    assert r.status_code == 422
    assert "Choose whether the old secret keeps working" in _field_error(r.text, "old_secret")
    assert 'id="new-secret"' not in r.text
    history = f._ok(client.get(f"/v1/businesses/{biz['id']}/history", headers=headers))
    assert not [h for h in history if h["action"] == "webhook_endpoint.secret_rotated"]


def test_only_admins_rotate_from_the_page(app, client):  # type: ignore[no-untyped-def]
    headers, biz = _brand(client)
    eid = _endpoint(client, headers, biz["id"])["id"]
    for role in ("analyst", "operator"):
        member_h = f.member(client, headers, biz["id"], role)
        email = f._ok(client.get("/v1/me", headers=member_h))["email"]
        with TestClient(app, raise_server_exceptions=False) as browser:
            token = page_login(browser, email)
            page = browser.get(f"/webhook-endpoints/{eid}", headers=HTML).text
            assert "Revoke the old secret now" not in page
            for choice in ("keep", "revoke"):
                r = _post(browser, f"/webhook-endpoints/{eid}/rotate-secret", token,
                          old_secret=choice)
                assert r.status_code == 403, (role, choice, r.status_code)
                assert f"Your role in this business is {role}" in r.text
    history = f._ok(client.get(f"/v1/businesses/{biz['id']}/history", headers=headers))
    assert not [h for h in history if h["action"] == "webhook_endpoint.secret_rotated"]
