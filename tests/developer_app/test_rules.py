"""Pure rules of developer apps: redirect URLs, the redirect after allowing or denying, grant
status, and why an auth_code cannot be exchanged."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from urllib.parse import parse_qsl, urlsplit

import pytest

from sparkcodes import errors
from sparkcodes.developer_app import rules

T0 = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)
MIN = timedelta(minutes=1)


@pytest.mark.parametrize("url", [
    "https://app.example.com/cb",
    "https://app.example.com:8443/tiktok/callback?tenant=7",
    "http://localhost:3000/cb",
    "http://127.0.0.1/cb",
    "http://[::1]:8080/cb",
    "https://localhost/cb",
    "  https://app.example.com/cb  ",  # trimmed
])
def test_redirect_urls_accepted(url):
    assert rules.check_redirect_url(url) == url.strip()


@pytest.mark.parametrize(("url", "words"), [
    ("http://app.example.com/cb", "Use https"),
    ("http://localhost.evil.example/cb", "Use https"),
    ("http://127.0.0.2/cb", "Use https"),
    ("ftp://app.example.com/cb", "absolute https"),
    ("javascript:alert(1)", "absolute https"),
    ("app.example.com/cb", "absolute https"),
    ("https:///cb", "absolute https"),
    ("", "absolute https"),
    ("https://user:pw@app.example.com/cb", "credentials"),
    ("https://user@app.example.com/cb", "credentials"),
    ("https://app.example.com/cb#x", "fragment"),
    ("https://app.example.com/cb#", "fragment"),
    ("https://app.example.com/cb?code=1", "code"),
    ("https://app.example.com/cb?auth_code=1&state=2", "auth_code, state"),
    ("https://app.example.com/c b", "spaces"),
    ("https://app.example.com:99999/cb", "not a valid URL"),
    ("https://app.example.com/" + "a" * 2000, "longer than 2000"),
])
def test_redirect_urls_refused_with_a_code_and_a_sentence(url, words):
    with pytest.raises(rules.InvalidRedirectUrl) as refused:
        rules.check_redirect_url(url)
    error = refused.value
    assert error.code == "invalid_redirect_url" and error.status == 422
    assert words in error.message


@pytest.mark.parametrize(("given", "ok"), [
    (None, True), ("", True), ("https://app.example.com/cb", True),
    ("https://app.example.com/cb/", False), ("https://APP.example.com/cb", False),
    ("https://app.example.com/cb?x=1", False), ("https://evil.example.com/cb", False),
])
def test_the_redirect_uri_must_be_the_registered_one_exactly(given, ok):
    registered = "https://app.example.com/cb"
    if ok:
        assert rules.check_redirect_uri(registered, given) == registered
    else:
        with pytest.raises(rules.RedirectUriMismatch) as refused:
            rules.check_redirect_uri(registered, given)
        assert refused.value.code == "redirect_uri_mismatch"


@pytest.mark.parametrize(("name", "expected"), [("App", "App"), ("  My app ", "My app"),
                                                ("x" * 120, "x" * 120)])
def test_names_accepted(name, expected):
    assert rules.check_name(name) == expected


@pytest.mark.parametrize("name", ["", "   ", "x" * 121])
def test_names_refused(name):
    with pytest.raises(rules.InvalidAppName):
        rules.check_name(name)


def test_the_redirect_after_allowing_keeps_the_urls_own_query():
    url = rules.allowed_url("https://app.example.com/cb?tenant=7&x=", auth_code="abc",
                            state="s 1&2=3")
    parts = urlsplit(url)
    assert (parts.scheme, parts.netloc, parts.path) == ("https", "app.example.com", "/cb")
    assert parse_qsl(parts.query, keep_blank_values=True) == [
        ("tenant", "7"), ("x", ""), ("auth_code", "abc"), ("code", "abc"), ("state", "s 1&2=3")]
    assert rules.allowed_url("https://a.example/cb", auth_code="abc", state=None) == \
        "https://a.example/cb?auth_code=abc&code=abc"


def test_the_redirect_after_denying():
    url = rules.denied_url("https://a.example/cb", state="xyz")
    assert parse_qsl(urlsplit(url).query) == [
        ("error", "access_denied"), ("error_description", "The user denied the authorization."),
        ("state", "xyz")]


@pytest.mark.parametrize(("url", "origin"), [
    ("https://app.example.com/cb?x=1", "https://app.example.com"),
    ("http://localhost:3000/cb", "http://localhost:3000"),
    ("http://[::1]:8080/cb", "http://[::1]:8080"),
])
def test_origin(url, origin):
    assert rules.origin(url) == origin


def test_the_ad_account_choice():
    allowed = {"a", "b", "c"}
    assert rules.check_ad_account_choice(["b", "a", "b"], allowed) == ["b", "a"]
    with pytest.raises(rules.NoAdAccountsChosen):
        rules.check_ad_account_choice([], allowed)
    with pytest.raises(errors.NotFound) as refused:
        rules.check_ad_account_choice(["a", "someone-elses"], allowed)
    assert refused.value.message == "No such ad account."
    many = [str(i) for i in range(rules.MAX_AD_ACCOUNTS + 1)]
    with pytest.raises(rules.TooManyAdAccounts):
        rules.check_ad_account_choice(many, set(many))


def test_the_state():
    assert rules.check_state(None) is None and rules.check_state("") is None
    assert rules.check_state("x" * rules.MAX_STATE) == "x" * rules.MAX_STATE
    with pytest.raises(rules.InvalidState):
        rules.check_state("x" * (rules.MAX_STATE + 1))


def test_auth_code_expiry():
    assert rules.auth_code_expiry(T0, 10) == T0 + 10 * MIN


@pytest.mark.parametrize(("used", "revoked", "now", "status"), [
    (None, None, T0, "pending"),
    (None, None, T0 + 10 * MIN - timedelta(microseconds=1), "pending"),
    (None, None, T0 + 10 * MIN, "expired"),  # the expiry instant itself is past: fails closed
    (T0 + MIN, None, T0 + 10 * MIN, "active"),  # exchanged in time: the token outlives the code
    (T0 + MIN, T0 + 2 * MIN, T0 + 3 * MIN, "revoked"),
    (None, T0 + MIN, T0 + 2 * MIN, "revoked"),
    (None, T0 + 20 * MIN, T0 + 30 * MIN, "revoked"),
])
def test_grant_status(used, revoked, now, status):
    assert rules.grant_status(auth_code_expires_at=T0 + 10 * MIN, auth_code_used_at=used,
                              revoked_at=revoked, now=now) == status


@pytest.mark.parametrize(("found", "used", "revoked", "deleted", "now", "reason", "words"), [
    (False, None, None, False, T0, "unknown", "is invalid"),
    (True, None, T0 + MIN, False, T0 + 2 * MIN, "revoked", "is canceled"),
    (True, None, None, True, T0 + 2 * MIN, "revoked", "is canceled"),
    # Revoked outranks used and expired: the person's decision is what the developer must know.
    (True, T0 + MIN, T0 + 2 * MIN, False, T0 + 30 * MIN, "revoked", "is canceled"),
    (True, T0 + MIN, None, False, T0 + 2 * MIN, "used", "already been used"),
    (True, T0 + MIN, None, False, T0 + 30 * MIN, "used", "already been used"),
    (True, None, None, False, T0 + 10 * MIN, "expired", "valid for 10 minutes"),
])
def test_why_an_auth_code_is_refused(found, used, revoked, deleted, now, reason, words):
    error = rules.auth_code_refusal(found=found, auth_code_expires_at=T0 + 10 * MIN,
                                    auth_code_used_at=used, revoked_at=revoked,
                                    app_deleted=deleted, now=now, minutes=10)
    assert isinstance(error, rules.AuthCodeInvalid)
    assert error.reason == reason and words in error.message
    assert error.message.endswith("Please re-authorize and try again with a new auth_code.")
    assert error.code == "auth_code_invalid"
