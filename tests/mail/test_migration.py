"""Migration 0013 (email_messages.held_at; webhook_deliveries.attempt_started_at and
interrupted_attempts): up, down and up again, matching the models. Mail kept unsent without SMTP
before it (its jobs finished, nothing would send it) comes out held, so the release sends it."""

from __future__ import annotations

import pytest
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import create_engine, inspect, text

from sparkcodes.mail import service as mail_service
from sparkcodes.migrations import alembic_config
from sparkcodes.models import Base
from tests.code_request.test_cancel import _fresh_database

OLD_KEPT = "SMTP not configured; kept in the outbox"


@pytest.mark.parametrize("kind", ["sqlite", "postgres"])
def test_migration_0013_upgrades_and_downgrades(kind, tmp_path):  # type: ignore[no-untyped-def]
    url, drop = _fresh_database(kind, tmp_path)
    engine = create_engine(url)
    try:
        config = alembic_config(url)

        def columns(table: str) -> set[str]:
            return {c["name"] for c in inspect(engine).get_columns(table)}

        command.upgrade(config, "0012")
        engine.dispose()
        assert "held_at" not in columns("email_messages")
        with engine.begin() as conn:
            for id_, sent, error in (("kept", None, OLD_KEPT), ("failing", None, "SMTPError"),
                                     ("sent", "2026-01-02 00:00:00", None)):
                conn.execute(text(
                    "INSERT INTO email_messages (id, to_address, subject, body, created_at, "
                    "sent_at, attempts, last_error) VALUES (:id, 'a@example.com', 'S', 'B', "
                    "'2026-01-01 00:00:00', :sent, 0, :error)"),
                    {"id": id_, "sent": sent, "error": error})
        command.upgrade(config, "head")  # the schema the models describe
        engine.dispose()
        assert {"attempt_started_at", "interrupted_attempts"} <= columns("webhook_deliveries")
        with engine.begin() as conn:
            rows = {r[0]: (r[1] is not None, r[2]) for r in conn.execute(text(
                "SELECT id, held_at, last_error FROM email_messages"))}
            assert rows == {"kept": (True, mail_service.HELD), "failing": (False, "SMTPError"),
                            "sent": (False, None)}
            drift = compare_metadata(MigrationContext.configure(
                conn, opts={"compare_type": True}), Base.metadata)
        assert drift == [], drift
        command.downgrade(config, "0012")
        engine.dispose()
        assert "held_at" not in columns("email_messages")
        assert "interrupted_attempts" not in columns("webhook_deliveries")
        with engine.connect() as conn:
            assert conn.execute(text(
                "SELECT last_error FROM email_messages WHERE id = 'kept'")).scalar_one() == OLD_KEPT
        command.upgrade(config, "0013")
        engine.dispose()
        assert "held_at" in columns("email_messages")
    finally:
        engine.dispose()
        if drop is not None:
            drop()
