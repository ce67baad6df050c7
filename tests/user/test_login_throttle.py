"""Log-in throttling: failed attempts count per account and per client address; over a limit
every attempt is refused (429, Retry-After, the limit named), the right password too, until the
window ends; refused attempts do not count, so nobody is locked out for longer than a window."""

from __future__ import annotations

import re
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from fastapi.testclient import TestClient

from sparkcodes.app import create_app
from tests import factories as f
from tests.integration._http import assert_error

HTML = {"accept": "text/html"}


@contextmanager
def serving(backend, host: str = "203.0.113.9", **overrides: Any) -> Iterator[TestClient]:  # type: ignore[no-untyped-def]
    app = create_app(backend.settings(**overrides))
    try:
        with TestClient(app, raise_server_exceptions=False, client=(host, 50000)) as c:
            yield c
    finally:
        app.state.db.dispose()


def log_in(client, email: str, password: str):  # type: ignore[no-untyped-def]
    return client.post("/v1/tokens", json={"email": email, "password": password})


def account(client) -> str:  # type: ignore[no-untyped-def]
    email = f"login-{uuid.uuid4().hex[:10]}@example.com"
    f.user(client, email=email)
    return email


def _refused(r, limit: str, words: str, window: int) -> int:  # type: ignore[no-untyped-def]
    error = assert_error(r, 429, "rate_limited", words)
    assert error["details"]["limit"] == limit, error
    retry = int(r.headers["Retry-After"])
    assert 1 <= retry <= window and error["details"]["retry_after"] == retry
    return retry


def test_failed_log_ins_are_limited_per_account(client):  # type: ignore[no-untyped-def]
    email, other = account(client), account(client)
    for _ in range(10):
        assert_error(log_in(client, email, "wrong password"), 401, "invalid_credentials",
                     "Wrong e-mail or password")
    # The 11th attempt is refused before the password is looked at: the right one too.
    _refused(log_in(client, email, "correct horse"), "logins.account",
             "Too many failed log-ins for this account (10 in 15 minutes); try again in ", 900)
    _refused(log_in(client, email.upper(), "wrong"), "logins.account", "for this account", 900)
    # Other accounts log in as usual, from the same address.
    assert log_in(client, other, "correct horse").status_code == 201


def test_failed_log_ins_are_limited_per_address(client, backend):  # type: ignore[no-untyped-def]
    email = account(client)
    limits = {"auth": {"failed_logins_per_ip": "5/minute"}}
    with serving(backend, "198.51.100.20", **limits) as here, \
            serving(backend, "198.51.100.21", **limits) as elsewhere:
        for i in range(5):  # five accounts, one attempt each: only the address adds up
            assert log_in(here, f"nobody{i}@example.com", "guess").status_code == 401
        _refused(log_in(here, email, "correct horse"), "logins.ip",
                 "Too many failed log-ins from your network address (5 in 1 minute)", 60)
        assert log_in(elsewhere, email, "correct horse").status_code == 201


def test_a_lockout_ends_with_its_window_however_hard_it_is_hammered(client, backend):  # type: ignore[no-untyped-def]
    email = account(client)
    with serving(backend, **{"auth": {"failed_logins_per_account": "2/2 seconds"}}) as c:
        for _ in range(2):
            assert log_in(c, email, "wrong").status_code == 401
        retries = [_refused(log_in(c, email, "wrong"), "logins.account", "try again in", 2)
                   for _ in range(20)]  # an attacker keeps trying: the window does not move
        time.sleep(max(retries) + 0.2)
        assert log_in(c, email, "correct horse").status_code == 201
        # A right password is no failure: the account's count is back where it was (0).
        assert log_in(c, email, "correct horse").status_code == 201


def csrf_of(markup: str) -> str:
    match = re.search(r'name="csrf_token" value="([^"]+)"', markup)
    assert match, "no CSRF field on the page"
    return match.group(1)


def test_the_log_in_page_says_when_to_try_again(client, backend):  # type: ignore[no-untyped-def]
    email = account(client)
    with serving(backend, **{"auth": {"failed_logins_per_account": "3/minute"}}) as browser:
        token = csrf_of(browser.get("/login", headers=HTML).text)

        def attempt(password: str):  # type: ignore[no-untyped-def]
            return browser.post("/login", headers=HTML, follow_redirects=False, data={
                "email": email, "password": password, "csrf_token": token})

        for _ in range(3):
            r = attempt("wrong")
            assert r.status_code == 401 and "Wrong e-mail or password" in r.text
        r = attempt("correct horse")
        assert r.status_code == 429, r.text
        assert 1 <= int(r.headers["Retry-After"]) <= 60
        assert "Too many failed log-ins for this account (3 in 1 minute); try again in" in r.text
        assert "sc_session" not in r.headers.get("set-cookie", "")


def test_log_in_is_refused_with_503_when_the_store_is_down(client, backend):  # type: ignore[no-untyped-def]
    email = account(client)
    down = {"redis_url": f"redis://127.0.0.1:{f.free_port()}/0"}
    with serving(backend, **down) as c:
        r = log_in(c, email, "correct horse")
        assert_error(r, 503, "limiter_unavailable", "Log-in is paused: the store that counts "
                     "failed log-ins cannot be reached. Try again in a minute.")
        assert r.headers["Retry-After"] == "30"
