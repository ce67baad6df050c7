"""Migration 0013 (email_messages.held_at; webhook_deliveries.attempt_started_at and
interrupted_attempts): up, down and up again, matching the models. Mail kept unsent without SMTP
before it (its jobs finished, nothing would send it) comes out held, so the release sends it."""

from __future__ import annotations

import pytest
from sqlalchemy import text

from sparkcodes.mail import service as mail_service
from tests.migrations import KINDS, migrating, without_parents

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


AT = "2026-01-01 00:00:00.000000"
BURIED = "2026-01-03 00:00:00.000000"
LATER = "2026-01-04 00:00:00.000000"

# message id: (sent_at, held_at, attempts, last_error, its send jobs as (key suffix, dead_at,
# finished_at))
MAIL = {
    "given-up": (None, None, 8, "SMTPServerDisconnected: gone", [("", BURIED, None)]),
    "given-up-once": (None, None, 1, None, [("", AT, None), (":held@x", BURIED, None)]),
    "retrying": (None, None, 8, "SMTPError", [("", BURIED, None), (":held@y", None, None)]),
    "held": (None, AT, 0, "Held", [("", BURIED, None)]),
    "sent": (AT, None, 8, None, [("", BURIED, None)]),
    "never-queued": (None, None, 0, None, []),
    "finished": (None, None, 1, None, [("", None, LATER)]),
}


@pytest.mark.parametrize("kind", KINDS)
def test_migration_0027_marks_mail_whose_send_job_was_buried_failed(kind, tmp_path):  # type: ignore[no-untyped-def]
    with migrating(kind, tmp_path) as db:
        db.upgrade("0026")
        with db.engine.begin() as conn:
            without_parents(conn)
            for id_, (sent, held, attempts, error, jobs) in MAIL.items():
                conn.execute(text(
                    "INSERT INTO email_messages (id, to_address, subject, body, created_at, "
                    "sent_at, held_at, attempts, last_error) VALUES (:id, 'a@example.com', 'S', "
                    "'B', :at, :sent, :held, :attempts, :error)"),
                    {"id": id_, "at": AT, "sent": sent, "held": held, "attempts": attempts,
                     "error": error})
                for n, (suffix, dead, finished) in enumerate(jobs):
                    conn.execute(text(
                        "INSERT INTO jobs (id, name, payload, dedupe_key, run_at, attempts, "
                        "max_attempts, created_at, finished_at, dead_at) VALUES (:job, "
                        "'email.send', '{}', :key, :at, 8, 8, :at, :finished, :dead)"),
                        {"job": f"{id_}-{n}", "key": f"email.send:{id_}{suffix}", "at": AT,
                         "finished": finished, "dead": dead})
            # A buried job of another message whose id starts alike marks only that one.
            conn.execute(text(
                "INSERT INTO jobs (id, name, payload, dedupe_key, run_at, attempts, max_attempts, "
                "created_at, dead_at) VALUES ('other', 'email.send', '{}', "
                "'email.send:never-queued-x', :at, 8, 8, :at, :at)"), {"at": AT})
        db.upgrade("head")
        with db.engine.begin() as conn:
            rows = {r[0]: (str(r[1])[:10] if r[1] is not None else None, r[2])
                    for r in conn.execute(text(
                        "SELECT id, failed_at, last_error FROM email_messages"))}
            db.assert_matches_models(conn)
        assert rows == {
            "given-up": ("2026-01-03", "Given up after 8 attempts (the last: "
                                       "SMTPServerDisconnected: gone)."),
            "given-up-once": ("2026-01-03", "Given up after 1 attempt (the last: no error "
                                            "recorded)."),
            "retrying": (None, "SMTPError"),
            "held": (None, "Held"),
            "sent": (None, None),
            "never-queued": (None, None),
            "finished": (None, None),
        }
        db.downgrade("0026")
        assert "failed_at" not in db.columns("email_messages")
        db.upgrade("head")
        assert "failed_at" in db.columns("email_messages")
