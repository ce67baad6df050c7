"""Retry(after): a handler chooses when its job runs again, instead of the generic backoff."""

from __future__ import annotations

from datetime import timedelta

import pytest

from sparkcodes.kit import clock
from sparkcodes.models import Job
from sparkcodes.sandbox import service as sandbox
from sparkcodes.worker import service
from sparkcodes.worker.runner import Runner

CALLS: list[str] = []


@service.handler("test.retry_later")
def _retry_later(ctx, payload):  # type: ignore[no-untyped-def]
    CALLS.append(payload["tag"])
    if len(CALLS) < payload.get("succeed_on", 10**6):
        raise service.Retry(timedelta(minutes=payload["minutes"]), "receiver said 503")


@pytest.fixture
def db(app):  # type: ignore[no-untyped-def]
    CALLS.clear()
    return app.state.db


def _advance(db, delta: timedelta) -> None:  # type: ignore[no-untyped-def]
    with db.unit_of_work() as s:
        sandbox.move(s, actor_id=None, advance=delta, set_to=None)


def _job(db) -> Job:  # type: ignore[no-untyped-def]
    with db.unit_of_work(write=False) as s:
        (job,) = s.query(Job).filter(Job.name == "test.retry_later").all()
        return job


def test_the_runner_waits_exactly_as_long_as_the_handler_asks(db, app):
    with db.unit_of_work() as s:
        service.enqueue(s, "test.retry_later", {"tag": "a", "minutes": 42, "succeed_on": 2})
    runner = Runner(db, app.state.settings, worker_id="w")
    runner.tick()
    job = _job(db)
    assert CALLS == ["a"] and job.attempts == 1 and job.finished_at is None
    assert "receiver said 503" in job.last_error
    wait = job.run_at - clock.utc_now()
    assert timedelta(minutes=41, seconds=55) < wait <= timedelta(minutes=42)  # not backoff()

    _advance(db, timedelta(minutes=41))
    runner.tick()
    assert CALLS == ["a"]  # not due yet
    _advance(db, timedelta(minutes=2))
    runner.tick()
    job = _job(db)
    assert CALLS == ["a", "a"] and job.finished_at is not None and job.attempts == 2


def test_a_job_retrying_past_max_attempts_is_buried(db, app):
    with db.unit_of_work() as s:
        service.enqueue(s, "test.retry_later", {"tag": "b", "minutes": 1}, max_attempts=2)
    runner = Runner(db, app.state.settings, worker_id="w")
    runner.tick()
    _advance(db, timedelta(minutes=2))
    runner.tick()
    job = _job(db)
    assert CALLS == ["b", "b"] and job.dead_at is not None and job.finished_at is None
    _advance(db, timedelta(hours=1))
    runner.tick()
    assert CALLS == ["b", "b"]


def test_retry_carries_its_wait_and_reason():
    exc = service.Retry(timedelta(seconds=5), "later")
    assert exc.after == timedelta(seconds=5) and str(exc) == "later"
    assert "0:00:05" in str(service.Retry(timedelta(seconds=5)))
    assert isinstance(exc, Exception)


@pytest.mark.parametrize(("attempts", "max_attempts", "last"), [
    (1, 3, False), (2, 3, False), (3, 3, True), (4, 3, True), (1, 1, True),
])
def test_the_last_run_is_the_one_a_failure_buries(attempts: int, max_attempts: int,
                                                  last: bool) -> None:
    assert service.is_last_run(Job(attempts=attempts, max_attempts=max_attempts)) is last


GIVEN_UP: list[tuple[str, int, str]] = []


@service.handler("test.settles_on_burial")
def _settles_on_burial(ctx, payload):  # type: ignore[no-untyped-def]
    if payload.get("retry"):
        raise service.Retry(timedelta(minutes=1), "receiver said 503")
    raise ConnectionError("receiver unreachable")


@service.gives_up("test.settles_on_burial")
def _give_up(ctx, payload, why):  # type: ignore[no-untyped-def]
    with ctx.db.unit_of_work(write=False):  # a give-up opens its own transaction
        pass
    GIVEN_UP.append((payload["tag"], ctx.job.attempts, why))
    if payload.get("give_up_fails"):
        raise RuntimeError("the database went away")


def _buried_job(db, tag: str) -> Job:  # type: ignore[no-untyped-def]
    with db.unit_of_work(write=False) as s:
        (job,) = [j for j in s.query(Job).filter(Job.name == "test.settles_on_burial")
                  if j.payload["tag"] == tag]
        return job


@pytest.mark.parametrize(("retry", "why"), [
    (True, "receiver said 503"),  # a handler's Retry: its reason, as the handler said it
    (False, "ConnectionError: receiver unreachable"),  # a fault: its type and message
])
def test_a_job_s_give_up_runs_once_on_its_last_run_before_it_is_buried(db, app, retry, why):
    GIVEN_UP.clear()
    with db.unit_of_work() as s:
        service.enqueue(s, "test.settles_on_burial", {"tag": "c", "retry": retry},
                        max_attempts=3)
    runner = Runner(db, app.state.settings, worker_id="w")
    for run in range(1, 4):
        runner.tick()
        job = _buried_job(db, "c")
        assert job.attempts == run
        if run < 3:  # not on a run that comes back
            assert GIVEN_UP == [] and job.dead_at is None
            _advance(db, timedelta(hours=7))
    assert [("c", 3, why)] == GIVEN_UP
    assert job.dead_at is not None and job.finished_at is None
    assert why.split(": ")[-1] in (job.last_error or "")
    _advance(db, timedelta(hours=7))
    runner.tick()
    assert len(GIVEN_UP) == 1


def test_a_give_up_that_fails_is_said_and_the_job_is_buried_all_the_same(db, app):
    GIVEN_UP.clear()
    with db.unit_of_work() as s:
        service.enqueue(s, "test.settles_on_burial", {"tag": "d", "give_up_fails": True},
                        max_attempts=1)
    Runner(db, app.state.settings, worker_id="w").tick()
    job = _buried_job(db, "d")
    assert GIVEN_UP == [("d", 1, "ConnectionError: receiver unreachable")]
    assert job.dead_at is not None
    assert job.last_error == ("ConnectionError: receiver unreachable\n"
                              "Giving up failed too: RuntimeError: the database went away")
