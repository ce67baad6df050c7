"""Tokens from log-in expire (auth.token_days); page sessions end when idle
(auth.session_idle_minutes) and at most auth.session_days after log-in; all measured on the
service clock, moved here with the sandbox clock."""

from __future__ import annotations

import re
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime, timedelta
from typing import Any

from fastapi.testclient import TestClient

from sparkcodes.app import create_app
from sparkcodes.kit import clock
from tests import factories as f
from tests.integration._http import assert_error

HTML = {"accept": "text/html"}
EXPIRING = {"auth": {"expire_in_sandbox": True, "token_days": 7, "session_idle_minutes": 60,
                     "session_days": 1}}


@contextmanager
def serving(backend, **overrides: Any) -> Iterator[TestClient]:  # type: ignore[no-untyped-def]
    app = create_app(backend.settings(**overrides))
    try:
        with TestClient(app, raise_server_exceptions=False) as c:
            yield c
    finally:
        app.state.db.dispose()


def sign_up(client) -> str:  # type: ignore[no-untyped-def]
    email = f"expiry-{uuid.uuid4().hex[:10]}@example.com"
    assert client.post("/v1/users", json={"email": email, "password": "correct horse"}
                       ).status_code == 201
    return email


def log_in(client, email: str) -> dict[str, Any]:  # type: ignore[no-untyped-def]
    r = client.post("/v1/tokens", json={"email": email, "password": "correct horse"})
    assert r.status_code == 201, r.text
    return r.json()


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def page_login(browser: TestClient, email: str) -> str:
    """Log in on the page; the session token the cookie holds."""
    token = re.search(r'name="csrf_token" value="([^"]+)"',
                      browser.get("/login", headers=HTML).text)
    assert token
    r = browser.post("/login", headers=HTML, follow_redirects=False, data={
        "email": email, "password": "correct horse", "csrf_token": token.group(1)})
    assert r.status_code == 303, r.text
    raw = browser.cookies.get("sc_session")
    assert raw
    return raw


def signed_in(browser: TestClient) -> bool:
    r = browser.get("/", headers=HTML, follow_redirects=False)
    assert r.status_code in (200, 303), r.text
    return r.status_code == 200


def test_a_log_in_token_expires_after_token_days(app, backend):  # type: ignore[no-untyped-def]
    with serving(backend, **EXPIRING) as c:
        email = sign_up(c)
        token = log_in(c, email)
        made = datetime.fromisoformat(token["created_at"])
        assert datetime.fromisoformat(token["expires_at"]) == made + timedelta(days=7)
        clock_token = log_in(c, email)["token"]  # moves the clock; expires with the other
        f.advance(c, bearer(clock_token), "P6DT23H")
        assert c.get("/v1/me", headers=bearer(token["token"])).status_code == 200
        f.advance(c, bearer(clock_token), "PT1H")
        assert_error(c.get("/v1/me", headers=bearer(token["token"])), 401, "unauthorized",
                     "That token has expired; log in again.")
        # The TikTok surface refuses it as well, in its own words.
        r = c.get("/open_api/v1.3/tt_video/list/", params={"advertiser_id": "1"},
                  headers={"Access-Token": token["token"]})
        assert r.json()["code"] == 40105, r.json()


def test_outside_the_sandbox_tokens_expire_by_default(app, backend):  # type: ignore[no-untyped-def]
    with serving(backend, sandbox=False) as c:
        email = sign_up(c)
        token = log_in(c, email)
        life = (datetime.fromisoformat(token["expires_at"])
                - datetime.fromisoformat(token["created_at"]))
        assert life == timedelta(days=90)
        try:
            clock.set_offset(timedelta(days=90))
            assert_error(c.get("/v1/me", headers=bearer(token["token"])), 401, "unauthorized",
                         "expired")
        finally:
            clock.reset()


def test_in_the_sandbox_nothing_expires_unless_asked(client):  # type: ignore[no-untyped-def]
    """Rehearsals move the clock weeks ahead: without auth.expire_in_sandbox, tokens made in
    sandbox mode have no end."""
    email = sign_up(client)
    token = log_in(client, email)
    assert token["expires_at"] is None
    f.advance(client, bearer(token["token"]), "P400D")
    assert client.get("/v1/me", headers=bearer(token["token"])).status_code == 200


def test_a_page_session_ends_when_idle(app, backend):  # type: ignore[no-untyped-def]
    with serving(backend, **EXPIRING) as browser:
        email = sign_up(browser)
        api = bearer(log_in(browser, email)["token"])
        session = page_login(browser, email)
        browser.cookies.clear()
        browser.cookies.set("sc_session", session)
        for _ in range(3):  # used every 59 minutes: still signed in three hours later
            f.advance(browser, api, "PT59M")
            assert signed_in(browser)
        f.advance(browser, api, "PT60M")
        assert not signed_in(browser)
        r = browser.get("/", headers=HTML, follow_redirects=False)
        assert r.status_code == 303 and r.headers["location"].startswith("/login")
        # The same token as a bearer: refused with the reason.
        assert_error(browser.get("/v1/me", headers=bearer(session)), 401, "unauthorized",
                     "Your session ended after 1 hour without use; log in again.")
        listed = {t["kind"]: t for t in browser.get("/v1/tokens", headers=api).json()}
        assert listed["session"]["last_used_at"] is not None


def test_a_page_session_ends_after_session_days_however_busy(app, backend):  # type: ignore[no-untyped-def]
    with serving(backend, **EXPIRING) as browser:
        email = sign_up(browser)
        api = bearer(log_in(browser, email)["token"])
        page_login(browser, email)
        for _ in range(28):  # 23 h 48 min of use, never idle for an hour
            f.advance(browser, api, "PT51M")
            assert signed_in(browser)
        f.advance(browser, api, "PT13M")
        assert not signed_in(browser)


def test_a_session_records_its_use_at_most_once_a_minute(app, backend):  # type: ignore[no-untyped-def]
    with serving(backend, **EXPIRING) as browser:
        email = sign_up(browser)
        api = bearer(log_in(browser, email)["token"])
        page_login(browser, email)

        def last_used() -> str | None:
            tokens = browser.get("/v1/tokens", headers=api).json()
            return next(t["last_used_at"] for t in tokens if t["kind"] == "session")

        f.advance(browser, api, "PT2M")
        assert signed_in(browser)
        first = last_used()
        assert first is not None
        for _ in range(5):
            assert signed_in(browser)
        assert last_used() == first
        f.advance(browser, api, "PT61S")
        assert signed_in(browser)
        assert last_used() != first
