"""Migration 0013 (email_messages.held_at; webhook_deliveries.attempt_started_at and
interrupted_attempts): up, down and up again, matching the models. Mail kept unsent without SMTP
before it (its jobs finished, nothing would send it) comes out held, so the release sends it."""

from __future__ import annotations

import pytest
from sqlalchemy import text

from sparkcodes.mail import service as mail_service
from tests.migrations import KINDS, migrating

OLD_KEPT = "SMTP not configured; kept in the outbox"


@pytest.mark.parametrize("kind", KINDS)
def test_migration_0013_upgrades_and_downgrades(kind, tmp_path):  # type: ignore[no-untyped-def]
    with migrating(kind, tmp_path) as db:
        db.upgrade("0012")
        assert "held_at" not in db.columns("email_messages")
        with db.engine.begin() as conn:
            for id_, sent, error in (("kept", None, OLD_KEPT), ("failing", None, "SMTPError"),
                                     ("sent", "2026-01-02 00:00:00", None)):
                conn.execute(text(
                    "INSERT INTO email_messages (id, to_address, subject, body, created_at, "
                    "sent_at, attempts, last_error) VALUES (:id, 'a@example.com', 'S', 'B', "
                    "'2026-01-01 00:00:00', :sent, 0, :error)"),
                    {"id": id_, "sent": sent, "error": error})
        db.upgrade("head")  # the schema the models describe
        assert {"attempt_started_at", "interrupted_attempts"} <= db.columns("webhook_deliveries")
        with db.engine.begin() as conn:
            rows = {r[0]: (r[1] is not None, r[2]) for r in conn.execute(text(
                "SELECT id, held_at, last_error FROM email_messages"))}
            assert rows == {"kept": (True, mail_service.HELD), "failing": (False, "SMTPError"),
                            "sent": (False, None)}
            db.assert_matches_models(conn)
        db.downgrade("0012")
        assert "held_at" not in db.columns("email_messages")
        assert "interrupted_attempts" not in db.columns("webhook_deliveries")
        with db.engine.connect() as conn:
            assert conn.execute(text(
                "SELECT last_error FROM email_messages WHERE id = 'kept'")).scalar_one() == OLD_KEPT
        db.upgrade("0013")
        assert "held_at" in db.columns("email_messages")
