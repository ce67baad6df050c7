from __future__ import annotations

from fastapi import APIRouter, Depends, Query

from sparkcodes.deps import SessionDep, UserDep
from sparkcodes.kit.pagination import Page
from sparkcodes.notification import service
from sparkcodes.notification.schemas import (
    EmailChoiceOut,
    EmailChoicesIn,
    MarkReadIn,
    NotificationOut,
    NotificationsOut,
)

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


@router.get("/notifications/email", response_model=list[EmailChoiceOut])
def email_choices(user: UserDep, session: SessionDep) -> list[EmailChoiceOut]:
    """Every alert kind you can be told of, and whether it reaches you by e-mail."""
    return [EmailChoiceOut.model_validate(c)
            for c in service.email_choices(session, user=user)]


@router.put("/notifications/email", response_model=list[EmailChoiceOut])
def choose_emails(body: EmailChoicesIn, user: UserDep,
                  session: SessionDep) -> list[EmailChoiceOut]:
    """Only the kinds in `emailed` reach you by e-mail from now on; all still appear in-app.
    A kind sparkcodes never tells a person is refused with `unknown_alert_kind` (422)."""
    return [EmailChoiceOut.model_validate(c)
            for c in service.choose_emails(session, user=user, emailed=body.emailed)]
