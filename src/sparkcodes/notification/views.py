"""Pages: your notifications (alerts, reminders, renewal answers), marking them read, and which
of them reach you by e-mail."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form
from fastapi.responses import Response

from sparkcodes.models import Notification
from sparkcodes.notification import rules, service
from sparkcodes.web.kit import WebForm, WebPage

router = APIRouter(tags=["pages"])


def advice_of(n: Notification) -> rules.Advice | None:
    """What the alert asks of its reader, in their words, with its subject and next step."""
    return rules.advice(kind=n.event_type, reader=rules.reader_of(n.business_id), data=n.data,
                        business_id=n.business_id)


@router.get("/notifications")
def notifications(web: WebPage) -> Response:
    """Newest first; unread ones stand out."""
    found = service.inbox(web.session, user=web.me, unread_only=False, limit=200, offset=0)
    return web.render("notification/list.html", {"items": found.items, "advice_of": advice_of})


@router.post("/notifications/read")
def mark_read(web: WebForm, id: str = Form("", max_length=32)) -> Response:
    """Mark one notification (id) or all of them read; marking twice is harmless."""
    service.mark_read(web.session, user=web.me, ids=[id] if id else None)
    if web.htmx and id:
        found = service.inbox(web.session, user=web.me, unread_only=False, limit=200, offset=0)
        item = next((n for n in found.items if n.id == id), None)
        if item is not None:
            return web.render("notification/_item.html",
                              {"n": item, "oob_badge": True, "advice_of": advice_of})
    return web.redirect("/notifications")


@router.get(service.EMAIL_CHOICES_PAGE)
def email_choices(web: WebPage, saved: bool = False) -> Response:
    """Which alerts reach you by e-mail; every alert still appears on the alerts page."""
    return web.render("notification/email.html", {
        "choices": service.email_choices(web.session, user=web.me), "saved": saved})


@router.post(service.EMAIL_CHOICES_PAGE)
def choose_emails(web: WebForm,
                  email: Annotated[list[str] | None, Form(max_length=60)] = None) -> Response:
    """Save the ticked kinds as the ones e-mailed; an unknown kind is refused (422)."""
    _, error = web.attempt(service.choose_emails, web.session, user=web.me,
                           emailed=email or [])
    if error is not None:
        return web.render("notification/email.html", {
            "choices": service.email_choices(web.session, user=web.me), "saved": False,
            "error": error}, status=error.status)
    return web.redirect(f"{service.EMAIL_CHOICES_PAGE}?saved=1")
