"""The audit log: one append-only row per state change, written in the change's transaction."""

from __future__ import annotations

from typing import Any

from sqlalchemy.orm import Session

from sparkcodes.audit import repository
from sparkcodes.kit.clock import utc_now
from sparkcodes.kit.context import current_request_id
from sparkcodes.models import AuditEvent

# Field names whose values are secrets and never reach the log.
_SECRET_KEYS = {"code", "code_hash", "token", "token_hash", "password", "password_hash"}


def _clean(values: dict[str, Any] | None) -> dict[str, Any] | None:
    if values is None:
        return None
    out: dict[str, Any] = {}
    for key, value in values.items():
        if key in _SECRET_KEYS:
            continue
        out[key] = value.isoformat() if hasattr(value, "isoformat") else value
    return out


def record(
    session: Session,
    *,
    actor_id: str | None,
    action: str,
    target_type: str,
    target_id: str,
    creator_id: str | None = None,
    business_id: str | None = None,
    before: dict[str, Any] | None = None,
    after: dict[str, Any] | None = None,
    **extra: Any,
) -> AuditEvent:
    """Append an audit row (action is ``noun.past_tense``); secrets are dropped, never stored."""
    details: dict[str, Any] = {}
    if before is not None:
        details["before"] = _clean(before)
    if after is not None:
        details["after"] = _clean(after)
    if extra:
        details.update(_clean(extra) or {})
    event = AuditEvent(
        occurred_at=utc_now(),
        actor_id=actor_id,
        action=action,
        target_type=target_type,
        target_id=target_id,
        creator_id=creator_id,
        business_id=business_id,
        details=details,
        request_id=current_request_id(),
    )
    repository.add(session, event)
    return event
