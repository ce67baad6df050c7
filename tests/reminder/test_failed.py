"""Reminders given up: a tell job that spends its attempts (a bug, an outage) leaves its reminder
failed, with why, instead of recorded and untold in silence."""

from __future__ import annotations

from datetime import timedelta

import pytest

from sparkcodes.models import Job, Reminder
from sparkcodes.notification import alerts
from sparkcodes.reminder import service as reminder_service
from sparkcodes.sandbox import service as sandbox
from sparkcodes.worker.runner import Runner
from tests import factories as f
from tests.reminder.test_reminders import _events, _until


@pytest.fixture
def db(app):  # type: ignore[no-untyped-def]
    return app.state.db


@pytest.fixture
def bound(client):  # type: ignore[no-untyped-def]
    w = f.World(client)
    assert f.bind(client, w.brand_h, w.account["id"], [w.code["code"]]).json()["bound"] == 1
    return w


@pytest.fixture
def broken(monkeypatch):  # type: ignore[no-untyped-def]
    """Building a reminder's alert fails (a bug, or what it reads is down); undo() mends it."""
    def boom(*args, **kwargs):  # type: ignore[no-untyped-def]
        raise RuntimeError("alert builder down")

    monkeypatch.setattr(alerts, "code_reminder", boom)
    return lambda: monkeypatch.undo()


def _tick(app) -> None:  # type: ignore[no-untyped-def]
    Runner(app.state.db, app.state.settings, worker_id="test").tick()


def _advance(db, delta: timedelta) -> None:  # type: ignore[no-untyped-def]
    with db.unit_of_work() as s:
        sandbox.move(s, actor_id=None, advance=delta, set_to=None)


def _reminders(db) -> list[Reminder]:  # type: ignore[no-untyped-def]
    with db.unit_of_work(write=False) as s:
        return list(s.query(Reminder).order_by(Reminder.created_at, Reminder.id))


def _tell_jobs(db) -> list[Job]:  # type: ignore[no-untyped-def]
    with db.unit_of_work(write=False) as s:
        return list(s.query(Job).filter(Job.name == reminder_service.TELL))


def test_a_tell_that_spends_its_attempts_leaves_the_reminder_failed_with_why(client, app, db,
                                                                              bound, broken):
    w = bound
    _until(client, w.creator_h, w.code, 72 - 0.01)
    _tick(app)
    for attempt in range(1, reminder_service.TELL_MAX_ATTEMPTS):
        (job,) = _tell_jobs(db)
        assert job.attempts == attempt and job.dead_at is None
        (reminder,) = _reminders(db)
        assert reminder.failed_at is None and reminder.sent_at is None
        _advance(db, timedelta(minutes=10))  # past the backoff of every attempt
        _tick(app)
    (job,) = _tell_jobs(db)
    assert job.attempts == reminder_service.TELL_MAX_ATTEMPTS and job.dead_at is not None
    (reminder,) = _reminders(db)
    assert reminder.kind == "expiring_72h" and reminder.sent_at is None
    assert reminder.failed_at is not None
    assert reminder.last_error == (
        f"Given up after {reminder_service.TELL_MAX_ATTEMPTS} attempts (the last: "
        "RuntimeError: alert builder down).")
    assert "authorization.expiring:expiring_72h" not in _events(client, w.brand_h)
    # The sweep does not record or queue it again: it is recorded, and failed.
    _advance(db, timedelta(minutes=10))
    _tick(app)
    assert len(_reminders(db)) == 1 and len(_tell_jobs(db)) == 1
