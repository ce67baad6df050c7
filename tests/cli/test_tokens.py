"""`sparkcodes tokens list | revoke | create` against the test database."""

from __future__ import annotations

import re
import uuid
from typing import Any

import pytest

from tests import factories as f
from tests.integration._http import assert_error

HTML = {"accept": "text/html"}


@pytest.fixture
def cli(command_line):  # type: ignore[no-untyped-def]
    """Run `sparkcodes tokens ...` on the test database, in a 200-column terminal; its output."""
    run = command_line("tokens", 200)
    return lambda *args, code=0: run(*args, code=code).output


class People:
    def __init__(self, client) -> None:  # type: ignore[no-untyped-def]
        self.maya_email = f"maya-{uuid.uuid4().hex[:8]}@example.com"
        self.leo_email = f"leo-{uuid.uuid4().hex[:8]}@example.com"
        self.maya_h = f.user(client, email=self.maya_email)
        self.leo_h = f.user(client, email=self.leo_email)
        self.client = client

    def tokens(self, headers: dict[str, str]) -> list[dict[str, Any]]:
        return self.client.get("/v1/tokens", headers=headers).json()


def row_of(output: str, token_id: str) -> str:
    lines = [line for line in output.splitlines() if token_id in line]
    assert len(lines) == 1, output
    return lines[0]


def test_list_shows_every_token_without_its_value(client, cli):  # type: ignore[no-untyped-def]
    p = People(client)
    maya = p.tokens(p.maya_h)[0]
    out = cli("list")
    assert "Tokens" in out
    row = row_of(out, maya["id"])
    assert p.maya_email in row and "api" in row and "active" in row and maya["hint"] in row
    raw = p.maya_h["Authorization"].split()[1]
    assert raw not in out
    leo = p.tokens(p.leo_h)[0]
    assert leo["id"] in out
    only = cli("list", "--email", p.maya_email)
    assert f"Tokens of {p.maya_email}" in only and maya["id"] in only and leo["id"] not in only


def test_list_of_an_unknown_user_is_refused(cli):  # type: ignore[no-untyped-def]
    out = cli("list", "--email", "nobody@example.com", code=1)
    assert "No user with e-mail nobody@example.com. (user_not_found)" in out


def test_revoke_by_id_stops_the_token_at_once(client, cli):  # type: ignore[no-untyped-def]
    p = People(client)
    maya = p.tokens(p.maya_h)[0]
    out = cli("revoke", maya["id"])
    assert "Revoked" in out and "revoked" in row_of(out, maya["id"])
    assert_error(client.get("/v1/me", headers=p.maya_h), 401, "unauthorized",
                 "That token was revoked; log in again.")
    cli("revoke", maya["id"])  # twice: harmless
    assert client.get("/v1/me", headers=p.leo_h).status_code == 200
    assert "revoked" in row_of(cli("list"), maya["id"])
    assert maya["id"] not in cli("list", "--active")


def test_revoke_an_unknown_id_is_refused(cli):  # type: ignore[no-untyped-def]
    out = cli("revoke", "nope", code=1)
    assert "No token with id nope. (token_not_found)" in out


def test_revoke_all_of_a_user_ends_their_page_sessions_too(client, cli):  # type: ignore[no-untyped-def]
    p = People(client)
    page = re.search(r'name="csrf_token" value="([^"]+)"', client.get("/login", headers=HTML).text)
    assert page
    r = client.post("/login", headers=HTML, follow_redirects=False, data={
        "email": p.maya_email, "password": "correct horse", "csrf_token": page.group(1)})
    assert r.status_code == 303
    assert client.get("/", headers=HTML, follow_redirects=False).status_code == 200
    out = cli("revoke", "--email", p.maya_email, "--all")
    assert out.count("revoked") == 2 and "session" in out and "api" in out
    assert client.get("/", headers=HTML, follow_redirects=False).status_code == 303
    assert client.get("/v1/me", headers=p.maya_h).status_code == 401
    assert client.get("/v1/me", headers=p.leo_h).status_code == 200
    assert "had no token left to revoke" in cli("revoke", "--email", p.maya_email, "--all")


@pytest.mark.parametrize("args", [(), ("--email", "a@example.com"), ("--all",),
                                  ("x", "--email", "a@example.com", "--all")])
def test_revoke_needs_ids_or_a_user_and_all(cli, args):  # type: ignore[no-untyped-def]
    assert "Give token ids, or --email EMAIL --all." in cli("revoke", *args, code=2)


def test_create_expires_and_list_reads_the_sandbox_clock(client, cli, monkeypatch):  # type: ignore[no-untyped-def]
    p = People(client)
    out = cli("create", "--email", p.maya_email, "--days", "1", "--name", "nightly-sync")
    raw = out.split("'Authorization: Bearer <token>'):")[1].split()[0]
    assert "Expires:" in out
    headers = {"Authorization": f"Bearer {raw}"}
    made = next(t for t in p.tokens(headers) if t["name"] == "nightly-sync")
    assert "active" in row_of(cli("list"), made["id"])
    monkeypatch.setenv("SPARKCODES_SANDBOX", "true")
    f.advance(client, p.leo_h, "P1DT1M")
    assert "expired" in row_of(cli("list"), made["id"])
    assert_error(client.get("/v1/me", headers=headers), 401, "unauthorized", "expired")
    assert "Never expires." in cli("create", "--email", p.maya_email, "--days", "0")
    assert "No user with e-mail x@example.com. (user_not_found)" in cli(
        "create", "--email", "x@example.com", code=1)
