"""The reminder sweep (R23): each reminder once per code and window end, however often it runs.

Validity never depends on the sweep: it only notifies. An extension moves the window end, so the
reminders of the new end are new rows (re-armed); a deleted code is not a candidate (disarmed).
A code stays a candidate until its expiry alert is recorded, however long the worker was down:
the alert then goes out late, saying how late, rather than never. Recording it marks the code
(``reminded_end``), which takes it out of the index the sweep reads: a pass costs the codes with
a reminder due, not every code ever bound.

A pass records what is due in a few statements and queues one ``reminder.tell`` job per reminder
to send, as the notice and fallback sweeps queue theirs: building an alert (its ads, their
delivery and spend, its recipients) is the expensive part, and the workers share it. The job
tells once (``sent_at`` is its conditional write), and tells nothing if the end moved meanwhile.

A reminder whose tell job spends its attempts (a bug, an outage) is given up as the job is
buried: it reads failed, with why (``failed_at``, ``last_error``), never recorded-but-untold in
silence, until an operator tells it again (`sparkcodes reminders retry`).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy.orm import Session

from sparkcodes.config import Settings
from sparkcodes.notification import alerts
from sparkcodes.reminder import repository, rules
from sparkcodes.worker import service as jobs

TELL = "reminder.tell"
TELL_MAX_ATTEMPTS = 5
RETRY_BATCH = 500


def _due(session: Session, settings: Settings,
         now: datetime) -> list[tuple[str, datetime, list[str], set[str]]]:
    """Each candidate code: its id, end, the reminders due now, and those already recorded."""
    offsets = settings.reminders.offsets_hours
    codes = repository.candidates(session, horizon=rules.horizon(now, offsets))
    ends = dict(codes)
    recorded: dict[str, set[str]] = {}
    for auth_id, kind, end in repository.recorded(session, list(ends)):
        if ends[auth_id] == end:
            recorded.setdefault(auth_id, set()).add(kind)
    return [(auth_id, end, rules.due_kinds(end, now, offsets), recorded.get(auth_id, set()))
            for auth_id, end in codes]


def sweep(session: Session, *, settings: Settings, now: datetime) -> int:
    """Record every reminder due now and queue the telling of the latest one of each code (the
    earlier ones missed are recorded as skipped); returns how many were queued."""
    skipped: list[tuple[str, str, datetime]] = []
    sends: list[tuple[str, str, datetime]] = []
    ended: list[str] = []
    for auth_id, end, due, already in _due(session, settings, now):
        send, skip = rules.plan(due, already)
        skipped += [(auth_id, kind, end) for kind in skip]
        if send:
            sends.append((auth_id, send, end))
        if rules.EXPIRED in due:  # recorded by this pass or an earlier (or concurrent) one
            ended.append(auth_id)
    repository.record_many(session, skipped, now=now, skipped=True)
    new = repository.record_many(session, sends, now=now, skipped=False)
    queued = jobs.enqueue_many(session, TELL, [
        ({"authorization_id": auth_id, "kind": kind, "window_end": end.isoformat()},
         f"{TELL}:{auth_id}:{kind}:{end.isoformat()}")
        for auth_id, kind, end in sends if (auth_id, kind) in new], max_attempts=TELL_MAX_ATTEMPTS)
    repository.mark_told(session, ended, now=now)
    return queued


def tell(session: Session, *, authorization_id: str, kind: str, window_end: datetime,
         now: datetime) -> bool:
    """Send one recorded reminder, once; a late one says how late it is now. Nothing is sent if
    the code was deleted or its end moved since it was recorded (the new end has its own
    reminders): the reminder is marked skipped instead."""
    a = repository.code(session, authorization_id)
    if a is None or a.deleted_at is not None or a.expires_at != window_end:
        repository.mark_skipped(session, authorization_id=authorization_id, kind=kind,
                                window_end=window_end, now=now)
        return False
    if not repository.mark_sent(session, authorization_id=authorization_id, kind=kind,
                                window_end=window_end, now=now):
        return False
    alerts.code_reminder(session, authorization=a, kind=kind, now=now,
                         late_by=rules.late_by(window_end, kind, now))
    return True


def give_up(session: Session, *, authorization_id: str, kind: str, window_end: datetime,
            runs: int, why: str, now: datetime) -> bool:
    """The reminder's tell job is buried after ``runs`` runs: it reads failed, saying so and why,
    and waits for an operator to tell it again (``retry_failed``). False if it was told, skipped
    or given up already."""
    return repository.fail(session, authorization_id=authorization_id, kind=kind,
                           window_end=window_end, now=now,
                           why=f"Given up after {runs} attempt{'s' if runs != 1 else ''} "
                               f"(the last: {why}).")


@dataclass(frozen=True)
class FailedReminder:
    """A reminder recorded but never told: its tell job was given up."""

    id: str
    authorization_id: str
    code_hint: str
    kind: str
    window_end: datetime
    failed_at: datetime
    last_error: str | None


def failed(session: Session, *, limit: int) -> tuple[int, list[FailedReminder]]:
    """How many reminders are failed in all, and the first ``limit``, oldest failure first."""
    return repository.count_failed(session), [
        FailedReminder(id=r.id, authorization_id=r.authorization_id, code_hint=hint,
                       kind=r.kind, window_end=r.window_end, failed_at=r.failed_at,
                       last_error=r.last_error)
        for r, hint in repository.failed(session, ids=None, limit=limit)
        if r.failed_at is not None]


def count_failed(session: Session) -> int:
    """How many reminders are failed (given up, not told since), for /metrics."""
    return repository.count_failed(session)


def retry_failed(session: Session, *,
                 ids: list[str] | None) -> list[tuple[str, dict[str, str], str]]:
    """Make failed reminders to be told again (those of ``ids``, or every one), a batch at a
    time: (reminder id, tell job payload, its dedupe key) for each, for the caller to queue in this
    transaction. Each is a conditional write, so two operators retrying at once queue a
    reminder once. The tell still sends nothing if the code was deleted or its end moved."""
    retried = []
    for r, _ in repository.failed(session, ids=ids, limit=RETRY_BATCH):
        assert r.failed_at is not None
        if repository.unfail(session, reminder_id=r.id, failed_at=r.failed_at):
            end = r.window_end.isoformat()
            retried.append((
                r.id, {"authorization_id": r.authorization_id, "kind": r.kind, "window_end": end},
                f"{TELL}:{r.authorization_id}:{r.kind}:{end}:retry@{r.failed_at.isoformat()}"))
    return retried


def settle_past(session: Session, *, settings: Settings, now: datetime) -> int:
    """Record every reminder already due as skipped, sending none; returns how many.

    Only for a world written with its past already behind it (the demo back-dates codes): what
    fell due before that world existed was never due to anyone, so it is not a late alert.
    Reminders falling due from now on are sent as usual.
    """
    skipped: list[tuple[str, str, datetime]] = []
    ended: list[str] = []
    for auth_id, end, due, already in _due(session, settings, now):
        skipped += [(auth_id, kind, end) for kind in due if kind not in already]
        if rules.EXPIRED in due:
            ended.append(auth_id)
    settled = len(repository.record_many(session, skipped, now=now, skipped=True))
    repository.mark_told(session, ended, now=now)
    return settled
