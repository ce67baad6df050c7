"""The developer app named in the path, if the caller registered it: typed dependencies.

``DeveloperAppOwned`` resolves ``{developer_app_id}`` among the caller's live apps;
``DeveloperAppOwnedWithDeleted`` among deleted ones too (deleting twice is harmless). Any other id,
another developer's included, is NotFound.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated

from fastapi import Depends

from sparkcodes.deps import CallerDep, SessionDep
from sparkcodes.developer_app import service
from sparkcodes.models import DeveloperApp


def _app(*, include_deleted: bool = False) -> Callable[..., DeveloperApp]:
    def dependency(developer_app_id: str, user: CallerDep, session: SessionDep) -> DeveloperApp:
        return service.access(session, user=user, developer_app_id=developer_app_id,
                              include_deleted=include_deleted)

    return dependency


DeveloperAppOwned = Annotated[DeveloperApp, Depends(_app())]
DeveloperAppOwnedWithDeleted = Annotated[DeveloperApp, Depends(_app(include_deleted=True))]
