from __future__ import annotations

from fastapi import APIRouter, Depends, Query

from sparkcodes.deps import SessionDep, UserDep
from sparkcodes.kit.pagination import Page
from sparkcodes.notification import service
from sparkcodes.notification.schemas import MarkReadIn, NotificationOut, NotificationsOut

router = APIRouter(prefix="/v1", tags=["notifications"])


@router.get("/notifications", response_model=NotificationsOut)
def list_notifications(user: UserDep, session: SessionDep, page: Page = Depends(Page.dep),
                       unread_only: bool = Query(False)) -> NotificationsOut:
    """Your notifications, newest first, with the unread count."""
    found = service.inbox(session, user=user, unread_only=unread_only, limit=page.limit,
                          offset=page.offset)
    return NotificationsOut(unread=found.unread,
                            items=[NotificationOut.model_validate(n) for n in found.items])


@router.post("/notifications/read", response_model=NotificationsOut)
def mark_read(body: MarkReadIn, user: UserDep, session: SessionDep) -> NotificationsOut:
    """Mark some (ids) or all of your notifications read; marking twice is harmless."""
    unread = service.mark_read(session, user=user, ids=body.ids)
    return NotificationsOut(unread=unread, items=[])
