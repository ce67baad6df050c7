"""The reminder sweep (R23): each reminder once per code and window end, however often it runs.

Validity never depends on the sweep: it only notifies. An extension moves the window end, so the
reminders of the new end are new rows (re-armed); a deleted code is not a candidate (disarmed).
A code stays a candidate until its expiry alert is recorded, however long the worker was down:
the alert then goes out late, saying how late, rather than never. Recording it marks the code
(``reminded_end``), which takes it out of the index the sweep reads: a pass costs the codes with
a reminder due, not every code ever bound.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.orm import Session

from sparkcodes.config import Settings
from sparkcodes.models import Authorization
from sparkcodes.notification import alerts
from sparkcodes.reminder import repository, rules


def _recorded(session: Session, codes: list[Authorization]) -> dict[str, set[str]]:
    """The reminders already recorded for each code's current end, by code id."""
    ends = {a.id: a.expires_at for a in codes}
    out: dict[str, set[str]] = {}
    for auth_id, kind, end in repository.recorded(session, list(ends)):
        if ends[auth_id] == end:
            out.setdefault(auth_id, set()).add(kind)
    return out


def sweep(session: Session, *, settings: Settings, now: datetime) -> int:
    """Record and send every reminder due now; returns how many were sent."""
    offsets = settings.reminders.offsets_hours
    codes = repository.candidates(session, horizon=rules.horizon(now, offsets))
    recorded = _recorded(session, codes)
    sent = 0
    for a in codes:
        already = recorded.get(a.id, set())
        due = rules.due_kinds(a.expires_at, now, offsets)
        send, skip = rules.plan(due, already)
        for kind in skip:
            repository.record(session, authorization_id=a.id, kind=kind,
                              window_end=a.expires_at, now=now, sent=False)
        if send and repository.record(session, authorization_id=a.id, kind=send,
                                      window_end=a.expires_at, now=now, sent=True):
            alerts.code_reminder(session, authorization=a, kind=send, now=now,
                                 late_by=rules.late_by(a.expires_at, send, now))
            sent += 1
        if rules.EXPIRED in due:  # recorded now or by an earlier (or concurrent) sweep
            repository.mark_told(session, authorization_id=a.id, window_end=a.expires_at)
    return sent


def settle_past(session: Session, *, settings: Settings, now: datetime) -> int:
    """Record every reminder already due as skipped, sending none; returns how many.

    Only for a world written with its past already behind it (the demo back-dates codes): what
    fell due before that world existed was never due to anyone, so it is not a late alert.
    Reminders falling due from now on are sent as usual.
    """
    offsets = settings.reminders.offsets_hours
    codes = repository.candidates(session, horizon=rules.horizon(now, offsets))
    recorded = _recorded(session, codes)
    settled = 0
    for a in codes:
        already = recorded.get(a.id, set())
        due = rules.due_kinds(a.expires_at, now, offsets)
        for kind in due:
            if kind not in already and repository.record(
                    session, authorization_id=a.id, kind=kind, window_end=a.expires_at,
                    now=now, sent=False):
                settled += 1
        if rules.EXPIRED in due:
            repository.mark_told(session, authorization_id=a.id, window_end=a.expires_at)
    return settled
