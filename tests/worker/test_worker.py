"""The durable job queue: outbox semantics, exclusive claims, retries, lost workers, schedules."""

from __future__ import annotations

import threading
from collections import Counter
from datetime import timedelta

import pytest

from sparkcodes.kit import clock
from sparkcodes.models import Job
from sparkcodes.sandbox import service as sandbox
from sparkcodes.worker import repository, service
from sparkcodes.worker.runner import Runner

RAN: Counter = Counter()
LOCK = threading.Lock()


@service.handler("test.count")
def _count(ctx, payload):  # type: ignore[no-untyped-def]
    with LOCK:
        RAN[payload["n"]] += 1


@service.handler("test.fail")
def _fail(ctx, payload):  # type: ignore[no-untyped-def]
    raise RuntimeError("receiver said 500")


SLOW_STARTED = threading.Event()
SLOW_RELEASE = threading.Event()


@service.handler("test.slow")
def _slow(ctx, payload):  # type: ignore[no-untyped-def]
    SLOW_STARTED.set()
    assert SLOW_RELEASE.wait(60), "the test never released the slow job"


class _Killed(BaseException):
    """The worker process dying mid-job: nothing in the runner catches it."""


@service.handler("test.die")
def _die(ctx, payload):  # type: ignore[no-untyped-def]
    raise _Killed


@pytest.fixture
def db(app, monkeypatch):  # type: ignore[no-untyped-def]
    RAN.clear()
    monkeypatch.setattr(service, "SCHEDULES", [])  # only the jobs each test enqueues
    return app.state.db


def _advance(db, delta: timedelta) -> None:  # type: ignore[no-untyped-def]
    """Move the sandbox clock the way the API does, so every worker tick adopts it."""
    with db.unit_of_work() as s:
        sandbox.move(s, actor_id=None, advance=delta, set_to=None)


def _jobs(db) -> list[Job]:  # type: ignore[no-untyped-def]
    with db.unit_of_work(write=False) as s:
        return list(s.query(Job).order_by(Job.created_at))


def test_a_job_exists_only_if_its_transaction_commits(db):
    with pytest.raises(RuntimeError), db.unit_of_work() as s:
        service.enqueue(s, "test.count", {"n": 1})
        raise RuntimeError("the business change failed")
    assert _jobs(db) == []
    with db.unit_of_work() as s:
        service.enqueue(s, "test.count", {"n": 1})
    assert len(_jobs(db)) == 1


def test_dedupe_key_makes_one_job(db):
    with db.unit_of_work() as s:
        assert service.enqueue(s, "test.count", {"n": 1}, dedupe_key="k") is True
        assert service.enqueue(s, "test.count", {"n": 1}, dedupe_key="k") is False
    assert len(_jobs(db)) == 1


def test_enqueue_many_writes_each_job_once_with_its_payload(db, app):
    payloads = [{"n": i, "who": "zoë ✓", "nested": {"ids": [i, i + 1]}} for i in range(7)]
    with db.unit_of_work() as s:
        assert service.enqueue_many(s, "test.count", [(p, f"many:{p['n']}") for p in payloads],
                                    max_attempts=3, chunk=3) == 7
        # Keys already queued, and a key twice in one batch, make no second job.
        again = [(p, f"many:{p['n']}") for p in payloads[:2]] + [({"n": 7}, "many:7")] * 2
        assert service.enqueue_many(s, "test.count", again, max_attempts=3) == 1
        assert service.enqueue_many(s, "test.count", [], max_attempts=3) == 0
    jobs = {j.dedupe_key: j for j in _jobs(db)}
    assert set(jobs) == {f"many:{n}" for n in range(8)}
    assert [jobs[f"many:{n}"].payload for n in range(7)] == payloads
    assert {(j.name, j.max_attempts, j.attempts, j.finished_at) for j in jobs.values()} == {
        ("test.count", 3, 0, None)}
    assert len({j.id for j in jobs.values()}) == 8
    RAN.clear()
    Runner(db, app.state.settings, worker_id="w-many").tick()
    assert sorted(RAN) == list(range(8)) and set(RAN.values()) == {1}


def test_two_workers_run_every_job_exactly_once(db, app):
    with db.unit_of_work() as s:
        for n in range(60):
            service.enqueue(s, "test.count", {"n": n})
    runners = [Runner(db, app.state.settings, worker_id=f"w{i}") for i in range(3)]
    threads = [threading.Thread(target=r.tick) for r in runners]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert sorted(RAN) == list(range(60))
    assert set(RAN.values()) == {1}
    assert all(j.finished_at is not None for j in _jobs(db))


def test_a_failing_job_backs_off_then_is_buried(db, app):
    with db.unit_of_work() as s:
        service.enqueue(s, "test.fail", max_attempts=3)
    runner = Runner(db, app.state.settings, worker_id="w")
    runner.tick()
    (job,) = _jobs(db)
    assert job.attempts == 1 and job.dead_at is None and "receiver said 500" in job.last_error
    assert job.run_at > clock.utc_now()  # backed off: not due again yet
    assert runner.tick() == 0
    for _ in range(2):
        _advance(db, timedelta(hours=7))
        runner.tick()
    (job,) = _jobs(db)
    assert job.attempts == 3 and job.dead_at is not None and job.finished_at is None


