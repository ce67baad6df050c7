from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from sparkcodes.models import SandboxClock


def get(session: Session) -> SandboxClock | None:
    return session.scalar(select(SandboxClock).where(SandboxClock.id == 1))


def get_for_update(session: Session) -> SandboxClock:
    row = session.scalar(select(SandboxClock).where(SandboxClock.id == 1).with_for_update())
    if row is None:
        row = SandboxClock(id=1, offset_microseconds=0)
        session.add(row)
        session.flush()
    return row
