"""The job table: enqueue (deduplicated), claim (SKIP LOCKED on PostgreSQL), finish, retry."""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any, cast

from sqlalchemy import (
    ARRAY,
    ColumnElement,
    CursorResult,
    Table,
    Text,
    bindparam,
    func,
    literal,
    or_,
    select,
    update,
)
from sqlalchemy import cast as cast_
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from sparkcodes.models import Job, new_id


def enqueue(session: Session, *, name: str, payload: dict[str, Any], run_at: datetime,
            dedupe_key: str | None, max_attempts: int) -> bool:
    """Insert a job; with a dedupe key, a second insert of the same key does nothing."""
    values = dict(id=new_id(), name=name, payload=payload, run_at=run_at, dedupe_key=dedupe_key,
                  max_attempts=max_attempts, attempts=0)
    if dedupe_key is None:
        session.add(Job(**values))
        session.flush()
        return True
    dialect = session.get_bind().dialect.name
    insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    stmt = (insert(Job).values(**values).on_conflict_do_nothing(index_elements=["dedupe_key"])
            .returning(Job.id))
    # RETURNING, not rowcount: psycopg reports -1 for ON CONFLICT DO NOTHING.
    return session.execute(stmt).first() is not None


def enqueue_many(session: Session, *, name: str, jobs: list[tuple[dict[str, Any], str]],
                 run_at: datetime, max_attempts: int) -> int:
    """Insert one job per (payload, dedupe key) in one statement; a key already queued does
    nothing. Returns how many were new."""
    if not jobs:
        return 0
    table = cast(Table, Job.__table__)
    ids = [new_id() for _ in jobs]
    if session.get_bind().dialect.name == "postgresql":
        # The rows as three arrays (unnest): one statement of five parameters whatever the
        # number of jobs, which psycopg parses once and caches. Multi-row INSERTs of seven
        # parameters a row were parsed again in Python on every sweep.
        rows = func.unnest(
            bindparam("job_ids", ids, type_=ARRAY(table.c.id.type)),
            bindparam("payloads", [json.dumps(p) for p, _ in jobs], type_=ARRAY(Text())),
            bindparam("keys", [k for _, k in jobs], type_=ARRAY(table.c.dedupe_key.type)),
        ).table_valued("job_id", "payload", "dedupe_key").render_derived("rows")
        source = select(rows.c.job_id, literal(name), cast_(rows.c.payload, table.c.payload.type),
                        literal(run_at, table.c.run_at.type), rows.c.dedupe_key,
                        literal(max_attempts), literal(0))
        stmt = (postgresql.insert(table)
                .from_select(["id", "name", "payload", "run_at", "dedupe_key", "max_attempts",
                              "attempts"], source)
                .on_conflict_do_nothing(index_elements=["dedupe_key"]).returning(table.c.id))
        return len(session.execute(stmt).all())
    # One statement compiled once and its rows sent as parameters (batched into multi-row
    # INSERTs by the driver layer): a VALUES list built into the statement cost a bound
    # parameter per value to compile, several times the INSERT itself for a sweep's 1,000 jobs.
    rows_in = [dict(id=job_id, name=name, payload=payload, run_at=run_at, dedupe_key=key,
                    max_attempts=max_attempts, attempts=0)
               for job_id, (payload, key) in zip(ids, jobs, strict=True)]
    stmt = (sqlite.insert(table).on_conflict_do_nothing(index_elements=["dedupe_key"])
            .returning(table.c.id))
    return len(session.execute(stmt, rows_in).all())


def _due(now: datetime) -> tuple[ColumnElement[bool], ...]:
    return (Job.finished_at.is_(None), Job.dead_at.is_(None), Job.run_at <= now,
            or_(Job.locked_until.is_(None), Job.locked_until < now))


def claim(session: Session, *, worker_id: str, now: datetime, lease_until: datetime,
          limit: int) -> list[Job]:
    """Lease up to ``limit`` due jobs to this worker. Two workers never hold the same job."""
    stmt = select(Job.id).where(*_due(now)).order_by(Job.run_at, Job.id).limit(limit)
    if session.get_bind().dialect.name == "postgresql":
        stmt = stmt.with_for_update(skip_locked=True)
    claimed = []
    for job_id in session.scalars(stmt).all():
        # An UPDATE without RETURNING gives a CursorResult; Session.execute is typed as Result.
        result = cast(CursorResult[Any], session.execute(
            update(Job).where(Job.id == job_id, *_due(now))
            .values(locked_by=worker_id, locked_until=lease_until, attempts=Job.attempts + 1)
            .execution_options(synchronize_session=False)))
        if result.rowcount == 1:
            claimed.append(job_id)
    if not claimed:
        return []
    return list(session.scalars(select(Job).where(Job.id.in_(claimed))
                                .order_by(Job.run_at, Job.id)
                                .execution_options(populate_existing=True)))


def finish(session: Session, *, job_id: str, worker_id: str, now: datetime) -> bool:
    """Done, if this worker still holds the lease (a stale worker's finish changes nothing)."""
    result = cast(CursorResult[Any], session.execute(
        update(Job).where(Job.id == job_id, Job.locked_by == worker_id, Job.finished_at.is_(None))
        .values(finished_at=now, locked_by=None, locked_until=None)
        .execution_options(synchronize_session=False)))
    return result.rowcount == 1


def retry_or_bury(session: Session, *, job_id: str, worker_id: str, error: str,
                  run_at: datetime | None, now: datetime) -> None:
    """Schedule the next attempt, or (run_at None) give up: dead_at set, kept for inspection."""
    values: dict[str, Any] = {"locked_by": None, "locked_until": None, "last_error": error[:4000]}
    if run_at is None:
        values["dead_at"] = now
    else:
        values["run_at"] = run_at
    session.execute(update(Job).where(Job.id == job_id, Job.locked_by == worker_id)
                    .values(**values).execution_options(synchronize_session=False))


def get(session: Session, job_id: str) -> Job | None:
    return session.get(Job, job_id)


def counts(session: Session) -> dict[str, int]:
    rows = session.execute(select(
        func.count().filter(Job.finished_at.is_(None), Job.dead_at.is_(None)),
        func.count().filter(Job.finished_at.is_not(None)),
        func.count().filter(Job.dead_at.is_not(None)),
    )).one()
    return {"pending": rows[0], "finished": rows[1], "dead": rows[2]}


def queue_by_name(session: Session, *,
                  now: datetime) -> list[tuple[str, int, int, datetime | None]]:
    """Per job name, of the jobs not finished and not given up: how many, how many are due now,
    and when the oldest due one was due. One pass over the unfinished end of ix_jobs_due."""
    due = Job.run_at <= now
    rows = session.execute(
        select(Job.name, func.count(), func.count().filter(due), func.min(Job.run_at).filter(due))
        .where(Job.finished_at.is_(None), Job.dead_at.is_(None))
        .group_by(Job.name).order_by(Job.name))
    return [(name, queued, due_now, oldest) for name, queued, due_now, oldest in rows]
