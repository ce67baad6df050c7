"""Faults on demand, in sandbox mode only: the surface answers the next N calls (on one path, or
on any) as a TikTok having a bad day would: 40100 (the app's QPS), 50002 (a transient error), a
stall longer than a client's timeout, 40105 (the token revoked) or 40102 (the token expired).
A connector pointed at this server can then be rehearsed against each of them
(docs/connector.md, "Faults").

The faults are counters in the limiter's store (Redis when configured, else the database or its
sidecar file), so every process of the stand-in serves them, and each armed call is served by
exactly one request however many race: a call takes a fault by one atomic increment of its
``used`` count, and only the increments up to the ``armed`` count win. Armed faults not served
within an hour are forgotten. Outside sandbox mode neither the routes nor the hook exist.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Annotated, Literal

import anyio
from fastapi import APIRouter, Depends, FastAPI, Request
from fastapi.responses import JSONResponse
from limits.errors import StorageError
from limits.storage import Storage
from pydantic import BaseModel, Field
from sqlalchemy.exc import SQLAlchemyError

from sparkcodes import errors
from sparkcodes.compat.tiktok import codes
from sparkcodes.compat.tiktok.envelope import TikTokError, refused
from sparkcodes.compat.tiktok.routing import PREFIX
from sparkcodes.deps import UserDep

log = logging.getLogger("sparkcodes.tiktok")

Kind = Literal["app_qps", "processing", "stall", "token_revoked", "token_expired"]
KINDS: tuple[Kind, ...] = ("app_qps", "processing", "stall", "token_revoked", "token_expired")
TOKEN_EXPIRED = 40102
ANY = "*"
LIFETIME_SECONDS = 3600
MAX_CALLS = 10_000

# What each kind answers: TikTok's code and message (a stall answers late, not differently).
ANSWERS: dict[str, tuple[int, str]] = {
    "app_qps": (codes.APP_QPS, "App reaches the QPS limit. Requests from this app are limited "
                               "for now; retry in the next second. (sandbox fault)"),
    "processing": (codes.PROCESSING_ERROR, "Requests are temporarily restricted; retry later. "
                                           "(sandbox fault)"),
    "token_revoked": (codes.TOKEN_INVALID, codes.TOKEN_INVALID_MESSAGE + " (sandbox fault)"),
    "token_expired": (TOKEN_EXPIRED, "Access token has expired. (sandbox fault)"),
}


@dataclass(frozen=True)
class Fault:
    kind: str
    path: str
    stall_seconds: float


def scope_of(path: str) -> str:
    """``/open_api/v1.3/tt_video/list/`` and ``tt_video/list`` are both ``tt_video/list``."""
    return path.removeprefix(PREFIX).strip("/")


class Faults:
    """The armed faults of one deployment, in a `limits` storage shared by its processes."""

    def __init__(self, storage: Storage, paths: frozenset[str]) -> None:
        self.storage = storage
        self.paths = paths  # the surface's routes, as scopes

    @staticmethod
    def _key(scope: str, kind: str, what: str) -> str:
        return f"tiktok-fault:{scope}:{kind}:{what}"

    def arm(self, *, kind: str, calls: int, path: str | None, stall_seconds: float) -> None:
        """The next ``calls`` calls on ``path`` (any path when None) answer with ``kind``."""
        scope = ANY if path is None else scope_of(path)
        if kind == "stall":
            key = self._key(scope, kind, "stall_ms")
            self.storage.clear(key)
            self.storage.incr(key, LIFETIME_SECONDS, int(stall_seconds * 1000))
        self.storage.incr(self._key(scope, kind, "armed"), LIFETIME_SECONDS, calls)
        self.storage.incr(self._key(ANY, ANY, "armed"), LIFETIME_SECONDS, calls)

    def _left(self, scope: str, kind: str) -> int:
        return max(0, self.storage.get(self._key(scope, kind, "armed"))
                   - self.storage.get(self._key(scope, kind, "used")))

    def pending(self) -> list[tuple[str, str, int]]:
        """(kind, path or "*", calls left) of every fault still armed."""
        out: list[tuple[str, str, int]] = []
        for scope in (ANY, *sorted(self.paths)):
            for kind in KINDS:
                left = self._left(scope, kind)
                if left:
                    out.append((kind, scope, left))
        return out

    def clear(self) -> int:
        """Disarm everything; how many calls were still armed."""
        left = sum(n for _, _, n in self.pending())
        for scope in (ANY, *self.paths):
            for kind in (*KINDS, ANY):
                for what in ("armed", "used", "stall_ms"):
                    self.storage.clear(self._key(scope, kind, what))
        return left

    def take(self, path: str) -> Fault | None:
        """The fault this call on ``path`` is to serve, if one is armed; counts it as served.
        Most calls cost one read: nothing is armed."""
        total = self.storage.get(self._key(ANY, ANY, "armed"))
        if not total or self.storage.get(self._key(ANY, ANY, "used")) >= total:
            return None
        scope = scope_of(path)
        for where in (scope, ANY):
            for kind in KINDS:
                armed = self.storage.get(self._key(where, kind, "armed"))
                if not armed:
                    continue
                if self.storage.incr(self._key(where, kind, "used"), LIFETIME_SECONDS) > armed:
                    continue
                self.storage.incr(self._key(ANY, ANY, "used"), LIFETIME_SECONDS)
                stall = self.storage.get(self._key(where, kind, "stall_ms")) / 1000
                return Fault(kind, where, stall)
        return None


async def serve(request: Request) -> JSONResponse | None:
    """The hook of the surface's routes: a refusal to answer instead, or None to answer as
    usual (after the stall, for a stall). A store that cannot be reached arms nothing."""
    faults: Faults | None = getattr(request.app.state, "tiktok_faults", None)
    if faults is None:
        return None
    try:
        fault = await anyio.to_thread.run_sync(faults.take, request.url.path)
    except (StorageError, SQLAlchemyError, OSError):
        log.warning("sandbox faults: the store cannot be reached; answering as usual",
                    exc_info=True)
        return None
    if fault is None:
        return None
    log.info("sandbox fault %s served on %s", fault.kind, request.url.path)
    if fault.kind == "stall":
        await anyio.sleep(fault.stall_seconds)
        return None
    code, message = ANSWERS[fault.kind]
    return refused(TikTokError(code, message))


# --- the sandbox routes -------------------------------------------------------------------------

class FaultIn(BaseModel):
    kind: Kind = Field(description="app_qps (40100), processing (50002), stall (answers after "
                                   "stall_seconds), token_revoked (40105), token_expired (40102)")
    calls: int = Field(1, ge=1, le=MAX_CALLS, description="How many calls answer so")
    path: str | None = Field(None, max_length=200,
                             description="Only calls on this path, e.g. tt_video/list/; "
                                         "any path when left out")
    stall_seconds: float = Field(10.0, gt=0, le=120,
                                 description="For a stall: how long before answering")


class FaultOut(BaseModel):
    kind: str
    path: str = Field(description='A path of /open_api/v1.3, or "*" for any')
    calls_left: int


class FaultsOut(BaseModel):
    faults: list[FaultOut]


def _faults(request: Request) -> Faults:
    faults: Faults = request.app.state.tiktok_faults
    return faults


FaultsDep = Annotated[Faults, Depends(_faults)]


def _out(faults: Faults) -> FaultsOut:
    return FaultsOut(faults=[FaultOut(kind=k, path=p, calls_left=n)
                             for k, p, n in faults.pending()])


router = APIRouter(prefix="/v1/sandbox/tiktok-faults", tags=["sandbox"])


@router.get("", response_model=FaultsOut)
def list_faults(user: UserDep, faults: FaultsDep) -> FaultsOut:
    """The faults this server's /open_api/v1.3 surface is still to serve."""
    return _out(faults)


@router.post("", response_model=FaultsOut, status_code=201)
def arm_fault(body: FaultIn, user: UserDep, faults: FaultsDep) -> FaultsOut:
    """Make the next `calls` calls of this server's /open_api/v1.3 surface (on `path`, or on
    any) answer with a fault, to rehearse a connector against TikTok's bad days."""
    if body.path is not None and scope_of(body.path) not in faults.paths:
        raise errors.InvalidInput(
            f"No /open_api/v1.3 route answers '{body.path}'. Give a path of the surface, such "
            "as tt_video/list/, or leave it out for any.", code="unknown_tiktok_path")
    faults.arm(kind=body.kind, calls=body.calls, path=body.path,
               stall_seconds=body.stall_seconds)
    return _out(faults)


@router.delete("", response_model=FaultsOut)
def clear_faults(user: UserDep, faults: FaultsDep) -> FaultsOut:
    """Disarm every fault still armed."""
    faults.clear()
    return _out(faults)


def install(app: FastAPI, storage: Storage, paths: frozenset[str]) -> None:
    app.state.tiktok_faults = Faults(storage, paths)
    app.state.tiktok_faults_hook = serve
    app.include_router(router)
