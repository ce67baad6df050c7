"""Migration 0026: a webhook delivery still owed whose job had ended (finished, or dead) gets its
job back, due; settled deliveries and jobs still running are left as they are."""

from __future__ import annotations

import pytest
from sqlalchemy import text

from tests.migrations import KINDS, migrating, without_parents

AT = "2026-01-01 00:00:00.000000"
ENDED = "2026-01-02 00:00:00.000000"

# delivery id: (delivered_at, failed_at, job finished_at, job dead_at)
CASES = {
    "orphan-finished": (None, None, ENDED, None),
    "orphan-dead": (None, None, None, ENDED),
    "delivered": (ENDED, None, ENDED, None),
    "failed": (None, ENDED, ENDED, None),
    "waiting": (None, None, None, None),
}


@pytest.mark.parametrize("kind", KINDS)
def test_migration_0026_gives_each_owed_delivery_a_job_again(kind, tmp_path):  # type: ignore[no-untyped-def]
    with migrating(kind, tmp_path) as db:
        engine = db.engine
        db.upgrade("0025")
        with engine.begin() as conn:
            without_parents(conn)
            for id_, (delivered, failed, finished, dead) in CASES.items():
                conn.execute(text(
                    "INSERT INTO webhook_deliveries (id, message_id, endpoint_id, attempts, "
                    "attempt_started_at, interrupted_attempts, delivered_at, failed_at, "
                    "created_at) VALUES (:id, :id, 'e', 1, :at, 0, :delivered, :failed, :at)"),
                    {"id": id_, "at": AT, "delivered": delivered, "failed": failed})
                conn.execute(text(
                    "INSERT INTO jobs (id, name, payload, dedupe_key, run_at, attempts, "
                    "max_attempts, locked_by, locked_until, created_at, finished_at, dead_at) "
                    "VALUES (:id, 'webhook.deliver', '{}', :key, :at, 2, 50, :locked, :until, "
                    ":at, :finished, :dead)"),
                    {"id": f"job-{id_}", "key": f"webhook.deliver:{id_}", "at": AT,
                     "finished": finished, "dead": dead,
                     "locked": "w" if id_ == "waiting" else None,
                     "until": ENDED if id_ == "waiting" else None})
            # Another job whose key merely looks alike is not touched.
            conn.execute(text(
                "INSERT INTO jobs (id, name, payload, dedupe_key, run_at, attempts, max_attempts, "
                "created_at, finished_at) VALUES ('job-other', 'mail.send', '{}', "
                "'webhook.deliver:orphan-finished:x', :at, 1, 10, :at, :at)"), {"at": AT})
        db.upgrade("head")
        with engine.begin() as conn:
            jobs = {r[0]: (r[1] is not None, r[2] is not None, r[3])
                    for r in conn.execute(text(
                        "SELECT id, finished_at, dead_at, locked_by FROM jobs"))}
            assert jobs == {
                "job-orphan-finished": (False, False, None),
                "job-orphan-dead": (False, False, None),
                "job-delivered": (True, False, None),
                "job-failed": (True, False, None),
                "job-waiting": (False, False, "w"),
                "job-other": (True, False, None),
            }
            db.assert_matches_models(conn)
        db.downgrade("0025")
        db.upgrade("head")
