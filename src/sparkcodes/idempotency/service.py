"""Idempotency-Key: a retried request gets the first answer, never a second effect."""

from __future__ import annotations

import hashlib
import json
from typing import Any

from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from sparkcodes import errors
from sparkcodes.idempotency import repository
from sparkcodes.kit import crypto
from sparkcodes.models import IdempotencyKey

MAX_KEY = 200


PURPOSE = "idempotency request"


def _canonical(payload: Any) -> bytes:
    return json.dumps(payload, sort_keys=True, default=str).encode()


def fingerprint(payload: Any, *, secret_key: str) -> str:
    """The request's keyed hash (HMAC-SHA-256 under a key derived from the secret key): a bind
    request holds raw codes, so its fingerprint must not let anyone who reads the table test
    guesses against it."""
    return crypto.keyed_hash(secret_key, _canonical(payload).decode(), purpose=PURPOSE)


def legacy_fingerprint(payload: Any) -> str:
    """The unkeyed SHA-256 rows stored before fingerprints were keyed; only compared, never
    stored again (a matching row is re-keyed when its retry arrives)."""
    return hashlib.sha256(_canonical(payload)).hexdigest()


def replay(session: Session, *, user_id: str, scope: str, key: str, request_hash: str,
           legacy_hash: str | None = None) -> IdempotencyKey | None:
    """The stored answer for this key, or None; a key reused for another request is refused.
    A row stored under the legacy unkeyed hash of this very request still answers, and is
    re-keyed to ``request_hash`` on the way."""
    if not key or len(key) > MAX_KEY:
        raise errors.InvalidInput(f"An Idempotency-Key has 1 to {MAX_KEY} characters.",
                                  code="invalid_idempotency_key")
    row = repository.find(session, user_id=user_id, scope=scope, key=key)
    if row is None or row.request_hash == request_hash:
        return row
    if legacy_hash is not None and row.request_hash == legacy_hash:
        repository.rekey(session, row_id=row.id, old_hash=legacy_hash, new_hash=request_hash)
        return row
    raise errors.Conflict(
        "This Idempotency-Key was used for a different request; use a new key.",
        code="idempotency_key_reused",
    )


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
