"""Every CLI entry point reads the one clock: after the sandbox clock moves (in the server, or
any other process of the deployment), `sparkcodes codes` and `sparkcodes tracker` show what the
API and the pages show, not what this process's own clock would say."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from typer.testing import CliRunner

from sparkcodes import config
from sparkcodes.cli import app as cli_app
from sparkcodes.kit import clock
from tests import factories as f
from tests.cli.test_tracker import Shop


@pytest.fixture
def run(app, monkeypatch) -> Iterator[Any]:  # type: ignore[no-untyped-def]
    """The CLI on the test database, as a fresh process would start it: its own clock at zero
    offset, settings read from the environment (sandbox mode, like the server)."""
    monkeypatch.setenv("SPARKCODES_DATABASE_URL", app.state.settings.database_url)
    monkeypatch.setenv("SPARKCODES_SECRET_KEY", app.state.settings.secret_key)
    monkeypatch.setenv("SPARKCODES_ENV", "test")
    monkeypatch.setenv("SPARKCODES_SANDBOX", "true")
    monkeypatch.setenv("COLUMNS", "160")
    config.get_settings.cache_clear()
    runner = CliRunner()

    def invoke(*args: str) -> str:
        clock.reset()  # a separate process starts with no offset of its own
        result = runner.invoke(cli_app, list(args))
        assert result.exit_code == 0, (result.exit_code, result.output, result.exception)
        return result.output

    yield invoke
    config.get_settings.cache_clear()


def test_codes_and_tracker_follow_the_moved_sandbox_clock(run, client) -> None:  # type: ignore[no-untyped-def]
    shop = Shop(client)
    handle = shop.maya["handle"]
    before = run("codes", "--creator", handle)
    assert "IN_USE" in before and "EXPIRED" not in before
    f.advance(client, shop.h, "P8D")  # the 7-day code's window has ended
    api = f._ok(client.get(f"/v1/posts/{shop.post1['id']}/authorizations", headers=shop.maya_h))
    assert [a["status"] for a in api] == ["EXPIRED"]
    out = run("codes", "--creator", handle)
    assert "EXPIRED" in out and "IN_USE" not in out, out
    out = run("tracker", "--business", "Glow Labs", "--status", "AUTHORIZATION_EXPIRED")
    assert handle[:8] in out and " expired " in out, out
    out = run("tracker", "--business", "Glow Labs", "--status", "AUTHORIZED")
    assert handle[:8] not in out, out


def test_without_sandbox_mode_the_cli_keeps_real_time(run, client, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    shop = Shop(client)
    f.advance(client, shop.h, "P8D")
    monkeypatch.setenv("SPARKCODES_SANDBOX", "false")
    config.get_settings.cache_clear()
    out = run("codes", "--creator", shop.maya["handle"])
    assert "IN_USE" in out and "EXPIRED" not in out, out
