from __future__ import annotations

from fastapi import APIRouter, Depends, Query

from sparkcodes.deps import SessionDep, UserDep
from sparkcodes.kit.clock import utc_now
from sparkcodes.kit.pagination import Page
from sparkcodes.notification import repository
from sparkcodes.notification.schemas import MarkReadIn, NotificationOut, NotificationsOut

router = APIRouter(prefix="/v1", tags=["notifications"])


@router.get("/notifications", response_model=NotificationsOut)
def list_notifications(user: UserDep, session: SessionDep, page: Page = Depends(Page.dep),
                       unread_only: bool = Query(False)) -> NotificationsOut:
    """Your notifications, newest first, with the unread count."""
    items = repository.of_user(session, user.id, unread_only=unread_only, limit=page.limit,
                               offset=page.offset)
    return NotificationsOut(unread=repository.unread_count(session, user.id),
                            items=[NotificationOut.model_validate(n) for n in items])


@router.post("/notifications/read", response_model=NotificationsOut)
def mark_read(body: MarkReadIn, user: UserDep, session: SessionDep) -> NotificationsOut:
    """Mark some (ids) or all of your notifications read; marking twice is harmless."""
    repository.mark_read(session, user_id=user.id, ids=body.ids, now=utc_now())
    return NotificationsOut(unread=repository.unread_count(session, user.id), items=[])
