"""`sparkcodes audit verify` against the test database: exit 0 and a summary when the chain is
intact; exit 1 naming the first broken link (row, position, what is wrong) when it was tampered
with in SQL."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from typing import Any

import pytest
from fastapi import FastAPI
from typer.testing import CliRunner

from sparkcodes import config
from sparkcodes.cli import app as cli_app
from tests.audit.chaintools import append, links, tamper


@pytest.fixture
def cli(app: FastAPI, monkeypatch: pytest.MonkeyPatch) -> Iterator[Callable[..., Any]]:
    monkeypatch.setenv("SPARKCODES_DATABASE_URL", app.state.settings.database_url)
    monkeypatch.setenv("SPARKCODES_SECRET_KEY", app.state.settings.secret_key)
    monkeypatch.setenv("SPARKCODES_ENV", "test")
    monkeypatch.setenv("COLUMNS", "400")
    config.get_settings.cache_clear()
    runner = CliRunner()

    def run(*args: str, code: int = 0) -> Any:
        result = runner.invoke(cli_app, ["audit", *args])
        assert result.exit_code == code, (result.exit_code, result.output, result.exception)
        return result

    yield run
    config.get_settings.cache_clear()


def _text(result: Any) -> str:
    return " ".join(result.output.split())


def test_an_intact_chain_exits_0_with_a_summary(app: FastAPI, cli: Callable[..., Any]) -> None:
    append(app, 3)
    head = links(app)[-1].hash
    out = _text(cli("verify"))
    assert "Audit chain intact: 3 row(s) verified (1 key(s) configured)." in out
    assert f"Head: position 3, hash {head}" in out


def test_an_empty_log_is_intact(cli: Callable[..., Any]) -> None:
    out = _text(cli("verify"))
    assert "Audit chain intact: 0 row(s) verified (1 key(s) configured)." in out
    assert "Head: position 0, hash none" in out


def _change(app: FastAPI, ids: list[str]) -> str:
    tamper(app, ("UPDATE audit_events SET details = '{}' WHERE id = :id", {"id": ids[2]}))
    return (f"content changed at row {ids[2]}, position 3: its content no longer matches its "
            "hash")


def _backdate(app: FastAPI, ids: list[str]) -> str:
    pg = app.state.db.engine.dialect.name == "postgresql"
    tamper(app, ("UPDATE audit_events SET occurred_at = :w WHERE id = :id",
                 {"w": datetime(2021, 5, 1, tzinfo=UTC) if pg else "2021-05-01 00:00:00",
                  "id": ids[1]}))
    return f"content changed at row {ids[1]}, position 2: its content no longer matches"


def _delete(app: FastAPI, ids: list[str]) -> str:
    tamper(app, ("DELETE FROM audit_links WHERE event_id = :id", {"id": ids[1]}),
           ("DELETE FROM audit_events WHERE id = :id", {"id": ids[1]}))
    return (f"row missing at row {ids[2]}, position 3: position 2 is gone from the chain just "
            "before this row")


def _insert(app: FastAPI, ids: list[str]) -> str:
    tamper(app, ("INSERT INTO audit_events (id, occurred_at, action, target_type, target_id, "
                 "details) VALUES (:id, CURRENT_TIMESTAMP, 'thing.forged', 'thing', 't', '{}')",
                 {"id": "f" * 32}))
    return f"row inserted at row {'f' * 32}: this audit row is in no link of the chain"


def _reorder(app: FastAPI, ids: list[str]) -> str:
    tamper(app, "UPDATE audit_links SET seq = 99 WHERE seq = 3",
           "UPDATE audit_links SET seq = 3 WHERE seq = 4",
           "UPDATE audit_links SET seq = 4 WHERE seq = 99")
    return (f"order changed at row {ids[3]}, position 3: it was chained after row {ids[2]} "
            "(position 4)")


@pytest.mark.parametrize(("tampering", "verified"), [
    (_change, 2), (_backdate, 1), (_delete, 1), (_insert, 5), (_reorder, 2)])
def test_tampering_exits_1_naming_the_first_broken_link(
        app: FastAPI, cli: Callable[..., Any], tampering: Callable[..., str],
        verified: int) -> None:
    ids = append(app, 5)
    expected = tampering(app, ids)
    out = _text(cli("verify", code=1))
    assert f"error: audit chain broken — {expected}" in out, out
    assert f"Verified {verified} of 5 link(s) before the break." in out


def test_a_batch_size_out_of_range_is_refused(cli: Callable[..., Any]) -> None:
    out = _text(cli("verify", "--batch", "5", code=2))
    assert "Invalid value for '--batch'" in out
