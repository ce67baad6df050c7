"""What the CLI tests share: `sparkcodes <group> ...` run in-process on the test database."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import pytest
from argon2 import PasswordHasher
from typer.testing import CliRunner

from sparkcodes import config
from sparkcodes.cli import app as cli_app
from sparkcodes.kit import crypto

Run = Callable[..., Any]


@pytest.fixture(autouse=True)
def cheap_password_hashes(monkeypatch):  # type: ignore[no-untyped-def]
    monkeypatch.setattr(crypto, "_hasher", PasswordHasher(time_cost=1, memory_cost=1024,
                                                          parallelism=1))


@pytest.fixture
def command_line(app, monkeypatch) -> Iterator[Callable[[str, int], Run]]:  # type: ignore[no-untyped-def]
    """``command_line(group, columns)`` runs ``sparkcodes <group> *args`` on the test database
    in a terminal ``columns`` wide, asserts the exit code (``code=``, 0 unless given) and returns
    the click result. Settings are read afresh for each run, so a test may change the
    environment between runs."""
    monkeypatch.setenv("SPARKCODES_DATABASE_URL", app.state.settings.database_url)
    monkeypatch.setenv("SPARKCODES_SECRET_KEY", app.state.settings.secret_key)
    monkeypatch.setenv("SPARKCODES_ENV", "test")
    runner = CliRunner()

    def make(group: str, columns: int) -> Run:
        monkeypatch.setenv("COLUMNS", str(columns))

        def run(*args: str, code: int = 0):  # type: ignore[no-untyped-def]
            config.get_settings.cache_clear()
            result = runner.invoke(cli_app, [group, *args])
            assert result.exit_code == code, (result.exit_code, result.output, result.exception)
            return result

        return run

    config.get_settings.cache_clear()
    yield make
    config.get_settings.cache_clear()
