"""Migration 0012 (audit_links, audit_chain, audit_alerts and the append-only triggers): up,
down and up again, matching the models; the rows already in the log are chained in their
current order under the secret key the upgrade is given, and verify."""

from __future__ import annotations

import pytest
from sqlalchemy import Engine, select, text
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import Session

from sparkcodes.audit import rules, service
from sparkcodes.kit import chain
from sparkcodes.models import AuditLink
from tests.migrations import KINDS, migrating, rebuild, triggers

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


@pytest.mark.parametrize("kind", KINDS)
def test_migration_0012_upgrades_and_downgrades(kind, tmp_path):  # type: ignore[no-untyped-def]
    with migrating(kind, tmp_path, secret_key=KEY) as db:
        engine = db.engine
        db.upgrade("0011")
        assert not TABLES & db.tables()
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
        db.upgrade("head")
        assert db.tables() >= TABLES
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
        db.assert_matches_models()

        db.downgrade("0011")
        assert not TABLES & db.tables()
        assert not _update_refused(engine)  # the triggers went with the chain
        with engine.connect() as conn:
            assert conn.execute(text("SELECT count(*) FROM audit_events")).scalar_one() == 4
            assert conn.execute(text(
                "SELECT action FROM audit_events WHERE id = 'e1'")).scalar_one() == "thing.forged"

        db.upgrade("head")  # chained again, as the rows now read
        assert db.tables() >= TABLES
        assert _verify(engine).checked == 4 and _verify(engine).intact
        assert _update_refused(engine)


def test_an_empty_log_needs_no_key(tmp_path):  # type: ignore[no-untyped-def]
    """The test harness and a fresh install migrate without naming a key: nothing to chain."""
    with migrating("sqlite", tmp_path) as db:
        db.upgrade("head")
        with db.engine.connect() as conn:
            assert conn.execute(text("SELECT seq, hash FROM audit_chain")).one() == (
                0, chain.GENESIS)


@pytest.mark.parametrize("kind", KINDS)
def test_a_later_rebuild_keeps_the_log_append_only(kind, tmp_path):  # type: ignore[no-untyped-def]
    """A later migration that rebuilds audit_events or audit_links in batch mode
    (batch_alter_table_keeping_triggers) keeps 0012's triggers and the rows' chain."""
    with migrating(kind, tmp_path, secret_key=KEY) as db:
        db.upgrade("0011")
        with db.engine.begin() as conn:
            conn.execute(text(
                "INSERT INTO users (id, email, name, password_hash, created_at) "
                "VALUES ('u1', 'a@example.com', 'A', 'x', CURRENT_TIMESTAMP)"))
            for event_id, when in ROWS:
                conn.execute(text(
                    "INSERT INTO audit_events (id, occurred_at, actor_id, action, target_type, "
                    "target_id, details) VALUES (:id, :when, 'u1', 'thing.changed', 'thing', "
                    "'t1', '{}')"), {"id": event_id, "when": when})
        db.upgrade("head")
        before = triggers(db.engine)
        for table in ("audit_events", "audit_links"):
            assert any(name.startswith(f"{table}_") for name, _ in before), (table, before)
        for table in ("audit_events", "audit_links"):
            rebuild(db.engine, table)
        assert triggers(db.engine) == before
        db.assert_matches_models()
        assert _update_refused(db.engine)
        result = _verify(db.engine)
        assert result.intact and result.checked == 4
