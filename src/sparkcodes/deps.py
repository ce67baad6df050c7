"""FastAPI dependencies shared by every router: settings, the request's session, the caller."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Annotated

from fastapi import Depends, Request
from sqlalchemy.orm import Session

from sparkcodes import errors
from sparkcodes.config import Settings
from sparkcodes.db import Database
from sparkcodes.models import User
from sparkcodes.sandbox import service as sandbox_service
from sparkcodes.user import service as user_service

_READ_METHODS = {"GET", "HEAD", "OPTIONS"}


def get_settings(request: Request) -> Settings:
    return request.app.state.settings


def get_database(request: Request) -> Database:
    return request.app.state.db


def _session(request: Request) -> Iterator[Session]:
    """One transaction per request: committed after the endpoint returns, rolled back on error."""
    db: Database = request.app.state.db
    session = db.session(write=request.method not in _READ_METHODS)
    try:
        if request.app.state.settings.sandbox:
            sandbox_service.sync_clock(session)
        yield session
        session.commit()
    except BaseException:
        session.rollback()
        raise
    finally:
        session.close()


SessionDep = Annotated[Session, Depends(_session, scope="function")]
SettingsDep = Annotated[Settings, Depends(get_settings)]


def _bearer(request: Request) -> str:
    header = request.headers.get("authorization", "")
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise errors.Unauthorized()
    return token.strip()


def current_user(request: Request, session: SessionDep, settings: SettingsDep) -> User:
    user = user_service.authenticate_token(session, settings=settings, token=_bearer(request))
    request.state.user = user
    return user


UserDep = Annotated[User, Depends(current_user)]
