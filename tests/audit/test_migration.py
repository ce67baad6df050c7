"""Migration 0012 (audit_links, audit_chain, audit_alerts and the append-only triggers): up,
down and up again, matching the models; the rows already in the log are chained in their
current order under the secret key the upgrade is given, and verify."""

from __future__ import annotations

import pytest
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import Engine, create_engine, inspect, select, text
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import Session

from sparkcodes.audit import rules, service
from sparkcodes.kit import chain
from sparkcodes.migrations import alembic_config
from sparkcodes.models import AuditLink, Base
from tests.code_request.test_cancel import _fresh_database

TABLES = {"audit_links", "audit_chain", "audit_alerts"}
KEY = "the-deployment-secret"
# Inserted before 0012 in this order; chained oldest first, ties by id.
ROWS = [("e3", "2026-01-03 10:00:00"), ("e1", "2026-01-01 10:00:00"),
        ("e2b", "2026-01-02 10:00:00"), ("e2a", "2026-01-02 10:00:00")]


def _verify(engine: Engine, secret: str = KEY) -> service.Verification:
    with Session(engine) as session:
        return service.verify(session, chain.Keyring(secret))


def _update_refused(engine: Engine) -> bool:
    try:
        with engine.begin() as conn:
            conn.execute(text("UPDATE audit_events SET action = 'thing.forged' WHERE id = 'e1'"))
    except DBAPIError as exc:
        assert "append-only" in str(exc)
        return True
    return False


@pytest.mark.parametrize("kind", ["sqlite", "postgres"])
def test_migration_0012_upgrades_and_downgrades(kind, tmp_path):  # type: ignore[no-untyped-def]
    url, drop = _fresh_database(kind, tmp_path)
    engine = create_engine(url)
    try:
        config = alembic_config(url)
        config.attributes["secret_key"] = KEY

        def tables() -> set[str]:
            return set(inspect(engine).get_table_names())

        command.upgrade(config, "0011")
        engine.dispose()
        assert not TABLES & tables()
        with engine.begin() as conn:
            conn.execute(text(
                "INSERT INTO users (id, email, name, password_hash, created_at) "
                "VALUES ('u1', 'a@example.com', 'A', 'x', CURRENT_TIMESTAMP)"))
            for event_id, when in ROWS:
                conn.execute(text(
                    "INSERT INTO audit_events (id, occurred_at, actor_id, action, target_type, "
                    "target_id, business_id, details) VALUES (:id, :when, 'u1', 'thing.changed', "
                    "'thing', 't1', 'b1', :details)"),
                    {"id": event_id, "when": when, "details": '{"after": {"n": "é"}}'})
        command.upgrade(config, "head")
        engine.dispose()
        assert tables() >= TABLES
        with Session(engine) as session:
            chained = session.scalars(select(AuditLink).order_by(AuditLink.seq)).all()
        assert [(link.seq, link.event_id) for link in chained] == [
            (1, "e1"), (2, "e2a"), (3, "e2b"), (4, "e3")]
        assert {link.key_id for link in chained} == {chain.derive(KEY).key_id}
        result = _verify(engine)
        assert result.intact and result.checked == 4
        broken = _verify(engine, "another-key").broken
        assert broken is not None and broken.kind == rules.UNKNOWN_KEY
        assert _update_refused(engine)
        with engine.begin() as conn:
            drift = compare_metadata(MigrationContext.configure(
                conn, opts={"compare_type": True}), Base.metadata)
        assert drift == [], drift

        command.downgrade(config, "0011")
        engine.dispose()
        assert not TABLES & tables()
        assert not _update_refused(engine)  # the triggers went with the chain
        with engine.connect() as conn:
            assert conn.execute(text("SELECT count(*) FROM audit_events")).scalar_one() == 4
            assert conn.execute(text(
                "SELECT action FROM audit_events WHERE id = 'e1'")).scalar_one() == "thing.forged"

        command.upgrade(config, "head")  # chained again, as the rows now read
        engine.dispose()
        assert tables() >= TABLES
        assert _verify(engine).checked == 4 and _verify(engine).intact
        assert _update_refused(engine)
    finally:
        engine.dispose()
        if drop is not None:
            drop()


def test_an_empty_log_needs_no_key(tmp_path):  # type: ignore[no-untyped-def]
    """The test harness and a fresh install migrate without naming a key: nothing to chain."""
    url, _ = _fresh_database("sqlite", tmp_path)
    command.upgrade(alembic_config(url), "head")
    engine = create_engine(url)
    try:
        with engine.connect() as conn:
            assert conn.execute(text("SELECT seq, hash FROM audit_chain")).one() == (
                0, chain.GENESIS)
    finally:
        engine.dispose()
