"""Reminders given up: a tell job that spends its attempts (a bug, an outage) leaves its reminder
failed, with why, listed by `sparkcodes reminders failed` and told again by `sparkcodes reminders
retry`, instead of recorded and untold in silence."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from prometheus_client.parser import text_string_to_metric_families
from typer.testing import CliRunner

from sparkcodes import config
from sparkcodes.cli import app as cli_app
from sparkcodes.kit.clock import utc_now
from sparkcodes.models import Job, Reminder
from sparkcodes.notification import alerts
from sparkcodes.reminder import service as reminder_service
from sparkcodes.reminder import tasks as reminder_tasks
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


def _cli(app, monkeypatch, *args: str):  # type: ignore[no-untyped-def]
    monkeypatch.setenv("SPARKCODES_DATABASE_URL", app.state.settings.database_url)
    monkeypatch.setenv("SPARKCODES_SECRET_KEY", app.state.settings.secret_key)
    monkeypatch.setenv("SPARKCODES_ENV", "test")
    monkeypatch.setenv("COLUMNS", "250")
    config.get_settings.cache_clear()
    try:
        return CliRunner().invoke(cli_app, ["reminders", *args])
    finally:
        config.get_settings.cache_clear()


def _fail_72h_reminder(client, app, db, w, *more) -> Reminder:  # type: ignore[no-untyped-def]
    """The T−72 h reminder of each code (``w``'s, and those of ``more`` worlds made after it),
    recorded, its one-attempt tell job given up; ``w``'s. The clock moves once, to the last
    code's T−72 h: the sandbox clock only moves forward, and the codes end milliseconds apart."""
    last = (w, *more)[-1]
    _until(client, last.creator_h, last.code, 72 - 0.01)
    with db.unit_of_work() as s:
        reminder_service.sweep(s, settings=app.state.settings, now=utc_now())
        s.query(Job).filter(Job.name == reminder_service.TELL).update({Job.max_attempts: 1})
    _tick(app)
    failed = {r.authorization_id: r for r in _reminders(db) if r.failed_at is not None}
    assert set(failed) == {x.code["id"] for x in (w, *more)}
    return failed[w.code["id"]]


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


def test_a_failed_reminder_is_told_when_an_operator_retries_it(client, app, db, bound, broken,
                                                                monkeypatch):
    w = bound
    reminder = _fail_72h_reminder(client, app, db, w)
    broken()  # mended
    result = _cli(app, monkeypatch, "retry", reminder.id)
    assert result.exit_code == 0, result.output
    assert "1 reminder queued to tell again" in result.output
    (retried,) = _reminders(db)
    assert retried.failed_at is None and retried.last_error is not None  # until it is told
    _tick(app)
    assert _events(client, w.brand_h)[-1] == "authorization.expiring:expiring_72h"
    assert _events(client, w.creator_h)[-1] == "authorization.expiring:expiring_72h"
    (told,) = _reminders(db)
    assert told.sent_at is not None and told.failed_at is None and told.last_error is None
    assert [j.finished_at is not None for j in _tell_jobs(db)].count(True) == 1
    # Told: nothing is left to retry, and a retry of it says so.
    result = _cli(app, monkeypatch, "retry", "--all")
    assert result.exit_code == 0 and "0 reminders queued to tell again" in result.output
    result = _cli(app, monkeypatch, "retry", reminder.id)
    assert result.exit_code == 1
    assert f"error: not failed (told, skipped, waiting or unknown): {reminder.id}" in (
        " ".join(result.output.split()))


@pytest.mark.parametrize("change", ["deleted", "extended"])
def test_a_retried_reminder_tells_nothing_once_its_code_was_deleted_or_its_end_moved(
        client, app, db, bound, broken, monkeypatch, change):
    w = bound
    _fail_72h_reminder(client, app, db, w)
    broken()
    if change == "deleted":
        r = client.delete(f"/v1/authorizations/{w.code['id']}", headers=w.creator_h)
    else:
        r = client.post(f"/v1/authorizations/{w.code['id']}/extend", headers=w.creator_h,
                        json={"days": 7})
    assert r.status_code in (200, 204), r.text
    result = _cli(app, monkeypatch, "retry", "--all")
    assert result.exit_code == 0 and "1 reminder queued to tell again" in result.output
    _tick(app)
    assert "authorization.expiring:expiring_72h" not in _events(client, w.brand_h)
    (skipped,) = _reminders(db)
    assert skipped.sent_at is None and skipped.skipped_at is not None
    assert skipped.failed_at is None


def test_the_failed_reminders_are_listed_with_their_code_kind_end_and_why(client, app, db,
                                                                          bound, broken,
                                                                          monkeypatch):
    result = _cli(app, monkeypatch, "failed")
    assert result.exit_code == 0, result.output
    assert result.output.strip() == "0 failed reminders"
    w = bound
    reminder = _fail_72h_reminder(client, app, db, w)
    result = _cli(app, monkeypatch, "failed")
    assert result.exit_code == 0, result.output
    out = result.output
    assert ("1 failed reminder (given up: `sparkcodes reminders retry --all` tells them again)"
            in out)
    assert reminder.id in out and w.code["id"] in out and "expiring_72h" in out
    assert w.code["code_hint"] in out and w.code["code"] not in out  # the hint, never the code
    assert f"{reminder.window_end:%Y-%m-%d %H:%M}" in out
    assert f"{reminder.failed_at:%Y-%m-%d %H:%M}" in out
    assert "Given up after 1 attempt (the last: RuntimeError: alert builder down)." in out


@pytest.mark.parametrize(("args", "message"), [
    ((), "error: name the failed reminders to tell again (ids from `sparkcodes reminders "
         "failed`), or give --all"),
    (("--all", "x"), "error: name the failed reminders to tell again"),
    (("nosuchreminder",), "error: not failed (told, skipped, waiting or unknown): "
                          "nosuchreminder"),
])
def test_reminders_retry_says_what_it_could_not_do(client, app, db, monkeypatch, args, message):
    result = _cli(app, monkeypatch, "retry", *args)
    assert result.exit_code == 1
    assert message in " ".join(result.output.split())


def test_retrying_failed_reminders_twice_at_once_queues_each_once(client, app, db, broken):
    worlds = [f.World(client) for _ in range(2)]
    for w in worlds:
        assert f.bind(client, w.brand_h, w.account["id"], [w.code["code"]]).json()["bound"] == 1
    _fail_72h_reminder(client, app, db, *worlds)
    failed = {r.id for r in _reminders(db)}
    assert len(failed) == 2

    retried = f.twice_at_once(db, lambda s: reminder_tasks.queue_retries(s, None))
    assert sorted(retried[0] + retried[1]) == sorted(failed)
    queued = [j for j in _tell_jobs(db) if j.finished_at is None and j.dead_at is None]
    assert sorted((j.payload["authorization_id"], j.payload["kind"]) for j in queued) == sorted(
        (w.code["id"], "expiring_72h") for w in worlds)
    assert all(r.failed_at is None for r in _reminders(db))


def test_metrics_count_the_failed_reminders_until_they_are_retried(client, app, db, bound,
                                                                   broken):
    def failed_gauge() -> float:
        r = client.get("/metrics")
        assert r.status_code == 200, r.text
        (family,) = [m for m in text_string_to_metric_families(r.text)
                     if m.name == "sparkcodes_reminders_failed"]
        return family.samples[0].value

    assert failed_gauge() == 0
    _fail_72h_reminder(client, app, db, bound)
    assert failed_gauge() == 1
    with db.unit_of_work() as s:
        assert len(reminder_tasks.queue_retries(s, None)) == 1
    assert failed_gauge() == 0


def test_reminders_failed_says_what_limit_it_takes(client, app, monkeypatch):
    result = _cli(app, monkeypatch, "failed", "--limit", "0")
    assert result.exit_code == 2
    text = " ".join(re.sub("[│╭╮╰╯─]", " ", result.output).split())  # out of rich's error box
    assert "Invalid value for '--limit': Input should be greater than or equal to 1" in text
