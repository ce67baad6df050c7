"""`sparkcodes db upgrade` and the server create the SQLite file readable by its owner only."""

from __future__ import annotations

import os
import stat
from pathlib import Path

import pytest
from typer.testing import CliRunner

from sparkcodes import config
from sparkcodes.cli import app as cli_app
from sparkcodes.config import Settings
from sparkcodes.db import Database


def _mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def test_db_upgrade_creates_the_sqlite_file_0600(tmp_path: Path, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    path = tmp_path / "var" / "sparkcodes.db"
    monkeypatch.setenv("SPARKCODES_DATABASE_URL", f"sqlite:///{path}")
    monkeypatch.setenv("SPARKCODES_SECRET_KEY", "test-secret-key")
    monkeypatch.setenv("SPARKCODES_ENV", "test")
    old = os.umask(0o022)  # the usual umask, under which files come out 0644
    config.get_settings.cache_clear()
    try:
        result = CliRunner().invoke(cli_app, ["db", "upgrade"])
    finally:
        os.umask(old)
        config.get_settings.cache_clear()
    assert result.exit_code == 0, result.output
    assert _mode(path) == 0o600
    for extra in (path.with_name(path.name + "-wal"), path.with_name(path.name + "-shm")):
        if extra.exists():
            assert _mode(extra) == 0o600, extra


@pytest.mark.parametrize("existing_mode", [0o640])
def test_an_existing_file_keeps_the_mode_its_operator_chose(tmp_path: Path,
                                                           existing_mode: int) -> None:
    path = tmp_path / "shared.db"
    path.touch()
    path.chmod(existing_mode)
    db = Database(Settings(database_url=f"sqlite:///{path}", secret_key="k", env="test"))
    with db.engine.connect():
        pass
    db.dispose()
    assert _mode(path) == existing_mode
