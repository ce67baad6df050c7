"""Durable jobs: enqueue inside the business transaction; the runner claims them after commit."""

from __future__ import annotations

import random
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy.orm import Session

from sparkcodes.config import Settings
from sparkcodes.db import Database
from sparkcodes.kit.clock import utc_now
from sparkcodes.models import Job
from sparkcodes.worker import repository


@dataclass
class JobContext:
    """What a handler gets besides its payload: it opens its own transactions on ``db``."""

    db: Database
    settings: Settings
    job: Job


Handler = Callable[[JobContext, dict[str, Any]], None]
HANDLERS: dict[str, Handler] = {}
# What a job settles when the worker buries it: (context, payload, why its last run failed).
GiveUp = Callable[[JobContext, dict[str, Any], str], None]
GIVE_UPS: dict[str, GiveUp] = {}


def handler(name: str) -> Callable[[Handler], Handler]:
    """Register a job handler under ``<noun>.<verb>``."""
    def register(fn: Handler) -> Handler:
        HANDLERS[name] = fn
        return fn
    return register


def gives_up(name: str) -> Callable[[GiveUp], GiveUp]:
    """Register what a ``name`` job does when the worker buries it (its last run failed):
    settle what it was to do (a delivery, an e-mail) as failed, saying why, so that it never
    reads as waiting on a job that will not run again. Called once, before the job is buried;
    it opens its own transaction, as a handler does."""
    def register(fn: GiveUp) -> GiveUp:
        GIVE_UPS[name] = fn
        return fn
    return register


class Retry(Exception):
    """Raised by a handler to run the job again after ``after`` instead of the generic backoff."""

    def __init__(self, after: timedelta, reason: str = "") -> None:
        super().__init__(reason or f"retry in {after}")
        self.after = after


def enqueue(session: Session, name: str, payload: dict[str, Any] | None = None, *,
            run_at: datetime | None = None, dedupe_key: str | None = None,
            max_attempts: int = 10) -> bool:
    """Write a job row in the caller's transaction: it exists if and only if the change commits."""
    return repository.enqueue(session, name=name, payload=payload or {},
                              run_at=run_at or utc_now(), dedupe_key=dedupe_key,
                              max_attempts=max_attempts)


def enqueue_many(session: Session, name: str, jobs: list[tuple[dict[str, Any], str]], *,
                 max_attempts: int = 10, chunk: int = 500) -> int:
    """Write one ``name`` job per (payload, dedupe key), a few statements for many jobs (a sweep
    that queues what is due); a key already queued does nothing. Returns how many were new."""
    now = utc_now()
    return sum(repository.enqueue_many(session, name=name, jobs=jobs[i:i + chunk], run_at=now,
                                       max_attempts=max_attempts)
               for i in range(0, len(jobs), chunk))


def backoff(attempts: int, *, base: float = 10.0, cap: float = 6 * 3600.0,
            rng: random.Random | None = None) -> timedelta:
    """Exponential backoff with full jitter: uniform in [base, min(cap, base * 2^(n-1))]."""
    ceiling = min(cap, base * (2 ** max(0, attempts - 1)))
    return timedelta(seconds=(rng or random).uniform(base, max(base, ceiling)))


def is_last_run(job: Job) -> bool:
    """Whether this run of the job is its last: a failure now buries it (``dead_at``) instead of
    scheduling another run, after its give-up (``gives_up``) if it has one."""
    return job.attempts >= job.max_attempts


@dataclass(frozen=True)
class Schedule:
    """A periodic job declared as data: enqueued once per period, whichever worker sees it first
    (``on_start``: also once by each worker as it starts).

    ``every_setting``, when given, reads the period from the settings instead (None or zero:
    the schedule is off); ``every`` is then the default the setting documents.
    """

    name: str
    every: timedelta
    payload: dict[str, Any] | None = None
    every_setting: Callable[[Settings], timedelta | None] | None = None
    on_start: bool = False

    def period(self, settings: Settings) -> timedelta | None:
        if self.every_setting is None:
            return self.every
        every = self.every_setting(settings)
        return every if every and every.total_seconds() > 0 else None

    def slot_key(self, now: datetime, every: timedelta | None = None) -> str:
        slot = int(now.timestamp() // (every or self.every).total_seconds())
        return f"{self.name}@{slot}"


SCHEDULES: list[Schedule] = []


@dataclass(frozen=True)
class QueueLine:
    """One job name's share of the queue, for /metrics."""

    name: str
    queued: int
    due: int
    oldest_due_seconds: float


def queue(session: Session, *, now: datetime) -> list[QueueLine]:
    """The jobs waiting, per name: queued, due now, and how late the oldest due one is."""
    return [QueueLine(name, queued, due,
                      (now - oldest).total_seconds() if oldest is not None else 0.0)
            for name, queued, due, oldest in repository.queue_by_name(session, now=now)]
