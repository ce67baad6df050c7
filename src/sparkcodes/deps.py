"""FastAPI dependencies shared by every router: settings, the request's session, the caller."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from typing import Annotated, TypeVar

import anyio
from fastapi import Depends, Request
from sqlalchemy.orm import Session

from sparkcodes import errors, ports
from sparkcodes.config import Settings
from sparkcodes.db import Database
from sparkcodes.models import User
from sparkcodes.sandbox import service as sandbox_service
from sparkcodes.user import service as user_service

_READ_METHODS = {"GET", "HEAD", "OPTIONS"}
_READ_ONLY = "__sparkcodes_read_only__"
ROLLBACK_ONLY = "rollback_only"

_Endpoint = TypeVar("_Endpoint", bound=Callable[..., object])


def read_only(endpoint: _Endpoint) -> _Endpoint:
    """Mark a POST route that never writes: it gets a reader session (no SQLite write lock)."""
    setattr(endpoint, _READ_ONLY, True)
    return endpoint


# Dependencies that do no I/O are ``async def``: FastAPI runs sync ones in the threadpool, and
# each hand-off costs more CPU than the dependency itself (bench/README.md, suggestion 6).
async def get_settings(request: Request) -> Settings:
    return request.app.state.settings


async def get_database(request: Request) -> Database:
    return request.app.state.db


def _writes(request: Request) -> bool:
    if request.method in _READ_METHODS:
        return False
    return not getattr(request.scope.get("endpoint"), _READ_ONLY, False)


async def _in_thread(fn: Callable[[], object]) -> None:
    # Its own limiter, shielded: returning a connection must never wait for a threadpool slot
    # held by requests that wait for a connection (the reason FastAPI does the same for sync
    # generator dependencies), nor be skipped when the request is cancelled.
    with anyio.CancelScope(shield=True):
        await anyio.to_thread.run_sync(fn, limiter=anyio.CapacityLimiter(1))


async def _session(request: Request) -> AsyncIterator[Session]:
    """One transaction per request: committed after the endpoint returns, rolled back on error.

    Creating the session does no I/O, so only the sandbox clock sync and the commit (or rollback)
    go to a worker thread; the endpoint's own statements run in the endpoint's thread. Ending a
    session that waits on nothing (see _ends_at_once) needs no thread either.
    """
    db: Database = request.app.state.db
    write = _writes(request)
    session = db.session(write=write)
    try:
        if request.app.state.settings.sandbox:
            await anyio.to_thread.run_sync(sandbox_service.sync_clock, session)
        yield session
    except BaseException:
        if _ends_at_once(session, db, write=write):
            _end(session, commit=False)
        else:
            await _in_thread(lambda: _end(session, commit=False))
        raise
    # A route that turns its own refusal into a response (the TikTok surface answers refusals
    # with HTTP 200) marks the request, so that what it wrote before refusing is undone.
    commit = not getattr(request.state, ROLLBACK_ONLY, False)
    if _ends_at_once(session, db, write=write):
        _end(session, commit=commit)
    else:
        await _in_thread(lambda: _end(session, commit=commit))


def _ends_at_once(session: Session, db: Database, *, write: bool) -> bool:
    """Whether ending ``session`` can neither wait nor write: it never began a transaction, or it
    is an SQLite reader (ending a read transaction releases its snapshot and touches no disk).
    A PostgreSQL commit is a round trip and a writer's may wait for the disk: those go to a
    thread, never hold the event loop."""
    return not session.in_transaction() or (db.is_sqlite and not write)


def _end(session: Session, *, commit: bool) -> None:
    try:
        if commit:
            session.commit()
        else:
            session.rollback()
    except BaseException:
        session.rollback()
        raise
    finally:
        session.close()


SessionDep = Annotated[Session, Depends(_session, scope="function")]


def client_ip(request: Request) -> str | None:
    """The client's address as the server saw it (behind a proxy, run uvicorn with
    --proxy-headers and --forwarded-allow-ips so that this is the real client's)."""
    return request.client.host if request.client else None
SettingsDep = Annotated[Settings, Depends(get_settings)]


def _bearer(request: Request) -> str:
    header = request.headers.get("authorization", "")
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise errors.Unauthorized()
    return token.strip()


def current_user(request: Request, session: SessionDep, settings: SettingsDep) -> User:
    """The bearer token's user; checked once per request however many dependencies ask."""
    known = getattr(request.state, "bearer_user", None)
    if known is not None:
        return known
    user, token = user_service.sign_in(session, settings=settings, token=_bearer(request))
    _touch(request, session, settings, token)
    request.state.user = request.state.bearer_user = user
    return user


def _touch(request: Request, session: Session, settings: Settings,
           token: user_service.SignedIn) -> None:
    """Record a page session's use (its idle expiry), at most once a minute. A reading request
    does it in a short transaction of its own: its own session may not write (on SQLite, a
    reader that starts writing can be refused outright)."""
    if not user_service.due_for_touch(token):
        return
    if _writes(request):
        user_service.touch(session, settings=settings, token_id=token.token_id)
        return
    with request.app.state.db.unit_of_work() as own:
        user_service.touch(own, settings=settings, token_id=token.token_id)


UserDep = Annotated[User, Depends(current_user)]

SESSION_COOKIE = "sc_session"


class LoginRequired(Exception):
    """A page needs a signed-in user; answered with a 303 to /login."""

    def __init__(self, next_url: str) -> None:
        super().__init__(next_url)
        self.next_url = next_url


_COOKIE_USER = "cookie_user"


def cookie_user(request: Request, session: Session, settings: Settings) -> User | None:
    """The user behind a page's session cookie, or None; read once per request."""
    if not hasattr(request.state, _COOKIE_USER):
        user = None
        raw = request.cookies.get(SESSION_COOKIE)
        if raw:
            try:
                user, token = user_service.sign_in(session, settings=settings, token=raw)
            except errors.AppError:
                user = None
            else:
                _touch(request, session, settings, token)
        setattr(request.state, _COOKIE_USER, user)
    return getattr(request.state, _COOKIE_USER)


def login_target(request: Request) -> str:
    """Where to come back after logging in: this page, or for a POST the page it came from."""
    if request.method != "GET":
        return request.headers.get("hx-current-url") or "/"
    return request.url.path + (f"?{request.url.query}" if request.url.query else "")


def caller(request: Request, session: SessionDep, settings: SettingsDep) -> User:
    """The signed-in user, as the surface signs people in: a bearer token on the JSON API, the
    session cookie on pages (never the cookie on the JSON API, which has no CSRF check)."""
    if request.url.path.startswith("/v1/"):
        return current_user(request, session, settings)
    request.state.page = True  # a refusal on a page is answered with a page
    user = cookie_user(request, session, settings)
    if user is None:
        raise LoginRequired(login_target(request))
    return user


CallerDep = Annotated[User, Depends(caller)]


def ad_actions(request: Request) -> ports.AdActions:
    """The writes on mirrored ad accounts, made on TikTok: built once with the app."""
    actions: ports.AdActions = request.app.state.ad_actions
    return actions
