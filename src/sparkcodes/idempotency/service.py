"""Idempotency-Key: a retried request gets the first answer, never a second effect."""

from __future__ import annotations

import hashlib
import json
from typing import Any

from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from sparkcodes import errors
from sparkcodes.idempotency import repository
from sparkcodes.models import IdempotencyKey

MAX_KEY = 200


def fingerprint(payload: Any) -> str:
    return hashlib.sha256(json.dumps(payload, sort_keys=True, default=str).encode()).hexdigest()


def replay(session: Session, *, user_id: str, scope: str, key: str,
           request_hash: str) -> IdempotencyKey | None:
    """The stored answer for this key, or None; a key reused for another request is refused."""
    if not key or len(key) > MAX_KEY:
        raise errors.InvalidInput(f"An Idempotency-Key has 1 to {MAX_KEY} characters.",
                                  code="invalid_idempotency_key")
    row = repository.find(session, user_id=user_id, scope=scope, key=key)
    if row is not None and row.request_hash != request_hash:
        raise errors.Conflict(
            "This Idempotency-Key was used for a different request; use a new key.",
            code="idempotency_key_reused",
        )
    return row


def remember(session: Session, *, user_id: str, scope: str, key: str, request_hash: str,
             status_code: int, response: dict[str, Any]) -> None:
    """Store the answer with the change; a concurrent twin loses the insert and is told to retry."""
    try:
        with session.begin_nested():
            repository.add(session, IdempotencyKey(
                user_id=user_id, scope=scope, key=key, request_hash=request_hash,
                status_code=status_code, response=response,
            ))
    except IntegrityError as exc:
        raise errors.Conflict(
            "A request with this Idempotency-Key is being processed; retry in a moment.",
            code="idempotency_key_in_use",
        ) from exc