def test_a_lost_worker_s_job_is_run_by_another_and_its_late_finish_is_ignored(db, app):
    with db.unit_of_work() as s:
        service.enqueue(s, "test.count", {"n": 7})
    with db.unit_of_work() as s:  # worker A claims, then dies without running it
        now = clock.utc_now()
        (claimed,) = repository.claim(s, worker_id="A", now=now,
                                      lease_until=now + timedelta(minutes=5), limit=10)
    b = Runner(db, app.state.settings, worker_id="B")
    assert b.tick() == 0  # still leased to A
    _advance(db, timedelta(minutes=6))
    assert b.tick() == 1
    assert RAN[7] == 1
    with db.unit_of_work() as s:  # A comes back and tries to finish: nothing changes
        assert repository.finish(s, job_id=claimed.id, worker_id="A", now=clock.utc_now()) is False
    (job,) = _jobs(db)
    assert job.attempts == 2 and job.finished_at is not None


def test_jobs_waiting_behind_a_long_one_are_left_for_other_workers(db, app):
    SLOW_STARTED.clear()
    SLOW_RELEASE.clear()
    now = clock.utc_now()
    with db.unit_of_work() as s:
        service.enqueue(s, "test.slow", run_at=now - timedelta(seconds=1))  # first in line
        for n in range(3):
            service.enqueue(s, "test.count", {"n": n})
    a = Runner(db, app.state.settings, worker_id="A")
    busy = threading.Thread(target=a.tick)
    busy.start()
    try:
        assert SLOW_STARTED.wait(60)
        b = Runner(db, app.state.settings, worker_id="B")
        assert b.tick() == 3  # A holds only the job it is running
        assert sorted(RAN) == [0, 1, 2]
    finally:
        SLOW_RELEASE.set()
        busy.join(60)
    assert all(j.finished_at is not None for j in _jobs(db))


def test_a_worker_killed_mid_job_spends_an_attempt_of_that_job_only(db, app):
    now = clock.utc_now()
    with db.unit_of_work() as s:
        service.enqueue(s, "test.die", run_at=now - timedelta(seconds=1))
        for n in range(3):
            service.enqueue(s, "test.count", {"n": n})
    with pytest.raises(_Killed):
        Runner(db, app.state.settings, worker_id="A").tick()
    jobs = {j.name: j for j in _jobs(db) if j.name == "test.die"}
    waiting = [j for j in _jobs(db) if j.name == "test.count"]
    assert jobs["test.die"].attempts == 1 and jobs["test.die"].locked_by == "A"
    assert [(j.attempts, j.locked_by) for j in waiting] == [(0, None)] * 3
    assert Runner(db, app.state.settings, worker_id="B").tick() == 3  # not held by the dead A


def test_schedules_enqueue_once_per_period_whoever_ticks(db, app, monkeypatch):
    schedule = service.Schedule("test.count", timedelta(minutes=1), {"n": 99})
    monkeypatch.setattr(service, "SCHEDULES", [schedule])
    runners = [Runner(db, app.state.settings, worker_id=f"w{i}") for i in range(3)]
    for r in runners:
        r.tick()
    assert RAN[99] == 1
    _advance(db, timedelta(minutes=1))
    for r in runners:
        r.tick()
    assert RAN[99] == 2


def test_a_schedule_on_start_also_runs_once_as_each_worker_starts(db, app, monkeypatch):
    """Held mail must not wait for the next period when a worker starts with SMTP: a schedule
    marked on_start runs at each worker's first tick as well, and only then."""
    schedule = service.Schedule("test.count", timedelta(minutes=1), {"n": 98}, on_start=True)
    monkeypatch.setattr(service, "SCHEDULES", [schedule])
    first = Runner(db, app.state.settings, worker_id="w1")
    first.tick()
    assert RAN[98] == 2  # the period's run, and the start's
    first.tick()
    assert RAN[98] == 2
    Runner(db, app.state.settings, worker_id="w2").tick()  # another worker starts
    assert RAN[98] == 3
    _advance(db, timedelta(minutes=1))
    first.tick()
    assert RAN[98] == 4  # the next period only


def test_backoff_grows_and_is_capped():
    import random

    rng = random.Random(1)
    ceilings = [service.backoff(n, base=10, cap=3600, rng=rng).total_seconds()
                for n in range(1, 15)]
    assert all(10 <= c <= 3600 for c in ceilings)
    assert max(service.backoff(20, base=10, cap=3600, rng=random.Random(i)).total_seconds()
               for i in range(50)) <= 3600
    assert service.backoff(1, base=10, cap=3600).total_seconds() == 10


def test_a_schedule_can_read_its_period_from_the_settings(db, app, monkeypatch):
    periods: dict[str, timedelta | None] = {"every": timedelta(minutes=2)}
    schedule = service.Schedule("test.count", timedelta(minutes=1), {"n": 98},
                                every_setting=lambda settings: periods["every"])
    monkeypatch.setattr(service, "SCHEDULES", [schedule])
    runner = Runner(db, app.state.settings)
    runner.tick()
    assert RAN[98] == 1
    _advance(db, timedelta(minutes=2))
    runner.tick()
    assert RAN[98] == 2  # one per two-minute slot
    assert schedule.slot_key(clock.utc_now(), timedelta(minutes=2)) != schedule.slot_key(
        clock.utc_now())
    for off in (None, timedelta(0)):
        periods["every"] = off
        _advance(db, timedelta(minutes=5))
        runner.tick()
        assert RAN[98] == 2  # switched off: never queued
