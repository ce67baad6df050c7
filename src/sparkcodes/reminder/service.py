"""The reminder sweep (R23): each reminder once per code and window end, however often it runs.

Validity never depends on the sweep: it only notifies. An extension moves the window end, so the
reminders of the new end are new rows (re-armed); a deleted code is not a candidate (disarmed).
A code stays a candidate until its expiry alert is recorded, however long the worker was down:
the alert then goes out late, saying how late, rather than never.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy.orm import Session

from sparkcodes.config import Settings
from sparkcodes.notification import alerts
from sparkcodes.reminder import repository, rules


def sweep(session: Session, *, settings: Settings, now: datetime) -> int:
    """Record and send every reminder due now; returns how many were sent."""
    offsets = settings.reminders.offsets_hours
    horizon = now + timedelta(hours=max(offsets, default=0))
    codes = repository.candidates(session, horizon=horizon, last_kind=rules.EXPIRED)
    recorded = repository.recorded(session, [a.id for a in codes])
    sent = 0
    for a in codes:
        already = {kind for auth_id, kind, end in recorded
                   if auth_id == a.id and end == a.expires_at}
        send, skip = rules.plan(rules.due_kinds(a.expires_at, now, offsets), already)
        for kind in skip:
            repository.record(session, authorization_id=a.id, kind=kind,
                              window_end=a.expires_at, now=now, sent=False)
        if send and repository.record(session, authorization_id=a.id, kind=send,
                                      window_end=a.expires_at, now=now, sent=True):
            alerts.code_reminder(session, authorization=a, kind=send, now=now,
                                 late_by=rules.late_by(a.expires_at, send, now))
            sent += 1
    return sent


def settle_past(session: Session, *, settings: Settings, now: datetime) -> int:
    """Record every reminder already due as skipped, sending none; returns how many.

    Only for a world written with its past already behind it (the demo back-dates codes): what
    fell due before that world existed was never due to anyone, so it is not a late alert.
    Reminders falling due from now on are sent as usual.
    """
    offsets = settings.reminders.offsets_hours
    horizon = now + timedelta(hours=max(offsets, default=0))
    codes = repository.candidates(session, horizon=horizon, last_kind=rules.EXPIRED)
    recorded = repository.recorded(session, [a.id for a in codes])
    settled = 0
    for a in codes:
        already = {kind for auth_id, kind, end in recorded
                   if auth_id == a.id and end == a.expires_at}
        for kind in rules.due_kinds(a.expires_at, now, offsets):
            if kind not in already and repository.record(
                    session, authorization_id=a.id, kind=kind, window_end=a.expires_at,
                    now=now, sent=False):
                settled += 1
    return settled
