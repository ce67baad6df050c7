"""The runner loop: enqueue due schedules, claim jobs, run each, finish or retry with backoff.

A job's side effects happen in its handler, which opens its own transactions (so no database
lock is held across a network call); the job is marked finished afterwards. A worker killed in
between leaves the lease to expire, and another worker runs the job again: deliveries are at
least once, and every delivery carries an id receivers de-duplicate by.
"""

from __future__ import annotations

import logging
import os
import socket
import threading
import traceback
from datetime import timedelta

from sparkcodes.config import Settings
from sparkcodes.db import Database
from sparkcodes.kit import metrics
from sparkcodes.kit.clock import utc_now
from sparkcodes.models import Job, new_id
from sparkcodes.sandbox import service as sandbox_service
from sparkcodes.worker import repository, service
from sparkcodes.worker.service import JobContext

log = logging.getLogger("sparkcodes.worker")


class Runner:
    def __init__(self, db: Database, settings: Settings, *, worker_id: str | None = None,
                 lease: timedelta = timedelta(minutes=5)) -> None:
        import sparkcodes.tasks  # noqa: F401  (registers every handler and schedule)

        self.db = db
        self.settings = settings
        self.worker_id = worker_id or f"{socket.gethostname()}:{os.getpid()}:{id(self):x}"
        self.lease = lease
        self.started = False

    def tick(self) -> int:
        """One pass: schedules, then every job due now. Returns how many jobs ran."""
        with self.db.unit_of_work() as session:
            if self.settings.sandbox:
                sandbox_service.sync_clock(session)
            now = utc_now()
            for schedule in service.SCHEDULES:
                every = schedule.period(self.settings)
                if every is None:
                    continue
                service.enqueue(session, schedule.name, schedule.payload,
                                dedupe_key=schedule.slot_key(now, every), max_attempts=3)
                if schedule.on_start and not self.started:
                    service.enqueue(session, schedule.name, schedule.payload,
                                    dedupe_key=f"{schedule.name}@start:{new_id()}",
                                    max_attempts=3)
        self.started = True
        ran = 0
        while True:
            # One job leased at a time: a job leased here but waiting behind a slow one would be
            # out of other workers' reach for the whole lease, and a worker killed mid-job would
            # spend an attempt of every job it held.
            with self.db.unit_of_work() as session:
                now = utc_now()
                jobs = repository.claim(session, worker_id=self.worker_id, now=now,
                                        lease_until=now + self.lease, limit=1)
            if not jobs:
                return ran
            self.run_one(jobs[0])
            ran += 1

    def run_one(self, job: Job) -> None:
        fn = service.HANDLERS.get(job.name)
        try:
            if fn is None:
                raise LookupError(f"no handler for job {job.name!r}")
            fn(JobContext(self.db, self.settings, job), job.payload)
        except Exception as exc:  # a failing job must not stop the worker
            if isinstance(exc, service.Retry):  # the handler's own schedule, not a fault
                log.info("job %s (%s) comes back in %s: %s", job.id, job.name, exc.after, exc)
            else:
                log.warning("job %s (%s) failed on attempt %d: %s", job.id, job.name,
                            job.attempts, exc)
            error = "".join(traceback.format_exception_only(type(exc), exc)).strip()
            last = service.is_last_run(job)
            if last:
                error = self._give_up(job, str(exc) if isinstance(exc, service.Retry) else error,
                                      error)
            with self.db.unit_of_work() as session:
                now = utc_now()
                wait = (exc.after if isinstance(exc, service.Retry)  # the handler's own schedule
                        else service.backoff(job.attempts))
                run_at = None if last else now + wait
                repository.retry_or_bury(session, job_id=job.id, worker_id=self.worker_id,
                                         error=error, run_at=run_at, now=now)
            metrics.count_job(job.name, "retried" if run_at is not None else "failed")
            return
        with self.db.unit_of_work() as session:
            repository.finish(session, job_id=job.id, worker_id=self.worker_id, now=utc_now())
        metrics.count_job(job.name, "finished")

    def _give_up(self, job: Job, why: str, error: str) -> str:
        """Run the job's give-up before it is buried; the error to bury it with. A give-up that
        fails is logged and said in that error: the job is buried all the same, since running it
        again would only fail its give-up again."""
        give_up = service.GIVE_UPS.get(job.name)
        if give_up is None:
            return error
        try:
            give_up(JobContext(self.db, self.settings, job), job.payload, why)
        except Exception as exc:
            log.exception("job %s (%s): giving up failed", job.id, job.name)
            return f"{error}\nGiving up failed too: {type(exc).__name__}: {exc}"
        return error

    def run_forever(self, stop: threading.Event, poll_seconds: float = 1.0) -> None:
        log.info("worker %s started", self.worker_id)
        while not stop.is_set():
            try:
                ran = self.tick()
            except Exception:
                log.exception("worker tick failed; retrying")
                ran = 0
            if not ran:
                stop.wait(poll_seconds)
        log.info("worker %s stopped", self.worker_id)


def start_in_thread(db: Database, settings: Settings) -> tuple[threading.Thread, threading.Event]:
    """The embedded worker of `sparkcodes serve`."""
    stop = threading.Event()
    runner = Runner(db, settings)
    thread = threading.Thread(target=runner.run_forever, args=(stop,), name="sparkcodes-worker",
                              daemon=True)
    thread.start()
    return thread, stop
