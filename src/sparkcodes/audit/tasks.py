"""The scheduled walk of the audit chain, and the alert to the admins whose rows it finds broken
(each break once, whichever worker finds it first)."""

from __future__ import annotations

import logging
from datetime import timedelta
from typing import TYPE_CHECKING, Any

from sparkcodes.audit import service
from sparkcodes.config import Settings
from sparkcodes.notification import service as notifications
from sparkcodes.worker.service import SCHEDULES, Schedule, handler

if TYPE_CHECKING:
    from sparkcodes.worker.service import JobContext

log = logging.getLogger("sparkcodes.audit")
VERIFY = "audit.verify"


@handler(VERIFY)
def verify(ctx: JobContext, payload: dict[str, Any]) -> None:
    """Walk the chain; on a break, tell the admins of the businesses whose rows it touches."""
    with ctx.db.unit_of_work(write=False) as session:
        result = service.verify(session, service.keyring(ctx.settings),
                                batch=ctx.settings.audit.verify_batch)
    broken = result.broken
    if broken is None:
        log.info("audit chain intact: %d link(s)", result.checked)
        return
    log.error("audit chain broken: %s", broken.message)
    with ctx.db.unit_of_work() as session:
        if not service.claim_alert(session, broken):
            return  # told already
        if not broken.business_ids:
            log.error("audit chain break %s touches no business's rows: nobody to alert; "
                      "run `sparkcodes audit verify`", broken.key)
            return
        notifications.emit(
            session, event_type="audit.chain_broken", title="The audit log was tampered with",
            body=(f"A check of the audit log found it altered outside sparkcodes: "
                  f"{broken.message}. Entries from that point on cannot be trusted as a record; "
                  "ask your operator to run `sparkcodes audit verify`."),
            data={"kind": broken.kind, "event_id": broken.event_id, "position": broken.seq,
                  "detail": broken.detail, "checked": result.checked},
            business_ids=set(broken.business_ids), business_roles={"admin"})


def _every(settings: Settings) -> timedelta | None:
    minutes = settings.audit.verify_every_minutes
    return timedelta(minutes=minutes) if minutes else None


SCHEDULES.append(Schedule(VERIFY, timedelta(minutes=60), every_setting=_every))
