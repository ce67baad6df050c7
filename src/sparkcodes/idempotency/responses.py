"""Idempotency-Key for any JSON route: run the use case once, replay its answer on a retry."""

from __future__ import annotations

from collections.abc import Callable
from typing import TypeVar

from fastapi.responses import JSONResponse
from pydantic import BaseModel
from sqlalchemy.orm import Session

from sparkcodes.idempotency import service

Out = TypeVar("Out", bound=BaseModel)


def once(session: Session, *, secret_key: str, user_id: str, scope: str, key: str | None,
         request: BaseModel, run: Callable[[], Out],
         status_code: int = 200) -> Out | JSONResponse:
    """``run()``'s answer, stored under ``key`` with the change; a retry with the same key and
    request gets the stored answer (header ``Idempotent-Replayed: true``) and changes nothing.
    Without a key, ``run()`` simply runs. The same key for another request is refused."""
    if key is None:
        return run()
    payload = request.model_dump()
    fingerprint = service.fingerprint(payload, secret_key=secret_key)
    earlier = service.replay(session, user_id=user_id, scope=scope, key=key,
                             request_hash=fingerprint,
                             legacy_hash=service.legacy_fingerprint(payload))
    if earlier is not None:
        return JSONResponse(earlier.response, status_code=earlier.status_code,
                            headers={"Idempotent-Replayed": "true"})
    out = run()
    service.remember(session, user_id=user_id, scope=scope, key=key, request_hash=fingerprint,
                     status_code=status_code, response=out.model_dump(mode="json"))
    return out
